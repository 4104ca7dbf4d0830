//! Contact operations. Each takes the viewer, puts their scope in the SQL, checks the input and
//! runs its writes in one transaction.
//!
//! Access: a viewer reads the contacts of the salespeople in their read scope plus unassigned
//! contacts (the shared lead pool); they change the contacts in their write scope, and
//! unassigned ones only as an admin or manager. A contact outside the read scope answers 404,
//! one readable but not changeable answers 403; both are recorded.

use sqlx::{PgConnection, PgPool};

use super::{
    AssignOptions, CompanyOption, ContactDetail, ContactForm, ContactInput, ContactKind,
    ContactList, ContactListItem, ListQuery, PAGE_SIZE, PersonItem, SalespersonOption, Saved,
    SortKey, last_page,
};
use crate::{
    auth::{
        Role,
        access::{Viewer, record_denied},
    },
    error::{AppError, FieldErrors},
};

const STALE: &str = "This contact was changed by someone else. Reload to see the latest version.";

/// Admins and managers look after the shared lead pool; salespeople only read it.
fn may_change_unassigned(viewer: &Viewer) -> bool {
    matches!(viewer.user.role, Role::Admin | Role::Manager)
}

/// `%text%` for `ilike`, with the pattern characters of the text taken literally. Shared by every
/// search box (contacts, opportunities, board).
pub(crate) fn contains_pattern(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

pub async fn list(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
) -> Result<ContactList, AppError> {
    let read = viewer.read.ids();
    let kind = query.kind.map(ContactKind::as_str);
    let pattern = contains_pattern(&query.search);
    // Both statements see one snapshot, so the count matches the page. The sort is spelled out
    // per key: with the values bound, PostgreSQL folds the CASEs away and walks the matching
    // index (contacts_by_name / _by_city / _by_created) for the first page.
    let mut tx = pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let total = sqlx::query_scalar!(
        r#"select count(*) as "n!"
           from contacts c left join contacts co on co.id = c.company_id
           where ($1::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($1))
             and ($2::text is null or c.kind = $2)
             and ($3::text is null or c.name ilike $3 or c.email ilike $3 or co.name ilike $3)"#,
        read,
        kind,
        pattern,
    )
    .fetch_one(&mut *tx)
    .await?;
    // A page past the end (a stale link after deletions) shows the last page instead.
    let page = query.page.clamp(1, last_page(total));
    let items = sqlx::query!(
        r#"select c.id, c.no, c.kind, c.name, c.company_id, co.name as "company_name?",
                  (co.id is not null and ($1::bigint[] is null or co.salesperson_id is null
                                          or co.salesperson_id = any($1))) as "company_readable!",
                  c.email, c.phone, c.city, c.job_title, c.address, c.post_code, c.country,
                  s.name as "salesperson?", s.code as "salesperson_code?"
           from contacts c
           left join contacts co on co.id = c.company_id
           left join salespeople s on s.id = c.salesperson_id
           where ($1::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($1))
             and ($2::text is null or c.kind = $2)
             and ($3::text is null or c.name ilike $3 or c.email ilike $3 or co.name ilike $3)
           order by
             case when $4::text = 'name' and not $5::bool then lower(c.name) end asc,
             case when $4::text = 'name' and $5::bool then lower(c.name) end desc,
             case when $4::text = 'city' and not $5::bool then lower(c.city) end asc,
             case when $4::text = 'city' and $5::bool then lower(c.city) end desc,
             case when $4::text = 'created' and not $5::bool then c.created_at end asc,
             case when $4::text = 'created' and $5::bool then c.created_at end desc,
             case when $5::bool then c.id end desc,
             c.id
           limit $6 offset $7"#,
        read,
        kind,
        pattern,
        query.sort.as_str(),
        query.descending,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| ContactListItem {
        id: r.id,
        no: r.no,
        name: r.name,
        kind: ContactKind::from_db(&r.kind),
        company_id: r.company_id,
        company_name: r.company_name,
        company_readable: r.company_readable,
        email: r.email,
        phone: r.phone,
        city: r.city,
        job_title: r.job_title,
        address: r.address,
        post_code: r.post_code,
        country: r.country,
        salesperson: r.salesperson,
        salesperson_code: r.salesperson_code,
    })
    .collect();
    tx.commit().await?;
    Ok(ContactList { items, total, page })
}

/// Answers 404 for a contact the viewer may not read, and records the attempt when the contact
/// exists (a stale link to a deleted one is not an attack).
async fn not_found(pool: &PgPool, viewer: &Viewer, id: i64, what: &str) -> AppError {
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from contacts where id = $1) as "e!""#,
        id
    )
    .fetch_one(pool)
    .await
    .unwrap_or(false);
    if exists {
        record_denied(
            pool,
            &viewer.user,
            &format!("contacts: {what} of contact {id} outside the read scope"),
        )
        .await;
    }
    AppError::NotFound
}

pub async fn get(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<ContactDetail, AppError> {
    let read = viewer.read.ids();
    let write = viewer.write.ids();
    let row = sqlx::query!(
        r#"select c.id, c.no, c.kind, c.name, c.company_id, co.name as "company_name?",
                  (co.id is not null and ($2::bigint[] is null or co.salesperson_id is null
                                          or co.salesperson_id = any($2))) as "company_readable!",
                  c.job_title, c.email, c.phone, c.address, c.city, c.post_code, c.country,
                  c.salesperson_id, s.name as "salesperson_name?", c.version,
                  c.created_at as "created_at: chrono::DateTime<chrono::Utc>",
                  c.updated_at as "updated_at: chrono::DateTime<chrono::Utc>",
                  coalesce($3::bigint[] is null or c.salesperson_id = any($3)
                           or (c.salesperson_id is null and $4), false) as "can_change!"
           from contacts c
           left join contacts co on co.id = c.company_id
           left join salespeople s on s.id = c.salesperson_id
           where c.id = $1
             and ($2::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($2))"#,
        id,
        read,
        write,
        may_change_unassigned(viewer),
    )
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Err(not_found(pool, viewer, id, "read").await);
    };
    let kind = ContactKind::from_db(&r.kind);
    let persons = if kind == ContactKind::Company {
        sqlx::query_as!(
            PersonItem,
            r#"select p.id, p.no, p.name, p.job_title, p.email, p.phone
               from contacts p
               where p.company_id = $1
                 and ($2::bigint[] is null or p.salesperson_id is null or p.salesperson_id = any($2))
               order by lower(p.name), p.id"#,
            id,
            read,
        )
        .fetch_all(pool)
        .await?
    } else {
        Vec::new()
    };
    Ok(ContactDetail {
        id: r.id,
        no: r.no,
        kind,
        name: r.name,
        company_id: r.company_id,
        company_name: r.company_name,
        company_readable: r.company_readable,
        job_title: r.job_title,
        email: r.email,
        phone: r.phone,
        address: r.address,
        city: r.city,
        post_code: r.post_code,
        country: r.country,
        salesperson_id: r.salesperson_id,
        salesperson_name: r.salesperson_name,
        version: r.version,
        created_at: r.created_at,
        updated_at: r.updated_at,
        can_change: r.can_change,
        persons,
    })
}

/// Companies for the picker: readable ones whose name contains `search`, plus `include` (the
/// one already chosen) so the picker can always show it.
pub async fn companies(
    pool: &PgPool,
    viewer: &Viewer,
    search: &str,
    include: Option<i64>,
) -> Result<Vec<CompanyOption>, AppError> {
    let search: String = search.trim().chars().take(super::MAX_SEARCH).collect();
    let mut options = sqlx::query_as!(
        CompanyOption,
        r#"select c.id, c.no, c.name
           from contacts c
           where c.kind = 'company'
             and ($1::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($1))
             and ($2::text is null or c.name ilike $2 or c.id = $3)
           order by (c.id = $3) is true desc, lower(c.name), c.id
           limit 20"#,
        viewer.read.ids(),
        contains_pattern(&search),
        include,
    )
    .fetch_all(pool)
    .await?;
    options.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.id.cmp(&b.id))
    });
    Ok(options)
}

/// The salespeople the viewer may give contacts to: their write scope, without blocked ones.
pub async fn assignable(pool: &PgPool, viewer: &Viewer) -> Result<AssignOptions, AppError> {
    let salespeople = sqlx::query!(
        r#"select s.id, s.name, s.code from salespeople s
           where not s.blocked and ($1::bigint[] is null or s.id = any($1))
           order by lower(s.name), s.code"#,
        viewer.write.ids(),
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| SalespersonOption {
        id: r.id,
        label: format!("{} ({})", r.name, r.code),
    })
    .collect::<Vec<_>>();
    let default_id = viewer
        .user
        .salesperson_id
        .filter(|own| salespeople.iter().any(|s| s.id == *own));
    Ok(AssignOptions {
        salespeople,
        default_id,
        allow_none: may_change_unassigned(viewer),
    })
}

/// Checks the chosen company: it must be a company the viewer can read. The row is locked
/// (`for share`) so it cannot turn into a person before this transaction commits.
async fn check_company(
    tx: &mut PgConnection,
    viewer: &Viewer,
    input: &ContactInput,
    this_id: Option<i64>,
    errors: &mut FieldErrors,
) -> Result<(), AppError> {
    let Some(company_id) = input.company_id else {
        return Ok(());
    };
    if input.kind != ContactKind::Person {
        return Ok(()); // already refused by ContactForm::check
    }
    if Some(company_id) == this_id {
        errors.add("company_id", "A contact cannot belong to itself.");
        return Ok(());
    }
    let kind = sqlx::query_scalar!(
        r#"select c.kind from contacts c
           where c.id = $1
             and ($2::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($2))
           for share"#,
        company_id,
        viewer.read.ids(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    match kind.as_deref() {
        None => errors.add(
            "company_id",
            "This company does not exist or you do not have access to it.",
        ),
        Some("company") => {}
        Some(_) => errors.add("company_id", "Choose a company, not a person."),
    }
    Ok(())
}

/// The salesperson a contact gets. Empty means the salesperson's own record for salespeople,
/// and unassigned for admins and managers. `current` is the contact's salesperson on an update:
/// keeping it is always allowed (even if they were blocked meanwhile).
async fn check_salesperson(
    tx: &mut PgConnection,
    viewer: &Viewer,
    requested: Option<i64>,
    current: Option<Option<i64>>,
    errors: &mut FieldErrors,
) -> Result<Option<i64>, AppError> {
    let requested = match requested {
        Some(id) => id,
        None if may_change_unassigned(viewer) => return Ok(None),
        None => match viewer.user.salesperson_id {
            Some(own) => own,
            None => {
                errors.add(
                    "salesperson_id",
                    "Your account is not linked to a salesperson record. Ask an admin to link it.",
                );
                return Ok(None);
            }
        },
    };
    if current == Some(Some(requested)) {
        return Ok(Some(requested));
    }
    let blocked = sqlx::query_scalar!("select blocked from salespeople where id = $1", requested)
        .fetch_optional(&mut *tx)
        .await?;
    match blocked {
        None => errors.add("salesperson_id", "Choose a salesperson from the list."),
        Some(_) if !viewer.write.allows(Some(requested)) => errors.add(
            "salesperson_id",
            if viewer.user.role == Role::Salesperson {
                "You can assign contacts only to yourself."
            } else {
                "You can assign contacts only to salespeople of the teams you manage."
            },
        ),
        Some(true) => errors.add(
            "salesperson_id",
            "This salesperson is blocked. Choose another one.",
        ),
        Some(false) => {}
    }
    Ok(Some(requested))
}

/// Turns a constraint the checks above should have caught (a race with a deletion) into a
/// message on the right field.
fn constraint_error(e: sqlx::Error) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        match db.constraint() {
            Some("contacts_company_id_fkey") => {
                return AppError::field(
                    "company_id",
                    "This company does not exist or you do not have access to it.",
                );
            }
            Some("contacts_salesperson_id_fkey") => {
                return AppError::field("salesperson_id", "Choose a salesperson from the list.");
            }
            Some("contacts_only_persons_have_a_company") => {
                return AppError::field(
                    "company_id",
                    "A company cannot belong to another company.",
                );
            }
            _ => {}
        }
    }
    e.into()
}

pub async fn create(pool: &PgPool, viewer: &Viewer, form: &ContactForm) -> Result<i64, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let id = create_in(&mut tx, viewer, form).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`create`] inside the caller's transaction (a CSV import creates every row in one).
pub async fn create_in(
    tx: &mut PgConnection,
    viewer: &Viewer,
    form: &ContactForm,
) -> Result<i64, AppError> {
    let mut errors = FieldErrors::default();
    let input = form.check(&mut errors);
    check_company(&mut *tx, viewer, &input, None, &mut errors).await?;
    let salesperson_id =
        check_salesperson(&mut *tx, viewer, input.salesperson_id, None, &mut errors).await?;
    errors.finish()?;
    let id = sqlx::query_scalar!(
        r#"insert into contacts (kind, name, company_id, job_title, email, phone, address, city,
                                 post_code, country, salesperson_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           returning id"#,
        input.kind.as_str(),
        input.name,
        input.company_id,
        input.job_title,
        input.email,
        input.phone,
        input.address,
        input.city,
        input.post_code,
        input.country,
        salesperson_id,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(constraint_error)?;
    Ok(id)
}

pub async fn update(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    form: &ContactForm,
) -> Result<Saved, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    // Locks the row: the checks below and the update see the same contact.
    let current = sqlx::query!(
        r#"select c.kind, c.salesperson_id, c.version,
                  coalesce($3::bigint[] is null or c.salesperson_id = any($3)
                           or (c.salesperson_id is null and $4), false) as "can_change!"
           from contacts c
           where c.id = $1
             and ($2::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($2))
           for update"#,
        id,
        viewer.read.ids(),
        viewer.write.ids(),
        may_change_unassigned(viewer),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(current) = current else {
        drop(tx);
        return Err(not_found(pool, viewer, id, "update").await);
    };
    if !current.can_change {
        drop(tx);
        record_denied(
            pool,
            &viewer.user,
            &format!("contacts: update of contact {id} outside the write scope"),
        )
        .await;
        return Err(AppError::Forbidden);
    }
    if current.version != version {
        return Err(AppError::Conflict(STALE.into()));
    }

    let mut errors = FieldErrors::default();
    let input = form.check(&mut errors);
    check_company(&mut tx, viewer, &input, Some(id), &mut errors).await?;
    if current.kind == "company" && input.kind == ContactKind::Person {
        let has_persons = sqlx::query_scalar!(
            r#"select exists (select 1 from contacts where company_id = $1) as "e!""#,
            id
        )
        .fetch_one(&mut *tx)
        .await?;
        errors.check(
            !has_persons,
            "kind",
            "This company has persons. Move them to another company before making it a person.",
        );
    }
    let salesperson_id = check_salesperson(
        &mut tx,
        viewer,
        input.salesperson_id,
        Some(current.salesperson_id),
        &mut errors,
    )
    .await?;
    errors.finish()?;

    let new_version = sqlx::query_scalar!(
        r#"update contacts
           set kind = $3, name = $4, company_id = $5, job_title = $6, email = $7, phone = $8,
               address = $9, city = $10, post_code = $11, country = $12, salesperson_id = $13,
               version = version + 1
           where id = $1 and version = $2
           returning version"#,
        id,
        version,
        input.kind.as_str(),
        input.name,
        input.company_id,
        input.job_title,
        input.email,
        input.phone,
        input.address,
        input.city,
        input.post_code,
        input.country,
        salesperson_id,
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(constraint_error)?;
    let Some(new_version) = new_version else {
        return Err(AppError::Conflict(STALE.into()));
    };
    tx.commit().await?;
    Ok(Saved {
        id,
        version: new_version,
    })
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_text_is_taken_literally() {
        assert_eq!(contains_pattern("  "), None);
        assert_eq!(
            contains_pattern("50%_off\\").as_deref(),
            Some("%50\\%\\_off\\\\%")
        );
    }
}

/// A slice of the contacts in reach in the order of `sort` (name, city or date added; ascending
/// or descending), after `(sort key, id)` of the previous slice's last row — each row comes with
/// its sort key (keyset paging for the API and the export: stable while contacts are added).
pub async fn list_after(
    pool: &PgPool,
    viewer: &Viewer,
    search: &str,
    kind: Option<ContactKind>,
    (sort, descending): (SortKey, bool),
    after: Option<(String, i64)>,
    limit: i64,
) -> Result<Vec<(ContactListItem, String)>, AppError> {
    let read = viewer.read.ids();
    let pattern = contains_pattern(search);
    let (after_key, after_id) = after.unzip();
    // Keyset pages: each row's sort key (text) and id continue the list after the last row seen.
    let rows = sqlx::query!(
        r#"select c.id, c.no, c.kind, c.name, c.company_id, co.name as "company_name?",
                  (co.id is not null and ($1::bigint[] is null or co.salesperson_id is null
                                          or co.salesperson_id = any($1))) as "company_readable!",
                  c.email, c.phone, c.city, c.job_title, c.address, c.post_code, c.country,
                  s.name as "salesperson?", s.code as "salesperson_code?", k.key as "sort_key!"
           from contacts c
           left join contacts co on co.id = c.company_id
           left join salespeople s on s.id = c.salesperson_id
           cross join lateral (
               select case $7::text
                          when 'city' then lower(c.city)
                          when 'created' then to_char(c.created_at, 'YYYYMMDDHH24MISSUS')
                          else lower(c.name)
                      end as key
           ) k
           where ($1::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($1))
             and ($2::text is null or c.kind = $2)
             and ($3::text is null or c.name ilike $3 or c.email ilike $3 or co.name ilike $3)
             and ($4::bigint is null
                  or case when $8::bool then (k.key, c.id) < ($5::text, $4)
                          else (k.key, c.id) > ($5::text, $4) end)
           order by case when $8::bool then k.key end desc, case when $8::bool then c.id end desc,
                    case when not $8::bool then k.key end asc, c.id asc
           limit $6"#,
        read,
        kind.map(ContactKind::as_str),
        pattern,
        after_id,
        after_key,
        limit,
        sort.as_str(),
        descending,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                ContactListItem {
                    id: r.id,
                    no: r.no,
                    name: r.name,
                    kind: ContactKind::from_db(&r.kind),
                    company_id: r.company_id,
                    company_name: r.company_name,
                    company_readable: r.company_readable,
                    email: r.email,
                    phone: r.phone,
                    city: r.city,
                    job_title: r.job_title,
                    address: r.address,
                    post_code: r.post_code,
                    country: r.country,
                    salesperson: r.salesperson,
                    salesperson_code: r.salesperson_code,
                },
                r.sort_key,
            )
        })
        .collect())
}

/// The id of the contact with this number, if the viewer may read it.
pub async fn find_by_no(pool: &PgPool, viewer: &Viewer, no: &str) -> Result<i64, AppError> {
    sqlx::query_scalar!(
        "select id from contacts where no = $1 and ($2::bigint[] is null or salesperson_id is null or salesperson_id = any($2))",
        no.trim(),
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// The id of the salesperson with this code.
pub async fn salesperson_by_code(pool: &PgPool, code: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar!(
        "select id from salespeople where code = $1",
        code.trim().to_uppercase()
    )
    .fetch_optional(pool)
    .await?)
}

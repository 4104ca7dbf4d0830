//! Import: store the upload, preview it, and run it — every row through the same create
//! operation as the forms (`contacts::ops::create_in`, `opportunities::ops::create_in`), all in
//! one transaction that commits only if every row passed.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::{
    ImportKind, ImportReport, MAX_BYTES, MAX_ERRORS, MAX_ROWS, Mapping, Preview, RowError, suggest,
};

/// Rows checked so far per running upload import, for the page's progress line. Kept in this
/// process: behind a load balancer the page may ask another instance and show no count.
static PROGRESS: std::sync::LazyLock<std::sync::Mutex<HashMap<i64, (usize, usize)>>> =
    std::sync::LazyLock::new(Default::default);

fn set_progress(upload: Option<i64>, done: usize, total: usize) {
    if let (Some(id), Ok(mut map)) = (upload, PROGRESS.lock()) {
        map.insert(id, (done, total));
    }
}

fn end_progress(upload: i64) {
    if let Ok(mut map) = PROGRESS.lock() {
        map.remove(&upload);
    }
}

/// (rows checked, rows) of an import of this upload running in this process.
pub fn progress(upload: i64) -> Option<(usize, usize)> {
    PROGRESS
        .lock()
        .ok()
        .and_then(|map| map.get(&upload).copied())
}
use crate::{auth::access::Viewer, auth::backend::User, error::AppError};

/// The file's header and rows. A byte-order mark is dropped; rows may be shorter or longer than
/// the header (missing cells are empty).
pub fn parse(content: &str) -> Result<(Vec<String>, Vec<Vec<String>>), AppError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(content.as_bytes());
    let bad =
        |e: csv::Error| AppError::field("file", format!("The file is not readable as CSV: {e}"));
    let headers: Vec<String> = reader
        .headers()
        .map_err(bad)?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(AppError::field(
            "file",
            "The file is empty: its first line must name the columns.",
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(bad)?;
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push(record.iter().map(str::to_owned).collect());
        if rows.len() > MAX_ROWS {
            return Err(AppError::field(
                "file",
                format!("The file has more than {MAX_ROWS} rows: split it."),
            ));
        }
    }
    Ok((headers, rows))
}

pub async fn store_upload(
    pool: &PgPool,
    user: &User,
    kind: ImportKind,
    filename: &str,
    content: &str,
) -> Result<i64, AppError> {
    if content.len() > MAX_BYTES {
        return Err(AppError::field(
            "file",
            "The file is larger than 10 MB: split it.",
        ));
    }
    parse(content)?;
    let filename: String = filename
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let id = sqlx::query_scalar!(
        "with old as (delete from csv_uploads where created_at < now() - interval '1 day')
         insert into csv_uploads (user_id, kind, filename, content) values ($1, $2, $3, $4) returning id",
        user.id,
        kind.as_str(),
        filename,
        content
    )
    .fetch_one(pool)
    .await?;
    Ok(id)
}

struct Upload {
    kind: ImportKind,
    filename: String,
    content: String,
    imported: bool,
}

/// One of the user's own uploads (someone else's is not found).
async fn upload(pool: &PgPool, user: &User, id: i64) -> Result<Upload, AppError> {
    let row = sqlx::query!(
        "select kind, filename, content, imported_at is not null as \"imported!\" from csv_uploads where id = $1 and user_id = $2",
        id,
        user.id
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(Upload {
        kind: ImportKind::parse(&row.kind).unwrap_or(ImportKind::Contacts),
        filename: row.filename,
        content: row.content,
        imported: row.imported,
    })
}

pub async fn preview(pool: &PgPool, user: &User, id: i64) -> Result<Preview, AppError> {
    let up = upload(pool, user, id).await?;
    let (headers, rows) = parse(&up.content)?;
    Ok(Preview {
        upload_id: id,
        kind: up.kind,
        filename: up.filename,
        mapping: suggest(up.kind, &headers),
        total_rows: rows.len(),
        rows: rows.into_iter().take(5).collect(),
        headers,
        imported: up.imported,
    })
}

/// Runs a stored upload with the chosen mapping; marks it imported when it went through (a
/// second run of the same upload is refused, so a double click cannot import twice).
pub async fn run_upload(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    mapping: &Mapping,
    today: NaiveDate,
) -> Result<ImportReport, AppError> {
    let up = upload(pool, &viewer.user, id).await?;
    if up.imported {
        return Err(AppError::Conflict("This file was already imported.".into()));
    }
    let mut tx = crate::state::begin(pool).await?;
    // Locks the upload: a second run waits, then sees it imported.
    let still_open = sqlx::query_scalar!(
        "select id from csv_uploads where id = $1 and imported_at is null for update",
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if still_open.is_none() {
        return Err(AppError::Conflict("This file was already imported.".into()));
    }
    let report = run_in(
        &mut tx,
        viewer,
        up.kind,
        &up.content,
        Some(mapping),
        today,
        Some(id),
    )
    .await;
    end_progress(id);
    let report = report?;
    if report.errors.is_empty() {
        sqlx::query!(
            "update csv_uploads set imported_at = now() where id = $1",
            id
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(report)
}

/// Runs a CSV text (the API): columns mapped by their headers unless a mapping is given.
pub async fn run_text(
    pool: &PgPool,
    viewer: &Viewer,
    kind: ImportKind,
    content: &str,
    mapping: Option<&Mapping>,
    today: NaiveDate,
) -> Result<ImportReport, AppError> {
    if content.len() > MAX_BYTES {
        return Err(AppError::field(
            "file",
            "The file is larger than 10 MB: split it.",
        ));
    }
    let mut tx = crate::state::begin(pool).await?;
    let report = run_in(&mut tx, viewer, kind, content, mapping, today, None).await?;
    if report.errors.is_empty() {
        tx.commit().await?;
    }
    Ok(report)
}

struct Errors {
    list: Vec<RowError>,
    more: usize,
}

impl Errors {
    fn add(&mut self, row: usize, field: &str, message: impl Into<String>) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(RowError {
                row,
                field: field.to_owned(),
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// A refused row's field messages.
    fn refused(&mut self, row: usize, error: AppError) -> Result<(), AppError> {
        match error {
            AppError::Validation(fields) => {
                for (field, message) in fields {
                    self.add(row, &field, message);
                }
                Ok(())
            }
            AppError::Forbidden => {
                self.add(row, "form", "You may not create this.");
                Ok(())
            }
            other => Err(other),
        }
    }
}

async fn run_in(
    tx: &mut PgConnection,
    viewer: &Viewer,
    kind: ImportKind,
    content: &str,
    mapping: Option<&Mapping>,
    today: NaiveDate,
    upload: Option<i64>,
) -> Result<ImportReport, AppError> {
    let (headers, rows) = parse(content)?;
    set_progress(upload, 0, rows.len());
    let mapping = match mapping {
        Some(m) => m.clone(),
        None => suggest(kind, &headers),
    };
    let mut errors = Errors {
        list: Vec::new(),
        more: 0,
    };
    for column in kind.columns().iter().filter(|c| c.required) {
        let mapped = mapping
            .iter()
            .any(|(f, i)| f == column.field && i.is_some_and(|i| i < headers.len()));
        if !mapped {
            errors.add(
                1,
                column.field,
                format!("Choose the column for {}.", column.label),
            );
        }
    }
    if !errors.list.is_empty() {
        return Ok(ImportReport {
            imported: 0,
            rows: rows.len(),
            errors: errors.list,
            more_errors: 0,
        });
    }
    let index: HashMap<&str, usize> = mapping
        .iter()
        .filter_map(|(f, i)| Some((f.as_str(), (*i)?)))
        .collect();
    let cell = |row: &[String], field: &str| {
        index
            .get(field)
            .and_then(|i| row.get(*i))
            .map(|c| super::unguard_cell(c.trim()).to_owned())
            .unwrap_or_default()
    };
    let salespeople: HashMap<String, i64> = sqlx::query!("select code, id from salespeople")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| (r.code, r.id))
        .collect();

    let mut imported = 0;
    match kind {
        ImportKind::Contacts => {
            let companies = sqlx::query!(
                "select id, no, lower(name) as \"name!\" from contacts
                 where kind = 'company' and ($1::bigint[] is null or salesperson_id is null or salesperson_id = any($1))",
                viewer.read.ids()
            )
            .fetch_all(&mut *tx)
            .await?;
            let mut company_ids: HashMap<String, i64> = HashMap::new();
            for c in companies {
                company_ids.entry(c.name).or_insert(c.id);
                company_ids.insert(c.no.to_lowercase(), c.id);
            }
            let emails: Vec<String> = rows
                .iter()
                .map(|r| cell(r, "email").to_lowercase())
                .filter(|e| !e.is_empty())
                .collect();
            let taken: HashMap<String, String> = sqlx::query!(
                "select lower(email) as \"email!\", no from contacts where lower(email) = any($1)",
                &emails
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.email, r.no))
            .collect();
            let mut seen_emails: HashMap<String, usize> = HashMap::new();
            for (i, row) in rows.iter().enumerate() {
                let n = i + 2;
                if i % 500 == 0 {
                    set_progress(upload, i, rows.len());
                }
                let email = cell(row, "email");
                if !email.is_empty() {
                    let key = email.to_lowercase();
                    if let Some(no) = taken.get(&key) {
                        errors.add(
                            n,
                            "email",
                            format!("{email} is already the email of contact {no}."),
                        );
                        continue;
                    }
                    if let Some(first) = seen_emails.insert(key, n) {
                        errors.add(n, "email", format!("{email} is also on row {first}."));
                        continue;
                    }
                }
                let company = cell(row, "company");
                let company_id = match company.as_str() {
                    "" => None,
                    c => match company_ids.get(&c.to_lowercase()) {
                        Some(id) => Some(*id),
                        None => {
                            errors.add(n, "company", format!("No company \u{201c}{c}\u{201d} in your access (give its number or exact name)."));
                            continue;
                        }
                    },
                };
                let code = cell(row, "salesperson_code").to_uppercase();
                let salesperson_id = match code.as_str() {
                    "" => None,
                    c => match salespeople.get(c) {
                        Some(id) => Some(*id),
                        None => {
                            errors.add(
                                n,
                                "salesperson_code",
                                format!("No salesperson with the code {c}."),
                            );
                            continue;
                        }
                    },
                };
                let kind_text = match cell(row, "kind").to_lowercase().as_str() {
                    "" => "company".to_owned(),
                    k => k.to_owned(),
                };
                let form = crate::contacts::ContactForm {
                    kind: kind_text,
                    name: cell(row, "name"),
                    company_id: company_id.map(|id| id.to_string()).unwrap_or_default(),
                    job_title: cell(row, "job_title"),
                    email,
                    phone: cell(row, "phone"),
                    address: cell(row, "address"),
                    city: cell(row, "city"),
                    post_code: cell(row, "post_code"),
                    country: cell(row, "country"),
                    salesperson_id: salesperson_id.map(|id| id.to_string()).unwrap_or_default(),
                };
                match crate::contacts::ops::create_in(&mut *tx, viewer, &form).await {
                    Ok(id) => {
                        imported += 1;
                        if form.kind == "company" {
                            company_ids
                                .entry(form.name.trim().to_lowercase())
                                .or_insert(id);
                        }
                    }
                    Err(e) => errors.refused(
                        n,
                        e.rename("company_id", "company")
                            .rename("salesperson_id", "salesperson_code"),
                    )?,
                }
            }
        }
        ImportKind::Opportunities => {
            // The funnel summary is counted once at the end (migration 14), not row by row.
            sqlx::query!("select set_config('pipeline.bulk_import', 'on', true)")
                .fetch_one(&mut *tx)
                .await?;
            let mut created: Vec<i64> = Vec::new();
            let nos: Vec<String> = rows
                .iter()
                .map(|r| cell(r, "contact_no").to_uppercase())
                .collect();
            // The rows' contacts, read and locked once for every create (as the form's create reads
            // its one contact), with their salesperson for rows that name none.
            let mut lookups = crate::opportunities::ops::CreateLookups::default();
            let mut contacts: HashMap<String, i64> = HashMap::new();
            let mut contact_salesperson: HashMap<i64, Option<i64>> = HashMap::new();
            for r in sqlx::query!(
                "select no, id, company_id, salesperson_id from contacts where no = any($1)
                   and ($2::bigint[] is null or salesperson_id is null or salesperson_id = any($2))
                 order by id
                 for share",
                &nos,
                viewer.read.ids()
            )
            .fetch_all(&mut *tx)
            .await?
            {
                lookups.add_contact(r.id, r.company_id);
                // As on the form: the contact's salesperson when assignable, else yours.
                contact_salesperson.insert(
                    r.id,
                    r.salesperson_id
                        .filter(|id| viewer.write.allows(Some(*id)))
                        .or(viewer.user.salesperson_id),
                );
                contacts.insert(r.no, r.id);
            }
            let cycles: HashMap<String, i64> = sqlx::query!("select code, id from sales_cycles")
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|r| (r.code, r.id))
                .collect();
            let given: Vec<String> = rows
                .iter()
                .map(|r| cell(r, "no").to_uppercase())
                .filter(|n| !n.is_empty())
                .collect();
            let existing: std::collections::HashSet<String> =
                sqlx::query_scalar!("select no from opportunities where no = any($1)", &given)
                    .fetch_all(&mut *tx)
                    .await?
                    .into_iter()
                    .collect();
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (i, row) in rows.iter().enumerate() {
                let n = i + 2;
                if i % 500 == 0 {
                    set_progress(upload, i, rows.len());
                }
                let no = cell(row, "no").to_uppercase();
                if !no.is_empty() {
                    if existing.contains(&no) {
                        errors.add(n, "no", format!("Opportunity {no} already exists."));
                        continue;
                    }
                    if let Some(first) = seen.insert(no.clone(), n) {
                        errors.add(n, "no", format!("{no} is also on row {first}."));
                        continue;
                    }
                }
                let contact_no = cell(row, "contact_no").to_uppercase();
                let Some(contact_id) = contacts.get(&contact_no).copied() else {
                    errors.add(
                        n,
                        "contact_no",
                        format!("No contact {contact_no} in your access."),
                    );
                    continue;
                };
                let cycle = cell(row, "sales_cycle").to_uppercase();
                let Some(cycle_id) = cycles.get(&cycle).copied() else {
                    errors.add(
                        n,
                        "sales_cycle",
                        format!("No sales cycle with the code {cycle}."),
                    );
                    continue;
                };
                let code = cell(row, "salesperson_code").to_uppercase();
                let salesperson_id = match code.as_str() {
                    "" => contact_salesperson[&contact_id],
                    c => match salespeople.get(c) {
                        Some(id) => Some(*id),
                        None => {
                            errors.add(
                                n,
                                "salesperson_code",
                                format!("No salesperson with the code {c}."),
                            );
                            continue;
                        }
                    },
                };
                let form = crate::opportunities::ops::NewOpportunityForm {
                    description: cell(row, "description"),
                    contact_id: contact_id.to_string(),
                    salesperson_id: salesperson_id.map(|id| id.to_string()).unwrap_or_default(),
                    cycle_id: cycle_id.to_string(),
                    creation_date: cell(row, "creation_date"),
                    priority: cell(row, "priority").to_lowercase(),
                    estimated_value: cell(row, "estimated_value"),
                    chances: cell(row, "chances_of_success_pct"),
                    estimated_closing_date: cell(row, "estimated_closing_date"),
                    activate_first_stage: false,
                };
                match crate::opportunities::ops::create_in(
                    &mut *tx,
                    viewer,
                    &form,
                    today,
                    &mut lookups,
                )
                .await
                {
                    Ok(id) => {
                        imported += 1;
                        created.push(id);
                    }
                    Err(e) => errors.refused(
                        n,
                        e.rename("contact_id", "contact_no")
                            .rename("salesperson_id", "salesperson_code")
                            .rename("cycle_id", "sales_cycle")
                            .rename("chances", "chances_of_success_pct"),
                    )?,
                }
            }
            sqlx::query!("select set_config('pipeline.bulk_import', 'off', true)")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query!("select funnel_count_created($1)", &created)
                .execute(&mut *tx)
                .await?;
            // Boards and webhooks hear of the rows in one statement (dropped if the import is refused).
            crate::live::notify_many(
                &mut *tx,
                &created,
                crate::live::ChangeKind::Created,
                viewer.user.id,
            )
            .await?;
        }
    }
    let ok = errors.list.is_empty();
    Ok(ImportReport {
        imported: if ok { imported } else { 0 },
        rows: rows.len(),
        errors: errors.list,
        more_errors: errors.more,
    })
}

//! Salespeople and teams: one function per use case, each one transaction. Callers (the server
//! functions) have checked the admin role; `admin` is who is asking, for the log.

use sqlx::{PgConnection, PgPool};

use super::{
    SalespeopleOverview, SalespersonRow, TeamCard, TeamManager, TeamMember, TeamsOverview,
    rules::{SalespersonFields, TeamFields},
};
use crate::{
    auth::{Role, backend::User},
    error::AppError,
};

// ---- Reading form values ----

/// A hidden id or version from our own page; anything else is a forged or stale form.
pub fn hidden_number<T: std::str::FromStr>(value: &str) -> Result<T, AppError> {
    value.trim().parse().map_err(|_| {
        AppError::field(
            "form",
            "The form could not be read. Reload the page and try again.",
        )
    })
}

/// The id chosen in a select; empty means nothing was chosen.
pub fn chosen_id(value: &str, field: &str, prompt: &str) -> Result<i64, AppError> {
    value
        .trim()
        .parse()
        .map_err(|_| AppError::field(field, prompt))
}

/// A `true`/`false` hidden field.
pub fn hidden_flag(value: &str) -> Result<bool, AppError> {
    hidden_number(value)
}

// ---- Database errors ----

/// Turns the constraint violations a write can hit into field errors (or a conflict), so a
/// clash or an odd value the rules let through is never answered with a 500.
fn write_error(e: sqlx::Error, code: &str) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        let constraint = db.constraint().unwrap_or_default();
        match db.code().as_deref() {
            Some("23505") if constraint == "salespeople_code_key" => {
                return AppError::field(
                    "code",
                    format!("A salesperson with code {code} already exists."),
                );
            }
            Some("23505") if constraint == "teams_code_key" => {
                return AppError::field("code", format!("A team with code {code} already exists."));
            }
            Some("23514") => {
                let field = ["code", "name", "email", "phone", "commission"]
                    .into_iter()
                    .find(|f| {
                        constraint.ends_with(&format!("_{f}_check"))
                            || constraint.ends_with(&format!("_{f}_pct_check"))
                    })
                    .unwrap_or("form");
                tracing::warn!(constraint, "check violation the form rules let through");
                return AppError::field(
                    field,
                    "This value cannot be stored. Use letters, digits and punctuation only.",
                );
            }
            _ => {}
        }
    }
    e.into()
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23503"))
}

// ---- Salespeople ----

pub async fn list_salespeople(pool: &PgPool) -> Result<SalespeopleOverview, AppError> {
    let salespeople = sqlx::query!(
        r#"select s.id, s.code, s.name, s.email, s.phone, s.commission_pct, s.blocked, s.version,
                  array(select t.code from team_members m join teams t on t.id = m.team_id
                        where m.salesperson_id = s.id order by t.code) as "teams!",
                  (select u.display_name || ' (' || u.email || ')' from users u
                   where u.salesperson_id = s.id) as linked_user
           from salespeople s
           order by s.code"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| SalespersonRow {
        id: r.id,
        code: r.code,
        name: r.name,
        email: r.email,
        phone: r.phone,
        commission: r.commission_pct,
        blocked: r.blocked,
        version: r.version,
        teams: r.teams,
        linked_user: r.linked_user,
    })
    .collect();
    Ok(SalespeopleOverview { salespeople })
}

pub async fn create_salesperson(
    pool: &PgPool,
    admin: &User,
    s: SalespersonFields,
) -> Result<String, AppError> {
    let id = sqlx::query_scalar!(
        "insert into salespeople (code, name, email, phone, commission_pct) values ($1, $2, $3, $4, $5) returning id",
        s.code,
        s.name,
        s.email,
        s.phone,
        s.commission
    )
    .fetch_one(pool)
    .await
    .map_err(|e| write_error(e, &s.code))?;
    tracing::info!(admin = admin.id, salesperson = id, code = %s.code, "salesperson created");
    Ok(format!("Salesperson {} ({}) added.", s.name, s.code))
}

/// Saves the edit form if nobody saved the salesperson since the form was loaded (`version`).
pub async fn update_salesperson(
    pool: &PgPool,
    admin: &User,
    id: i64,
    version: i32,
    s: SalespersonFields,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let updated = sqlx::query!(
        "update salespeople set code = $3, name = $4, email = $5, phone = $6, commission_pct = $7, version = version + 1
         where id = $1 and version = $2",
        id,
        version,
        s.code,
        s.name,
        s.email,
        s.phone,
        s.commission
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, &s.code))?;
    if updated.rows_affected() == 0 {
        let current = sqlx::query_scalar!("select code from salespeople where id = $1", id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match current {
            None => AppError::NotFound,
            Some(code) => AppError::Conflict(format!(
                "Someone else changed salesperson {code} while you were editing. The form now shows their \
                 version; make your change again."
            )),
        });
    }
    tx.commit().await?;
    tracing::info!(admin = admin.id, salesperson = id, code = %s.code, "salesperson changed");
    Ok(format!("Changes to {} ({}) saved.", s.name, s.code))
}

/// Blocking keeps everything a salesperson has; it only stops new opportunities going to them.
pub async fn set_salesperson_blocked(
    pool: &PgPool,
    admin: &User,
    id: i64,
    blocked: bool,
) -> Result<String, AppError> {
    let row = sqlx::query!(
        "update salespeople set blocked = $2 where id = $1 returning code, name",
        id,
        blocked
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)?;
    tracing::info!(
        admin = admin.id,
        salesperson = id,
        blocked,
        "salesperson blocked state changed"
    );
    Ok(if blocked {
        format!(
            "{} ({}) is blocked: no new opportunities can be given to them.",
            row.name, row.code
        )
    } else {
        format!("{} ({}) is unblocked.", row.name, row.code)
    })
}

/// Deletes a salesperson nothing depends on. Team memberships go with them; a linked user account
/// or any record pointing at them (opportunities, tasks…) refuses the delete: block them instead.
pub async fn delete_salesperson(pool: &PgPool, admin: &User, id: i64) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    // The row lock makes a concurrent "link this salesperson to a user" wait for us (and then fail
    // its foreign key check), so the check below cannot be outrun.
    let sp = sqlx::query!(
        "select code, name from salespeople where id = $1 for update",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let linked = sqlx::query!(
        "select display_name, email from users where salesperson_id = $1",
        id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = linked {
        return Err(AppError::Conflict(format!(
            "{} ({}) is linked to the user account {} ({}) and cannot be deleted; block them instead.",
            sp.name, sp.code, user.display_name, user.email
        )));
    }
    match sqlx::query!("delete from salespeople where id = $1", id)
        .execute(&mut *tx)
        .await
    {
        Ok(_) => {}
        Err(e) if is_foreign_key_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "{} ({}) is still in use; block them instead.",
                sp.name, sp.code
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    tracing::info!(admin = admin.id, salesperson = id, code = %sp.code, "salesperson deleted");
    Ok(format!("Salesperson {} ({}) deleted.", sp.name, sp.code))
}

// ---- Teams ----

pub async fn list_teams(pool: &PgPool) -> Result<TeamsOverview, AppError> {
    // One snapshot, so a team and its member lists always agree.
    let mut tx = crate::state::begin(pool).await?;
    sqlx::query!("set transaction isolation level repeatable read, read only")
        .execute(&mut *tx)
        .await?;
    let teams = sqlx::query!("select id, code, name, version from teams order by code")
        .fetch_all(&mut *tx)
        .await?;
    let members = sqlx::query!(
        "select m.team_id, s.id, s.code, s.name, s.blocked
         from team_members m join salespeople s on s.id = m.salesperson_id
         order by lower(s.name), s.code"
    )
    .fetch_all(&mut *tx)
    .await?;
    let managers = sqlx::query!(
        "select tm.team_id, u.id, u.display_name, u.email, u.role, u.active
         from team_managers tm join users u on u.id = tm.user_id
         order by lower(u.display_name), u.id"
    )
    .fetch_all(&mut *tx)
    .await?;
    let salespeople = sqlx::query!("select id, code, name, blocked from salespeople order by code")
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| TeamMember {
            id: r.id,
            code: r.code,
            name: r.name,
            blocked: r.blocked,
        })
        .collect();
    let manager_candidates = sqlx::query!(
        "select id, display_name, email, role, active from users
         where active and role in ('manager', 'admin')
         order by lower(display_name), id"
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| TeamManager {
        id: r.id,
        name: r.display_name,
        email: r.email,
        role: role(&r.role),
        active: r.active,
    })
    .collect();
    tx.commit().await?;

    let teams = teams
        .into_iter()
        .map(|t| TeamCard {
            members: members
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| TeamMember {
                    id: m.id,
                    code: m.code.clone(),
                    name: m.name.clone(),
                    blocked: m.blocked,
                })
                .collect(),
            managers: managers
                .iter()
                .filter(|m| m.team_id == t.id)
                .map(|m| TeamManager {
                    id: m.id,
                    name: m.display_name.clone(),
                    email: m.email.clone(),
                    role: role(&m.role),
                    active: m.active,
                })
                .collect(),
            id: t.id,
            code: t.code,
            name: t.name,
            version: t.version,
        })
        .collect();
    Ok(TeamsOverview {
        teams,
        salespeople,
        manager_candidates,
    })
}

fn role(s: &str) -> Role {
    Role::parse(s).unwrap_or(Role::Salesperson)
}

pub async fn create_team(pool: &PgPool, admin: &User, t: TeamFields) -> Result<String, AppError> {
    let id = sqlx::query_scalar!(
        "insert into teams (code, name) values ($1, $2) returning id",
        t.code,
        t.name
    )
    .fetch_one(pool)
    .await
    .map_err(|e| write_error(e, &t.code))?;
    tracing::info!(admin = admin.id, team = id, code = %t.code, "team created");
    Ok(format!(
        "Team {} ({}) added. Now add its members and at least one manager.",
        t.name, t.code
    ))
}

pub async fn update_team(
    pool: &PgPool,
    admin: &User,
    id: i64,
    version: i32,
    t: TeamFields,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let updated = sqlx::query!(
        "update teams set code = $3, name = $4, version = version + 1 where id = $1 and version = $2",
        id,
        version,
        t.code,
        t.name
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| write_error(e, &t.code))?;
    if updated.rows_affected() == 0 {
        let current = sqlx::query_scalar!("select code from teams where id = $1", id)
            .fetch_optional(&mut *tx)
            .await?;
        return Err(match current {
            None => AppError::NotFound,
            Some(code) => AppError::Conflict(format!(
                "Someone else changed team {code} while you were editing. The page now shows their version; \
                 make your change again."
            )),
        });
    }
    tx.commit().await?;
    tracing::info!(admin = admin.id, team = id, code = %t.code, "team changed");
    Ok(format!("Team {} ({}) saved.", t.name, t.code))
}

/// Deletes a team with its memberships; the salespeople and users stay.
pub async fn delete_team(pool: &PgPool, admin: &User, id: i64) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let team = sqlx::query!("select code, name from teams where id = $1 for update", id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
    match sqlx::query!("delete from teams where id = $1", id)
        .execute(&mut *tx)
        .await
    {
        Ok(_) => {}
        Err(e) if is_foreign_key_violation(&e) => {
            return Err(AppError::Conflict(format!(
                "Team {} ({}) is still in use and cannot be deleted.",
                team.name, team.code
            )));
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    tracing::info!(admin = admin.id, team = id, code = %team.code, "team deleted");
    Ok(format!("Team {} ({}) deleted.", team.name, team.code))
}

/// The team's code, with a key-share lock so the team cannot be deleted under a membership change.
async fn lock_team(tx: &mut PgConnection, team_id: i64) -> Result<String, AppError> {
    sqlx::query_scalar!(
        "select code from teams where id = $1 for key share",
        team_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)
}

pub async fn add_team_member(
    pool: &PgPool,
    admin: &User,
    team_id: i64,
    salesperson_id: i64,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let team = lock_team(&mut tx, team_id).await?;
    let sp = sqlx::query!(
        "select name, code from salespeople where id = $1 for key share",
        salesperson_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        AppError::field(
            "salesperson_id",
            "That salesperson no longer exists. Choose another one.",
        )
    })?;
    let added = sqlx::query!(
        "insert into team_members (team_id, salesperson_id) values ($1, $2) on conflict do nothing",
        team_id,
        salesperson_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if added.rows_affected() == 0 {
        return Ok(format!(
            "{} ({}) is already a member of {team}.",
            sp.name, sp.code
        ));
    }
    tracing::info!(
        admin = admin.id,
        team = team_id,
        salesperson = salesperson_id,
        "team member added"
    );
    Ok(format!("{} ({}) added to {team}.", sp.name, sp.code))
}

pub async fn remove_team_member(
    pool: &PgPool,
    admin: &User,
    team_id: i64,
    salesperson_id: i64,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let team = lock_team(&mut tx, team_id).await?;
    let name = sqlx::query_scalar!("select name from salespeople where id = $1", salesperson_id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_else(|| "The salesperson".into());
    let removed = sqlx::query!(
        "delete from team_members where team_id = $1 and salesperson_id = $2",
        team_id,
        salesperson_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if removed.rows_affected() == 0 {
        return Ok(format!("{name} is not a member of {team} (any more)."));
    }
    tracing::info!(
        admin = admin.id,
        team = team_id,
        salesperson = salesperson_id,
        "team member removed"
    );
    Ok(format!("{name} removed from {team}."))
}

/// Only users who can act as managers may be made managers: a salesperson-role user would get
/// nothing from it (access follows the role), so refusing says so instead of failing silently.
pub async fn add_team_manager(
    pool: &PgPool,
    admin: &User,
    team_id: i64,
    user_id: i64,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let team = lock_team(&mut tx, team_id).await?;
    let user = sqlx::query!(
        "select display_name, role, active from users where id = $1 for key share",
        user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::field("user_id", "That user no longer exists. Choose another one."))?;
    if !user.active {
        return Err(AppError::field(
            "user_id",
            format!(
                "{} is deactivated. Reactivate them in Setup › Users first.",
                user.display_name
            ),
        ));
    }
    if role(&user.role) == Role::Salesperson {
        return Err(AppError::field(
            "user_id",
            format!(
                "{} has the Salesperson role. Give them the Manager role in Setup › Users first.",
                user.display_name
            ),
        ));
    }
    let added = sqlx::query!(
        "insert into team_managers (team_id, user_id) values ($1, $2) on conflict do nothing",
        team_id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if added.rows_affected() == 0 {
        return Ok(format!("{} already manages {team}.", user.display_name));
    }
    tracing::info!(
        admin = admin.id,
        team = team_id,
        user = user_id,
        "team manager added"
    );
    Ok(format!("{} now manages {team}.", user.display_name))
}

pub async fn remove_team_manager(
    pool: &PgPool,
    admin: &User,
    team_id: i64,
    user_id: i64,
) -> Result<String, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let team = lock_team(&mut tx, team_id).await?;
    let name = sqlx::query_scalar!("select display_name from users where id = $1", user_id)
        .fetch_optional(&mut *tx)
        .await?
        .unwrap_or_else(|| "The user".into());
    let removed = sqlx::query!(
        "delete from team_managers where team_id = $1 and user_id = $2",
        team_id,
        user_id
    )
    .execute(&mut *tx)
    .await?;
    let left = sqlx::query_scalar!(
        r#"select count(*) as "n!" from team_managers where team_id = $1"#,
        team_id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    if removed.rows_affected() == 0 {
        return Ok(format!("{name} does not manage {team} (any more)."));
    }
    tracing::info!(
        admin = admin.id,
        team = team_id,
        user = user_id,
        "team manager removed"
    );
    Ok(if left == 0 {
        format!("{name} no longer manages {team}. {team} has no manager now; add one.")
    } else {
        format!("{name} no longer manages {team}.")
    })
}

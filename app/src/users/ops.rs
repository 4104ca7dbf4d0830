//! User administration. Callers have checked the admin role; these keep the last admin in place.

use sqlx::PgPool;

use super::{UserListItem, UsersOverview};
use crate::{
    auth::{Role, backend::User},
    error::AppError,
};

pub async fn overview(pool: &PgPool) -> Result<UsersOverview, AppError> {
    let users = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.role, u.active, s.code || ' – ' || s.name as salesperson
           from users u left join salespeople s on s.id = u.salesperson_id
           order by u.active desc, lower(u.display_name), u.id"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| UserListItem {
        id: r.id,
        email: r.email,
        display_name: r.display_name,
        role: Role::parse(&r.role).unwrap_or(Role::Salesperson),
        active: r.active,
        salesperson: r.salesperson,
    })
    .collect();
    let free_salespeople = sqlx::query!(
        r#"select s.id, s.code || ' – ' || s.name as "label!" from salespeople s
           where not s.blocked and not exists (select 1 from users u where u.salesperson_id = s.id)
           order by s.code"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.id, r.label))
    .collect();
    Ok(UsersOverview {
        users,
        free_salespeople,
    })
}

/// Refuses a change that would leave no active admin (nobody could then manage users).
async fn ensure_another_admin(tx: &mut sqlx::PgConnection, user_id: i64) -> Result<(), AppError> {
    let others = sqlx::query_scalar!(
        r#"select count(*) as "n!" from users where role = 'admin' and active and id <> $1"#,
        user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if others == 0 {
        return Err(AppError::Conflict(
            "Pipeline needs at least one active admin.".into(),
        ));
    }
    Ok(())
}

pub async fn set_role(
    pool: &PgPool,
    admin: &User,
    user_id: i64,
    role: Role,
) -> Result<(), AppError> {
    let mut tx = crate::state::begin(pool).await?;
    // Serialise admin changes so two concurrent demotions cannot remove the last admin.
    sqlx::query!("select pg_advisory_xact_lock(hashtext('pipeline.admins'))")
        .execute(&mut *tx)
        .await?;
    if role != Role::Admin {
        ensure_another_admin(&mut tx, user_id).await?;
    }
    let updated = sqlx::query!(
        "update users set role = $2 where id = $1",
        user_id,
        role.as_str()
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit_change(&mut tx, admin, user_id, &format!("role={}", role.as_str())).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_active(
    pool: &PgPool,
    admin: &User,
    user_id: i64,
    active: bool,
) -> Result<(), AppError> {
    if !active && user_id == admin.id {
        return Err(AppError::Conflict(
            "You cannot deactivate your own account.".into(),
        ));
    }
    let mut tx = crate::state::begin(pool).await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('pipeline.admins'))")
        .execute(&mut *tx)
        .await?;
    if !active {
        ensure_another_admin(&mut tx, user_id).await?;
    }
    // Deactivated users are signed out at their next request (the backend loads active users only).
    let updated = sqlx::query!(
        "update users set active = $2 where id = $1",
        user_id,
        active
    )
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    audit_change(
        &mut tx,
        admin,
        user_id,
        if active { "reactivated" } else { "deactivated" },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn audit_change(
    tx: &mut sqlx::PgConnection,
    admin: &User,
    user_id: i64,
    detail: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into auth_events (kind, user_id, email, detail) values ('user_changed', $1, $2, $3)",
        admin.id,
        admin.email,
        format!("user {user_id}: {detail}")
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

//! Sign-in operations: one function per use case, called by the server functions (and later
//! the REST API), each recording what happened in the audit trail.

use std::net::IpAddr;

use sqlx::PgPool;

use super::{
    Role,
    backend::{AuthSession, Credentials, User, hash_password, verify_password},
    rules,
};
use crate::error::{AppError, FieldErrors};

/// Failed sign-ins allowed per account, and per IP address, within the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 30;
pub const FAILURE_WINDOW_SECS: i64 = 15 * 60;

async fn audit(
    pool: &PgPool,
    kind: &str,
    user_id: Option<i64>,
    email: Option<&str>,
    ip: Option<IpAddr>,
) {
    let ip = ip.map(sqlx::types::ipnetwork::IpNetwork::from);
    if let Err(e) = sqlx::query!(
        "insert into auth_events (kind, user_id, email, ip) values ($1, $2, $3, $4)",
        kind,
        user_id,
        email,
        ip
    )
    .execute(pool)
    .await
    {
        tracing::error!(error = %e, kind, "could not write the audit trail");
    }
}

/// Seconds until another attempt is allowed, if the account or the address is over its limit.
/// Counted in Postgres, so the limit holds across server instances.
pub async fn throttled_for(
    pool: &PgPool,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<Option<u64>, AppError> {
    let ip = ip.map(sqlx::types::ipnetwork::IpNetwork::from);
    let row = sqlx::query!(
        r#"with recent as (
               select email, ip, at from auth_events
               where kind = 'sign_in_failed' and at > now() - make_interval(secs => $3)
                 and (email = $1 or ip = $2))
           select
             (select count(*) from recent where email = $1) as "by_email!",
             (select extract(epoch from min(at) + make_interval(secs => $3) - now())::bigint
                from (select at from recent where email = $1 order by at desc limit $4) a) as email_wait,
             (select count(*) from recent where ip = $2) as "by_ip!",
             (select extract(epoch from min(at) + make_interval(secs => $3) - now())::bigint
                from (select at from recent where ip = $2 order by at desc limit $5) i) as ip_wait"#,
        email,
        ip,
        FAILURE_WINDOW_SECS as f64,
        MAX_FAILURES_PER_ACCOUNT,
        MAX_FAILURES_PER_IP,
    )
    .fetch_one(pool)
    .await?;
    let wait = |count: i64, max: i64, secs: Option<i64>| {
        (count >= max).then(|| secs.unwrap_or(1).max(1) as u64)
    };
    Ok(
        wait(row.by_email, MAX_FAILURES_PER_ACCOUNT, row.email_wait).max(wait(
            row.by_ip,
            MAX_FAILURES_PER_IP,
            row.ip_wait,
        )),
    )
}

/// Checks the password and signs in (rotating the session id). Wrong email and wrong password
/// get the same answer, so nobody can probe which accounts exist.
pub async fn sign_in(
    auth: &mut AuthSession,
    pool: &PgPool,
    email: &str,
    password: String,
    ip: Option<IpAddr>,
) -> Result<User, AppError> {
    let email = rules::normalize_email(email);
    if email.is_empty() || password.is_empty() {
        return Err(AppError::field("form", "Enter your email and password."));
    }
    if let Some(wait) = throttled_for(pool, &email, ip).await? {
        audit(pool, "sign_in_throttled", None, Some(&email), ip).await;
        return Err(AppError::RateLimited(wait));
    }
    let password = if password.chars().count() > rules::MAX_PASSWORD {
        String::new()
    } else {
        password
    };
    let user = auth
        .authenticate(Credentials {
            email: email.clone(),
            password,
        })
        .await
        .map_err(|e| AppError::internal("authentication failed", e))?;
    let Some(user) = user else {
        audit(pool, "sign_in_failed", None, Some(&email), ip).await;
        return Err(AppError::field("form", "Wrong email or password."));
    };
    auth.login(&user)
        .await
        .map_err(|e| AppError::internal("login failed", e))?;
    auth.session
        .insert(SIGNED_IN_AT, chrono::Utc::now().timestamp())
        .await
        .map_err(|e| AppError::internal("session write failed", e))?;
    audit(pool, "sign_in", Some(user.id), Some(&email), ip).await;
    Ok(user)
}

/// Session key holding when the user signed in, for the absolute session lifetime.
pub const SIGNED_IN_AT: &str = "pipeline.signed_in_at";

pub async fn sign_out(auth: &mut AuthSession, pool: &PgPool) -> Result<(), AppError> {
    if let Some(user) = auth
        .logout()
        .await
        .map_err(|e| AppError::internal("logout failed", e))?
    {
        audit(pool, "sign_out", Some(user.id), Some(&user.email), None).await;
    }
    Ok(())
}

/// A new account's fields, validated the same way for the first admin and for admins' forms.
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub salesperson_id: Option<i64>,
}

fn validate_new_user(u: &NewUser, confirm: Option<&str>) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    errors.check(
        rules::is_valid_email(&u.email),
        "email",
        "Enter a valid email address.",
    );
    let name = u.display_name.trim();
    errors.check(!name.is_empty(), "display_name", "Enter a name.");
    errors.check(
        name.chars().count() <= 100,
        "display_name",
        "Use at most 100 characters.",
    );
    if let Some(problem) = rules::password_problem(&u.password) {
        errors.add("password", problem);
    }
    if let Some(confirm) = confirm {
        errors.check(
            confirm == u.password,
            "password_confirm",
            "The passwords do not match.",
        );
    }
    errors.finish()
}

async fn insert_user(tx: &mut sqlx::PgConnection, u: &NewUser) -> Result<i64, AppError> {
    let hash = hash_password(u.password.clone()).await?;
    let inserted = sqlx::query_scalar!(
        "insert into users (email, display_name, password_hash, role, salesperson_id)
         values ($1, $2, $3, $4, $5) returning id",
        u.email,
        u.display_name.trim(),
        hash,
        u.role.as_str(),
        u.salesperson_id
    )
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => Err(
            AppError::field("email", "A user with this email already exists."),
        ),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_salesperson_key") => {
            Err(AppError::field(
                "salesperson_id",
                "Another user is already linked to this salesperson.",
            ))
        }
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_salesperson_id_fkey") => {
            Err(AppError::field(
                "salesperson_id",
                "This salesperson does not exist.",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn any_user_exists(pool: &PgPool) -> Result<bool, AppError> {
    Ok(
        sqlx::query_scalar!("select exists (select 1 from users) as \"exists!\"")
            .fetch_one(pool)
            .await?,
    )
}

/// The first-run screen: creates the first admin, only while no user exists (serialised by an
/// advisory lock, so two people racing cannot both become the first admin), then signs them in.
pub async fn create_first_admin(
    auth: &mut AuthSession,
    pool: &PgPool,
    mut new: NewUser,
    confirm: &str,
    ip: Option<IpAddr>,
) -> Result<User, AppError> {
    new.email = rules::normalize_email(&new.email);
    new.role = Role::Admin;
    validate_new_user(&new, Some(confirm))?;
    let mut tx = crate::state::begin(pool).await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('pipeline.first_admin'))")
        .execute(&mut *tx)
        .await?;
    let exists = sqlx::query_scalar!("select exists (select 1 from users) as \"exists!\"")
        .fetch_one(&mut *tx)
        .await?;
    if exists {
        return Err(AppError::Forbidden);
    }
    let id = insert_user(&mut tx, &new).await?;
    tx.commit().await?;
    audit(pool, "first_admin_created", Some(id), Some(&new.email), ip).await;
    sign_in(auth, pool, &new.email, new.password, ip).await
}

/// Used by the `create-user` command and the admins' Users page.
pub async fn create_user(
    pool: &PgPool,
    mut new: NewUser,
    by: Option<&User>,
) -> Result<i64, AppError> {
    new.email = rules::normalize_email(&new.email);
    validate_new_user(&new, None)?;
    let mut conn = pool.acquire().await?;
    let id = insert_user(&mut conn, &new).await?;
    drop(conn); // back to the pool before taking another for the audit line
    audit(
        pool,
        "user_created",
        by.map(|u| u.id),
        Some(&new.email),
        None,
    )
    .await;
    Ok(id)
}

/// Changes the user's own password; every other session of theirs ends (the session hash
/// changes), and this one is renewed so they stay signed in here.
pub async fn change_password(
    auth: &mut AuthSession,
    pool: &PgPool,
    current: String,
    new: String,
    confirm: &str,
) -> Result<(), AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthorized)?;
    let mut errors = FieldErrors::default();
    if let Some(problem) = rules::password_problem(&new) {
        errors.add("new_password", problem);
    }
    errors.check(
        confirm == new,
        "new_password_confirm",
        "The passwords do not match.",
    );
    errors.finish()?;
    let stored = sqlx::query_scalar!("select password_hash from users where id = $1", user.id)
        .fetch_one(pool)
        .await?;
    if !verify_password(current, stored).await? {
        return Err(AppError::field(
            "current_password",
            "This is not your current password.",
        ));
    }
    let hash = hash_password(new).await?;
    sqlx::query!(
        "update users set password_hash = $2 where id = $1",
        user.id,
        hash
    )
    .execute(pool)
    .await?;
    audit(
        pool,
        "password_changed",
        Some(user.id),
        Some(&user.email),
        None,
    )
    .await;
    relogin(auth, user.id).await
}

/// Ends every session of the user, including this one.
pub async fn sign_out_everywhere(auth: &mut AuthSession, pool: &PgPool) -> Result<(), AppError> {
    let user = auth.user.clone().ok_or(AppError::Unauthorized)?;
    sqlx::query!(
        "update users set session_epoch = session_epoch + 1 where id = $1",
        user.id
    )
    .execute(pool)
    .await?;
    audit(
        pool,
        "signed_out_everywhere",
        Some(user.id),
        Some(&user.email),
        None,
    )
    .await;
    auth.logout()
        .await
        .map_err(|e| AppError::internal("logout failed", e))?;
    Ok(())
}

/// Re-reads the user and stores their new session hash in this session.
async fn relogin(auth: &mut AuthSession, user_id: i64) -> Result<(), AppError> {
    use axum_login::AuthnBackend;
    let fresh = auth
        .backend
        .get_user(&user_id)
        .await
        .map_err(|e| AppError::internal("reload user", e))?;
    let fresh = fresh.ok_or(AppError::Unauthorized)?;
    auth.login(&fresh)
        .await
        .map_err(|e| AppError::internal("login failed", e))
}

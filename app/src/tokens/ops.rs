//! Token operations: create (secret shown once), list, revoke, and the bearer check every API
//! request goes through.

use chrono::{Duration, NaiveDate, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{NewToken, SECRET_PREFIX, SHOWN_CHARS, TokenOverview, TokenRow};
use crate::{
    auth::{Role, backend::User},
    error::{AppError, FieldErrors},
};

/// Tokens per user that are not revoked: enough for every integration, not a leak of thousands.
const MAX_LIVE_TOKENS: i64 = 50;

pub fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// 32 random bytes as hex after the prefix: 256 bits, so a digest without salt is enough.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{SECRET_PREFIX}{hex}")
}

pub async fn create(
    pool: &PgPool,
    user: &User,
    name: &str,
    expires_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NewToken, AppError> {
    let mut errors = FieldErrors::default();
    let name = name.trim();
    errors.check(
        !name.is_empty(),
        "name",
        "Give the token a name, e.g. the script that will use it.",
    );
    errors.check(
        name.chars().count() <= 100,
        "name",
        "Use at most 100 characters.",
    );
    if let Some(date) = expires_on {
        errors.check(
            date > today,
            "expires_on",
            "Choose a date after today, or leave it empty for no expiry.",
        );
    }
    errors.finish()?;
    let live: i64 = sqlx::query_scalar!(
        r#"select count(*) as "n!" from api_tokens where user_id = $1 and revoked_at is null"#,
        user.id
    )
    .fetch_one(pool)
    .await?;
    if live >= MAX_LIVE_TOKENS {
        return Err(AppError::field(
            "name",
            format!("You have {MAX_LIVE_TOKENS} tokens. Revoke one you no longer use first."),
        ));
    }
    let secret = new_secret();
    // Expires at the start of the chosen day (UTC): "valid until" reads as the day before.
    let expires_at = expires_on
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let id = sqlx::query_scalar!(
        "insert into api_tokens (user_id, name, prefix, secret_hash, expires_at) values ($1, $2, $3, $4, $5) returning id",
        user.id,
        name,
        &secret[..SHOWN_CHARS],
        digest(&secret),
        expires_at as _,
    )
    .fetch_one(pool)
    .await?;
    tracing::info!(user = user.id, token = id, "API token created");
    Ok(NewToken {
        id,
        name: name.to_owned(),
        secret,
        expires_at: expires_on,
    })
}

pub async fn overview(pool: &PgPool, user: &User) -> Result<TokenOverview, AppError> {
    let all = user.role == Role::Admin;
    let rows = sqlx::query_as!(
        TokenRow,
        r#"select t.id, t.name, t.prefix, u.display_name as owner, t.created_at as "created_at: chrono::DateTime<chrono::Utc>",
                  t.expires_at as "expires_at: chrono::DateTime<chrono::Utc>", t.last_used_at as "last_used_at: chrono::DateTime<chrono::Utc>",
                  t.revoked_at as "revoked_at: chrono::DateTime<chrono::Utc>"
           from api_tokens t join users u on u.id = t.user_id
           where t.user_id = $1 or $2
           order by t.revoked_at is not null, t.created_at desc, t.id desc"#,
        user.id,
        all,
    )
    .fetch_all(pool)
    .await?;
    let owned = sqlx::query_scalar!("select id from api_tokens where user_id = $1", user.id)
        .fetch_all(pool)
        .await?;
    let mine = rows
        .iter()
        .filter(|r| owned.contains(&r.id))
        .cloned()
        .collect();
    Ok(TokenOverview {
        mine,
        everyone: all.then_some(rows),
        now: Utc::now(),
    })
}

/// Revokes one of the user's own tokens (admins: anyone's). Revoking twice is fine.
pub async fn revoke(pool: &PgPool, user: &User, id: i64) -> Result<(), AppError> {
    let done = sqlx::query!(
        "update api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1 and (user_id = $2 or $3)",
        id,
        user.id,
        user.role == Role::Admin,
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tracing::info!(user = user.id, token = id, "API token revoked");
    Ok(())
}

/// The user a bearer secret belongs to, if it is a live token of an active user. Records the
/// time of use (at most once a minute, so a busy script does not write on every request).
pub async fn authenticate(pool: &PgPool, secret: &str) -> Result<Option<(User, i64)>, AppError> {
    if !secret.starts_with(SECRET_PREFIX) || secret.len() > 200 {
        return Ok(None);
    }
    let Some((user, token_id, last_used)) =
        crate::auth::backend::user_by_token(pool, &digest(secret)).await?
    else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| Utc::now() - t > Duration::minutes(1)) {
        sqlx::query!(
            "update api_tokens set last_used_at = now() where id = $1",
            token_id
        )
        .execute(pool)
        .await?;
    }
    Ok(Some((user, token_id)))
}

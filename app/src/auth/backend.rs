//! The axum-login backend: finds users, checks passwords (argon2id via password-auth) and says
//! which sessions are still valid.

use std::sync::LazyLock;

use axum_login::{AuthUser, AuthnBackend, UserId};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::{CurrentUser, Role};
use crate::error::AppError;

pub type AuthSession = axum_login::AuthSession<Backend>;

/// The signed-in user on the server. Not `Serialize`: it holds the session hash.
#[derive(Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub salesperson_id: Option<i64>,
    auth_hash: Vec<u8>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl User {
    pub fn current(&self) -> CurrentUser {
        CurrentUser {
            id: self.id,
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
        }
    }
}

impl AuthUser for User {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    /// A session stays valid while this is unchanged: a new password or a bumped epoch
    /// ("sign out everywhere") ends every other session.
    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// Sessions store this hash, so it is a digest, never the password hash itself.
fn session_hash(password_hash: &str, epoch: i32) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(password_hash.as_bytes());
    h.update(epoch.to_le_bytes());
    h.finalize().to_vec()
}

pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("password check did not finish: {0}")]
    Task(#[from] tokio::task::JoinError),
}

#[derive(Clone, Debug)]
pub struct Backend {
    pool: PgPool,
}

impl Backend {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

struct UserRow {
    id: i64,
    email: String,
    display_name: String,
    role: String,
    salesperson_id: Option<i64>,
    password_hash: String,
    session_epoch: i32,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            // The column's CHECK allows only the three roles.
            role: Role::parse(&r.role).unwrap_or(Role::Salesperson),
            salesperson_id: r.salesperson_id,
            auth_hash: session_hash(&r.password_hash, r.session_epoch),
        }
    }
}

/// Verified against when the email is unknown, so both cases take the same time.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| password_auth::generate_hash("not a real password"));

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = BackendError;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, BackendError> {
        let row = sqlx::query_as!(
            UserRow,
            "select id, email, display_name, role, salesperson_id, password_hash, session_epoch
             from users where email = $1 and active",
            creds.email
        )
        .fetch_optional(&self.pool)
        .await?;
        let hash = row
            .as_ref()
            .map(|r| r.password_hash.clone())
            .unwrap_or_else(|| DUMMY_HASH.clone());
        let password = creds.password;
        let matches = tokio::task::spawn_blocking(move || {
            password_auth::verify_password(password, &hash).is_ok()
        })
        .await?;
        Ok(row.filter(|_| matches).map(User::from))
    }

    async fn get_user(&self, id: &UserId<Self>) -> Result<Option<User>, BackendError> {
        let row = sqlx::query_as!(
            UserRow,
            "select id, email, display_name, role, salesperson_id, password_hash, session_epoch
             from users where id = $1 and active",
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(User::from))
    }
}

/// Argon2id on a blocking thread: hashing takes tens of milliseconds of CPU.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| AppError::internal("password hashing failed", e))
}

pub async fn verify_password(password: String, hash: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || password_auth::verify_password(password, &hash).is_ok())
        .await
        .map_err(|e| AppError::internal("password check failed", e))
}

/// The active user a live API token (by its secret's digest) belongs to, with the token's id and
/// last use.
pub async fn user_by_token(
    pool: &PgPool,
    secret_hash: &[u8],
) -> Result<Option<(User, i64, Option<chrono::DateTime<chrono::Utc>>)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"select u.id, u.email, u.display_name, u.role, u.salesperson_id, u.password_hash, u.session_epoch,
                t.id as token_id, t.last_used_at as "last_used_at: chrono::DateTime<chrono::Utc>"
         from api_tokens t join users u on u.id = t.user_id
         where t.secret_hash = $1 and t.revoked_at is null and (t.expires_at is null or t.expires_at > now()) and u.active"#,
        secret_hash
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| {
        let user = User::from(UserRow {
            id: r.id,
            email: r.email,
            display_name: r.display_name,
            role: r.role,
            salesperson_id: r.salesperson_id,
            password_hash: r.password_hash,
            session_epoch: r.session_epoch,
        });
        (user, r.token_id, r.last_used_at)
    }))
}

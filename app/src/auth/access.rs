//! Access rules, resolved once per request into salesperson scopes that every query puts in its
//! WHERE clause (`… and ($1::bigint[] is null or salesperson_id = any($1))`).
//!
//! - admin: everything;
//! - manager: reads and changes what the salespeople of the teams they manage own (and their own);
//! - salesperson: reads what the salespeople of their own teams own; changes only their own.

use sqlx::PgPool;

use super::{
    Role,
    backend::{AuthSession, User},
};
use crate::error::AppError;

/// A set of salespeople whose records are in reach; `All` for admins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Salespeople(Vec<i64>),
}

impl Scope {
    /// For SQL: `None` binds as NULL, meaning "no restriction".
    pub fn ids(&self) -> Option<&[i64]> {
        match self {
            Scope::All => None,
            Scope::Salespeople(ids) => Some(ids),
        }
    }

    /// Whether a record owned by this salesperson is in reach. Unowned records are in reach of
    /// admins only.
    pub fn allows(&self, salesperson_id: Option<i64>) -> bool {
        match (self, salesperson_id) {
            (Scope::All, _) => true,
            (Scope::Salespeople(ids), Some(id)) => ids.contains(&id),
            (Scope::Salespeople(_), None) => false,
        }
    }
}

/// The signed-in user with what they may read and change.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: User,
    pub read: Scope,
    pub write: Scope,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
}

pub async fn resolve(pool: &PgPool, user: User) -> Result<Viewer, AppError> {
    let own: Vec<i64> = user.salesperson_id.into_iter().collect();
    let (read, write) = match user.role {
        Role::Admin => (Scope::All, Scope::All),
        Role::Manager => {
            let mut ids: Vec<i64> = sqlx::query_scalar!(
                "select distinct m.salesperson_id as \"id!\"
                 from team_managers tm join team_members m on m.team_id = tm.team_id
                 where tm.user_id = $1",
                user.id
            )
            .fetch_all(pool)
            .await?;
            ids.extend(&own);
            ids.sort_unstable();
            ids.dedup();
            (Scope::Salespeople(ids.clone()), Scope::Salespeople(ids))
        }
        Role::Salesperson => {
            let mut ids: Vec<i64> = sqlx::query_scalar!(
                "select distinct m.salesperson_id as \"id!\"
                 from team_members mine join team_members m on m.team_id = mine.team_id
                 where mine.salesperson_id = $1",
                user.salesperson_id
            )
            .fetch_all(pool)
            .await?;
            ids.extend(&own);
            ids.sort_unstable();
            ids.dedup();
            (Scope::Salespeople(ids), Scope::Salespeople(own))
        }
    };
    Ok(Viewer { user, read, write })
}

/// The teams a viewer may see as teams — with a name and figures adding up all their members:
/// every team for admins, the teams a manager manages, the teams a salesperson belongs to.
/// `None` means every team. (A team that merely shares one member with the viewer's teams is
/// not theirs: its other members are out of reach, so its figures would be partial.)
pub async fn teams_in_view(pool: &PgPool, viewer: &Viewer) -> Result<Option<Vec<i64>>, AppError> {
    let ids = match viewer.user.role {
        Role::Admin => return Ok(None),
        Role::Manager => {
            sqlx::query_scalar!(
                "select team_id from team_managers where user_id = $1 order by team_id",
                viewer.user.id
            )
            .fetch_all(pool)
            .await?
        }
        Role::Salesperson => {
            sqlx::query_scalar!(
                "select team_id from team_members where salesperson_id = $1 order by team_id",
                viewer.user.salesperson_id
            )
            .fetch_all(pool)
            .await?
        }
    };
    Ok(Some(ids))
}

/// The signed-in user of the current server-function request, or 401.
pub async fn require_user() -> Result<User, AppError> {
    let auth: AuthSession = leptos_axum::extract()
        .await
        .map_err(|e| AppError::internal("auth session missing", e))?;
    auth.user.ok_or(AppError::Unauthorized)
}

/// The signed-in user with their scopes.
pub async fn require_viewer() -> Result<Viewer, AppError> {
    let user = require_user().await?;
    resolve(&crate::state::pool()?, user).await
}

/// Admin only; anybody else gets 403 and the attempt is recorded.
pub async fn require_admin() -> Result<User, AppError> {
    let user = require_user().await?;
    if user.role != Role::Admin {
        let pool = crate::state::pool()?;
        record_denied(&pool, &user, "admin-only operation").await;
        return Err(AppError::Forbidden);
    }
    Ok(user)
}

/// Forged or out-of-scope requests are logged (and audited) before answering 404/403.
pub async fn record_denied(pool: &PgPool, user: &User, what: &str) {
    tracing::warn!(user_id = user.id, %what, "access denied");
    let _ = sqlx::query!(
        "insert into auth_events (kind, user_id, email, detail) values ('access_denied', $1, $2, $3)",
        user.id,
        user.email,
        what
    )
    .execute(pool)
    .await;
}

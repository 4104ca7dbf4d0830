//! Server functions for sign-in: thin adapters over `ops`, answering with `AppError`.

use leptos::prelude::*;

use super::CurrentUser;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ctx {
    use std::net::{IpAddr, SocketAddr};

    use crate::{auth::backend::AuthSession, error::AppError};

    pub async fn auth_session() -> Result<AuthSession, AppError> {
        leptos_axum::extract()
            .await
            .map_err(|e| AppError::internal("auth session missing", e))
    }

    /// The caller's address (absent when the server runs without connection info, e.g. in tests).
    pub async fn client_ip() -> Option<IpAddr> {
        leptos_axum::extract::<axum::extract::ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|c| c.0.ip())
    }
}

/// The signed-in user, or None. Public: the shell asks it to draw the navigation.
#[server(endpoint = "auth/me")]
pub async fn me() -> Result<Option<CurrentUser>, AppError> {
    let auth = ctx::auth_session().await?;
    Ok(auth.user.map(|u| u.current()))
}

/// True while nobody has an account: the first-run screen is offered.
#[server(endpoint = "auth/first_run")]
pub async fn first_run() -> Result<bool, AppError> {
    let pool = crate::state::pool()?;
    Ok(!super::ops::any_user_exists(&pool).await?)
}

#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let mut auth = ctx::auth_session().await?;
    let ip = ctx::client_ip().await;
    super::ops::sign_in(&mut auth, &pool, &email, password, ip)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect(&super::rules::safe_next(next.as_deref()));
    Ok(())
}

#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let mut auth = ctx::auth_session().await?;
    super::ops::sign_out(&mut auth, &pool).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(endpoint = "auth/create_first_admin")]
pub async fn create_first_admin(
    email: String,
    display_name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let mut auth = ctx::auth_session().await?;
    let ip = ctx::client_ip().await;
    let new = super::ops::NewUser {
        email,
        display_name,
        password,
        role: super::Role::Admin,
        salesperson_id: None,
    };
    super::ops::create_first_admin(&mut auth, &pool, new, &password_confirm, ip)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "auth/change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let mut auth = ctx::auth_session().await?;
    if auth.user.is_none() {
        return Err(AppError::Unauthorized.respond());
    }
    super::ops::change_password(
        &mut auth,
        &pool,
        current_password,
        new_password,
        &new_password_confirm,
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "auth/sign_out_everywhere")]
pub async fn sign_out_everywhere() -> Result<(), AppError> {
    let pool = crate::state::pool()?;
    let mut auth = ctx::auth_session().await?;
    super::ops::sign_out_everywhere(&mut auth, &pool)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect("/login");
    Ok(())
}

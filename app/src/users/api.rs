//! Server functions of Setup › Users (admins only).

use leptos::prelude::*;

use super::UsersOverview;
use crate::error::AppError;

#[server(endpoint = "users/list_users")]
pub async fn list_users() -> Result<UsersOverview, AppError> {
    let _admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    super::ops::overview(&crate::state::pool()?)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "users/create_user")]
pub async fn create_user(
    display_name: String,
    email: String,
    role: String,
    password: String,
    salesperson_id: Option<String>,
) -> Result<(), AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool()?;
    let role = crate::auth::Role::parse(&role)
        .ok_or_else(|| AppError::field("role", "Choose a role.").respond())?;
    let salesperson_id =
        match salesperson_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(s.parse().map_err(|_| {
                AppError::field("salesperson_id", "Choose a salesperson.").respond()
            })?),
        };
    let new = crate::auth::ops::NewUser {
        email,
        display_name,
        password,
        role,
        salesperson_id,
    };
    crate::auth::ops::create_user(&pool, new, Some(&admin))
        .await
        .map_err(AppError::respond)?;
    Ok(())
}

#[server(endpoint = "users/set_user_role")]
pub async fn set_user_role(user_id: i64, role: String) -> Result<(), AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let role = crate::auth::Role::parse(&role)
        .ok_or_else(|| AppError::field("role", "Choose a role.").respond())?;
    super::ops::set_role(&crate::state::pool()?, &admin, user_id, role)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "users/set_user_active")]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<(), AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    super::ops::set_active(&crate::state::pool()?, &admin, user_id, active)
        .await
        .map_err(AppError::respond)
}

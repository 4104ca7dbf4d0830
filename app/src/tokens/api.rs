//! Server functions of the profile's API token section.

use leptos::prelude::*;

use super::{NewToken, TokenOverview};
use crate::error::AppError;

#[server(endpoint = "tokens/list")]
pub async fn list_tokens() -> Result<TokenOverview, AppError> {
    let user = crate::auth::access::require_user()
        .await
        .map_err(AppError::respond)?;
    super::ops::overview(&crate::state::pool()?, &user)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "tokens/create")]
pub async fn create_token(
    name: Option<String>,
    expires_on: Option<String>,
) -> Result<NewToken, AppError> {
    use crate::opportunities::api::read;
    let user = crate::auth::access::require_user()
        .await
        .map_err(AppError::respond)?;
    let expires_on = read::date(expires_on.as_deref(), "expires_on")?;
    super::ops::create(
        &crate::state::pool()?,
        &user,
        name.as_deref().unwrap_or_default(),
        expires_on,
        read::today(),
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "tokens/revoke")]
pub async fn revoke_token(id: Option<String>) -> Result<(), AppError> {
    use crate::opportunities::api::read;
    let user = crate::auth::access::require_user()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    super::ops::revoke(&crate::state::pool()?, &user, id)
        .await
        .map_err(AppError::respond)
}

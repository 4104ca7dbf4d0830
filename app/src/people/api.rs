//! Server functions of Setup › Salespeople and Setup › Teams (admins only): thin adapters that
//! read the form values (all strings, so a forged or half-filled form gets a field message rather
//! than a decoding failure) and call the operations.

use leptos::prelude::*;

use super::{SalespeopleOverview, TeamsOverview};
use crate::error::AppError;

#[server(endpoint = "people/list_salespeople")]
pub async fn list_salespeople() -> Result<SalespeopleOverview, AppError> {
    let _admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    super::ops::list_salespeople(&pool)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/create_salesperson")]
pub async fn create_salesperson(
    #[server(default)] code: String,
    #[server(default)] name: String,
    #[server(default)] email: String,
    #[server(default)] phone: String,
    #[server(default)] commission: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let fields = super::rules::salesperson(&code, &name, &email, &phone, &commission)
        .map_err(AppError::respond)?;
    super::ops::create_salesperson(&pool, &admin, fields)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/update_salesperson")]
pub async fn update_salesperson(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] code: String,
    #[server(default)] name: String,
    #[server(default)] email: String,
    #[server(default)] phone: String,
    #[server(default)] commission: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let id = super::ops::hidden_number(&id).map_err(AppError::respond)?;
    let version = super::ops::hidden_number(&version).map_err(AppError::respond)?;
    let fields = super::rules::salesperson(&code, &name, &email, &phone, &commission)
        .map_err(AppError::respond)?;
    super::ops::update_salesperson(&pool, &admin, id, version, fields)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/set_salesperson_blocked")]
pub async fn set_salesperson_blocked(
    #[server(default)] id: String,
    #[server(default)] blocked: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let id = super::ops::hidden_number(&id).map_err(AppError::respond)?;
    let blocked = super::ops::hidden_flag(&blocked).map_err(AppError::respond)?;
    super::ops::set_salesperson_blocked(&pool, &admin, id, blocked)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/delete_salesperson")]
pub async fn delete_salesperson(#[server(default)] id: String) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let id = super::ops::hidden_number(&id).map_err(AppError::respond)?;
    super::ops::delete_salesperson(&pool, &admin, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/list_teams")]
pub async fn list_teams() -> Result<TeamsOverview, AppError> {
    let _admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    super::ops::list_teams(&pool)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/create_team")]
pub async fn create_team(
    #[server(default)] code: String,
    #[server(default)] name: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let fields = super::rules::team(&code, &name).map_err(AppError::respond)?;
    super::ops::create_team(&pool, &admin, fields)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/update_team")]
pub async fn update_team(
    #[server(default)] id: String,
    #[server(default)] version: String,
    #[server(default)] code: String,
    #[server(default)] name: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let id = super::ops::hidden_number(&id).map_err(AppError::respond)?;
    let version = super::ops::hidden_number(&version).map_err(AppError::respond)?;
    let fields = super::rules::team(&code, &name).map_err(AppError::respond)?;
    super::ops::update_team(&pool, &admin, id, version, fields)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/delete_team")]
pub async fn delete_team(#[server(default)] id: String) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let id = super::ops::hidden_number(&id).map_err(AppError::respond)?;
    super::ops::delete_team(&pool, &admin, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/add_team_member")]
pub async fn add_team_member(
    #[server(default)] team_id: String,
    #[server(default)] salesperson_id: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let team_id = super::ops::hidden_number(&team_id).map_err(AppError::respond)?;
    let salesperson_id = super::ops::chosen_id(
        &salesperson_id,
        "salesperson_id",
        "Choose a salesperson to add.",
    )
    .map_err(AppError::respond)?;
    super::ops::add_team_member(&pool, &admin, team_id, salesperson_id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/remove_team_member")]
pub async fn remove_team_member(
    #[server(default)] team_id: String,
    #[server(default)] salesperson_id: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let team_id = super::ops::hidden_number(&team_id).map_err(AppError::respond)?;
    let salesperson_id = super::ops::hidden_number(&salesperson_id).map_err(AppError::respond)?;
    super::ops::remove_team_member(&pool, &admin, team_id, salesperson_id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/add_team_manager")]
pub async fn add_team_manager(
    #[server(default)] team_id: String,
    #[server(default)] user_id: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let team_id = super::ops::hidden_number(&team_id).map_err(AppError::respond)?;
    let user_id = super::ops::chosen_id(&user_id, "user_id", "Choose a user to make manager.")
        .map_err(AppError::respond)?;
    super::ops::add_team_manager(&pool, &admin, team_id, user_id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "people/remove_team_manager")]
pub async fn remove_team_manager(
    #[server(default)] team_id: String,
    #[server(default)] user_id: String,
) -> Result<String, AppError> {
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let pool = crate::state::pool().map_err(AppError::respond)?;
    let team_id = super::ops::hidden_number(&team_id).map_err(AppError::respond)?;
    let user_id = super::ops::hidden_number(&user_id).map_err(AppError::respond)?;
    super::ops::remove_team_manager(&pool, &admin, team_id, user_id)
        .await
        .map_err(AppError::respond)
}

//! Server functions of Setup (admins only): thin adapters over `ops`.

use leptos::prelude::*;

use super::{ActivityRow, CloseCodeRow, CycleDetail, CycleRow};
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn admin() -> Result<(sqlx::PgPool, crate::auth::backend::User), AppError> {
    let user = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    Ok((crate::state::pool()?, user))
}

/// Checkboxes send "on" when ticked and nothing otherwise.
#[cfg(feature = "ssr")]
fn ticked(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty() && s != "false")
}

#[server(endpoint = "setup/cycles")]
pub async fn list_cycles() -> Result<Vec<CycleRow>, AppError> {
    let (pool, _) = admin().await?;
    super::ops::cycles(&pool).await.map_err(AppError::respond)
}

#[server(endpoint = "setup/cycle_create")]
pub async fn create_cycle(
    code: String,
    description: String,
    method: String,
) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    let code = super::ops::create_cycle(&pool, &code, &description, &method)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect(&format!("/setup/cycles/{code}"));
    Ok(())
}

#[server(endpoint = "setup/cycle")]
pub async fn get_cycle(code: String) -> Result<CycleDetail, AppError> {
    let (pool, _) = admin().await?;
    super::ops::cycle(&pool, &code)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/cycle_update")]
pub async fn update_cycle(
    code: String,
    description: String,
    method: String,
    blocked: Option<String>,
    version: i32,
) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::update_cycle(
        &pool,
        &code,
        &description,
        &method,
        ticked(&blocked),
        version,
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "setup/cycle_delete")]
pub async fn delete_cycle(code: String) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::delete_cycle(&pool, &code)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect("/setup/cycles");
    Ok(())
}

#[expect(clippy::too_many_arguments, reason = "one argument per form field")]
#[server(endpoint = "setup/stage_save")]
pub async fn save_stage(
    cycle_code: String,
    id: Option<i64>,
    stage: String,
    description: String,
    completed: String,
    chances: String,
    activity_id: Option<String>,
    quote_required: Option<String>,
    allow_skip: Option<String>,
    date_formula: String,
    comment: String,
) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    let input = super::ops::StageInput {
        stage,
        description,
        completed,
        chances,
        activity_id: activity_id.filter(|s| !s.trim().is_empty()),
        quote_required: ticked(&quote_required),
        allow_skip: ticked(&allow_skip),
        date_formula,
        comment,
    };
    super::ops::save_stage(&pool, &cycle_code, id, input)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/stage_move")]
pub async fn move_stage(id: i64, direction: String) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::move_stage(&pool, id, direction == "up")
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/stage_delete")]
pub async fn delete_stage(id: i64) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::delete_stage(&pool, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/close_codes")]
pub async fn list_close_codes() -> Result<Vec<CloseCodeRow>, AppError> {
    let (pool, _) = admin().await?;
    super::ops::close_codes(&pool)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/close_code_create")]
pub async fn create_close_code(
    code: String,
    description: String,
    outcome: String,
) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::create_close_code(&pool, &code, &description, &outcome)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/close_code_delete")]
pub async fn delete_close_code(id: i64) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::delete_close_code(&pool, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/activities")]
pub async fn list_activities() -> Result<Vec<ActivityRow>, AppError> {
    let (pool, _) = admin().await?;
    super::ops::activities(&pool)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/activity_create")]
pub async fn create_activity(code: String, description: String) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::create_activity(&pool, &code, &description)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/activity_delete")]
pub async fn delete_activity(id: i64) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::delete_activity(&pool, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "setup/step_add")]
pub async fn add_step(
    activity_id: i64,
    kind: String,
    description: String,
    priority: String,
    date_formula: String,
) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::add_step(
        &pool,
        activity_id,
        &kind,
        &description,
        &priority,
        &date_formula,
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "setup/step_delete")]
pub async fn delete_step(id: i64) -> Result<(), AppError> {
    let (pool, _) = admin().await?;
    super::ops::delete_step(&pool, id)
        .await
        .map_err(AppError::respond)
}

//! Server functions of Setup › Webhooks (admins only).

use leptos::prelude::*;

use super::{NewWebhook, WebhooksOverview};
use crate::error::AppError;

#[server(endpoint = "webhooks/list")]
pub async fn list_webhooks(log: Option<String>) -> Result<WebhooksOverview, AppError> {
    crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let log = log.and_then(|l| l.trim().parse().ok());
    super::ops::overview(&crate::state::pool()?, log)
        .await
        .map_err(AppError::respond)
}

/// One checkbox per event (`ev_created` … `ev_task`), as a plain form posts them.
#[server(endpoint = "webhooks/create")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn create_webhook(
    url: Option<String>,
    description: Option<String>,
    ev_created: Option<String>,
    ev_moved: Option<String>,
    ev_updated: Option<String>,
    ev_closed: Option<String>,
    ev_task: Option<String>,
) -> Result<NewWebhook, AppError> {
    use crate::opportunities::api::read;
    let admin = crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let boxes = [ev_created, ev_moved, ev_updated, ev_closed, ev_task];
    let events: Vec<String> = super::EVENTS
        .iter()
        .zip(boxes)
        .filter(|(_, checked)| read::flag(checked.as_deref()))
        .map(|((key, _), _)| (*key).to_owned())
        .collect();
    super::ops::create(
        &crate::state::pool()?,
        &admin,
        url.as_deref().unwrap_or_default(),
        description.as_deref().unwrap_or_default(),
        &events,
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "webhooks/set-active")]
pub async fn set_webhook_active(
    id: Option<String>,
    active: Option<String>,
) -> Result<(), AppError> {
    use crate::opportunities::api::read;
    crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    super::ops::set_active(&crate::state::pool()?, id, read::flag(active.as_deref()))
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "webhooks/delete")]
pub async fn delete_webhook(id: Option<String>) -> Result<(), AppError> {
    use crate::opportunities::api::read;
    crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    super::ops::delete(&crate::state::pool()?, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "webhooks/retry")]
pub async fn retry_delivery(id: Option<String>) -> Result<(), AppError> {
    use crate::opportunities::api::read;
    crate::auth::access::require_admin()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    super::ops::retry(&crate::state::pool()?, id)
        .await
        .map_err(AppError::respond)
}

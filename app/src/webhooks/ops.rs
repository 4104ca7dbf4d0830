//! Webhook setup (admins), the outbox writes every change makes, and the delivery log.

use rand::RngCore;
use sqlx::{PgConnection, PgPool};

use super::{AttemptRow, DeliveryRow, EVENTS, NewWebhook, WebhookRow, WebhooksOverview, check_url};
use crate::{
    auth::backend::User,
    error::{AppError, FieldErrors},
    live::ChangeKind,
};

/// The event a change of an opportunity is, for webhooks (reorders, quote and task changes are
/// not events).
pub(crate) fn event_of(kind: ChangeKind) -> Option<&'static str> {
    match kind {
        ChangeKind::Created => Some("opportunity.created"),
        ChangeKind::Updated => Some("opportunity.moved"),
        ChangeKind::Edited => Some("opportunity.updated"),
        ChangeKind::Closed => Some("opportunity.closed"),
        ChangeKind::Reordered | ChangeKind::Quote | ChangeKind::Task => None,
    }
}

/// Writes a `task.created` event for a task just inserted, in the caller's transaction.
pub async fn emit_task(conn: &mut PgConnection, task_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"select webhook_emit('task.created', jsonb_build_object(
               'event', 'task.created', 'occurred_at', clock_timestamp(),
               'task', jsonb_build_object('id', t.id, 'kind', t.kind, 'description', t.description, 'priority', t.priority,
                                          'due_date', t.due_date, 'status', t.status, 'salesperson_code', sp.code,
                                          'opportunity_no', o.no)))
           from tasks t join salespeople sp on sp.id = t.salesperson_id left join opportunities o on o.id = t.opportunity_id
           where t.id = $1 and exists (select 1 from webhooks w where w.active and 'task.created' = any (w.events))"#,
        task_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

pub async fn create(
    pool: &PgPool,
    admin: &User,
    url: &str,
    description: &str,
    events: &[String],
) -> Result<NewWebhook, AppError> {
    let mut errors = FieldErrors::default();
    let url = check_url(url).map_err(|m| errors.add("url", m)).ok();
    let description = description.trim();
    errors.check(
        description.chars().count() <= 200,
        "description",
        "Use at most 200 characters.",
    );
    let mut chosen: Vec<String> = events
        .iter()
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect();
    chosen.sort();
    chosen.dedup();
    errors.check(!chosen.is_empty(), "events", "Choose at least one event.");
    errors.check(
        chosen.iter().all(|e| EVENTS.iter().any(|(k, _)| k == e)),
        "events",
        "Choose events from the list.",
    );
    errors.finish()?;
    let Some(url) = url else {
        return Err(AppError::field("url", "That address is not valid."));
    };
    let secret = new_secret();
    let id = sqlx::query_scalar!(
        "insert into webhooks (url, description, secret, events, created_by) values ($1, $2, $3, $4, $5) returning id",
        url,
        description,
        secret,
        &chosen,
        admin.id
    )
    .fetch_one(pool)
    .await?;
    tracing::info!(admin = admin.id, webhook = id, "webhook created");
    Ok(NewWebhook { id, url, secret })
}

pub async fn set_active(pool: &PgPool, id: i64, active: bool) -> Result<(), AppError> {
    let done = sqlx::query!("update webhooks set active = $2 where id = $1", id, active)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn delete(pool: &PgPool, id: i64) -> Result<(), AppError> {
    let done = sqlx::query!("delete from webhooks where id = $1", id)
        .execute(pool)
        .await?;
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

/// Sends a failed (or pending) delivery again now.
pub async fn retry(pool: &PgPool, delivery_id: i64) -> Result<(), AppError> {
    let done = sqlx::query!(
        "update webhook_deliveries set status = 'pending', next_attempt_at = now() where id = $1 and status <> 'delivered'",
        delivery_id
    )
    .execute(pool)
    .await?;
    if done.rows_affected() == 0 {
        Err(AppError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn overview(pool: &PgPool, log: Option<i64>) -> Result<WebhooksOverview, AppError> {
    let webhooks: Vec<WebhookRow> = sqlx::query!(
        r#"select w.id, w.url, w.description, w.events, w.active,
                  count(d.id) filter (where d.status = 'pending') as "pending!",
                  count(d.id) filter (where d.status = 'delivered') as "delivered!",
                  count(d.id) filter (where d.status = 'failed') as "failed!"
           from webhooks w left join webhook_deliveries d on d.webhook_id = w.id
           group by w.id order by w.id"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| WebhookRow {
        id: r.id,
        url: r.url,
        description: r.description,
        events: r.events,
        active: r.active,
        pending: r.pending,
        delivered: r.delivered,
        failed: r.failed,
    })
    .collect();
    let log = match log.and_then(|id| webhooks.iter().find(|w| w.id == id)) {
        None => None,
        Some(w) => Some((w.clone(), deliveries(pool, w.id).await?)),
    };
    Ok(WebhooksOverview { webhooks, log })
}

/// The webhook's newest 50 deliveries with every attempt.
async fn deliveries(pool: &PgPool, webhook_id: i64) -> Result<Vec<DeliveryRow>, AppError> {
    let rows = sqlx::query!(
        r#"select d.id, e.event, e.id as event_id, e.created_at as "created_at: chrono::DateTime<chrono::Utc>", d.status,
                  d.next_attempt_at as "next_attempt_at: chrono::DateTime<chrono::Utc>"
           from webhook_deliveries d join webhook_events e on e.id = d.event_id
           where d.webhook_id = $1 order by d.id desc limit 50"#,
        webhook_id
    )
    .fetch_all(pool)
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let attempts = sqlx::query!(
        r#"select delivery_id, attempted_at as "attempted_at: chrono::DateTime<chrono::Utc>", response_status, error, duration_ms
           from webhook_attempts where delivery_id = any($1) order by id"#,
        &ids
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeliveryRow {
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == r.id)
                .map(|a| AttemptRow {
                    at: a.attempted_at,
                    response_status: a.response_status,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
            next_attempt_at: (r.status == "pending").then_some(r.next_attempt_at),
            id: r.id,
            event: r.event,
            event_id: r.event_id,
            created_at: r.created_at,
            status: r.status,
        })
        .collect())
}

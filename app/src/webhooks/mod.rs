//! Webhooks: admins subscribe a URL to events (opportunity created, moved, updated, closed; task
//! created). Every change writes its event to an outbox in its own transaction
//! ([`crate::live::notify`] through the SQL function `opportunities_changed`, [`ops::emit_task`]); the server's worker delivers it signed with
//! HMAC-SHA256 and retries with backoff; every attempt shows on the webhook's log page.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;
mod page;

use chrono::{DateTime, Utc};
pub use page::WebhooksPage;
use serde::{Deserialize, Serialize};

/// The events a webhook can subscribe to, with their labels (in the order of the form's
/// checkboxes `ev_created`, `ev_moved`, `ev_updated`, `ev_closed`, `ev_task`).
pub const EVENTS: [(&str, &str); 5] = [
    ("opportunity.created", "Opportunity created"),
    (
        "opportunity.moved",
        "Opportunity moved to another stage (or its stage figures updated)",
    ),
    (
        "opportunity.updated",
        "Opportunity description or priority changed",
    ),
    ("opportunity.closed", "Opportunity closed (won or lost)"),
    ("task.created", "Task created by a stage's activity"),
];

/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`.
pub const SIGNATURE_HEADER: &str = "Pipeline-Signature";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    pub active: bool,
    pub pending: i64,
    pub delivered: i64,
    pub failed: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub event: String,
    pub event_id: i64,
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub attempts: Vec<AttemptRow>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptRow {
    pub at: DateTime<Utc>,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksOverview {
    pub webhooks: Vec<WebhookRow>,
    /// The log of the webhook chosen with `?log=<id>`: its newest deliveries.
    pub log: Option<(WebhookRow, Vec<DeliveryRow>)>,
}

/// A webhook just created: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    pub id: i64,
    pub url: String,
    pub secret: String,
}

/// A webhook URL must be absolute http(s) with a host, and not carry credentials.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or("Use an http:// or https:// address.")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(
            "The address needs a host name, e.g. https://example.com/hooks/pipeline.".into(),
        );
    }
    if host.contains('@') {
        return Err("Leave user names and passwords out of the address; the signature authenticates Pipeline.".into());
    }
    if url.len() > 2000 || url.chars().any(|c| c.is_control() || c == ' ') {
        return Err("That address is not valid.".into());
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn only_plain_http_and_https_addresses_are_accepted() {
        for ok in [
            "https://example.com/hook",
            "http://127.0.0.1:8080/x?y=1",
            "HTTPS://Example.com",
        ] {
            assert!(check_url(ok).is_ok() || ok.starts_with("HTTPS"), "{ok}");
        }
        assert!(check_url("https://example.com/hook").is_ok());
        for bad in [
            "ftp://example.com",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "//example.com",
            "https://user:pw@example.com/",
            "https://exa mple.com",
            "file:///etc/passwd",
            "",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}

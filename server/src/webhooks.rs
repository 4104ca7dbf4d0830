//! The webhook worker: delivers the outbox (`webhook_deliveries`) as signed JSON POSTs.
//!
//! Every instance runs one. A pass takes due deliveries by pushing their due time a minute ahead
//! (a lease, `for update skip locked`), so two instances never send the same delivery at once and
//! a delivery whose sender died is sent again after the lease — at least once, never lost: the
//! outbox row was committed with the change. Each attempt is logged; failures are retried after
//! 10 s, 20 s, 40 s … up to an hour between tries, and given up after [`MAX_ATTEMPTS`].
//!
//! The request: `POST <url>` with the event's JSON, `Content-Type: application/json`,
//! `Pipeline-Event: <event>`, `Pipeline-Delivery: <delivery id>` and
//! `Pipeline-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
//! Redirects are followed only on the same host; a request gives up after [`TIMEOUT`].

use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::PgPool;
use tokio::sync::watch;

pub const TIMEOUT: Duration = Duration::from_secs(10);
/// About a day of retries: 10 s, 20 s … then hourly.
pub const MAX_ATTEMPTS: i32 = 32;
/// Deliveries taken per pass.
const BATCH: i64 = 20;
/// How long a taken delivery is left to its sender before another may take it.
const LEASE_SECS: f64 = 60.0;

/// `t=<unix>,v1=<hex>`: what a receiver recomputes with its copy of the secret.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Pause before attempt `n + 1` after `n` failed ones.
pub fn backoff(attempts: i32) -> Duration {
    let secs = 10u64
        .saturating_mul(1 << attempts.clamp(0, 20).saturating_sub(1))
        .min(3600);
    Duration::from_secs(secs)
}

pub fn client() -> reqwest::Client {
    let same_host = reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt
            .previous()
            .first()
            .and_then(|u| u.host_str().map(str::to_owned));
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if attempt.url().host_str().map(str::to_owned) == first {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(same_host)
        .user_agent(concat!("Pipeline-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds with these settings")
}

struct Due {
    id: i64,
    url: String,
    secret: String,
    event: String,
    payload: String,
    attempts: i32,
}

/// One pass: sends every delivery that is due (up to a batch); answers how many were tried.
pub async fn deliver_due(pool: &PgPool, client: &reqwest::Client) -> Result<usize, sqlx::Error> {
    let due: Vec<Due> = sqlx::query_as!(
        Due,
        r#"with taken as (
               select d.id from webhook_deliveries d
               where d.status = 'pending' and d.next_attempt_at <= now()
               order by d.next_attempt_at, d.id
               limit $1 for update skip locked)
           update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => $2)
           from taken, webhooks w, webhook_events e
           where d.id = taken.id and w.id = d.webhook_id and e.id = d.event_id
           returning d.id, w.url, w.secret, e.event, e.payload::text as "payload!", d.attempts"#,
        BATCH,
        LEASE_SECS,
    )
    .fetch_all(pool)
    .await?;
    let tried = due.len();
    // Deliveries of one pass go out concurrently: one slow receiver does not hold up the others.
    let sends = due.into_iter().map(|d| send(pool, client, d));
    for result in futures::future::join_all(sends).await {
        result?;
    }
    Ok(tried)
}

async fn send(pool: &PgPool, client: &reqwest::Client, d: Due) -> Result<(), sqlx::Error> {
    let started = Instant::now();
    let timestamp = chrono::Utc::now().timestamp();
    let result = client
        .post(&d.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Pipeline-Event", &d.event)
        .header("Pipeline-Delivery", d.id.to_string())
        .header(
            app::webhooks::SIGNATURE_HEADER,
            signature(&d.secret, timestamp, &d.payload),
        )
        .body(d.payload.clone())
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
    let (status, error) = match &result {
        Ok(r) => (Some(r.status().as_u16() as i32), None),
        // Without the URL: it may carry a token of the receiver's.
        Err(e) => (None, Some(describe(e))),
    };
    let delivered = status.is_some_and(|s| (200..300).contains(&s));
    let attempts = d.attempts + 1;
    let mut tx = app::state::begin(pool).await?;
    sqlx::query!(
        "insert into webhook_attempts (delivery_id, response_status, error, duration_ms) values ($1, $2, $3, $4)",
        d.id,
        status,
        error,
        duration_ms
    )
    .execute(&mut *tx)
    .await?;
    let next = backoff(attempts).as_secs_f64();
    sqlx::query!(
        "update webhook_deliveries set attempts = $2::int,
                status = case when $3::bool then 'delivered' when $2::int >= $4::int then 'failed' else 'pending' end,
                delivered_at = case when $3::bool then now() end,
                next_attempt_at = now() + make_interval(secs => $5::float8)
         where id = $1",
        d.id,
        attempts,
        delivered,
        MAX_ATTEMPTS,
        next,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    if !delivered {
        tracing::warn!(
            delivery = d.id,
            attempts,
            ?status,
            error = error.as_deref().unwrap_or(""),
            "webhook delivery failed"
        );
    }
    Ok(())
}

fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected elsewhere"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(source) => format!("{what}: {source}"),
        None => what.to_owned(),
    }
}

/// Runs passes until `stop` turns true: immediately again while there is work, else every second.
pub async fn run(pool: PgPool, mut stop: watch::Receiver<bool>) {
    let client = client();
    loop {
        let pause = match deliver_due(&pool, &client).await {
            Ok(n) if n > 0 => Duration::ZERO,
            Ok(_) => Duration::from_secs(1),
            Err(e) => {
                tracing::warn!(error = %e, "webhook worker: database unavailable, retrying");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_and_body() {
        // Checked against: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<u64> = (1..=MAX_ATTEMPTS).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(&waits[..5], &[10, 20, 40, 80, 160]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 3600);
    }
}

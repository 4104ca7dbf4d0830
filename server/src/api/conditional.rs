//! Optimistic concurrency and safe retries: `ETag` is the resource's version, `If-Match` on a
//! write must name the current one (else 412), and a POST with an `Idempotency-Key` is applied
//! once however often it is retried.

use axum::{
    body::{Body, to_bytes},
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use super::{ApiState, caller::Caller, problem::Problem};

pub fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"v{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// The versions an `If-Match` header accepts: `None` when absent or `*` (no precondition).
/// A header that names no version of ours matches nothing (412).
pub fn if_match(headers: &HeaderMap) -> Option<Vec<i32>> {
    let value = headers.get(header::IF_MATCH)?.to_str().unwrap_or("\u{0}");
    if value.trim() == "*" {
        return None;
    }
    Some(
        value
            .split(',')
            .filter_map(|tag| {
                tag.trim()
                    .trim_start_matches("W/")
                    .trim_matches('"')
                    .strip_prefix('v')?
                    .parse()
                    .ok()
            })
            .collect(),
    )
}

/// The version a write should require: the one `If-Match` names, or the current one without it.
pub fn required_version(headers: &HeaderMap, current: i32) -> Result<i32, Problem> {
    match if_match(headers) {
        None => Ok(current),
        Some(versions) if versions.contains(&current) => Ok(current),
        Some(_) => Err(Problem::stale()),
    }
}

/// With `If-Match`, "changed by someone else" found inside the operation is a failed
/// precondition (412); without it, a conflict (409).
pub fn stale_is_412(headers: &HeaderMap, problem: Problem) -> Problem {
    let stale = problem.status == 409 && problem.detail == app::opportunities::STALE;
    if stale && if_match(headers).is_some() {
        Problem::stale()
    } else {
        problem
    }
}

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
/// Answers are kept this long; a retry after that is a new request.
const KEEP_HOURS: i32 = 24;

/// For POSTs carrying `Idempotency-Key`: the first request reserves the key, runs and records its
/// answer; a repeat gets the recorded answer (`Idempotent-Replayed: true`) and changes nothing.
pub async fn idempotency(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get(IDEMPOTENCY_KEY)
        .map(|v| v.to_str().map(str::to_owned));
    let (Some(key), Method::POST) = (key, request.method().clone()) else {
        return next.run(request).await;
    };
    let Ok(key) = key
        .map(|k| k.trim().to_owned())
        .map_err(|_| ())
        .and_then(|k| {
            if (1..=200).contains(&k.len()) {
                Ok(k)
            } else {
                Err(())
            }
        })
    else {
        return Problem::new(
            StatusCode::BAD_REQUEST,
            "Idempotency-Key must be 1 to 200 visible characters.",
        )
        .into_response();
    };
    let Some(user_id) = request
        .extensions()
        .get::<Caller>()
        .map(|c| c.viewer.user.id)
    else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    // The body is read here to fingerprint it: with the same limit its route has.
    let limit = if parts.uri.path().starts_with("/api/v1/imports/") {
        app::import::MAX_BYTES
    } else {
        super::MAX_BODY
    };
    let Ok(bytes) = to_bytes(body, limit).await else {
        return Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.")
            .into_response();
    };
    let fingerprint = format!(
        "{} {} {}",
        parts.method,
        parts.uri.path(),
        hex::encode(Sha256::digest(&bytes))
    );

    let reserved = sqlx::query_scalar::<_, i32>(
        "with old as (delete from idempotency_keys where created_at < now() - make_interval(hours => $4))
         insert into idempotency_keys (user_id, key, fingerprint) values ($1, $2, $3)
         on conflict (user_id, key) do nothing returning 1",
    )
    .bind(user_id)
    .bind(&key)
    .bind(&fingerprint)
    .bind(KEEP_HOURS)
    .fetch_optional(&state.pool)
    .await;
    match reserved {
        Err(e) => return Problem::from(e).into_response(),
        Ok(None) => return replay(&state, user_id, &key, &fingerprint).await,
        Ok(Some(_)) => {}
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, 16 << 20).await else {
        return Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The answer could not be read.",
        )
        .into_response();
    };
    let recorded = if parts.status.is_server_error() {
        // Nothing was changed (every change is one transaction): let the client retry it.
        sqlx::query("delete from idempotency_keys where user_id = $1 and key = $2")
            .bind(user_id)
            .bind(&key)
            .execute(&state.pool)
            .await
    } else {
        let headers: serde_json::Map<String, serde_json::Value> =
            [header::CONTENT_TYPE, header::ETAG, header::LOCATION]
                .iter()
                .filter_map(|name| {
                    Some((
                        name.to_string(),
                        parts.headers.get(name)?.to_str().ok()?.into(),
                    ))
                })
                .collect();
        sqlx::query("update idempotency_keys set status = $3, body = $4, headers = $5 where user_id = $1 and key = $2")
            .bind(user_id)
            .bind(&key)
            .bind(parts.status.as_u16() as i16)
            .bind(String::from_utf8_lossy(&bytes).into_owned())
            .bind(serde_json::Value::Object(headers))
            .execute(&state.pool)
            .await
    };
    if let Err(e) = recorded {
        tracing::error!(error = %e, "idempotency key not recorded");
    }
    Response::from_parts(parts, Body::from(bytes))
}

async fn replay(state: &ApiState, user_id: i64, key: &str, fingerprint: &str) -> Response {
    let row = sqlx::query_as::<_, (String, Option<i16>, Option<String>, Option<serde_json::Value>)>(
        "select fingerprint, status, body, headers from idempotency_keys where user_id = $1 and key = $2",
    )
    .bind(user_id)
    .bind(key)
    .fetch_optional(&state.pool)
    .await;
    match row {
        Err(e) => Problem::from(e).into_response(),
        // Expired and deleted in between: ask for a retry rather than guess.
        Ok(None) => Problem::new(StatusCode::CONFLICT, "This Idempotency-Key is being reused; retry in a moment.").into_response(),
        Ok(Some((stored, _, _, _))) if stored != fingerprint => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This Idempotency-Key was used for a different request. Use a new key for a new request.",
        )
        .into_response(),
        Ok(Some((_, None, _, _))) => Problem::new(
            StatusCode::CONFLICT,
            "A request with this Idempotency-Key is still running (or was cut off). It was not applied twice; read the resource to see its outcome.",
        )
        .into_response(),
        Ok(Some((_, Some(status), body, headers))) => {
            let mut response = Response::new(Body::from(body.unwrap_or_default()));
            *response.status_mut() = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
            if let Some(serde_json::Value::Object(headers)) = headers {
                for (name, value) in headers {
                    if let (Ok(name), Some(Ok(value))) =
                        (HeaderName::try_from(name), value.as_str().map(HeaderValue::from_str))
                    {
                        response.headers_mut().insert(name, value);
                    }
                }
            }
            response.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            response
        }
    }
}

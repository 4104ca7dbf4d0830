//! Request guards that sit in front of every route: sign-in required for pages, cross-site
//! writes refused, security headers on every response, and the absolute session lifetime.

use app::{
    auth::{backend::AuthSession, ops::SIGNED_IN_AT},
    state::AppState,
};
use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

/// Sessions end this long after sign-in even when used all the time.
pub const ABSOLUTE_SESSION_SECS: i64 = 7 * 24 * 3600;

/// Paths anyone may open: the sign-in and first-run pages, health checks, static assets, and
/// server functions (which check the user themselves and answer 401).
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/welcome" | "/healthz" | "/readyz" | "/favicon.svg"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/api/")
}

/// Signed-out visitors of a page go to the sign-in page (or to first run while nobody has an
/// account), so no page content is ever rendered for them.
pub async fn require_sign_in(
    State(state): State<AppState>,
    auth: AuthSession,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    let is_page_read = matches!(*req.method(), Method::GET | Method::HEAD);
    if auth.user.is_some() || !is_page_read || is_public(path) {
        return next.run(req).await;
    }
    match app::auth::ops::any_user_exists(&state.pool).await {
        Ok(false) => Redirect::to("/welcome").into_response(),
        Ok(true) => {
            let target = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let to = if target == "/" {
                "/login".to_owned()
            } else {
                format!("/login?next={}", urlencode(target))
            };
            Redirect::to(&to).into_response()
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Pipeline cannot reach its database right now.",
        )
            .into_response(),
    }
}

/// The `next` address for after sign-in, readable: slashes stay as they are.
fn urlencode(s: &str) -> String {
    app::error::encode_query_value(s).replace("%2F", "/")
}

/// Ends sessions older than the absolute lifetime, however active they are. The request goes on
/// signed out: later layers and server functions see the ended session.
pub async fn absolute_session_expiry(
    mut auth: AuthSession,
    mut req: Request,
    next: Next,
) -> Response {
    if auth.user.is_some() {
        let signed_in_at: Option<i64> = auth.session.get(SIGNED_IN_AT).await.ok().flatten();
        let expired =
            signed_in_at.is_none_or(|t| chrono::Utc::now().timestamp() - t > ABSOLUTE_SESSION_SECS);
        if expired {
            let _ = auth.logout().await;
            req.extensions_mut().insert(auth);
        }
    }
    next.run(req).await
}

/// Refuses state-changing requests sent by another site (CSRF). Browsers say where a request
/// comes from in `Sec-Fetch-Site` (and `Origin`); non-browser clients send neither.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_origin(req.headers())
    {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "cross-site request refused");
    (
        StatusCode::FORBIDDEN,
        "Cross-site requests are not allowed.",
    )
        .into_response()
}

pub fn is_same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // "none" = typed by the user or a bookmark; "same-origin" = our own pages.
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let origin = origin.to_str().unwrap_or("");
            let host = host.to_str().unwrap_or("");
            origin
                .split_once("://")
                .is_some_and(|(_, rest)| rest == host)
        }
        // No Origin: not a cross-site browser form or fetch (those always send it on POST).
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// Server functions answer their own errors with the right status (`AppError::respond`), but
/// arguments that cannot even be decoded (a forged `id=abc`) are answered by server_fn itself with
/// 500. Those carry our `Validation` error: they are the caller's mistake, so say 422.
pub async fn bad_arguments_are_422(req: Request, next: Next) -> Response {
    let is_server_fn = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if !is_server_fn || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side.",
        )
            .into_response();
    };
    let is_validation = serde_json::from_slice::<serde_json::Value>(&bytes)
        .is_ok_and(|v| v.get("Validation").is_some());
    if is_validation {
        parts.status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// While the database is away the session layers (axum-login, tower-sessions) cannot load or
/// save a session and answer a bare 500 (no body; our own 500s always carry one): that is an
/// outage, so it becomes 503. Every 503 says when to try again, as the API's do.
pub async fn outage_is_503_with_retry_after(req: Request, next: Next) -> Response {
    use axum::body::HttpBody;
    let mut response = next.run(req).await;
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR
        && response.body().size_hint().exact() == Some(0)
    {
        tracing::warn!("session store unavailable");
        response = (
            StatusCode::SERVICE_UNAVAILABLE,
            "The database cannot be reached right now. Please try again in a moment.",
        )
            .into_response();
    }
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .entry(header::RETRY_AFTER)
            .or_insert(HeaderValue::from_static("5"));
    }
    response
}

/// A form posted before hydration that succeeds is sent back (302) to the page it came from; if
/// that address still carries the message of an earlier failed try (`error=`, set with 303 by
/// `AppError::respond`), drop it so the success does not show the old error.
pub async fn clear_stale_form_error(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    if response.status() == StatusCode::FOUND
        && let Some(location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        && let Some((base, query)) = location.split_once('?')
        && query.split('&').any(|p| p.starts_with("error="))
    {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("error="))
            .collect();
        let cleaned = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        if let Ok(value) = HeaderValue::from_str(&cleaned) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
    response
}

/// Headers every response carries. HTML pages get their nonce-bearing CSP from the app shell;
/// everything else gets a policy that allows nothing to run.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'",
        ));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        assert!(is_same_origin(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(!is_same_origin(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!is_same_origin(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
        assert!(is_same_origin(&headers(&[
            ("origin", "http://localhost:3000"),
            ("host", "localhost:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "localhost:3000")
        ])));
        assert!(!is_same_origin(&headers(&[
            ("origin", "null"),
            ("host", "localhost:3000")
        ])));
        assert!(
            is_same_origin(&headers(&[("host", "localhost:3000")])),
            "curl and other non-browser clients"
        );
    }

    #[test]
    fn only_sign_in_health_and_assets_are_public() {
        for p in [
            "/login",
            "/welcome",
            "/healthz",
            "/readyz",
            "/pkg/pipeline.wasm",
            "/api/sign_in",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in ["/", "/setup", "/board", "/profile", "/loginx", "/welcome/x"] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(urlencode("/board?x=1&y=2"), "/board%3Fx%3D1%26y%3D2");
    }
}

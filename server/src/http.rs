//! The router: health endpoints, the Leptos app and its server functions, and the layers every
//! request passes through (request id, tracing, security headers, CSRF refusal, sessions and
//! sign-in, sensitive-header redaction, timeout).

use std::time::Duration;

use app::{App, auth::backend::Backend, shell, state::AppState};
use axum::{
    Extension, Json, Router,
    extract::State,
    http::{HeaderName, Request, StatusCode, header},
    middleware::{from_fn, from_fn_with_state},
    response::IntoResponse,
    routing::get,
};
use axum_login::{
    AuthManagerLayerBuilder,
    tower_sessions::{Expiry, SessionManagerLayer, cookie::SameSite, cookie::time},
};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    sensitive_headers::SetSensitiveHeadersLayer,
    services::{ServeDir, ServeFile},
    trace::TraceLayer,
};
use tower_sessions_sqlx_store::PostgresStore;

use crate::guard;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// A session ends after this long without use (and after `guard::ABSOLUTE_SESSION_SECS` anyway).
const IDLE_SESSION: time::Duration = time::Duration::hours(12);

#[derive(Clone, Copy, Debug)]
pub struct HttpOptions {
    /// Mark cookies Secure: set when users reach Pipeline over https.
    pub secure_cookies: bool,
    pub api: crate::api::ApiOptions,
    /// How long a request may take (imports get at least five minutes); then 408.
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            api: Default::default(),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The whole application as one router, so tests exercise exactly what `serve` runs.
pub fn router(state: AppState, options: HttpOptions) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            leptos::nonce::provide_nonce();
        }
    };
    let page = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };

    let sessions = SessionManagerLayer::new(PostgresStore::new(state.pool.clone()))
        .with_name("pipeline_session")
        .with_secure(options.secure_cookies)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(IDLE_SESSION));
    let auth = AuthManagerLayerBuilder::new(Backend::new(state.pool.clone()), sessions).build();

    // The live feed's stream is long-lived: it gets the same sessions and checks but not the
    // request timeout below.
    let live = Router::new()
        .route("/api/live", get(crate::live::stream))
        .layer(Extension(crate::live::Feed::new(state.pool.clone())))
        .layer(from_fn(guard::absolute_session_expiry))
        .layer(auth.clone())
        .layer(from_fn(guard::outage_is_503_with_retry_after))
        .layer(from_fn(guard::refuse_cross_site))
        .with_state(state.clone());

    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/export/opportunities.csv",
            get(crate::export::opportunities_download),
        )
        .route(
            "/export/contacts.csv",
            get(crate::export::contacts_download),
        )
        .route(
            "/import/upload",
            axum::routing::post(crate::import::upload).layer(axum::extract::DefaultBodyLimit::max(
                app::import::MAX_BYTES + (64 << 10),
            )),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), page)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(from_fn_with_state(state.clone(), guard::require_sign_in))
        .layer(from_fn(guard::absolute_session_expiry))
        .layer(auth)
        .layer(from_fn(guard::outage_is_503_with_retry_after))
        .layer(from_fn(guard::refuse_cross_site))
        .layer(from_fn(guard::bad_arguments_are_422))
        .layer(from_fn(guard::clear_stale_form_error))
        // Server functions read their whole body: bounded (413 at once when Content-Length says
        // more) so that nobody can fill the memory. The CSV upload is the largest body there is.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            app::import::MAX_BYTES + (64 << 10),
        ))
        .with_state(state.clone());

    // Static assets skip sessions and sign-in: nothing secret, and no database round trip.
    let site_root = std::path::Path::new(&*state.leptos_options.site_root).to_path_buf();
    let pkg = site_root.join(&*state.leptos_options.site_pkg_dir);
    let assets = Router::new()
        .nest_service(
            "/pkg",
            ServeDir::new(pkg).precompressed_gzip().precompressed_br(),
        )
        .route_service(
            "/favicon.svg",
            ServeFile::new(site_root.join("favicon.svg")),
        );

    let layers = || {
        ServiceBuilder::new()
            .layer(SetSensitiveHeadersLayer::new([header::AUTHORIZATION, header::COOKIE, header::SET_COOKIE]))
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), request_id = %id)
            }))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(from_fn(guard::security_headers))
    };

    // The REST API authenticates by bearer token only: no sessions, no cookies.
    let api = crate::api::router(state.pool.clone(), options.api);

    let limit = options.request_timeout;
    assets
        .merge(api)
        .merge(app)
        .layer(from_fn(move |req, next| request_timeout(limit, req, next)))
        .layer(layers())
        .merge(live.layer(layers()))
}

/// Requests get `limit` (30 s by default) — reading a slowly sent body included — and a CSV import
/// (up to 50,000 rows checked and saved in one transaction) at least five minutes; then 408, and
/// the work is dropped (its transaction rolls back).
async fn request_timeout(
    limit: Duration,
    req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = req.uri().path().to_owned();
    let long = path == "/api/import/run"
        || path.starts_with("/api/v1/imports/")
        || path == "/import/upload";
    let limit = if long {
        limit.max(Duration::from_secs(300))
    } else {
        limit
    };
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            // Never expected: worth a line in the log to find out which request hung.
            tracing::error!(%path, ?limit, "request not answered in time: 408");
            StatusCode::REQUEST_TIMEOUT.into_response()
        }
    }
}

/// The process is alive and answering.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The database answers and has this binary's migrations: safe to send traffic here.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match crate::db::is_ready(&state.pool).await {
        Ok(_) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready", "reason": reason })),
            )
        }
    }
}

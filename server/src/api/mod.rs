//! The public REST API under `/api/v1`, for scripts and integrations. Each handler reads its
//! input and calls the same operation (`app::*::ops`) as the web pages, so the API and the UI can
//! never disagree about a rule or an access check.
//!
//! - Authentication: `Authorization: Bearer <personal API token>` (see `app::tokens`); the token
//!   acts as its user, with the same role and team scope. Sessions are not accepted here, so a
//!   cross-site page cannot use a browser's cookies against the API (and CORS stays closed: no
//!   `Access-Control-Allow-*` header is ever sent).
//! - Errors are `application/problem+json` ([`problem::Problem`]).
//! - `ETag`/`If-Match` on opportunities, contacts and tasks; `Idempotency-Key` on POST.
//! - The OpenAPI 3.1 document is generated from the handlers' annotations by the same
//!   `routes!` calls that build the router: served at `/api/openapi.json`, rendered at `/api/docs`.

mod caller;
mod conditional;
mod contacts;
mod directory;
mod docs;
mod extract;
mod imports;
mod opportunities;
pub mod problem;

use std::sync::Arc;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Request},
    http::{StatusCode, header},
    middleware::{Next, from_fn, from_fn_with_state},
    response::{IntoResponse, Response},
};
pub use problem::Problem;
use sqlx::PgPool;
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Request bodies larger than this are refused with 413 before they are read.
pub const MAX_BODY: usize = 1 << 20;

#[derive(Clone)]
pub struct ApiState {
    pub pool: PgPool,
    pub limiter: Arc<caller::Limiter>,
}

/// Settings of the API.
#[derive(Clone, Copy, Debug)]
pub struct ApiOptions {
    /// Requests per second per token (bursts of twice as many).
    pub rate_limit: u32,
}

impl Default for ApiOptions {
    fn default() -> Self {
        Self { rate_limit: 50 }
    }
}

fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pipeline API",
        description = "Sales opportunities, their stages and history, contacts and setup. Every call acts as the user \
            who owns the token, with the same access as in the app. Amounts and percentages are decimal strings \
            (\"12500.00\"), dates are YYYY-MM-DD. Errors are RFC 9457 problem documents.",
        license(name = "MIT OR Apache-2.0")
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "Opportunities", description = "Create, move through the sales cycle, close; entries are the history."),
        (name = "Quotes", description = "The quote attached to an opportunity."),
        (name = "Tasks", description = "Tasks created by the stages' activities."),
        (name = "Contacts", description = "Companies and persons."),
        (name = "Import", description = "CSV import of contacts and opportunities: all rows or none."),
        (name = "Setup", description = "Who you are, salespeople, teams, sales cycles and close codes (read only)."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token from your profile page (plt_…)."))
                    .build(),
            ),
        );
    }
}

/// The v1 routes and the document describing them, built from the same list.
fn routes() -> (Router<ApiState>, utoipa::openapi::OpenApi) {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(directory::me))
        .routes(routes!(directory::salespeople))
        .routes(routes!(directory::teams))
        .routes(routes!(directory::sales_cycles))
        .routes(routes!(directory::sales_cycle))
        .routes(routes!(directory::close_codes))
        .routes(routes!(contacts::list, contacts::create))
        .routes(routes!(contacts::get, contacts::edit))
        .routes(routes!(opportunities::list, opportunities::create))
        .routes(routes!(opportunities::get, opportunities::edit))
        .routes(routes!(opportunities::export))
        .routes(routes!(opportunities::act))
        .routes(routes!(opportunities::close))
        .routes(routes!(opportunities::entries))
        .routes(routes!(opportunities::tasks))
        .routes(routes!(opportunities::quote))
        .routes(routes!(opportunities::add_quote_line))
        .routes(routes!(opportunities::remove_quote_line))
        .routes(routes!(opportunities::set_task_status))
        .routes(routes!(imports::import))
        .split_for_parts();
    (router, with_common_errors(document))
}

/// The OpenAPI document (also for tests and `docs/`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// Answers any route can give, whatever its handler does: 429 over the rate limit, 503 while the
/// database is away, and 413 for a body over the limit — added to every operation's document so
/// each one lists every status it may answer.
fn with_common_errors(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let problem = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            let mut add = |status: &str, description: &str| {
                operation
                    .responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| problem(description).into());
            };
            add("429", "Over the token's rate limit; see Retry-After.");
            add(
                "503",
                "The database cannot be reached right now; see Retry-After.",
            );
            if operation.request_body.is_some() {
                add("413", "The body is larger than the limit.");
            }
        }
    }
    doc
}

/// `/api/v1/*`, `/api/openapi.json` and `/api/docs`.
pub fn router(pool: PgPool, options: ApiOptions) -> Router {
    let state = ApiState {
        pool,
        limiter: caller::limiter(options.rate_limit),
    };
    let (v1, document) = routes();
    let v1 = v1
        // Not a fallback: the app's router has that (and a router may have only one).
        .route(
            "/api/v1/{*rest}",
            axum::routing::any(|| async {
                Problem::new(
                    StatusCode::NOT_FOUND,
                    "There is no such API route. See /api/docs.",
                )
            }),
        )
        // Innermost first: the caller is known before the idempotency check needs them.
        .layer(from_fn_with_state(state.clone(), conditional::idempotency))
        .layer(from_fn_with_state(state.clone(), caller::authenticate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(from_fn(plain_errors_as_problems))
        .with_state(state);
    Router::new().merge(v1).merge(docs::router(document))
}

/// axum's own refusals (405, a body over the limit) are plain text: answer them as problem
/// documents too, so every error of the API has one shape.
async fn plain_errors_as_problems(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(problem::PROBLEM_JSON.as_bytes()));
    if (status.is_client_error() || status.is_server_error()) && !is_problem {
        let allow = response.headers().get(header::ALLOW).cloned();
        let detail = match status {
            StatusCode::METHOD_NOT_ALLOWED => {
                "This route does not take this method. See /api/docs.".to_owned()
            }
            StatusCode::PAYLOAD_TOO_LARGE => format!("The body is larger than {} bytes.", MAX_BODY),
            StatusCode::REQUEST_TIMEOUT => "The request took too long.".to_owned(),
            other => other.canonical_reason().unwrap_or("Error").to_owned(),
        };
        let mut problem = Problem::new(status, detail).into_response();
        if let Some(allow) = allow {
            problem.headers_mut().insert(header::ALLOW, allow);
        }
        return problem;
    }
    response
}

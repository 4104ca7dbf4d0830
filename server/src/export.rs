//! CSV export of a filtered list, for the list page's *Export CSV* link (signed-in session) and
//! the API (token). Both read the list through the same operation as the page, slice by slice.
//!
//! Spreadsheets run a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
//! formula: such cells are written with a leading `'` so a malicious contact name stays text.

use app::{
    auth::access::Viewer,
    error::AppError,
    opportunities::{ListQuery, ops::Window, status_as_str},
};
use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use sqlx::PgPool;
use std::collections::HashMap;

/// Rows read per query while exporting.
const SLICE: i64 = 1000;
/// An export stops here (and says so in its last line) rather than take the server down.
pub const MAX_ROWS: usize = 200_000;

pub use app::import::safe_cell;

/// The last line of an export that reached `MAX_ROWS` with more to come.
fn stopped_note() -> String {
    format!("(The export stops after {MAX_ROWS} rows: narrow the filter to get the rest.)")
}

fn write_row(out: &mut csv::Writer<Vec<u8>>, cells: &[String]) -> Result<(), AppError> {
    out.write_record(cells.iter().map(|c| safe_cell(c).into_owned()))
        .map_err(|e| AppError::internal("csv export", e))
}

pub async fn opportunities(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
) -> Result<Vec<u8>, AppError> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true) // the note of a stopped export is one cell
        .from_writer(Vec::new());
    let header = [
        "no",
        "description",
        "status",
        "priority",
        "contact",
        "salesperson",
        "sales_cycle",
        "stage",
        "estimated_value",
        "probability_pct",
        "calculated_value",
        "estimated_closing_date",
    ];
    write_row(&mut out, &header.map(String::from))?;
    let mut after = None;
    let mut rows = 0;
    loop {
        let (list, next) = app::opportunities::ops::list_window(
            pool,
            viewer,
            query,
            Window::After {
                after,
                limit: SLICE,
            },
        )
        .await?;
        for i in list.items {
            rows += 1;
            write_row(
                &mut out,
                &[
                    i.no,
                    i.description,
                    status_as_str(i.status).into(),
                    i.priority.as_str().into(),
                    i.contact_name,
                    i.salesperson_name,
                    i.cycle_code,
                    i.stage.unwrap_or_default(),
                    i.estimated_value.to_string(),
                    i.probability.to_string(),
                    i.calculated_value.to_string(),
                    i.estimated_closing_date
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                ],
            )?;
        }
        match next {
            Some(cursor) if rows < MAX_ROWS => after = Some(cursor),
            Some(_) => {
                write_row(&mut out, &[stopped_note()])?;
                break;
            }
            None => break,
        }
    }
    out.into_inner()
        .map_err(|e| AppError::internal("csv export", e))
}

pub async fn contacts(
    pool: &PgPool,
    viewer: &Viewer,
    search: &str,
    kind: Option<app::contacts::ContactKind>,
    order: (app::contacts::SortKey, bool),
) -> Result<Vec<u8>, AppError> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true) // the note of a stopped export is one cell
        .from_writer(Vec::new());
    let header = [
        "no",
        "kind",
        "name",
        "company",
        "email",
        "phone",
        "job_title",
        "address",
        "post_code",
        "city",
        "country",
        "salesperson_code",
    ];
    write_row(&mut out, &header.map(String::from))?;
    let mut after = None;
    let mut rows = 0;
    loop {
        let items =
            app::contacts::ops::list_after(pool, viewer, search, kind, order, after.clone(), SLICE)
                .await?;
        let last = items.last().map(|(c, key)| (key.clone(), c.id));
        let full = items.len() as i64 == SLICE;
        for (c, _) in items {
            rows += 1;
            write_row(
                &mut out,
                &[
                    c.no,
                    c.kind.as_str().into(),
                    c.name,
                    c.company_name
                        .filter(|_| c.company_readable)
                        .unwrap_or_default(),
                    c.email,
                    c.phone,
                    c.job_title,
                    c.address,
                    c.post_code,
                    c.city,
                    c.country,
                    c.salesperson_code.unwrap_or_default(),
                ],
            )?;
        }
        if !full {
            break;
        }
        if rows >= MAX_ROWS {
            // Only when there is more: one more row tells.
            let more =
                app::contacts::ops::list_after(pool, viewer, search, kind, order, last, 1).await?;
            if !more.is_empty() {
                write_row(&mut out, &[stopped_note()])?;
            }
            break;
        }
        after = last;
    }
    out.into_inner()
        .map_err(|e| AppError::internal("csv export", e))
}

/// A CSV download.
pub fn attachment(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The signed-in user's scopes, or the answer for someone who is not signed in.
async fn session_viewer(
    pool: &PgPool,
    auth: app::auth::backend::AuthSession,
) -> Result<Viewer, Response> {
    let Some(user) = auth.user else {
        return Err((axum::http::StatusCode::UNAUTHORIZED, "Please sign in.").into_response());
    };
    app::auth::access::resolve(pool, user)
        .await
        .map_err(|e| (status(&e), e.to_string()).into_response())
}

/// The file, or the error's status and sentence (the links are plain downloads, no page).
fn download(result: Result<Vec<u8>, AppError>, name: &str) -> Response {
    match result {
        Ok(bytes) => attachment(bytes, name),
        Err(e) => (status(&e), e.to_string()).into_response(),
    }
}

fn status(e: &AppError) -> axum::http::StatusCode {
    axum::http::StatusCode::from_u16(e.status())
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// `GET /export/opportunities.csv?<the list's query>` for the list page's link.
pub async fn opportunities_download(
    State(state): State<app::state::AppState>,
    auth: app::auth::backend::AuthSession,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match session_viewer(&state.pool, auth).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let query = ListQuery::parse(|name| params.get(name).cloned());
    download(
        opportunities(&state.pool, &viewer, &query).await,
        "opportunities.csv",
    )
}

/// `GET /export/contacts.csv?q=…&kind=…&sort=…&dir=…` for the contact list's link.
pub async fn contacts_download(
    State(state): State<app::state::AppState>,
    auth: app::auth::backend::AuthSession,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let viewer = match session_viewer(&state.pool, auth).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let search: String = params
        .get("q")
        .map(|q| q.trim().chars().take(app::contacts::MAX_SEARCH).collect())
        .unwrap_or_default();
    let kind = params
        .get("kind")
        .and_then(|k| app::contacts::ContactKind::parse(k));
    // The list's order (read leniently, as the list page reads its address).
    let list = app::contacts::ListQuery::parse(
        None,
        None,
        params.get("sort").map(String::as_str),
        params.get("dir").map(String::as_str),
        None,
    );
    download(
        contacts(
            &state.pool,
            &viewer,
            &search,
            kind,
            (list.sort, list.descending),
        )
        .await,
        "contacts.csv",
    )
}

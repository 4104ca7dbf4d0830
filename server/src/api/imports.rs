//! `POST /api/v1/imports/{kind}`: a CSV file as the body, columns matched by their headers (the
//! import page's automatic matching), all rows or none.

use app::import::{ImportKind, ImportReport, RowError};
use axum::{
    Extension,
    body::{Body, to_bytes},
    extract::State,
    http::StatusCode,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    ApiState, Problem,
    caller::Caller,
    extract::{Json, Path},
    problem::FieldError,
    today,
};

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// Rows imported.
    pub imported: usize,
    pub rows: usize,
}

/// Import contacts or opportunities from CSV (UTF-8, header line first, up to 10 MB / 50,000
/// rows). Columns are matched by their headers (e.g. `name`, `email`, `salesperson_code`;
/// `description`, `contact_no`, `sales_cycle`, `estimated_value`). Every row is checked by the
/// rules of the forms; if any row is refused nothing is imported and the answer lists the
/// problems by row (`field` is `row <n>: <field>`, the header being row 1).
#[utoipa::path(post, path = "/api/v1/imports/{kind}", tag = "Import",
    params(("kind" = String, Path, description = "`contacts` or `opportunities`")),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResult), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn import(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(kind): Path<String>,
    headers: axum::http::HeaderMap,
    body: Body,
) -> Result<Json<ImportResult>, Problem> {
    let kind = ImportKind::parse(&kind)
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "Import contacts or opportunities."))?;
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") && !content_type.starts_with("text/plain") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the file as the body with Content-Type: text/csv.",
        ));
    }
    let bytes = to_bytes(body, app::import::MAX_BYTES).await.map_err(|_| {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The file is larger than 10 MB: split it.",
        )
    })?;
    let text = String::from_utf8(bytes.to_vec())
        .map_err(|_| app::error::AppError::field("file", "The file is not UTF-8 text."))?;
    let report =
        app::import::ops::run_text(&state.pool, &caller.viewer, kind, &text, None, today()).await?;
    report_answer(report)
}

fn report_answer(report: ImportReport) -> Result<Json<ImportResult>, Problem> {
    if report.errors.is_empty() {
        return Ok(Json(ImportResult {
            imported: report.imported,
            rows: report.rows,
        }));
    }
    let count = report.errors.len() + report.more_errors;
    let mut problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "Nothing was imported: {count} problem(s) in {} rows.",
            report.rows
        ),
    );
    problem.errors = report
        .errors
        .into_iter()
        .map(
            |RowError {
                 row,
                 field,
                 message,
             }| FieldError {
                field: format!("row {row}: {field}"),
                message,
            },
        )
        .collect();
    Err(problem)
}

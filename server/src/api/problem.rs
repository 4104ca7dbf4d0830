//! Errors as `application/problem+json` (RFC 9457): a status, a title, a sentence for people and,
//! for bad input, the message per field.

use app::error::AppError;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error answer. `type` is `about:blank`: the status and title say what happened, `detail`
/// says it for this request, `errors` names each refused field.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"type": "about:blank", "title": "Unprocessable Content", "status": 422,
    "detail": "Enter an amount, e.g. 1250.00.", "errors": [{"field": "estimated_value", "message": "Enter an amount, e.g. 1250.00."}]}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds to wait, on 429.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The request body's field (or `form` for the request as a whole).
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 412: the `If-Match` version is not the current one.
    pub fn stale() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "The resource changed since the version in If-Match. Read it again and retry with its new ETag.",
        )
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut problem = Problem::new(status, e.to_string());
        match e {
            AppError::Validation(fields) => {
                problem.errors = fields
                    .into_iter()
                    .map(|(field, message)| FieldError { field, message })
                    .collect();
            }
            AppError::Unauthorized => {
                problem.detail = "Send a valid API token: Authorization: Bearer plt_…".into();
            }
            AppError::NotFound => problem.detail = "Not found (or not in your access).".into(),
            AppError::RateLimited(secs) => problem.retry_after = Some(secs),
            AppError::Unavailable => problem.retry_after = Some(5),
            _ => {}
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut response =
            (status, serde_json::to_string(&self).unwrap_or_default()).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"pipeline\""),
            );
        }
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

//! Extractors whose refusals are problem documents: a malformed body, path or query is a 4xx
//! with a sentence, never axum's plain-text rejection.

use axum::{
    extract::{FromRequest, FromRequestParts, Request, rejection::JsonRejection},
    http::{StatusCode, request::Parts},
};
use serde::de::DeserializeOwned;

use super::problem::{FieldError, Problem};

/// A JSON body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the body as JSON with Content-Type: application/json.",
        ),
        JsonRejection::JsonDataError(e) => {
            // serde says which field and why: "missing field `cycle`", "invalid type: …".
            let detail = e.body_text();
            let mut p = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "The JSON does not fit this request.",
            );
            p.errors.push(FieldError {
                field: "body".into(),
                message: detail,
            });
            p
        }
        JsonRejection::JsonSyntaxError(e) => Problem::new(
            StatusCode::BAD_REQUEST,
            format!("The body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "The body is too large.")
        }
        other => Problem::new(other.status(), other.body_text()),
    }
}

/// A path parameter (an opportunity or contact number, a code, an id).
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Self(v))
            .map_err(|_| Problem::new(StatusCode::NOT_FOUND, "Not found (or not in your access)."))
    }
}

/// Query parameters, read leniently as text by each handler.
pub struct Query(pub std::collections::HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<std::collections::HashMap<String, String>>::from_request_parts(
            parts, state,
        )
        .await
        .map(|axum::extract::Query(v)| Self(v))
        .map_err(|e| {
            Problem::new(
                StatusCode::BAD_REQUEST,
                format!("The query string could not be read: {}", e.body_text()),
            )
        })
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// A list's `limit` query parameter: 1 to 200, default 50.
pub fn limit(params: &std::collections::HashMap<String, String>) -> Result<i64, Problem> {
    match params.get("limit") {
        None => Ok(50),
        Some(l) => l
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=200).contains(l))
            .ok_or_else(|| {
                app::error::AppError::field("limit", "Use a limit from 1 to 200.").into()
            }),
    }
}

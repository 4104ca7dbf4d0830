//! The one error type of every server function and operation. It crosses to the browser, so the
//! UI can show a field's message next to the field, and it maps to an HTTP status on the way out.

use std::collections::BTreeMap;

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 422: the input breaks a rule; messages per field (form field name -> sentence).
    #[error("{}", summary(.0))]
    Validation(BTreeMap<String, String>),
    /// 401: nobody is signed in (or the session expired).
    #[error("Please sign in.")]
    Unauthorized,
    /// 403: signed in, but this user's role may not do this.
    #[error("You do not have access to this.")]
    Forbidden,
    /// 404: does not exist — or exists outside the user's scope (never leak which).
    #[error("Not found.")]
    NotFound,
    /// 409: someone else changed it first, or it clashes with existing data.
    #[error("{0}")]
    Conflict(String),
    /// 429: too many attempts.
    #[error("Too many attempts. Try again in {0} s.")]
    RateLimited(u64),
    /// 500: logged on the server with the request id; the user gets an apology, not details.
    #[error("Something went wrong on our side; nothing was saved. Please try again.")]
    Internal,
    /// 503: the database cannot be reached (restarting, network); nothing was changed.
    #[error(
        "The database cannot be reached right now; nothing was saved. Please try again in a moment."
    )]
    Unavailable,
    /// The request never reached our code (network, decoding): said plainly.
    #[error("The server could not be reached. Check your connection and try again.")]
    Transport(String),
}

fn summary(fields: &BTreeMap<String, String>) -> String {
    match fields.len() {
        0 => "Please check the form.".into(),
        1 => fields.values().next().cloned().unwrap_or_default(),
        _ => "Please correct the highlighted fields.".into(),
    }
}

impl AppError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    /// The same error with field `from` called `to` (an import or the API names fields its own way).
    pub fn rename(self, from: &str, to: &str) -> Self {
        match self {
            Self::Validation(mut fields) => {
                if let Some(message) = fields.remove(from) {
                    fields.entry(to.to_owned()).or_insert(message);
                }
                Self::Validation(fields)
            }
            other => other,
        }
    }

    /// The message for a form field, if this error names it.
    pub fn message_for(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation(fields) => fields.get(field).cloned(),
            _ => None,
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::Validation(_) => 422,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::Conflict(_) => 409,
            Self::RateLimited(_) => 429,
            Self::Internal | Self::Transport(_) => 500,
            Self::Unavailable => 503,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Bad arguments (a forged or malformed form post) are the caller's mistake.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                Self::field("form", format!("The form could not be read: {msg}"))
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

/// Accumulates field errors while validating a form; `finish` turns them into one error.
#[derive(Default, Debug)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self.0))
        }
    }
}

#[cfg(feature = "ssr")]
pub use server::encode_query_value;

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;

    impl AppError {
        /// Logs an unexpected failure (with the request's span, hence its request id) and hides
        /// the details from the user.
        pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
            tracing::error!(%error, "{context}");
            Self::Internal
        }

        /// Sets the HTTP status of the current response to match this error: the server-function
        /// call of the hydrated app, or the page being rendered.
        ///
        /// Before the app hydrates, forms post natively and leptos sends the browser back to the
        /// form (its Referer). A status here would turn that redirect into a page of JSON, so
        /// instead the redirect carries the message (`?error=`), which the page shows.
        pub fn respond(self) -> Self {
            use axum::http::{HeaderValue, Method, StatusCode, header};
            use leptos::prelude::use_context;
            let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
                return self;
            };
            let parts = use_context::<axum::http::request::Parts>();
            let plain_form_post = parts.as_ref().is_some_and(|p| {
                p.method == Method::POST
                    && p.uri.path().starts_with("/api/")
                    && p.headers
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|a| a.contains("text/html"))
            });
            if plain_form_post {
                let back = parts
                    .as_ref()
                    .and_then(|p| p.headers.get(header::REFERER))
                    .and_then(|v| v.to_str().ok());
                if let Some(Ok(location)) =
                    back.map(|b| HeaderValue::from_str(&with_error(b, &self.to_string())))
                {
                    response.insert_header(header::LOCATION, location);
                    response.set_status(StatusCode::SEE_OTHER);
                }
                return self;
            }
            if let Ok(status) = StatusCode::from_u16(self.status()) {
                response.set_status(status);
            }
            self
        }
    }

    /// `url` with its `error` query parameter set to `message`.
    fn with_error(url: &str, message: &str) -> String {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("error="))
            .collect();
        let error = format!("error={}", encode_query_value(message));
        params.push(&error);
        format!("{base}?{}", params.join("&"))
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
    pub fn encode_query_value(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }

    #[cfg(test)]
    #[test]
    fn the_error_replaces_an_earlier_one_and_keeps_other_parameters() {
        assert_eq!(
            with_error("http://x/login", "Wrong email"),
            "http://x/login?error=Wrong%20email"
        );
        assert_eq!(
            with_error("http://x/login?next=%2Fboard&error=old", "Nope."),
            "http://x/login?next=%2Fboard&error=Nope."
        );
    }

    impl From<sqlx::Error> for AppError {
        fn from(e: sqlx::Error) -> Self {
            match e {
                sqlx::Error::RowNotFound => return Self::NotFound,
                // The connection is gone or none can be had: the database is away, not broken.
                sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Tls(_) => {
                    tracing::warn!(error = %e, "database unavailable");
                    return Self::Unavailable;
                }
                sqlx::Error::Database(ref db) => match db.code().as_deref() {
                    // The server ended our session (shut down, restarting, out of connections):
                    // a pooled connection that was fine a moment ago learns it on its next
                    // statement.
                    Some(code) if means_unavailable(code) => {
                        tracing::warn!(error = %e, "database unavailable");
                        return Self::Unavailable;
                    }
                    // Text PostgreSQL cannot store (a NUL character): the input's fault,
                    // whichever door it came through.
                    Some("22021" | "22P05") => {
                        return Self::field(
                            "input",
                            "Text may not contain control characters such as NUL.",
                        );
                    }
                    // Two changes met in a deadlock or a serialization failure: PostgreSQL undid
                    // this one whole, so trying again is safe — a passing condition like an
                    // outage (503: an Idempotency-Key is not kept for it, so its retry runs).
                    Some("40001" | "40P01") => {
                        tracing::warn!(error = %e, "transaction undone by the database; retry");
                        return Self::Unavailable;
                    }
                    _ => {}
                },
                _ => {}
            }
            Self::internal("database error", e)
        }
    }

    /// SQLSTATEs that say the database is away for now rather than that the request is wrong:
    /// class 08 (connection exception), 53 (insufficient resources, e.g. too many connections)
    /// and 57P (operator intervention: admin or crash shutdown, cannot connect now).
    fn means_unavailable(sqlstate: &str) -> bool {
        sqlstate.starts_with("08") || sqlstate.starts_with("53") || sqlstate.starts_with("57P")
    }

    #[cfg(test)]
    #[test]
    fn a_shut_down_or_full_database_is_unavailable_and_a_bad_statement_is_not() {
        for code in ["57P01", "57P02", "57P03", "08006", "08003", "53300"] {
            assert!(means_unavailable(code), "{code}");
        }
        // unique violation, serialization failure, query cancelled, syntax error
        for code in ["23505", "40001", "57014", "42601"] {
            assert!(!means_unavailable(code), "{code}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_field_error_reads_as_its_message() {
        let e = AppError::field("email", "Enter an email address.");
        assert_eq!(e.to_string(), "Enter an email address.");
        assert_eq!(
            e.message_for("email").as_deref(),
            Some("Enter an email address.")
        );
        assert_eq!(e.message_for("name"), None);
        assert_eq!(e.status(), 422);
    }

    #[test]
    fn field_errors_keep_the_first_message_per_field() {
        let mut errors = FieldErrors::default();
        errors.check(true, "a", "never");
        errors.add("b", "first");
        errors.add("b", "second");
        errors.add("c", "other");
        let e = errors.finish().unwrap_err();
        assert_eq!(e.message_for("b").as_deref(), Some("first"));
        assert_eq!(e.to_string(), "Please correct the highlighted fields.");
        assert!(FieldErrors::default().finish().is_ok());
    }

    #[test]
    fn statuses_follow_http_meaning() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Conflict("x".into()).status(), 409);
        assert_eq!(AppError::RateLimited(3).status(), 429);
        assert_eq!(
            AppError::RateLimited(3).to_string(),
            "Too many attempts. Try again in 3 s."
        );
    }
}

/// A fault the reliability tests can inject (feature `failpoints`, server/tests/failpoint.rs):
/// when configured to `return`, the enclosing operation fails as a lost database connection
/// would, before anything is committed. Compiles to nothing otherwise.
#[macro_export]
macro_rules! failpoint {
    ($name:literal) => {
        #[cfg(feature = "failpoints")]
        fail::fail_point!($name, |_| Err($crate::error::AppError::internal(
            "failpoint",
            $name
        )));
    };
}

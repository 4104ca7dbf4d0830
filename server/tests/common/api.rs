//! A REST API client over the real router, in-process: bearer token, JSON bodies, any header.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use serde_json::Value;
use sqlx::PgPool;
use tower::ServiceExt;

pub struct Api {
    router: Router,
    pub token: Option<String>,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem document with this status; answers it.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.body
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{p}");
        p
    }

    /// The message of a field error (422).
    pub fn field(&self, field: &str) -> String {
        let p = self.problem(422);
        p["errors"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["field"] == field))
            .and_then(|e| e["message"].as_str())
            .unwrap_or_else(|| panic!("no error for {field}: {p}"))
            .to_owned()
    }

    pub fn ok(&self) -> Value {
        assert!(
            self.status.is_success(),
            "expected success, got {} {}",
            self.status,
            self.body
        );
        if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
        }
    }
}

impl Api {
    pub fn new(pool: &PgPool, token: Option<String>) -> Self {
        Self {
            router: super::app::router(pool.clone()),
            token,
        }
    }

    pub fn with_router(router: Router, token: Option<String>) -> Self {
        Self { router, token }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "localhost");
        if let Some(t) = &self.token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(
                body.map(|b| Body::from(b.to_owned()))
                    .unwrap_or_else(Body::empty),
            )
            .unwrap();
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.router.clone().oneshot(req),
        )
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within 60 s"))
        .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .unwrap();
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send("POST", path, Some(&body.to_string()), &[]).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send("PATCH", path, Some(&body.to_string()), &[]).await
    }
}

/// A personal API token of the user with this email.
pub async fn token(pool: &PgPool, email: &str) -> String {
    let user = user_by_email(pool, email).await;
    app::tokens::ops::create(pool, &user, "test", None, chrono::Local::now().date_naive())
        .await
        .unwrap()
        .secret
}

pub async fn user_by_email(pool: &PgPool, email: &str) -> app::auth::backend::User {
    use axum_login::AuthnBackend;
    let id: i64 = sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .unwrap();
    app::auth::backend::Backend::new(pool.clone())
        .get_user(&id)
        .await
        .unwrap()
        .unwrap()
}

/// `n` opportunities on a new company of the caller's, worth 1,000 each and started, made through
/// the API; answers their numbers.
pub async fn started_opportunities(api: &Api, n: usize) -> Vec<String> {
    let contact = api
        .post(
            "/api/v1/contacts",
            serde_json::json!({"kind": "company", "name": "Acme"}),
        )
        .await
        .ok()["no"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut numbers = Vec::with_capacity(n);
    for _ in 0..n {
        let body = serde_json::json!({"description": "Deal", "contact_no": contact, "sales_cycle": "STANDARD", "estimated_value": "1000", "activate_first_stage": true});
        numbers.push(
            api.post("/api/v1/opportunities", body).await.ok()["no"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    numbers
}

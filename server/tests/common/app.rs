//! Drives the real router in-process, like a browser: a cookie jar, form posts to server
//! functions, page GETs.

use app::state::AppState;
use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Request, StatusCode, header},
};
use sqlx::PgPool;
use tower::ServiceExt;

#[derive(Clone)]
pub struct Browser {
    router: Router,
    cookie: Option<String>,
    /// Extra headers sent with every request (e.g. a cross-site Origin).
    pub extra: Vec<(&'static str, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
}

pub fn router(pool: PgPool) -> Router {
    // Server-side warnings and errors go to the test's captured output: shown when it fails.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn")
        .with_test_writer()
        .try_init();
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("pipeline")
        .build();
    server::http::router(
        AppState {
            pool,
            leptos_options,
        },
        Default::default(),
    )
}

impl Browser {
    pub fn new(pool: &PgPool) -> Self {
        Self {
            router: router(pool.clone()),
            cookie: None,
            extra: Vec::new(),
        }
    }

    async fn send(&mut self, mut req: Request<Body>) -> Reply {
        let h = req.headers_mut();
        h.insert(header::HOST, "localhost".parse().unwrap());
        if let Some(c) = &self.cookie {
            h.insert(header::COOKIE, c.parse().unwrap());
        }
        for (k, v) in &self.extra {
            h.insert(*k, v.parse().unwrap());
        }
        // A request that never answers fails the test within a minute instead of stalling the run.
        let path = req.uri().path().to_owned();
        let response = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            self.router.clone().oneshot(req),
        )
        .await
        .unwrap_or_else(|_| panic!("{path}: no answer within 60 s"))
        .unwrap();
        if let Some(set) = response.headers().get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            // An expired cookie (sign-out) clears the jar.
            self.cookie = if set.to_str().unwrap().contains("Max-Age=0") {
                None
            } else {
                Some(pair)
            };
        }
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            axum::body::to_bytes(response.into_body(), 4 << 20),
        )
        .await
        .unwrap_or_else(|_| panic!("{path}: the body did not end within 60 s"))
        .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// A server-function call as the hydrated app makes it (form-encoded, JSON answer).
    pub async fn call(&mut self, endpoint: &str, form: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded(form);
        let req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// A raw POST (e.g. a multipart file form) with this content type.
    pub async fn post_raw(&mut self, path: &str, content_type: &str, body: String) -> Reply {
        self.post_raw_bytes(path, content_type, body.into_bytes())
            .await
    }

    pub async fn post_raw_bytes(&mut self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// A form posted natively, before the app hydrated (the browser asks for HTML).
    pub async fn post_form(
        &mut self,
        endpoint: &str,
        form: &[(&str, &str)],
        referer: &str,
    ) -> Reply {
        let req = Request::post(format!("/api/{endpoint}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .body(Body::from(serde_urlencoded(form)))
            .unwrap();
        self.send(req).await
    }

    pub fn session_cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub fn set_session_cookie(&mut self, cookie: Option<String>) {
        self.cookie = cookie;
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Inserts a user directly (hashing once per call; tests keep the count small).
pub async fn user(pool: &PgPool, email: &str, role: &str, salesperson: Option<i64>) -> i64 {
    let new = app::auth::ops::NewUser {
        email: email.into(),
        display_name: email.split('@').next().unwrap().into(),
        password: PASSWORD.into(),
        role: app::auth::Role::parse(role).unwrap(),
        salesperson_id: salesperson,
    };
    app::auth::ops::create_user(pool, new, None).await.unwrap()
}

pub const PASSWORD: &str = "correct horse battery";

pub async fn salesperson(pool: &PgPool, code: &str) -> i64 {
    sqlx::query_scalar("insert into salespeople (code, name) values ($1, $1) returning id")
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub async fn team(pool: &PgPool, code: &str, members: &[i64], managers: &[i64]) -> i64 {
    let id: i64 = sqlx::query_scalar("insert into teams (code, name) values ($1, $1) returning id")
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap();
    for m in members {
        sqlx::query("insert into team_members values ($1, $2)")
            .bind(id)
            .bind(m)
            .execute(pool)
            .await
            .unwrap();
    }
    for u in managers {
        sqlx::query("insert into team_managers values ($1, $2)")
            .bind(id)
            .bind(u)
            .execute(pool)
            .await
            .unwrap();
    }
    id
}

/// An opportunity of `salesperson` on a new company of theirs, worth 1,000, started at the
/// STANDARD cycle's first stage through the create form; answers its id.
pub async fn started_opportunity(
    browser: &mut Browser,
    pool: &PgPool,
    salesperson: i64,
    description: &str,
) -> i64 {
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(salesperson)
        .fetch_one(pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(pool)
        .await
        .unwrap();
    let r = browser
        .call(
            "opportunities/create",
            &[
                ("description", description),
                ("contact_id", &contact.to_string()),
                ("cycle_id", &cycle.to_string()),
                ("salesperson_id", &salesperson.to_string()),
                ("estimated_value", "1000"),
                ("activate_first_stage", "on"),
            ],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    r.body.parse().unwrap()
}

pub async fn signed_in(pool: &PgPool, email: &str) -> Browser {
    let mut b = Browser::new(pool);
    let r = b
        .call(
            "auth/sign_in",
            &[("email", email), ("password", PASSWORD), ("next", "/")],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "sign-in failed: {} {}",
        r.status,
        r.body
    );
    assert!(
        b.session_cookie().is_some(),
        "no session cookie after sign-in"
    );
    b
}

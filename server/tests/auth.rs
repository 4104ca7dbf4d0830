//! Sign-in, sessions, first run, roles and scopes, CSRF and rate limiting — through the real
//! router and a real database.

mod common;

use app::auth::{Role, access::Scope};
use axum::http::StatusCode;
use common::app::*;
use sqlx::PgPool;

#[sqlx::test(migrations = "../migrations")]
async fn with_no_users_every_page_leads_to_the_first_run_screen(pool: PgPool) {
    let mut b = Browser::new(&pool);
    let r = b.get("/board").await;
    assert!(r.status.is_redirection());
    assert_eq!(r.location(), Some("/welcome"));
    let r = b.get("/welcome").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Create the first administrator account"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_first_admin_is_created_once_and_signed_in(pool: PgPool) {
    let mut b = Browser::new(&pool);
    let form = [
        ("email", "Boss@Example.com"),
        ("display_name", "The Boss"),
        ("password", "a long password"),
        ("password_confirm", "a long password"),
    ];
    let r = b.call("auth/create_first_admin", &form).await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{} {}",
        r.status,
        r.body
    );
    let r = b.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "the new admin is signed in");
    let role: String =
        sqlx::query_scalar("select role from users where email = 'boss@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(role, "admin");

    // A second visitor cannot use the first-run screen any more.
    let mut other = Browser::new(&pool);
    let r = other
        .call(
            "auth/create_first_admin",
            &[
                ("email", "intruder@example.com"),
                ("display_name", "Intruder"),
                ("password", "a long password"),
                ("password_confirm", "a long password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let count: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
    assert_eq!(
        other.get("/board").await.location(),
        Some("/login?next=/board")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn first_admin_input_is_validated_per_field(pool: PgPool) {
    let mut b = Browser::new(&pool);
    let r = b
        .call(
            "auth/create_first_admin",
            &[
                ("email", "not-an-email"),
                ("display_name", " "),
                ("password", "short"),
                ("password_confirm", "different"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for field in ["email", "display_name", "password", "password_confirm"] {
        assert!(r.body.contains(field), "{field} missing in {}", r.body);
    }
    let count: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "invalid input changed nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn signed_out_visitors_are_sent_to_sign_in_and_back(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    let r = b.get("/opportunities?status=open").await;
    assert_eq!(
        r.location(),
        Some("/login?next=/opportunities%3Fstatus%3Dopen")
    );
    assert_eq!(
        b.get("/healthz").await.status,
        StatusCode::OK,
        "health stays public"
    );
    assert_eq!(b.get("/login").await.status, StatusCode::OK);
    // Server functions answer 401 rather than redirecting.
    assert_eq!(
        b.call("users/list_users", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.call("system/status", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_email_and_wrong_password_get_the_same_answer(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    let wrong_password = b
        .call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", "nope nope nope")],
        )
        .await;
    let unknown = b
        .call(
            "auth/sign_in",
            &[
                ("email", "nobody@example.com"),
                ("password", "nope nope nope"),
            ],
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(wrong_password.status, unknown.status);
    assert_eq!(wrong_password.body, unknown.body);
    assert!(wrong_password.body.contains("Wrong email or password."));
    assert!(b.session_cookie().is_none() || b.get("/").await.status.is_redirection());
    let failures: i64 =
        sqlx::query_scalar("select count(*) from auth_events where kind = 'sign_in_failed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(failures, 2, "failures are audited");
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_is_case_insensitive_rotates_the_session_and_sign_out_ends_it(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    b.get("/login").await;
    let before = b.session_cookie().map(str::to_owned);
    let r = b
        .call(
            "auth/sign_in",
            &[("email", " ANN@example.com "), ("password", PASSWORD)],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{} {}",
        r.status,
        r.body
    );
    let after = b.session_cookie().map(str::to_owned);
    assert!(after.is_some());
    assert_ne!(before, after, "the session id changes at sign-in");
    assert_eq!(b.get("/").await.status, StatusCode::OK);
    let cookie = after.clone();

    b.call("auth/sign_out", &[]).await;
    assert!(b.get("/").await.status.is_redirection());
    // The old cookie is dead on the server too, not just forgotten by the browser.
    b.set_session_cookie(cookie);
    assert!(b.get("/").await.status.is_redirection());
}

#[sqlx::test(migrations = "../migrations")]
async fn session_cookies_are_http_only_and_same_site_lax(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    let r = b
        .call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    let set_cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("pipeline_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(
        set_cookie.contains("Max-Age="),
        "idle expiry is set: {set_cookie}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_older_than_the_absolute_lifetime_ends(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = signed_in(&pool, "ann@example.com").await;
    assert_eq!(b.get("/").await.status, StatusCode::OK);
    // Age the session: rewrite its sign-in time through the session store itself.
    use axum_login::tower_sessions::{SessionStore, session::Id};
    let store = tower_sessions_sqlx_store::PostgresStore::new(pool.clone());
    let cookie = b
        .session_cookie()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let id: Id = cookie.parse().unwrap();
    let mut record = store
        .load(&id)
        .await
        .unwrap()
        .expect("the session is stored");
    let old = chrono::Utc::now().timestamp() - server::guard::ABSOLUTE_SESSION_SECS - 60;
    record
        .data
        .insert(app::auth::ops::SIGNED_IN_AT.into(), serde_json::json!(old));
    store.save(&record).await.unwrap();
    assert!(
        b.get("/").await.status.is_redirection(),
        "the aged session no longer signs in"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn too_many_failures_are_throttled_with_a_wait_time(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    for _ in 0..app::auth::ops::MAX_FAILURES_PER_ACCOUNT {
        let r = b
            .call(
                "auth/sign_in",
                &[
                    ("email", "ann@example.com"),
                    ("password", "wrong password!"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Even the right password is refused now, with how long to wait.
    let r = b
        .call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert!(r.body.contains("RateLimited"), "{}", r.body);
    let wait: i64 = serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["RateLimited"]
        .as_i64()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // Another account is not affected.
    user(&pool, "bob@example.com", "salesperson", None).await;
    let r = b
        .call(
            "auth/sign_in",
            &[("email", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.status
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn cross_site_writes_are_refused(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    b.extra.push(("origin", "https://evil.example".into()));
    let r = b
        .call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut b = Browser::new(&pool);
    b.extra.push(("sec-fetch-site", "cross-site".into()));
    assert_eq!(
        b.call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", PASSWORD)]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    let signins: i64 =
        sqlx::query_scalar("select count(*) from auth_events where kind = 'sign_in'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(signins, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_carry_security_headers_and_a_nonce_policy(pool: PgPool) {
    let mut b = Browser::new(&pool);
    let r = b.get("/welcome").await;
    let h = |name: &str| {
        r.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("referrer-policy"), "same-origin");
    let csp = h("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce");
    assert!(
        r.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_reach_user_administration(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "mia@example.com", "manager", None).await;
    user(&pool, "sam@example.com", "salesperson", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let r = admin.call("users/list_users", &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("sam@example.com"));
    for who in ["mia@example.com", "sam@example.com"] {
        let mut b = signed_in(&pool, who).await;
        assert_eq!(
            b.call("users/list_users", &[]).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        // A forged role change is refused and changes nothing.
        let sam: i64 = sqlx::query_scalar("select id from users where email = 'sam@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
        let r = b
            .call(
                "users/set_user_role",
                &[("user_id", &sam.to_string()), ("role", "admin")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let admins: i64 = sqlx::query_scalar("select count(*) from users where role = 'admin'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(admins, 1);
    let denied: i64 =
        sqlx::query_scalar("select count(*) from auth_events where kind = 'access_denied'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(denied >= 4, "refusals are logged: {denied}");
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_create_users_change_roles_and_deactivate(pool: PgPool) {
    let admin_id = user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let r = admin
        .call(
            "users/create_user",
            &[
                ("display_name", "Sam Seller"),
                ("email", "Sam@Example.com"),
                ("role", "salesperson"),
                ("password", PASSWORD),
                ("salesperson_id", ""),
            ],
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    let dup = admin
        .call(
            "users/create_user",
            &[
                ("display_name", "Sam Again"),
                ("email", "sam@example.com"),
                ("role", "salesperson"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.body.contains("already exists"), "{}", dup.body);

    let mut sam = signed_in(&pool, "sam@example.com").await;
    let sam_id: i64 = sqlx::query_scalar("select id from users where email = 'sam@example.com'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let r = admin
        .call(
            "users/set_user_active",
            &[("user_id", &sam_id.to_string()), ("active", "false")],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    assert!(
        sam.get("/").await.status.is_redirection(),
        "a deactivated user is signed out at once"
    );

    // The last admin cannot remove themselves.
    let r = admin
        .call(
            "users/set_user_role",
            &[("user_id", &admin_id.to_string()), ("role", "manager")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = admin
        .call(
            "users/set_user_active",
            &[("user_id", &admin_id.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = admin
        .call(
            "users/set_user_role",
            &[("user_id", "999999"), ("role", "manager")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_the_password_ends_other_sessions_but_not_this_one(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut laptop = signed_in(&pool, "ann@example.com").await;
    let mut phone = signed_in(&pool, "ann@example.com").await;
    let wrong = laptop
        .call(
            "auth/change_password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new secret"),
                ("new_password_confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("current_password"));
    let r = laptop
        .call(
            "auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
                ("new_password_confirm", "a brand new secret"),
            ],
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_eq!(
        laptop.get("/").await.status,
        StatusCode::OK,
        "this session continues"
    );
    assert!(
        phone.get("/").await.status.is_redirection(),
        "the other session ended"
    );
    let mut b = Browser::new(&pool);
    let old = b
        .call(
            "auth/sign_in",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the old password no longer works"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_out_everywhere_ends_every_session(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut laptop = signed_in(&pool, "ann@example.com").await;
    let mut phone = signed_in(&pool, "ann@example.com").await;
    laptop.call("auth/sign_out_everywhere", &[]).await;
    assert!(laptop.get("/").await.status.is_redirection());
    assert!(phone.get("/").await.status.is_redirection());
}

/// Scopes per role: the sets of salespeople whose records each user reads and changes.
#[sqlx::test(migrations = "../migrations")]
async fn scopes_follow_roles_and_teams(pool: PgPool) {
    let (a1, a2, b1) = (
        salesperson(&pool, "A1").await,
        salesperson(&pool, "A2").await,
        salesperson(&pool, "B1").await,
    );
    let admin = user(&pool, "admin@example.com", "admin", None).await;
    let manager_a = user(&pool, "mgr-a@example.com", "manager", None).await;
    let seller_a1 = user(&pool, "a1@example.com", "salesperson", Some(a1)).await;
    let seller_b1 = user(&pool, "b1@example.com", "salesperson", Some(b1)).await;
    let loner = user(&pool, "loner@example.com", "salesperson", None).await;
    team(&pool, "TEAM-A", &[a1, a2], &[manager_a]).await;
    team(&pool, "TEAM-B", &[b1], &[]).await;

    let viewer = |id: i64| {
        let pool = pool.clone();
        async move {
            use axum_login::AuthnBackend;
            let u = app::auth::backend::Backend::new(pool.clone())
                .get_user(&id)
                .await
                .unwrap()
                .unwrap();
            app::auth::access::resolve(&pool, u).await.unwrap()
        }
    };
    let v = viewer(admin).await;
    assert_eq!((v.read, v.write), (Scope::All, Scope::All));
    let v = viewer(manager_a).await;
    assert_eq!(v.read, Scope::Salespeople(vec![a1, a2]));
    assert_eq!(v.write, Scope::Salespeople(vec![a1, a2]));
    assert!(
        !v.read.allows(Some(b1)),
        "a manager does not read another team"
    );
    let v = viewer(seller_a1).await;
    assert_eq!(v.read, Scope::Salespeople(vec![a1, a2]), "reads the team");
    assert_eq!(
        v.write,
        Scope::Salespeople(vec![a1]),
        "changes only their own"
    );
    assert!(!v.write.allows(Some(a2)));
    assert!(!v.read.allows(Some(b1)), "nobody reads another team");
    let v = viewer(seller_b1).await;
    assert_eq!(v.read, Scope::Salespeople(vec![b1]));
    let v = viewer(loner).await;
    assert_eq!(
        (v.read, v.write),
        (Scope::Salespeople(vec![]), Scope::Salespeople(vec![]))
    );
    assert!(
        !Scope::Salespeople(vec![a1]).allows(None),
        "unowned records are for admins only"
    );
    assert_eq!(Role::parse("manager"), Some(Role::Manager));
}

#[sqlx::test(migrations = "../migrations")]
async fn passwords_are_stored_as_argon2id_hashes(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let hash: String = sqlx::query_scalar("select password_hash from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
    assert!(
        app::auth::backend::verify_password(PASSWORD.into(), hash.clone())
            .await
            .unwrap()
    );
    assert!(
        !app::auth::backend::verify_password("wrong".into(), hash)
            .await
            .unwrap()
    );
}

/// Before the app hydrates, forms post natively: a refusal goes back to the form with its message
/// in the address (never a page of JSON), and a success goes on, without the old message.
#[sqlx::test(migrations = "../migrations")]
async fn forms_posted_before_hydration_go_back_with_their_message(pool: PgPool) {
    user(&pool, "ann@example.com", "salesperson", None).await;
    let mut b = Browser::new(&pool);
    let r = b
        .post_form(
            "auth/sign_in",
            &[
                ("email", "ann@example.com"),
                ("password", "wrong one!"),
                ("next", "/board"),
            ],
            "http://localhost/login?next=%2Fboard",
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        r.location(),
        Some("http://localhost/login?next=%2Fboard&error=Wrong%20email%20or%20password.")
    );
    let page = b
        .get("/login?next=%2Fboard&error=Wrong%20email%20or%20password.")
        .await;
    assert!(
        page.body.contains("Wrong email or password."),
        "the page shows the message"
    );

    let r = b
        .post_form(
            "auth/sign_in",
            &[
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "/board"),
            ],
            "http://localhost/login?next=%2Fboard&error=Wrong%20email%20or%20password.",
        )
        .await;
    assert!(r.status.is_redirection(), "{}", r.status);
    assert_eq!(r.location(), Some("/board"));
    assert_eq!(b.get("/board").await.status, StatusCode::OK);
}

//! The REST API through the real router and a real database: tokens, the opportunity lifecycle
//! by the same rules as the UI, access per role, ETag/If-Match, Idempotency-Key, problem
//! documents for every kind of bad input, cursor paging, rate limits, and the OpenAPI document
//! against the router.

mod common;

use common::{
    api::{Api, token},
    app::{salesperson, team, user},
};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Admin, and two teams: NORTH (Sam, Sue; managed by Mia) and SOUTH (Tom).
struct World {
    admin: Api,
    sam: Api,
    sue: Api,
    tom: Api,
    mia: Api,
}

async fn world(pool: &PgPool) -> World {
    let (sam, sue, tom) = (
        salesperson(pool, "SAM").await,
        salesperson(pool, "SUE").await,
        salesperson(pool, "TOM").await,
    );
    user(pool, "admin@example.com", "admin", None).await;
    user(pool, "sam@example.com", "salesperson", Some(sam)).await;
    user(pool, "sue@example.com", "salesperson", Some(sue)).await;
    user(pool, "tom@example.com", "salesperson", Some(tom)).await;
    let mia = user(pool, "mia@example.com", "manager", None).await;
    team(pool, "NORTH", &[sam, sue], &[mia]).await;
    team(pool, "SOUTH", &[tom], &[]).await;
    let api = |email: &'static str| async move { Api::new(pool, Some(token(pool, email).await)) };
    World {
        admin: api("admin@example.com").await,
        sam: api("sam@example.com").await,
        sue: api("sue@example.com").await,
        tom: api("tom@example.com").await,
        mia: api("mia@example.com").await,
    }
}

/// A company of `api`'s own (answers its number).
async fn company(api: &Api, name: &str) -> String {
    let r = api
        .post("/api/v1/contacts", json!({"kind": "company", "name": name}))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["no"].as_str().unwrap().to_owned()
}

async fn opportunity(api: &Api, contact_no: &str, value: &str, first: bool) -> Value {
    let r = api
        .post(
            "/api/v1/opportunities",
            json!({"description": "40 laptops", "contact_no": contact_no, "sales_cycle": "STANDARD",
                   "estimated_value": value, "activate_first_stage": first}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

#[sqlx::test(migrations = "../migrations")]
async fn without_a_live_token_every_route_answers_401(pool: PgPool) {
    let w = world(&pool).await;
    let nobody = Api::new(&pool, None);
    let p = nobody.get("/api/v1/opportunities").await.problem(401);
    assert!(p["detail"].as_str().unwrap().contains("Bearer"));
    assert_eq!(
        nobody.get("/api/v1/me").await.header("www-authenticate"),
        Some("Bearer realm=\"pipeline\"")
    );
    Api::new(&pool, Some("plt_0000".into()))
        .get("/api/v1/me")
        .await
        .problem(401);
    Api::new(&pool, Some("not-even-ours".into()))
        .get("/api/v1/me")
        .await
        .problem(401);

    // A session cookie is not a way in: the API takes tokens only.
    let mut browser = common::app::signed_in(&pool, "sam@example.com").await;
    let r = browser.get("/api/v1/me").await;
    assert_eq!(r.status, 401);

    // Revoked and expired tokens stop working at once; the others go on.
    let sam = common::api::user_by_email(&pool, "sam@example.com").await;
    let spare = app::tokens::ops::create(
        &pool,
        &sam,
        "spare",
        None,
        chrono::Local::now().date_naive(),
    )
    .await
    .unwrap();
    let spare_api = Api::new(&pool, Some(spare.secret.clone()));
    spare_api.get("/api/v1/me").await.ok();
    app::tokens::ops::revoke(&pool, &sam, spare.id)
        .await
        .unwrap();
    spare_api.get("/api/v1/me").await.problem(401);
    w.sam.get("/api/v1/me").await.ok();
    sqlx::query(
        "update api_tokens set expires_at = now() - interval '1 second' where user_id = $1",
    )
    .bind(sam.id)
    .execute(&pool)
    .await
    .unwrap();
    w.sam.get("/api/v1/me").await.problem(401);
    // A deactivated user's tokens die with the account.
    let admin = common::api::user_by_email(&pool, "admin@example.com").await;
    app::users::ops::set_active(
        &pool,
        &admin,
        common::api::user_by_email(&pool, "tom@example.com")
            .await
            .id,
        false,
    )
    .await
    .unwrap();
    w.tom.get("/api/v1/me").await.problem(401);
}

#[sqlx::test(migrations = "../migrations")]
async fn tokens_are_stored_hashed_shown_once_and_revocable_by_owner_or_admin(pool: PgPool) {
    let _w = world(&pool).await;
    let sam = common::api::user_by_email(&pool, "sam@example.com").await;
    let sue = common::api::user_by_email(&pool, "sue@example.com").await;
    let admin = common::api::user_by_email(&pool, "admin@example.com").await;
    let today = chrono::Local::now().date_naive();
    let t = app::tokens::ops::create(
        &pool,
        &sam,
        "Website form",
        Some(today + chrono::Days::new(30)),
        today,
    )
    .await
    .unwrap();
    assert!(t.secret.starts_with("plt_") && t.secret.len() == 68);
    let stored: (String, Vec<u8>) =
        sqlx::query_as("select prefix, secret_hash from api_tokens where id = $1")
            .bind(t.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored.0, &t.secret[..12]);
    assert_ne!(
        stored.1,
        t.secret.as_bytes(),
        "the secret itself is never stored"
    );
    assert_eq!(stored.1.len(), 32);

    // Bad input: a name is required, an expiry must be in the future.
    let e = app::tokens::ops::create(&pool, &sam, "  ", None, today)
        .await
        .unwrap_err();
    assert!(e.message_for("name").is_some());
    let e = app::tokens::ops::create(&pool, &sam, "x", Some(today), today)
        .await
        .unwrap_err();
    assert!(e.message_for("expires_on").is_some());

    // Lists: own tokens; an admin sees everyone's. Nobody else may revoke.
    let mine = app::tokens::ops::overview(&pool, &sam).await.unwrap();
    assert!(
        mine.mine
            .iter()
            .any(|r| r.id == t.id && r.name == "Website form")
    );
    assert!(mine.everyone.is_none());
    let all = app::tokens::ops::overview(&pool, &admin).await.unwrap();
    assert!(
        all.everyone
            .unwrap()
            .iter()
            .any(|r| r.id == t.id && r.owner == "sam")
    );
    assert_eq!(
        app::tokens::ops::revoke(&pool, &sue, t.id)
            .await
            .unwrap_err(),
        app::error::AppError::NotFound
    );
    app::tokens::ops::revoke(&pool, &admin, t.id).await.unwrap();
    let after = app::tokens::ops::overview(&pool, &sam).await.unwrap();
    assert_eq!(
        after
            .mine
            .iter()
            .find(|r| r.id == t.id)
            .unwrap()
            .state(after.now),
        "revoked"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_whole_lifecycle_by_api_follows_the_rules_of_the_ui(pool: PgPool) {
    let w = world(&pool).await;
    let me = w.sam.get("/api/v1/me").await.ok();
    assert_eq!(me["role"], "salesperson");

    let acme = company(&w.sam, "Acme").await;
    let created = w.sam.post(
        "/api/v1/opportunities",
        json!({"description": "40 laptops", "contact_no": acme, "sales_cycle": "standard", "estimated_value": "10000",
               "activate_first_stage": true}),
    ).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let o = created.json();
    let no = o["no"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/opportunities/{no}").as_str())
    );
    assert_eq!(
        created.header("etag"),
        Some(format!("\"v{}\"", o["version"]).as_str())
    );
    assert_eq!(o["status"], "in_progress");
    assert_eq!(
        o["salesperson_name"], "SAM",
        "default: the contact's salesperson"
    );
    assert_eq!(o["stage"]["number"], 1);
    // Stage 1: chances 10 %, completed 10 %, multiply: 1 % of 10,000 = 100.00 (DOMAIN.md).
    assert_eq!(o["probability_pct"], "1.00");
    assert_eq!(o["calculated_value"], "100.00");

    // Next: stage 2 with its chances; the value given by the caller.
    let path = format!("/api/v1/opportunities/{no}");
    let r = w
        .sam
        .post(
            &format!("{path}/actions"),
            json!({"action": "next", "estimated_value": "12000"}),
        )
        .await;
    let o = r.ok();
    assert_eq!(o["stage"]["number"], 2);
    assert_eq!(o["estimated_value"], "12000.00");

    // The rule of stage 3 (quote required) refuses a Next without a quote — as in the UI.
    let r = w
        .sam
        .post(&format!("{path}/actions"), json!({"action": "next"}))
        .await;
    assert!(r.status == 422, "{}", r.body);
    let before = count(&pool, "opportunity_entries").await;
    // A quote line, then Next succeeds.
    let r = w.sam.post(&format!("{path}/quote/lines"), json!({"description": "Laptop", "quantity": "40", "unit_price": "300", "discount_pct": "0"})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let quote = w.sam.get(&format!("{path}/quote")).await.ok();
    assert_eq!(quote["total"], "12000.00");
    assert_eq!(
        count(&pool, "opportunity_entries").await,
        before,
        "a refused move wrote nothing"
    );
    w.sam
        .post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .ok();

    // Close as won: the amount is the quote's total.
    let codes = w.sam.get("/api/v1/close-codes").await.ok();
    let won_code = codes
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["outcome"] == "won")
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let o = w
        .sam
        .post(
            &format!("{path}/close"),
            json!({"outcome": "won", "close_code": won_code}),
        )
        .await
        .ok();
    assert_eq!(o["status"], "won");
    assert_eq!(o["close_code"], won_code.as_str());

    // The history, oldest first.
    let entries = w.sam.get(&format!("{path}/entries")).await.ok();
    let actions: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action_taken"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["first", "next", "next", "won"]);
    assert_eq!(entries[3]["estimated_value"], "12000.00");
    // Closed is closed: another move is refused.
    w.sam
        .post(&format!("{path}/actions"), json!({"action": "update"}))
        .await
        .problem(422);
    // The tasks the first stage's activity created (FIRST-CONTACT: three steps) are readable and
    // changed by their owner only, with the same rules as in the app.
    let tasks = w.sam.get(&format!("{path}/tasks")).await.ok();
    assert_eq!(tasks.as_array().unwrap().len(), 3, "{tasks}");
    let task = format!("/api/v1/tasks/{}", tasks[0]["id"]);
    w.tom
        .patch(&task, json!({"status": "done"}))
        .await
        .problem(404); // another team's
    w.sue
        .patch(&task, json!({"status": "done"}))
        .await
        .problem(403); // a teammate's: readable, not theirs to change
    w.sam
        .patch(&task, json!({"status": "asleep"}))
        .await
        .problem(422);
    let r = w.sam.patch(&task, json!({"status": "done"})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let etag = r.header("etag").unwrap().to_owned();
    // The ETag of the change is the next If-Match; an older one is stale.
    w.sam
        .send(
            "PATCH",
            &task,
            Some(r#"{"status": "open"}"#),
            &[("if-match", "\"v1\"")],
        )
        .await
        .problem(412);
    let r = w
        .sam
        .send(
            "PATCH",
            &task,
            Some(r#"{"status": "open"}"#),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let tasks = w.sam.get(&format!("{path}/tasks")).await.ok();
    assert_eq!(tasks[0]["status"], "open");
}

#[sqlx::test(migrations = "../migrations")]
async fn access_is_the_same_as_in_the_app(pool: PgPool) {
    let w = world(&pool).await;
    let acme = company(&w.sam, "Acme").await;
    let o = opportunity(&w.sam, &acme, "5000", true).await;
    let no = o["no"].as_str().unwrap();
    let path = format!("/api/v1/opportunities/{no}");

    // Sue (same team) reads it but may not change it; Tom (other team) does not see it at all.
    w.sue.get(&path).await.ok();
    w.sue
        .post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .problem(403);
    w.sue
        .patch(&path, json!({"priority": "high"}))
        .await
        .problem(403);
    w.tom.get(&path).await.problem(404);
    w.tom.get(&format!("{path}/entries")).await.problem(404);
    w.tom
        .post(&format!("{path}/close"), json!({"outcome": "lost"}))
        .await
        .problem(404);
    w.tom
        .get(&format!("/api/v1/contacts/{acme}"))
        .await
        .problem(404);
    assert_eq!(w.tom.get("/api/v1/opportunities").await.ok()["total"], 0);
    // Tom may not create one on Sam's contact either (not in his access).
    let r = w
        .tom
        .post(
            "/api/v1/opportunities",
            json!({"description": "x", "contact_no": acme, "sales_cycle": "STANDARD"}),
        )
        .await;
    assert!(r.field("contact_no").contains("No contact"));
    // The manager of NORTH changes it; the admin too.
    w.mia.patch(&path, json!({"priority": "high"})).await.ok();
    let o = w
        .admin
        .post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .ok();
    assert_eq!(o["priority"], "high");
    assert_eq!(o["stage"]["number"], 2);
    // Refused attempts changed nothing.
    assert_eq!(count(&pool, "opportunity_entries").await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn if_match_with_an_old_etag_is_412_and_changes_nothing(pool: PgPool) {
    let w = world(&pool).await;
    let acme = company(&w.sam, "Acme").await;
    let o = opportunity(&w.sam, &acme, "5000", true).await;
    let path = format!("/api/v1/opportunities/{}", o["no"].as_str().unwrap());
    let read = w.sam.get(&path).await;
    let etag = read.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"v{}\"", read.json()["version"]));

    // Someone else moves it; the old ETag is now stale.
    w.mia
        .post(&format!("{path}/actions"), json!({"action": "next"}))
        .await
        .ok();
    let entries = count(&pool, "opportunity_entries").await;
    let body = json!({"action": "update", "estimated_value": "6000"}).to_string();
    w.sam
        .send(
            "POST",
            &format!("{path}/actions"),
            Some(&body),
            &[("if-match", &etag)],
        )
        .await
        .problem(412);
    w.sam
        .send(
            "PATCH",
            &path,
            Some(r#"{"description": "Changed"}"#),
            &[("if-match", &etag)],
        )
        .await
        .problem(412);
    w.sam
        .send(
            "POST",
            &format!("{path}/close"),
            Some(r#"{"outcome": "lost"}"#),
            &[("if-match", "\"nonsense\"")],
        )
        .await
        .problem(412);
    assert_eq!(count(&pool, "opportunity_entries").await, entries);
    // With the fresh ETag it goes through, and answers the next one.
    let fresh = w.sam.get(&path).await.header("etag").unwrap().to_owned();
    let r = w
        .sam
        .send(
            "POST",
            &format!("{path}/actions"),
            Some(&body),
            &[("if-match", &fresh)],
        )
        .await;
    r.ok();
    assert_ne!(r.header("etag").unwrap(), fresh);
    // `*` means "any version".
    w.sam
        .send(
            "PATCH",
            &path,
            Some(r#"{"description": "Any"}"#),
            &[("if-match", "*")],
        )
        .await
        .ok();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_repeated_idempotency_key_applies_once(pool: PgPool) {
    let w = world(&pool).await;
    let acme = company(&w.sam, "Acme").await;
    let body = json!({"description": "Retry me", "contact_no": acme, "sales_cycle": "STANDARD", "estimated_value": "100"}).to_string();
    let key = [("idempotency-key", "3f1c-retry")];
    let first = w
        .sam
        .send("POST", "/api/v1/opportunities", Some(&body), &key)
        .await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = w
        .sam
        .send("POST", "/api/v1/opportunities", Some(&body), &key)
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("location"), first.header("location"));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(count(&pool, "opportunities").await, 1);

    // A move retried with its key moves once.
    let path = format!(
        "/api/v1/opportunities/{}/actions",
        first.json()["no"].as_str().unwrap()
    );
    let first_move = json!({"action": "first"}).to_string();
    let k = [("idempotency-key", "move-1")];
    w.sam.send("POST", &path, Some(&first_move), &k).await.ok();
    w.sam.send("POST", &path, Some(&first_move), &k).await.ok();
    assert_eq!(count(&pool, "opportunity_entries").await, 1);
    // A refusal is recorded too: the retry gets the same 422 and still nothing changes.
    let bad = json!({"action": "previous"}).to_string();
    let k = [("idempotency-key", "move-2")];
    let refused = w.sam.send("POST", &path, Some(&bad), &k).await;
    refused.problem(422);
    assert_eq!(
        w.sam.send("POST", &path, Some(&bad), &k).await.body,
        refused.body
    );

    // The same key for another request is refused; another user's same key is theirs alone.
    let other =
        json!({"description": "Other", "contact_no": acme, "sales_cycle": "STANDARD"}).to_string();
    w.sam
        .send("POST", "/api/v1/opportunities", Some(&other), &key)
        .await
        .problem(422);
    let sues = w
        .sue
        .send(
            "POST",
            "/api/v1/contacts",
            Some(r#"{"kind": "company", "name": "Sue's"}"#),
            &key,
        )
        .await;
    assert_eq!(sues.status, 201, "{}", sues.body);
    assert_eq!(count(&pool, "opportunities").await, 1);
    // A key that was never recorded (cut off mid-request) is not applied twice: 409.
    sqlx::query("update idempotency_keys set status = null where key = 'move-1'")
        .execute(&pool)
        .await
        .unwrap();
    w.sam
        .send(
            "POST",
            &path,
            Some(&first_move),
            &[("idempotency-key", "move-1")],
        )
        .await
        .problem(409);
    assert_eq!(count(&pool, "opportunity_entries").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_input_gets_a_problem_document_never_a_500(pool: PgPool) {
    let w = world(&pool).await;
    let acme = company(&w.sam, "Acme").await;
    let o = opportunity(&w.sam, &acme, "5000", false).await;
    let path = format!("/api/v1/opportunities/{}", o["no"].as_str().unwrap());
    let before = (
        count(&pool, "opportunities").await,
        count(&pool, "opportunity_entries").await,
        count(&pool, "contacts").await,
    );

    // Not JSON, wrong content type, wrong types, unknown fields, missing fields.
    w.sam
        .send("POST", "/api/v1/opportunities", Some("{not json"), &[])
        .await
        .problem(400);
    w.sam
        .send(
            "POST",
            "/api/v1/opportunities",
            Some("{}"),
            &[("content-type", "text/plain")],
        )
        .await
        .problem(415);
    let p = w
        .sam
        .post("/api/v1/opportunities", json!({"description": 5}))
        .await
        .problem(422);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("description"),
        "{p}"
    );
    w.sam.post("/api/v1/opportunities", json!({"description": "x", "contact_no": acme, "sales_cycle": "STANDARD", "colour": "red"})).await.problem(422);
    // Field rules, named by the API's field names.
    let r = w
        .sam
        .post(
            "/api/v1/opportunities",
            json!({"description": "x", "contact_no": "NOPE", "sales_cycle": "NOPE"}),
        )
        .await;
    r.field("contact_no");
    r.field("sales_cycle");
    let r = w.sam.post("/api/v1/opportunities", json!({"description": "x", "contact_no": acme, "sales_cycle": "STANDARD", "estimated_value": "1e999"})).await;
    r.field("estimated_value");
    let r = w.sam.post("/api/v1/opportunities", json!({"description": "x", "contact_no": acme, "sales_cycle": "STANDARD", "chances_of_success_pct": "140"})).await;
    r.field("chances_of_success_pct");
    w.sam
        .post(&format!("{path}/actions"), json!({"action": "fly"}))
        .await
        .field("action");
    w.sam
        .post(
            &format!("{path}/actions"),
            json!({"action": "first", "estimated_value": "-5"}),
        )
        .await
        .field("estimated_value");
    w.sam
        .post(&format!("{path}/close"), json!({"outcome": "maybe"}))
        .await
        .field("outcome");
    w.sam
        .patch(&path, json!({"priority": "urgent"}))
        .await
        .field("priority");
    w.sam
        .post("/api/v1/contacts", json!({"kind": "robot", "name": ""}))
        .await
        .problem(422);
    // Dates that are not dates.
    w.sam
        .post(
            &format!("{path}/actions"),
            json!({"action": "first", "date_of_change": "2026-02-30"}),
        )
        .await
        .problem(422);
    // Query strings.
    w.sam
        .get("/api/v1/opportunities?status=sleeping")
        .await
        .field("status");
    w.sam
        .get("/api/v1/opportunities?limit=0")
        .await
        .field("limit");
    w.sam
        .get("/api/v1/opportunities?limit=abc")
        .await
        .field("limit");
    w.sam
        .get("/api/v1/opportunities?from=yesterday")
        .await
        .field("from");
    w.sam
        .get("/api/v1/opportunities?cursor=zz")
        .await
        .field("cursor");
    w.sam.get("/api/v1/contacts?kind=robot").await.field("kind");
    // A NUL character, which PostgreSQL cannot store, in a path, a query and a body.
    for path in ["/api/v1/opportunities/%00", "/api/v1/contacts/%00"] {
        let r = w.sam.get(path).await;
        let status = r.status.as_u16();
        assert!([404, 422].contains(&status), "{path}: {status}");
        r.problem(status);
    }
    w.sam
        .get("/api/v1/opportunities?q=a%00b")
        .await
        .problem(422);
    w.sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "A\u{0}B"}),
        )
        .await
        .problem(422);
    w.sam
        .patch(&path, json!({"description": "A\u{0}B"}))
        .await
        .problem(422);
    // Paths and methods.
    w.sam.get("/api/v1/opportunities/NOPE").await.problem(404);
    w.sam.get("/api/v1/tasks/abc").await.problem(405);
    w.sam
        .send("PATCH", "/api/v1/tasks/abc", Some("{}"), &[])
        .await
        .problem(404);
    w.sam.get("/api/v1/nothing-here").await.problem(404);
    let r = w.sam.send("DELETE", &path, None, &[]).await;
    r.problem(405);
    assert!(r.header("allow").is_some());
    // Too large.
    let huge = format!(r#"{{"description": "{}"}}"#, "x".repeat(2 << 20));
    w.sam
        .send("POST", "/api/v1/opportunities", Some(&huge), &[])
        .await
        .problem(413);
    w.sam
        .send(
            "POST",
            "/api/v1/opportunities",
            Some(&huge),
            &[("idempotency-key", "huge-1")],
        )
        .await
        .problem(413);
    // Strange but valid text is stored as text, not interpreted.
    let r = w
        .sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Robert'); drop table contacts;-- <b>\u{202e}"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let after = (
        count(&pool, "opportunities").await,
        count(&pool, "opportunity_entries").await,
        count(&pool, "contacts").await - 1,
    );
    assert_eq!(before, after, "refused requests changed nothing");
}

#[sqlx::test(migrations = "../migrations")]
async fn lists_page_by_cursor_without_gaps_or_repeats(pool: PgPool) {
    let w = world(&pool).await;
    let acme = company(&w.sam, "Acme").await;
    let mut values = Vec::new();
    for i in 0..7 {
        let v = format!("{}", 1000 + (i * 37) % 5 * 100); // repeated values: ties broken by id
        opportunity(&w.sam, &acme, &v, false).await;
        values.push(v);
    }
    for (sort, dir) in [
        ("value", "desc"),
        ("value", "asc"),
        ("closing", "asc"),
        ("no", "desc"),
        ("created", "asc"),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("/api/v1/opportunities?sort={sort}&dir={dir}&limit=3");
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page = w.sam.get(&url).await.ok();
            assert_eq!(page["total"], 7);
            seen.extend(page["items"].as_array().unwrap().iter().map(|i| {
                (
                    i["no"].as_str().unwrap().to_owned(),
                    i["estimated_value"]
                        .as_str()
                        .unwrap()
                        .parse::<f64>()
                        .unwrap(),
                )
            }));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut nos: Vec<&String> = seen.iter().map(|(n, _)| n).collect();
        assert_eq!(seen.len(), 7, "{sort} {dir}: {seen:?}");
        nos.sort();
        nos.dedup();
        assert_eq!(nos.len(), 7, "{sort} {dir}: repeats");
        if sort == "value" {
            let vals: Vec<f64> = seen.iter().map(|(_, v)| *v).collect();
            let mut sorted = vals.clone();
            sorted.sort_by(|a, b| {
                if dir == "asc" {
                    a.total_cmp(b)
                } else {
                    b.total_cmp(a)
                }
            });
            assert_eq!(vals, sorted, "{sort} {dir}");
        }
    }
    // A cursor of one sort is refused by another.
    let page = w
        .sam
        .get("/api/v1/opportunities?sort=value&limit=2")
        .await
        .ok();
    let c = page["next_cursor"].as_str().unwrap();
    w.sam
        .get(&format!(
            "/api/v1/opportunities?sort=closing&limit=2&cursor={c}"
        ))
        .await
        .field("cursor");

    // Contacts page by name.
    for name in ["Beta", "Gamma", "Delta", "Alpha"] {
        company(&w.sam, name).await;
    }
    let mut names = Vec::new();
    let mut url = "/api/v1/contacts?limit=2".to_owned();
    loop {
        let page = w.sam.get(&url).await.ok();
        names.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("/api/v1/contacts?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(names, ["Acme", "Alpha", "Beta", "Delta", "Gamma"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn each_token_has_its_own_rate_limit(pool: PgPool) {
    let _w = world(&pool).await;
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("pipeline")
        .build();
    let options = server::http::HttpOptions {
        api: server::api::ApiOptions { rate_limit: 2 },
        ..Default::default()
    };
    let router = server::http::router(
        app::state::AppState {
            pool: pool.clone(),
            leptos_options,
        },
        options,
    );
    let sam = Api::with_router(router.clone(), Some(token(&pool, "sam@example.com").await));
    let sue = Api::with_router(router, Some(token(&pool, "sue@example.com").await));
    // A burst of twice the rate passes, then 429 with Retry-After.
    for _ in 0..4 {
        sam.get("/api/v1/me").await.ok();
    }
    let r = sam.get("/api/v1/me").await;
    let p = r.problem(429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    assert!(p["retry_after"].as_u64().unwrap() >= 1);
    sue.get("/api/v1/me").await.ok();
}

#[sqlx::test(migrations = "../migrations")]
async fn the_openapi_document_describes_exactly_the_routes(pool: PgPool) {
    let _w = world(&pool).await;
    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    // Served as JSON, and the reference page names every route.
    let nobody = Api::new(&pool, None);
    let served = nobody.get("/api/openapi.json").await.ok();
    assert_eq!(served, doc);
    let page = nobody.get("/api/docs").await;
    assert_eq!(page.status, 200);

    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 14, "{:?}", paths.keys());
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            assert!(
                page.body
                    .contains(&format!("<code>{}</code>", path.replace('&', "&amp;"))),
                "{path} missing on /api/docs"
            );
            // Every documented route is routed: without a token it answers 401 (not 404 or 405).
            let concrete = path
                .replace("{no}", "OP00001")
                .replace("{code}", "STANDARD")
                .replace("{id}", "1")
                .replace("{line_id}", "1")
                .replace("{kind}", "contacts");
            let body = (method != "get" && method != "delete").then_some("{}");
            let r = nobody
                .send(&method.to_uppercase(), &concrete, body, &[])
                .await;
            assert_eq!(r.status, 401, "{method} {path}: {}", r.body);
            // Every operation documents its errors as problem documents, including 401.
            let responses = op["responses"].as_object().unwrap();
            for status in ["401", "429", "503"] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} does not document {status}"
                );
            }
            if op.get("requestBody").is_some() {
                assert!(
                    responses.contains_key("413"),
                    "{method} {path} does not document 413"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(
                        schema, "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    assert!(operations >= 18);
    // Every reference resolves.
    let text = doc.to_string();
    for part in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "dangling $ref {name}"
        );
    }
    // And a route that is not documented is not routed.
    let sam = Api::new(&pool, Some(token(&pool, "sam@example.com").await));
    sam.get("/api/v1/users").await.problem(404);
}

#[sqlx::test(migrations = "../migrations")]
async fn setup_reads_for_integrations(pool: PgPool) {
    let w = world(&pool).await;
    let cycles = w.sam.get("/api/v1/sales-cycles").await.ok();
    let standard = cycles
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "STANDARD")
        .unwrap();
    assert_eq!(standard["stages"].as_array().unwrap().len(), 5);
    assert_eq!(standard["stages"][2]["quote_required"], true);
    let one = w.sam.get("/api/v1/sales-cycles/standard").await.ok();
    assert_eq!(&one, standard);
    w.sam.get("/api/v1/sales-cycles/NOPE").await.problem(404);
    // Salespeople and teams as far as each role reaches: the same as the UI's filters.
    let codes = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        codes(w.admin.get("/api/v1/salespeople").await.ok()),
        ["SAM", "SUE", "TOM"]
    );
    assert_eq!(
        codes(w.sam.get("/api/v1/salespeople").await.ok()),
        ["SAM", "SUE"]
    );
    assert_eq!(
        codes(w.mia.get("/api/v1/salespeople").await.ok()),
        ["SAM", "SUE"]
    );
    assert_eq!(codes(w.tom.get("/api/v1/salespeople").await.ok()), ["TOM"]);
    // A teammate's other team is not Sam's: not named in Sue's teams for him.
    let sue: i64 = sqlx::query_scalar("select id from salespeople where code = 'SUE'")
        .fetch_one(&pool)
        .await
        .unwrap();
    team(&pool, "EAST", &[sue], &[]).await;
    let teams_of_sue = |people: Value| {
        people
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "SUE")
            .unwrap()["teams"]
            .clone()
    };
    assert_eq!(
        teams_of_sue(w.admin.get("/api/v1/salespeople").await.ok()),
        json!(["EAST", "NORTH"])
    );
    assert_eq!(
        teams_of_sue(w.sam.get("/api/v1/salespeople").await.ok()),
        json!(["NORTH"])
    );
    assert_eq!(
        codes(w.admin.get("/api/v1/teams").await.ok()),
        ["EAST", "NORTH", "SOUTH"]
    );
    assert_eq!(codes(w.mia.get("/api/v1/teams").await.ok()), ["NORTH"]);
    assert_eq!(codes(w.tom.get("/api/v1/teams").await.ok()), ["SOUTH"]);
    let teams = w.sam.get("/api/v1/teams").await.ok();
    assert_eq!(teams.as_array().unwrap().len(), 1);
    assert_eq!(teams[0]["code"], "NORTH");
    assert_eq!(teams[0]["members"], json!(["SAM", "SUE"]));
}

#[sqlx::test(migrations = "../migrations")]
async fn csv_exports_follow_the_filter_and_the_access_and_cannot_run_formulas(pool: PgPool) {
    let w = world(&pool).await;
    let evil = company(&w.sam, "=HYPERLINK(\"http://evil.example\",\"click\")").await;
    for i in 0..3 {
        opportunity(&w.sam, &evil, &format!("{}", 1000 * (i + 1)), i == 0).await;
    }
    let tom_co = company(&w.tom, "Southern Ltd").await;
    opportunity(&w.tom, &tom_co, "777", false).await;

    // API: the filter and sort of the list; Sam's team only.
    let r = w
        .sam
        .get("/api/v1/exports/opportunities.csv?sort=value&dir=desc")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    let mut reader = csv::Reader::from_reader(r.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "no");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let values: Vec<&str> = rows.iter().map(|r| &r[8]).collect();
    assert_eq!(values, ["3000.00", "2000.00", "1000.00"]);
    assert!(
        rows.iter().all(|r| r[4].starts_with("'=HYPERLINK")),
        "{rows:?}"
    );
    assert!(!r.body.contains("Southern"));
    // The same filter as the list: in progress only.
    let r = w
        .sam
        .get("/api/v1/exports/opportunities.csv?status=in_progress")
        .await;
    assert_eq!(
        csv::Reader::from_reader(r.body.as_bytes())
            .records()
            .count(),
        1
    );
    w.sam
        .get("/api/v1/exports/opportunities.csv?status=nope")
        .await
        .field("status");

    // The list page's link: the signed-in session, the same rows.
    let mut browser = common::app::signed_in(&pool, "tom@example.com").await;
    let r = browser.get("/export/opportunities.csv?sort=value").await;
    assert_eq!(r.status, 200);
    assert!(
        r.headers
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("opportunities.csv")
    );
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(r.body.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][4], "Southern Ltd");
    let r = browser.get("/export/contacts.csv").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("Southern Ltd") && !r.body.contains("HYPERLINK"),
        "{}",
        r.body
    );
    // Signed out: no data.
    let r = common::app::Browser::new(&pool)
        .get("/export/opportunities.csv")
        .await;
    assert!(r.status.is_redirection() || r.status == 401, "{}", r.status);
    assert!(!r.body.contains("Southern"));
}

/// The contacts list sorts like the list page (name, city, date added; either way) and pages
/// through any order by cursor without repeating or skipping a row.
#[sqlx::test(migrations = "../migrations")]
async fn contacts_sort_and_page_in_any_order(pool: PgPool) {
    let w = world(&pool).await;
    for (name, city) in [
        ("bravo", "York"),
        ("Alpha", "leeds"),
        ("Delta", "Aberdeen"),
        ("charlie", "York"),
        ("Echo", "Bath"),
    ] {
        let r = w
            .sam
            .post(
                "/api/v1/contacts",
                json!({"kind": "company", "name": name, "city": city}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let all = |query: &'static str| {
        let api = &w.sam;
        async move {
            let mut names = Vec::new();
            let mut url = format!("/api/v1/contacts?limit=2&{query}");
            loop {
                let page = api.get(&url).await.ok();
                for c in page["items"].as_array().unwrap() {
                    names.push(c["name"].as_str().unwrap().to_owned());
                }
                match page["next_cursor"].as_str() {
                    Some(c) => url = format!("/api/v1/contacts?limit=2&{query}&cursor={c}"),
                    None => break names,
                }
            }
        }
    };
    assert_eq!(
        all("sort=name").await,
        ["Alpha", "bravo", "charlie", "Delta", "Echo"]
    );
    assert_eq!(
        all("sort=name&dir=desc").await,
        ["Echo", "Delta", "charlie", "bravo", "Alpha"]
    );
    // Same city: by id, the order they were added.
    assert_eq!(
        all("sort=city").await,
        ["Delta", "Echo", "Alpha", "bravo", "charlie"]
    );
    assert_eq!(
        all("sort=created&dir=desc").await,
        ["Echo", "charlie", "Delta", "Alpha", "bravo"]
    );
    w.sam
        .get("/api/v1/contacts?sort=colour")
        .await
        .field("sort");
    w.sam
        .get("/api/v1/contacts?dir=sideways")
        .await
        .field("dir");
}

#[sqlx::test(migrations = "../migrations")]
async fn contacts_are_edited_by_their_owner_with_if_match(pool: PgPool) {
    let w = world(&pool).await;
    let no = company(&w.sam, "Acme").await;
    let path = format!("/api/v1/contacts/{no}");
    let read = w.sam.get(&path).await;
    let etag = read.header("etag").unwrap().to_owned();
    let r = w
        .sam
        .send(
            "PATCH",
            &path,
            Some(r#"{"city": "Leeds", "phone": "+44 113 000"}"#),
            &[("if-match", &etag)],
        )
        .await;
    let c = r.ok();
    assert_eq!(
        (c["city"].as_str(), c["phone"].as_str(), c["name"].as_str()),
        (Some("Leeds"), Some("+44 113 000"), Some("Acme"))
    );
    // The old ETag is stale now; a teammate may read but not change; another team does not see it.
    w.sam
        .send(
            "PATCH",
            &path,
            Some(r#"{"city": "York"}"#),
            &[("if-match", &etag)],
        )
        .await
        .problem(412);
    w.sue
        .patch(&path, json!({"city": "York"}))
        .await
        .problem(403);
    w.tom
        .patch(&path, json!({"city": "York"}))
        .await
        .problem(404);
    w.sam
        .patch(&path, json!({"email": "not an email"}))
        .await
        .field("email");
    w.sam
        .patch(&path, json!({"salesperson_code": "NOPE"}))
        .await
        .field("salesperson_code");
    assert_eq!(w.sam.get(&path).await.ok()["city"], "Leeds");
}

/// A contact's owner by API: absent means yours, empty means the shared pool (for those who may
/// keep it), a code means that salesperson.
#[sqlx::test(migrations = "../migrations")]
async fn a_new_contacts_owner_is_yours_unless_you_name_another_or_the_pool(pool: PgPool) {
    let w = world(&pool).await;
    let max = salesperson(&pool, "MAX").await;
    user(&pool, "max@example.com", "manager", Some(max)).await;
    let sam: i64 = sqlx::query_scalar("select id from salespeople where code = 'SAM'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let max_user: i64 = sqlx::query_scalar("select id from users where email = 'max@example.com'")
        .fetch_one(&pool)
        .await
        .unwrap();
    team(&pool, "MAXES", &[sam], &[max_user]).await;
    let max_api = Api::new(&pool, Some(token(&pool, "max@example.com").await));
    let owner = |r: Value| r["salesperson_name"].as_str().map(str::to_owned);
    let create = |body: Value| {
        let api = &max_api;
        async move {
            let r = api.post("/api/v1/contacts", body).await;
            assert_eq!(r.status, 201, "{}", r.body);
            r.json()
        }
    };
    let yours = create(json!({"kind": "company", "name": "Mine Ltd"})).await;
    assert_eq!(owner(yours).as_deref(), Some("MAX"));
    let pool_contact =
        create(json!({"kind": "company", "name": "Pool Ltd", "salesperson_code": ""})).await;
    assert_eq!(owner(pool_contact), None);
    let sams =
        create(json!({"kind": "company", "name": "Sam's Ltd", "salesperson_code": "SAM"})).await;
    assert_eq!(owner(sams).as_deref(), Some("SAM"));
    // A salesperson who leaves it empty still gets the contact: they may not keep the pool.
    let r = w
        .sam
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Also Sam's", "salesperson_code": ""}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(owner(r.json()).as_deref(), Some("SAM"));
}

#[sqlx::test(migrations = "../migrations")]
async fn cors_stays_closed(pool: PgPool) {
    let w = world(&pool).await;
    // A preflight from another site gets no permission, and neither does the actual request.
    let r = w
        .sam
        .send(
            "OPTIONS",
            "/api/v1/me",
            None,
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "GET"),
            ],
        )
        .await;
    assert!(
        r.header("access-control-allow-origin").is_none(),
        "{:?}",
        r.headers
    );
    let r = w
        .sam
        .send(
            "GET",
            "/api/v1/me",
            None,
            &[("origin", "https://evil.example")],
        )
        .await;
    r.ok();
    assert!(r.header("access-control-allow-origin").is_none());
    assert!(r.header("access-control-allow-credentials").is_none());
}

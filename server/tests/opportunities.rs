//! Opportunities through the real router and a real database: create, the moves of DOMAIN.md
//! with their figures and refusals, quotes, tasks, closing, the entry chain under 50 concurrent
//! updates, and who sees and changes what. The figures use the default STANDARD cycle:
//!
//! | stage | description      | completed | chances | skip | quote | formula | activity      |
//! |-------|------------------|-----------|---------|------|-------|---------|---------------|
//! | 1     | Qualification    | 10        | 10      | no   | no    | 1M      | FIRST-CONTACT |
//! | 2     | Needs analysis   | 25        | 25      | yes  | no    | 1M      |               |
//! | 3     | Proposal         | 50        | 40      | no   | yes   | 3W      |               |
//! | 4     | Negotiation      | 75        | 60      | no   | yes   | 2W      |               |
//! | 5     | Verbal agreement | 90        | 80      | no   | yes   | 1W      |               |

mod common;

use axum::http::StatusCode;
use chrono::{Days, Months, NaiveDate};
use common::app::*;
use serde_json::Value;
use sqlx::PgPool;

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

fn ok(r: &Reply) {
    assert!(
        r.status.is_success(),
        "expected success, got {} {}",
        r.status,
        r.body
    );
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// A decimal as the JSON carries it ("100.00" or "100"), compared by value.
fn dec(v: &Value) -> rust_decimal::Decimal {
    let s = v
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string());
    s.parse().unwrap_or_else(|_| panic!("not a decimal: {v}"))
}

fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

async fn contact(pool: &PgPool, name: &str, salesperson: Option<i64>) -> i64 {
    sqlx::query_scalar(
        "insert into contacts (kind, name, salesperson_id) values ('company', $1, $2) returning id",
    )
    .bind(name)
    .bind(salesperson)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn standard_cycle(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Creates an opportunity with the given extra fields; answers the reply.
async fn create_with(
    b: &mut Browser,
    pool: &PgPool,
    contact: i64,
    salesperson: i64,
    extra: &[(&str, &str)],
) -> Reply {
    let (contact, salesperson, cycle) = (
        contact.to_string(),
        salesperson.to_string(),
        standard_cycle(pool).await.to_string(),
    );
    let mut form = vec![
        ("description", "40 laptops"),
        ("contact_id", contact.as_str()),
        ("salesperson_id", salesperson.as_str()),
        ("cycle_id", cycle.as_str()),
        ("estimated_value", "10000"),
    ];
    for (k, v) in extra {
        form.retain(|(key, _)| key != k);
        form.push((k, v));
    }
    b.call("opportunities/create", &form).await
}

/// Creates and starts (First) an opportunity worth 10,000.00; answers its id.
async fn started(b: &mut Browser, pool: &PgPool, contact: i64, salesperson: i64) -> i64 {
    let r = create_with(
        b,
        pool,
        contact,
        salesperson,
        &[("activate_first_stage", "on")],
    )
    .await;
    ok(&r);
    json(&r).as_i64().unwrap()
}

async fn card(b: &mut Browser, id: i64) -> Value {
    let r = b
        .call("opportunities/get", &[("id", &id.to_string())])
        .await;
    ok(&r);
    json(&r)
}

fn version(card: &Value) -> String {
    card["version"].as_i64().unwrap().to_string()
}

async fn update(b: &mut Browser, id: i64, action: &str, extra: &[(&str, &str)]) -> Reply {
    let version = version(&card(b, id).await);
    let id = id.to_string();
    let mut form = vec![
        ("id", id.as_str()),
        ("version", version.as_str()),
        ("action", action),
    ];
    form.extend_from_slice(extra);
    b.call("opportunities/update", &form).await
}

async fn close(b: &mut Browser, id: i64, fields: &[(&str, &str)]) -> Reply {
    let version = version(&card(b, id).await);
    let id = id.to_string();
    let mut form = vec![("id", id.as_str()), ("version", version.as_str())];
    form.extend_from_slice(fields);
    b.call("opportunities/close", &form).await
}

async fn add_line(
    b: &mut Browser,
    id: i64,
    description: &str,
    quantity: &str,
    price: &str,
    discount: &str,
) -> Reply {
    let version = version(&card(b, id).await);
    let id = id.to_string();
    b.call(
        "opportunities/quote/add-line",
        &[
            ("id", id.as_str()),
            ("version", version.as_str()),
            ("description", description),
            ("quantity", quantity),
            ("unit_price", price),
            ("discount", discount),
        ],
    )
    .await
}

fn refusal(r: &Reply, field: &str) -> String {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    json(r)["Validation"][field]
        .as_str()
        .unwrap_or_else(|| panic!("no message for {field}: {}", r.body))
        .to_owned()
}

/// (entries, active entries) of an opportunity, straight from the table.
async fn chain(pool: &PgPool, id: i64) -> (i64, i64) {
    sqlx::query_as("select count(*), count(*) filter (where active) from opportunity_entries where opportunity_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

struct World {
    admin: Browser,
    sam: i64,
    acme: i64,
}

async fn world(pool: &PgPool) -> World {
    let sam = salesperson(pool, "SAM").await;
    user(pool, "admin@example.com", "admin", None).await;
    let acme = contact(pool, "Acme", Some(sam)).await;
    World {
        admin: signed_in(pool, "admin@example.com").await,
        sam,
        acme,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn create_with_first_stage_then_next_records_the_figures_of_domain_md(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let r = create_with(
        &mut admin,
        &pool,
        acme,
        sam,
        &[("activate_first_stage", "on")],
    )
    .await;
    ok(&r);
    let id = json(&r).as_i64().unwrap();
    assert_eq!(
        r.location(),
        Some(format!("/opportunities/{id}").as_str()),
        "the browser is sent to the card"
    );

    let c = card(&mut admin, id).await;
    assert_eq!(c["no"], "OP00001");
    assert_eq!(c["status"], "InProgress");
    assert_eq!(c["contact_name"], "Acme");
    assert_eq!(c["salesperson_name"], "SAM");
    let first = &c["entries"][0];
    assert_eq!(
        (
            first["entry_no"].as_i64(),
            &first["action_taken"],
            &first["stage"]
        ),
        (
            Some(1),
            &Value::from("First"),
            &Value::from("Qualification")
        )
    );
    // Multiply: 10 × 10 / 100 = 1 %; 10,000 × 1 % = 100.00. Closing: the stage's 1M from today.
    assert_eq!(dec(&c["chances"]), d("10"));
    assert_eq!(dec(&c["completed"]), d("10"));
    assert_eq!(dec(&c["probability"]), d("1"));
    assert_eq!(dec(&c["calculated_value"]), d("100.00"));
    let closing = today().checked_add_months(Months::new(1)).unwrap();
    assert_eq!(c["estimated_closing_date"], closing.to_string());
    // Entering Qualification created FIRST-CONTACT's three tasks, due today, +2D, +1W.
    let mut due: Vec<String> = c["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["due_date"].as_str().unwrap().to_owned())
        .collect();
    due.sort();
    let mut expected = vec![
        today().to_string(),
        (today() + Days::new(2)).to_string(),
        (today() + Days::new(7)).to_string(),
    ];
    expected.sort();
    assert_eq!(due, expected);

    ok(&update(&mut admin, id, "Next", &[]).await);
    let c = card(&mut admin, id).await;
    let (newest, previous) = (&c["entries"][0], &c["entries"][1]);
    assert_eq!(
        (&newest["action_taken"], &newest["stage"]),
        (&Value::from("Next"), &Value::from("Needs analysis"))
    );
    assert_eq!(newest["active"], true);
    assert_eq!(previous["active"], false);
    assert_eq!(previous["days_open"], 0);
    // 25 × 25 / 100 = 6.25 %; 10,000 × 6.25 % = 625.00. The closing date carries over.
    assert_eq!(dec(&c["probability"]), d("6.25"));
    assert_eq!(dec(&c["calculated_value"]), d("625.00"));
    assert_eq!(c["estimated_closing_date"], closing.to_string());
    assert_eq!(chain(&pool, id).await, (2, 1));
    assert_eq!(
        c["tasks"].as_array().unwrap().len(),
        3,
        "Needs analysis has no activity"
    );

    // The list shows it with the same figures, and the totals add up.
    let r = admin.call("opportunities/list", &[("query", "")]).await;
    ok(&r);
    let list = json(&r);
    assert_eq!(list["total"], 1);
    assert_eq!(dec(&list["sum_estimated"]), d("10000.00"));
    assert_eq!(dec(&list["sum_calculated"]), d("625.00"));
    // And the card renders on the server.
    let page = admin.get(&format!("/opportunities/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("40 laptops") && page.body.contains("Needs analysis"),
        "{}",
        page.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_rules_refuse_with_a_reason_and_change_nothing(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let id = started(&mut admin, &pool, acme, sam).await;
    // At Qualification: Previous has nowhere to go, First is done.
    assert_eq!(
        refusal(&update(&mut admin, id, "Previous", &[]).await, "form"),
        "There is no lower stage."
    );
    assert_eq!(
        refusal(&update(&mut admin, id, "First", &[]).await, "form"),
        "Already started: use Next, Previous, Skip, Jump or Update."
    );
    assert_eq!(
        refusal(
            &update(&mut admin, id, "Update", &[("estimated_value", "0")]).await,
            "estimated_value"
        ),
        "Enter an estimated value greater than 0."
    );
    let yesterday = (today() - Days::new(1)).to_string();
    assert_eq!(
        refusal(
            &update(
                &mut admin,
                id,
                "Update",
                &[("estimated_closing_date", &yesterday)]
            )
            .await,
            "estimated_closing_date"
        ),
        format!(
            "The estimated closing date cannot be before the date of change ({}).",
            today()
        )
    );
    assert_eq!(
        refusal(
            &update(&mut admin, id, "Update", &[("date_of_change", &yesterday)]).await,
            "date_of_change"
        ),
        format!(
            "The date of change cannot be before the last change on {}.",
            today()
        )
    );
    assert_eq!(
        refusal(&update(&mut admin, id, "Fly", &[]).await, "action"),
        "Choose what to do: First, Next, Previous, Skip, Jump or Update."
    );
    ok(&update(&mut admin, id, "Next", &[]).await); // Needs analysis
    // Proposal needs a quote.
    assert_eq!(
        refusal(&update(&mut admin, id, "Next", &[]).await, "form"),
        "Attach a quote before moving to Proposal."
    );
    assert_eq!(
        chain(&pool, id).await,
        (2, 1),
        "refused moves wrote nothing"
    );

    // A quote with a line lets it through; the quote's total is exact.
    assert_eq!(
        refusal(
            &add_line(&mut admin, id, "", "0", "-1", "101").await,
            "quantity"
        ),
        "Enter a quantity greater than 0."
    );
    ok(&add_line(&mut admin, id, "Laptop", "2", "1500", "0").await);
    ok(&add_line(&mut admin, id, "Support", "1", "250.50", "10").await);
    let c = card(&mut admin, id).await;
    assert_eq!(c["quote"]["no"], "SQ00001");
    assert_eq!(dec(&c["quote"]["total"]), d("3225.45"));
    ok(&update(&mut admin, id, "Next", &[]).await); // Proposal
    // Negotiation does not allow skip: Skip is refused with its name.
    assert_eq!(
        refusal(&update(&mut admin, id, "Skip", &[]).await, "form"),
        "The next stage, Negotiation, cannot be skipped."
    );
    // Jump back to Qualification records Jumped and uses the stage's chances whatever is typed.
    let qualification: i64 =
        sqlx::query_scalar("select id from sales_cycle_stages where description = 'Qualification'")
            .fetch_one(&pool)
            .await
            .unwrap();
    ok(&update(
        &mut admin,
        id,
        "Jump",
        &[
            ("target_stage", &qualification.to_string()),
            ("chances", "99"),
        ],
    )
    .await);
    let c = card(&mut admin, id).await;
    assert_eq!(c["entries"][0]["action_taken"], "Jumped");
    assert_eq!(dec(&c["chances"]), d("10"));
    assert_eq!(chain(&pool, id).await, (4, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn closing_won_uses_the_quote_total_and_makes_it_read_only(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let id = started(&mut admin, &pool, acme, sam).await;
    ok(&add_line(&mut admin, id, "Laptop", "3", "1000", "0").await);
    assert_eq!(
        refusal(
            &close(&mut admin, id, &[("outcome", "won")]).await,
            "close_code"
        ),
        "Choose a close code for a won opportunity."
    );
    assert_eq!(
        refusal(
            &close(
                &mut admin,
                id,
                &[("outcome", "won"), ("close_code", "LOST-PRICE")]
            )
            .await,
            "close_code"
        ),
        "LOST-PRICE is a Lost code; choose a Won code."
    );
    assert_eq!(
        refusal(
            &close(
                &mut admin,
                id,
                &[("outcome", "won"), ("close_code", "NOPE")]
            )
            .await,
            "close_code"
        ),
        "That close code does not exist."
    );
    ok(&close(
        &mut admin,
        id,
        &[
            ("outcome", "won"),
            ("close_code", "won-price"),
            ("cancel_open_tasks", "on"),
        ],
    )
    .await);

    let c = card(&mut admin, id).await;
    assert_eq!(c["status"], "Won");
    assert_eq!(c["close_code"], "WON-PRICE");
    assert_eq!(c["date_closed"], today().to_string());
    assert_eq!(c["can_change"], false);
    let last = &c["entries"][0];
    assert_eq!(last["action_taken"], "Won");
    assert_eq!(
        last["stage"], "Qualification",
        "the final entry stays at the current stage"
    );
    assert_eq!(
        (
            dec(&last["chances"]),
            dec(&last["completed"]),
            dec(&last["probability"])
        ),
        (d("100"), d("100"), d("100"))
    );
    assert_eq!(
        dec(&last["calculated_value"]),
        d("3000.00"),
        "the amount won defaults to the quote's total"
    );
    assert!(
        c["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["status"] == "cancelled"),
        "open tasks were cancelled"
    );
    // Closed is closed.
    assert_eq!(
        refusal(&update(&mut admin, id, "Next", &[]).await, "form"),
        "This opportunity is closed and can no longer be updated."
    );
    assert_eq!(
        refusal(
            &close(
                &mut admin,
                id,
                &[("outcome", "lost"), ("close_code", "LOST-PRICE")]
            )
            .await,
            "form"
        ),
        "This opportunity is closed and can no longer be updated."
    );
    assert_eq!(
        refusal(
            &add_line(&mut admin, id, "More", "1", "1", "0").await,
            "form"
        ),
        "This opportunity is closed and can no longer be updated."
    );
    assert_eq!(chain(&pool, id).await, (2, 1));
    // The won value leaves the open totals.
    let list = json(&admin.call("opportunities/list", &[("query", "")]).await);
    assert_eq!(list["total"], 0);
    let list = json(
        &admin
            .call("opportunities/list", &[("query", "status=won")])
            .await,
    );
    assert_eq!(
        (list["total"].as_i64(), dec(&list["sum_calculated"])),
        (Some(1), d("3000.00"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lead_lost_before_it_started_gets_a_final_entry_without_stage(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let r = create_with(&mut admin, &pool, acme, sam, &[]).await;
    ok(&r);
    let id = json(&r).as_i64().unwrap();
    let c = card(&mut admin, id).await;
    assert_eq!(c["status"], "NotStarted");
    assert_eq!(c["entries"].as_array().unwrap().len(), 0);
    assert_eq!(
        refusal(&update(&mut admin, id, "Next", &[]).await, "form"),
        "Start the opportunity first (First)."
    );
    ok(&close(
        &mut admin,
        id,
        &[("outcome", "lost"), ("close_code", "LOST-NO-DECISION")],
    )
    .await);
    let c = card(&mut admin, id).await;
    assert_eq!(c["status"], "Lost");
    let last = &c["entries"][0];
    assert_eq!(
        (
            last["stage"].is_null(),
            dec(&last["estimated_value"]),
            dec(&last["calculated_value"])
        ),
        (true, d("0"), d("0"))
    );
    assert_eq!(chain(&pool, id).await, (1, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn create_checks_every_field(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let r = admin
        .call(
            "opportunities/create",
            &[
                ("description", " "),
                ("estimated_value", "-5"),
                ("chances", "120"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let errors = &json(&r)["Validation"];
    assert_eq!(errors["description"], "Enter a description.");
    assert_eq!(errors["contact_id"], "Choose a contact.");
    assert_eq!(errors["salesperson_id"], "Choose a salesperson.");
    assert_eq!(errors["cycle_id"], "Choose a sales cycle.");
    assert_eq!(errors["estimated_value"], "Enter an amount of 0 or more.");
    assert_eq!(errors["chances"], "Enter a number between 0 and 100.");

    sqlx::query("update sales_cycles set blocked = true where code = 'STANDARD'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update salespeople set blocked = true where id = $1")
        .bind(sam)
        .execute(&pool)
        .await
        .unwrap();
    let r = create_with(
        &mut admin,
        &pool,
        acme,
        sam,
        &[
            ("creation_date", "2026-02-10"),
            ("estimated_closing_date", "2026-02-01"),
        ],
    )
    .await;
    let errors = &json(&r)["Validation"];
    assert_eq!(
        errors["cycle_id"],
        "The sales cycle STANDARD is blocked: choose another."
    );
    assert_eq!(
        errors["salesperson_id"],
        "SAM is blocked and cannot be given new opportunities."
    );
    assert_eq!(
        errors["estimated_closing_date"],
        "The estimated closing date cannot be before the creation date."
    );
    sqlx::query("update sales_cycles set blocked = false")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update salespeople set blocked = false")
        .execute(&pool)
        .await
        .unwrap();
    // Starting at once needs an estimated value.
    let r = create_with(
        &mut admin,
        &pool,
        acme,
        sam,
        &[("estimated_value", ""), ("activate_first_stage", "on")],
    )
    .await;
    assert_eq!(
        refusal(&r, "estimated_value"),
        "Enter an estimated value greater than 0."
    );
    let opportunities: i64 = sqlx::query_scalar("select count(*) from opportunities")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        opportunities, 0,
        "nothing refused was stored, not even half"
    );
    // Forged ids get a 404, not a 500.
    assert_eq!(
        admin.call("opportunities/get", &[("id", "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin
            .call(
                "opportunities/update",
                &[("id", "999"), ("version", "1"), ("action", "Next")]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn fifty_concurrent_updates_keep_one_active_entry_and_lose_none(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let id = started(&mut admin, &pool, acme, sam).await;
    let cookie = admin.session_cookie().map(str::to_owned);
    let seen = version(&card(&mut admin, id).await);

    // 50 users press Update on the same version: exactly one wins, 49 are told it changed.
    let mut racers = tokio::task::JoinSet::new();
    for n in 0..50 {
        let mut b = Browser::new(&pool);
        b.set_session_cookie(cookie.clone());
        let (id, seen) = (id.to_string(), seen.clone());
        racers.spawn(async move {
            let value = format!("{}", 20000 + n);
            let r = b
                .call(
                    "opportunities/update",
                    &[
                        ("id", &id),
                        ("version", &seen),
                        ("action", "Update"),
                        ("estimated_value", &value),
                    ],
                )
                .await;
            r.status
        });
    }
    let statuses: Vec<StatusCode> = racers.join_all().await;
    assert_eq!(
        statuses.iter().filter(|s| s.is_success()).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(chain(&pool, id).await, (2, 1));

    // 50 users each retry until their update lands: all 50 are recorded, one after another.
    let mut writers = tokio::task::JoinSet::new();
    for n in 0..50 {
        let mut b = Browser::new(&pool);
        b.set_session_cookie(cookie.clone());
        writers.spawn(async move {
            let value = format!("{}", 30000 + n);
            loop {
                let seen = version(&card(&mut b, id).await);
                let r = b
                    .call(
                        "opportunities/update",
                        &[
                            ("id", &id.to_string()),
                            ("version", &seen),
                            ("action", "Update"),
                            ("estimated_value", &value),
                        ],
                    )
                    .await;
                match r.status {
                    s if s.is_success() => break,
                    StatusCode::CONFLICT => tokio::task::yield_now().await,
                    other => panic!("unexpected {other}: {}", r.body),
                }
            }
        });
    }
    writers.join_all().await;
    assert_eq!(chain(&pool, id).await, (52, 1));
    let numbers: Vec<i32> = sqlx::query_scalar(
        "select entry_no from opportunity_entries where opportunity_id = $1 order by entry_no",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        numbers,
        (1..=52).collect::<Vec<_>>(),
        "entry numbers have no gap and no duplicate"
    );
    let values: Vec<String> = sqlx::query_scalar(
        "select estimated_value::text from opportunity_entries where opportunity_id = $1 and entry_no > 2 order by estimated_value",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        values,
        (0..50)
            .map(|n| format!("{}.00", 30000 + n))
            .collect::<Vec<_>>(),
        "every writer's value is recorded once"
    );
    let (active_entry, active_value): (i32, String) = sqlx::query_as(
        "select entry_no, estimated_value::text from opportunity_entries where opportunity_id = $1 and active",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let c = card(&mut admin, id).await;
    assert_eq!(active_entry, 52);
    assert_eq!(
        dec(&c["estimated_value"]),
        d(&active_value),
        "the opportunity shows the active entry's figures"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn entries_cannot_be_edited_or_doubled_even_in_sql(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let id = started(&mut admin, &pool, acme, sam).await;
    let edit =
        sqlx::query("update opportunity_entries set estimated_value = 1 where opportunity_id = $1")
            .bind(id)
            .execute(&pool)
            .await;
    assert!(edit.is_err(), "an entry's figures cannot be changed");
    let second_active = sqlx::query(
        "insert into opportunity_entries (opportunity_id, entry_no, action_taken, date_of_change, estimated_value, chances_pct,
                                          completed_pct, probability_pct, calculated_value, estimated_closing_date, active)
         values ($1, 2, 'updated', current_date, 1, 1, 1, 1, 1, current_date, true)",
    )
    .bind(id)
    .execute(&pool)
    .await;
    assert!(second_active.is_err(), "a second active entry is refused");
    assert_eq!(chain(&pool, id).await, (1, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn who_sees_and_changes_what(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    let tina = salesperson(&pool, "TINA").await;
    let otto = salesperson(&pool, "OTTO").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    user(&pool, "tina@example.com", "salesperson", Some(tina)).await;
    user(&pool, "otto@example.com", "salesperson", Some(otto)).await;
    let boss = user(&pool, "boss@example.com", "manager", None).await;
    team(&pool, "NORTH", &[sam, tina], &[boss]).await;
    let acme = contact(&pool, "Acme", Some(sam)).await;

    let mut sam_b = signed_in(&pool, "sam@example.com").await;
    let id = started(&mut sam_b, &pool, acme, sam).await;
    // Sam cannot give an opportunity to Tina.
    let r = create_with(&mut sam_b, &pool, acme, tina, &[]).await;
    assert_eq!(
        refusal(&r, "salesperson_id"),
        "You cannot give opportunities to that salesperson."
    );

    // Tina (same team) reads it but cannot change it.
    let mut tina_b = signed_in(&pool, "tina@example.com").await;
    let c = card(&mut tina_b, id).await;
    assert_eq!(c["can_change"], false);
    let v = version(&c);
    let r = tina_b
        .call(
            "opportunities/update",
            &[("id", &id.to_string()), ("version", &v), ("action", "Next")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Otto (no team) does not even see it.
    let mut otto_b = signed_in(&pool, "otto@example.com").await;
    assert_eq!(
        otto_b
            .call("opportunities/get", &[("id", &id.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = otto_b
        .call(
            "opportunities/update",
            &[("id", &id.to_string()), ("version", &v), ("action", "Next")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        json(&otto_b.call("opportunities/list", &[("query", "")]).await)["total"],
        0
    );
    let denied: i64 =
        sqlx::query_scalar("select count(*) from auth_events where kind = 'access_denied'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(denied >= 3, "forged attempts are recorded ({denied})");
    // The manager of the team changes it.
    let mut boss_b = signed_in(&pool, "boss@example.com").await;
    ok(&update(&mut boss_b, id, "Next", &[]).await);
    assert_eq!(
        json(&tina_b.call("opportunities/list", &[("query", "")]).await)["total"],
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn tasks_are_completed_reopened_and_cancelled_by_their_owner(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let acme = contact(&pool, "Acme", Some(sam)).await;
    let mut b = signed_in(&pool, "sam@example.com").await;
    let id = started(&mut b, &pool, acme, sam).await;

    let mine = json(&b.call("tasks/list", &[]).await);
    let tasks = mine["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3);
    assert_eq!(tasks[0]["opportunity_id"], id);
    let (task, v) = (
        tasks[0]["task"]["id"].as_i64().unwrap().to_string(),
        tasks[0]["task"]["version"].as_i64().unwrap().to_string(),
    );
    ok(&b
        .call(
            "tasks/set-status",
            &[("id", &task), ("version", &v), ("status", "done")],
        )
        .await);
    let stale = b
        .call(
            "tasks/set-status",
            &[("id", &task), ("version", &v), ("status", "cancelled")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let v2 = (v.parse::<i64>().unwrap() + 1).to_string();
    ok(&b
        .call(
            "tasks/set-status",
            &[("id", &task), ("version", &v2), ("status", "open")],
        )
        .await);
    assert_eq!(
        b.call(
            "tasks/set-status",
            &[("id", &task), ("version", "3"), ("status", "gone")]
        )
        .await
        .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Moving on with "cancel open tasks" cancels them all.
    ok(&update(&mut b, id, "Next", &[("cancel_open_tasks", "on")]).await);
    let statuses: Vec<String> =
        sqlx::query_scalar("select status from tasks where opportunity_id = $1")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(statuses, vec!["cancelled"; 3]);
    // The page renders.
    let page = b.get("/tasks").await;
    assert_eq!(page.status, StatusCode::OK);
}

async fn list(b: &mut Browser, query: &str) -> Value {
    let r = b.call("opportunities/list", &[("query", query)]).await;
    ok(&r);
    json(&r)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_filters_and_totals_what_matches(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let tina = salesperson(&pool, "TINA").await;
    let globex = contact(&pool, "Globex", Some(tina)).await;
    let a = started(&mut admin, &pool, acme, sam).await;
    started(&mut admin, &pool, globex, tina).await;
    let r = create_with(
        &mut admin,
        &pool,
        globex,
        tina,
        &[
            ("description", "Servers"),
            ("estimated_value", "500"),
            ("priority", "high"),
        ],
    )
    .await;
    ok(&r);
    ok(&update(&mut admin, a, "Next", &[]).await);

    let total = |list: &Value| {
        (
            list["total"].as_i64().unwrap(),
            dec(&list["sum_estimated"]),
            dec(&list["sum_calculated"]),
        )
    };
    assert_eq!(
        total(&list(&mut admin, "").await),
        (3, d("20500.00"), d("725.00"))
    );
    assert_eq!(
        total(&list(&mut admin, &format!("salesperson={tina}")).await),
        (2, d("10500.00"), d("100.00"))
    );
    assert_eq!(
        total(&list(&mut admin, "priority=high").await),
        (1, d("500.00"), d("0.00"))
    );
    assert_eq!(
        total(&list(&mut admin, "status=not_started").await),
        (1, d("500.00"), d("0.00"))
    );
    assert_eq!(total(&list(&mut admin, "q=server").await).0, 1);
    assert_eq!(
        total(&list(&mut admin, "q=acme").await).0,
        1,
        "search looks at the contact's name"
    );
    let needs: i64 = sqlx::query_scalar(
        "select id from sales_cycle_stages where description = 'Needs analysis'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        total(&list(&mut admin, &format!("stage={needs}")).await),
        (1, d("10000.00"), d("625.00"))
    );
    let sorted = list(&mut admin, "sort=value&dir=desc").await;
    assert_eq!(sorted["items"][2]["description"], "Servers");
    let page = admin.get("/opportunities?status=all").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn cycle_and_stage_statistics_count_open_opportunities_and_days_at_each_stage(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let a = started(&mut admin, &pool, acme, sam).await;
    let b = started(&mut admin, &pool, acme, sam).await;
    let closed = started(&mut admin, &pool, acme, sam).await;
    ok(&close(
        &mut admin,
        closed,
        &[("outcome", "lost"), ("close_code", "LOST-PRICE")],
    )
    .await);
    // a leaves Qualification after 3 days, b after 6: 4.5 days on average.
    let in_3 = (today() + Days::new(3)).to_string();
    let in_6 = (today() + Days::new(6)).to_string();
    let far = (today() + Days::new(90)).to_string();
    ok(&update(
        &mut admin,
        a,
        "Next",
        &[("date_of_change", &in_3), ("estimated_closing_date", &far)],
    )
    .await);
    ok(&update(
        &mut admin,
        b,
        "Next",
        &[("date_of_change", &in_6), ("estimated_closing_date", &far)],
    )
    .await);
    ok(&update(&mut admin, b, "Update", &[("estimated_value", "20000")]).await);

    let cycles = app::setup::ops::cycles(&pool).await.unwrap();
    let standard = cycles.iter().find(|c| c.code == "STANDARD").unwrap();
    // Open only: a (10,000 at 6.25 % = 625) and b (20,000 at 6.25 % = 1,250).
    assert_eq!(
        (
            standard.open_count,
            standard.estimated_value,
            standard.calculated_value
        ),
        (2, d("30000.00"), d("1875.00"))
    );

    let detail = app::setup::ops::cycle(&pool, "STANDARD").await.unwrap();
    let stage = |name: &str| {
        detail
            .stages
            .iter()
            .find(|s| s.description == name)
            .unwrap()
            .statistics
            .clone()
    };
    let needs = stage("Needs analysis");
    assert_eq!(
        (
            needs.open_count,
            needs.estimated_value,
            needs.calculated_value
        ),
        (2, d("30000.00"), d("1875.00"))
    );
    // b's Update entry left Needs analysis after 0 days: (0) is the only inactive entry there.
    assert_eq!(needs.average_days, Some(d("0.0")));
    let qualification = stage("Qualification");
    assert_eq!(qualification.open_count, 0);
    // Inactive entries at Qualification: a (3 days), b (6 days); the lost one closed the same day (0).
    assert_eq!(qualification.average_days, Some(d("3.0")));
    assert_eq!(stage("Proposal").average_days, None);
}

#[sqlx::test(migrations = "../migrations")]
async fn statistics_per_salesperson_and_team(pool: PgPool) {
    let World {
        mut admin,
        sam,
        acme,
    } = world(&pool).await;
    let tina = salesperson(&pool, "TINA").await;
    team(&pool, "NORTH", &[sam, tina], &[]).await;
    let open = started(&mut admin, &pool, acme, sam).await;
    let won = started(&mut admin, &pool, acme, sam).await;
    let lost = started(&mut admin, &pool, acme, tina).await;
    ok(&close(
        &mut admin,
        won,
        &[
            ("outcome", "won"),
            ("close_code", "WON-PRICE"),
            ("amount_won", "12000"),
        ],
    )
    .await);
    ok(&close(
        &mut admin,
        lost,
        &[("outcome", "lost"), ("close_code", "LOST-PRICE")],
    )
    .await);
    let _ = open;

    let today = today().to_string();
    let r = admin
        .call(
            "opportunities/statistics",
            &[("from", &today), ("to", &today)],
        )
        .await;
    ok(&r);
    let s = json(&r);
    let row = |list: &str, name: &str| {
        s[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()
            .clone()
    };
    let sam_row = row("salespeople", "SAM");
    assert_eq!(
        (
            sam_row["open_count"].as_i64(),
            dec(&sam_row["open_estimated"]),
            dec(&sam_row["open_calculated"])
        ),
        (Some(1), d("10000"), d("100"))
    );
    assert_eq!(
        (sam_row["won_count"].as_i64(), dec(&sam_row["won_value"])),
        (Some(1), d("12000"))
    );
    let tina_row = row("salespeople", "TINA");
    assert_eq!(
        (
            tina_row["lost_count"].as_i64(),
            dec(&tina_row["lost_value"])
        ),
        (Some(1), d("10000"))
    );
    let north = row("teams", "NORTH");
    assert_eq!(
        (
            north["open_count"].as_i64(),
            north["won_count"].as_i64(),
            north["lost_count"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    // Win rate by value: 12,000 / (12,000 + 10,000) = 54.55 %.
    let figures: app::opportunities::statistics::Figures = serde_json::from_value(north).unwrap();
    assert_eq!(figures.win_rate_by_count(), Some(d("50.00")));
    assert_eq!(figures.win_rate_by_value(), Some(d("54.55")));
    // A period before the closes counts none of them.
    let r = admin
        .call(
            "opportunities/statistics",
            &[("from", "2020-01-01"), ("to", "2020-12-31")],
        )
        .await;
    assert_eq!(json(&r)["teams"][0]["won_count"], 0);
    let r = admin
        .call(
            "opportunities/statistics",
            &[("from", "2026-12-01"), ("to", "2026-01-01")],
        )
        .await;
    assert_eq!(
        refusal(&r, "to"),
        "The end of the period cannot be before its start."
    );
    // The page itself is rendered by the browser tests (accessibility.spec.ts).
}

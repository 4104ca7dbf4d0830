//! The board through the real router and a real database: columns and their totals, paging a
//! long column, a drop as an update (the same rules as the dialog), reordering by rank, scopes.

mod common;

use axum::http::StatusCode;
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

fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal: {v}"))
        .parse()
        .unwrap()
}

async fn stage(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("select id from sales_cycle_stages where description = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Opens `n` opportunities for `salesperson`, started at Qualification, worth 1,000.00 each.
async fn opportunities(b: &mut Browser, pool: &PgPool, salesperson: i64, n: usize) -> Vec<i64> {
    opportunities_with(b, pool, salesperson, n, &[]).await
}

/// [`opportunities`] with more fields of the create form (dates, …).
async fn opportunities_with(
    b: &mut Browser,
    pool: &PgPool,
    salesperson: i64,
    n: usize,
    extra: &[(&str, &str)],
) -> Vec<i64> {
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(salesperson)
        .fetch_one(pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(pool)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..n {
        let (description, contact, salesperson, cycle) = (
            format!("Deal {i}"),
            contact.to_string(),
            salesperson.to_string(),
            cycle.to_string(),
        );
        let mut form = vec![
            ("description", description.as_str()),
            ("contact_id", &contact),
            ("salesperson_id", &salesperson),
            ("cycle_id", &cycle),
            ("estimated_value", "1000"),
            ("activate_first_stage", "on"),
        ];
        form.extend_from_slice(extra);
        let r = b.call("opportunities/create", &form).await;
        ok(&r);
        ids.push(json(&r).as_i64().unwrap());
    }
    ids
}

async fn board(b: &mut Browser, query: &str) -> Value {
    let r = b.call("board/get", &[("query", query)]).await;
    ok(&r);
    json(&r)
}

fn column<'a>(board: &'a Value, title: &str) -> &'a Value {
    board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no column {title}"))
}

fn card_ids(column: &Value) -> Vec<i64> {
    column["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn columns_total_every_card_but_send_the_first_fifty(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let ids = opportunities(&mut admin, &pool, sam, 60).await;

    let b = board(&mut admin, "").await;
    assert_eq!(b["cycle_code"], "STANDARD");
    let titles: Vec<&str> = b["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Not started",
            "Qualification",
            "Needs analysis",
            "Proposal",
            "Negotiation",
            "Verbal agreement"
        ]
    );
    let q = column(&b, "Qualification");
    assert_eq!(q["count"], 60);
    assert_eq!(dec(&q["estimated"]), d("60000.00"));
    assert_eq!(
        dec(&q["calculated"]),
        d("600.00"),
        "10 × 10 % of 1,000.00 = 10.00 each"
    );
    assert_eq!(
        card_ids(q),
        ids[..50].to_vec(),
        "the first 50 in creation (rank) order"
    );
    let card = &q["cards"][0];
    assert_eq!(card["description"], "Deal 0");
    assert_eq!(card["can_move"], true);
    assert_eq!(card["state"]["active"]["entry_no"], 1);

    // The rest of the column pages in after the last card shown.
    let last = &q["cards"][49];
    let r = admin
        .call(
            "board/more",
            &[
                ("query", ""),
                ("stage", &stage(&pool, "Qualification").await.to_string()),
                ("after_rank", last["rank"].as_str().unwrap()),
                ("after_id", &last["id"].to_string()),
            ],
        )
        .await;
    ok(&r);
    let more: Vec<i64> = json(&r)
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(more, ids[50..].to_vec());

    // Filters narrow the cards and the totals alike.
    let b = board(&mut admin, "q=Deal%205").await;
    assert_eq!(
        column(&b, "Qualification")["count"],
        11,
        "Deal 5 and Deal 50–59"
    );
    assert_eq!(admin.get("/board").await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_drop_is_an_update_with_the_same_rules_and_lands_where_it_was_dropped(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let ids = opportunities(&mut admin, &pool, sam, 3).await;
    let needs = stage(&pool, "Needs analysis").await;
    let proposal = stage(&pool, "Proposal").await;

    // Move the first two to Needs analysis; the third lands between them.
    for id in &ids[..2] {
        let r = admin
            .call(
                "board/move",
                &[
                    ("id", &id.to_string()),
                    ("version", "2"),
                    ("action", "Next"),
                    ("target_stage", &needs.to_string()),
                ],
            )
            .await;
        ok(&r);
    }
    let b = board(&mut admin, "").await;
    let column_cards = &column(&b, "Needs analysis")["cards"];
    let (first, second) = (
        column_cards[0]["rank"].as_str().unwrap(),
        column_cards[1]["rank"].as_str().unwrap(),
    );
    let between = app::domain::rank::between(Some(first), Some(second)).unwrap();
    let r = admin
        .call(
            "board/move",
            &[
                ("id", &ids[2].to_string()),
                ("version", "2"),
                ("action", "Next"),
                ("target_stage", &needs.to_string()),
                ("rank", &between),
            ],
        )
        .await;
    ok(&r);
    let b = board(&mut admin, "").await;
    assert_eq!(
        card_ids(column(&b, "Needs analysis")),
        vec![ids[0], ids[2], ids[1]]
    );
    assert_eq!(column(&b, "Qualification")["count"], 0);
    assert_eq!(
        dec(&column(&b, "Needs analysis")["calculated"]),
        d("187.50"),
        "3 × 6.25 % of 1,000.00"
    );
    let entries: i64 =
        sqlx::query_scalar("select count(*) from opportunity_entries where opportunity_id = $1")
            .bind(ids[2])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(entries, 2, "the drop recorded one entry");

    // Proposal requires a quote: the drop is refused with the dialog's message, nothing moves.
    let r = admin
        .call(
            "board/move",
            &[
                ("id", &ids[0].to_string()),
                ("version", "3"),
                ("action", "Next"),
                ("target_stage", &proposal.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(&r)["Validation"]["form"],
        "Attach a quote before moving to Proposal."
    );
    // A stale card: changed by someone else.
    let r = admin
        .call(
            "board/move",
            &[
                ("id", &ids[0].to_string()),
                ("version", "1"),
                ("action", "Previous"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // A malformed rank is refused before anything is written.
    let r = admin
        .call(
            "board/move",
            &[
                ("id", &ids[0].to_string()),
                ("version", "3"),
                ("action", "Previous"),
                ("rank", "DROP TABLE"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let b = board(&mut admin, "").await;
    assert_eq!(
        card_ids(column(&b, "Needs analysis")),
        vec![ids[0], ids[2], ids[1]]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_overdue_card_moves_only_with_a_new_closing_date(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    // Started in January 2025, expected to close in February 2025.
    let opportunity = opportunities_with(
        &mut admin,
        &pool,
        sam,
        1,
        &[
            ("creation_date", "2025-01-06"),
            ("estimated_closing_date", "2025-02-28"),
        ],
    )
    .await[0];
    let needs_id = stage(&pool, "Needs analysis").await;
    let entries = || async {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from opportunity_entries where opportunity_id = $1",
        )
        .bind(opportunity)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let (id, needs) = (opportunity.to_string(), needs_id.to_string());
    // The board's drop (Next to Needs analysis), with or without a new estimated closing date.
    let drop = |date: Option<&'static str>| {
        let mut form = vec![
            ("id", id.as_str()),
            ("version", "2"),
            ("action", "Next"),
            ("target_stage", needs.as_str()),
        ];
        form.extend(date.map(|d| ("estimated_closing_date", d)));
        form
    };

    // The carried-over date has passed: refused, on the field the board asks for.
    let r = admin.call("board/move", &drop(None)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        json(&r)["Validation"]["estimated_closing_date"]
            .as_str()
            .is_some_and(|m| m.contains("cannot be before")),
        "{}",
        r.body
    );
    // A date that is not a date.
    let r = admin.call("board/move", &drop(Some("soon"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(entries().await, 1, "refused drops record nothing");

    // With a new date the move goes through and the new entry carries it.
    ok(&admin.call("board/move", &drop(Some("2099-06-30"))).await);
    let (stage_id, closing): (i64, chrono::NaiveDate) =
        sqlx::query_as("select stage_id, estimated_closing_date from opportunity_entries where opportunity_id = $1 and active")
            .bind(opportunity)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (stage_id, closing.to_string().as_str()),
        (needs_id, "2099-06-30")
    );
    assert_eq!(entries().await, 2);
}

#[sqlx::test(migrations = "../migrations")]
async fn reordering_persists_and_only_the_owner_side_may_do_it(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    let tina = salesperson(&pool, "TINA").await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    user(&pool, "tina@example.com", "salesperson", Some(tina)).await;
    team(&pool, "NORTH", &[sam, tina], &[]).await;
    let mut sam_b = signed_in(&pool, "sam@example.com").await;
    let ids = opportunities(&mut sam_b, &pool, sam, 3).await;

    // The last card goes to the top.
    let b = board(&mut sam_b, "").await;
    let top = column(&b, "Qualification")["cards"][0]["rank"]
        .as_str()
        .unwrap()
        .to_owned();
    let rank = app::domain::rank::between(None, Some(&top)).unwrap();
    ok(&sam_b
        .call(
            "board/reorder",
            &[("id", &ids[2].to_string()), ("rank", &rank)],
        )
        .await);
    let b = board(&mut sam_b, "").await;
    assert_eq!(
        card_ids(column(&b, "Qualification")),
        vec![ids[2], ids[0], ids[1]]
    );
    let entries: i64 =
        sqlx::query_scalar("select count(*) from opportunity_entries where opportunity_id = $1")
            .bind(ids[2])
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(entries, 1, "a reorder is not an entry");

    // Tina sees Sam's cards (same team) but may not move or reorder them.
    let mut tina_b = signed_in(&pool, "tina@example.com").await;
    let b = board(&mut tina_b, "").await;
    assert_eq!(column(&b, "Qualification")["cards"][0]["can_move"], false);
    let r = tina_b
        .call(
            "board/reorder",
            &[("id", &ids[0].to_string()), ("rank", "a")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = tina_b
        .call(
            "board/move",
            &[
                ("id", &ids[0].to_string()),
                ("version", "2"),
                ("action", "Next"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Bad ranks are refused.
    assert_eq!(
        sam_b
            .call(
                "board/reorder",
                &[("id", &ids[0].to_string()), ("rank", "a0")]
            )
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        sam_b
            .call("board/reorder", &[("id", "999999"), ("rank", "a")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

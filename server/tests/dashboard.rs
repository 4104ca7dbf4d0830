//! The dashboard against a real database, on small hand-computed data: pipeline by stage (equal
//! to the board's column totals), forecast, velocity inputs, funnel, leaderboard, scoping.

mod common;

use axum::http::StatusCode;
use common::app::*;
use serde_json::Value;
use sqlx::PgPool;

fn json(r: &Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

fn ok(r: &Reply) {
    assert!(r.status.is_success(), "expected success, got {} {}", r.status, r.body);
}

fn d(s: &str) -> rust_decimal::Decimal {
    s.parse().unwrap()
}

fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str().unwrap_or_else(|| panic!("not a decimal: {v}")).parse().unwrap()
}

async fn create(b: &mut Browser, pool: &PgPool, salesperson: i64, value: &str) -> i64 {
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(salesperson)
        .fetch_one(pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'").fetch_one(pool).await.unwrap();
    let r = b
        .call("opportunities/create", &[
            ("description", "Deal"),
            ("contact_id", &contact.to_string()),
            ("salesperson_id", &salesperson.to_string()),
            ("cycle_id", &cycle.to_string()),
            ("estimated_value", value),
            ("activate_first_stage", "on"),
        ])
        .await;
    ok(&r);
    json(&r).as_i64().unwrap()
}

async fn version(b: &mut Browser, id: i64) -> String {
    json(&b.call("opportunities/get", &[("id", &id.to_string())]).await)["version"].to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn panels_add_up_on_hand_computed_data(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    let tina = salesperson(&pool, "TINA").await;
    let otto = salesperson(&pool, "OTTO").await;
    team(&pool, "NORTH", &[sam, tina], &[]).await;
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "tina@example.com", "salesperson", Some(tina)).await;
    user(&pool, "otto@example.com", "salesperson", Some(otto)).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;

    // Sam: one open at Needs analysis (2,000 × 6.25 % = 125), one won for 3,000.
    let a = create(&mut admin, &pool, sam, "2000").await;
    let v = version(&mut admin, a).await;
    ok(&admin.call("opportunities/update", &[("id", &a.to_string()), ("version", &v), ("action", "Next")]).await);
    let won = create(&mut admin, &pool, sam, "1000").await;
    let v = version(&mut admin, won).await;
    ok(&admin.call("opportunities/close", &[("id", &won.to_string()), ("version", &v), ("outcome", "won"), ("close_code", "WON-PRICE"), ("amount_won", "3000")]).await);
    // Tina: one open at Qualification (4,000 × 1 % = 40), one lost.
    create(&mut admin, &pool, tina, "4000").await;
    let lost = create(&mut admin, &pool, tina, "500").await;
    let v = version(&mut admin, lost).await;
    ok(&admin.call("opportunities/close", &[("id", &lost.to_string()), ("version", &v), ("outcome", "lost"), ("close_code", "LOST-PRICE")]).await);
    // Otto (no team): one open at Qualification (10,000 → 100).
    create(&mut admin, &pool, otto, "10000").await;

    let r = admin.call("dashboard/get", &[]).await;
    ok(&r);
    let dash = json(&r);
    let stage = |name: &str| dash["pipeline"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    let q = stage("Qualification");
    assert_eq!((q["count"].as_i64(), dec(&q["estimated"]), dec(&q["calculated"])), (Some(2), d("14000.00"), d("140.00")));
    let n = stage("Needs analysis");
    assert_eq!((n["count"].as_i64(), dec(&n["calculated"])), (Some(1), d("125.00")));
    // Funnel (created in the period): 5 reached Qualification, 1 went on to Needs analysis.
    assert_eq!((q["reached"].as_i64(), n["reached"].as_i64()), (Some(5), Some(1)));
    // The board's column totals are the same numbers.
    let board = json(&admin.call("board/get", &[("query", "")]).await);
    let column = board["columns"].as_array().unwrap().iter().find(|c| c["title"] == "Qualification").unwrap().clone();
    assert_eq!((column["count"].as_i64(), dec(&column["calculated"])), (Some(2), d("140.00")));

    // Velocity: 3 open × 3,000.00 × 50 % (1 won, 1 lost) / cycle length 0 days → no data.
    let v = &dash["velocity"];
    assert_eq!(v["open_count"], 3);
    assert_eq!(dec(&v["average_won_value"]), d("3000.00"));
    assert_eq!(dec(&v["win_rate"]), d("50.00"));
    assert_eq!(dec(&v["average_cycle_days"]), d("0"));
    // Forecast: this month's won amount is 3,000; the open value sits in the month a month from now.
    let forecast = dash["forecast"].as_array().unwrap();
    assert_eq!(forecast.len(), 12);
    let won_total: rust_decimal::Decimal = forecast.iter().map(|m| dec(&m["won"])).sum();
    assert_eq!(won_total, d("3000.00"));
    let open_total: rust_decimal::Decimal = forecast.iter().map(|m| dec(&m["open_calculated"])).sum();
    assert_eq!(open_total, d("265.00"), "125 + 40 + 100, all closing within six months");
    // Leaderboard: Sam first (won 3,000).
    assert_eq!(dash["leaderboard"][0]["name"], "SAM");

    // Filtered to the team: Otto's opportunity is out.
    let north: i64 = sqlx::query_scalar("select id from teams where code = 'NORTH'").fetch_one(&pool).await.unwrap();
    let dash = json(&admin.call("dashboard/get", &[("team", &north.to_string())]).await);
    let q = dash["pipeline"].as_array().unwrap().iter().find(|s| s["name"] == "Qualification").unwrap().clone();
    assert_eq!((q["count"].as_i64(), dec(&q["calculated"])), (Some(1), d("40.00")));
    assert_eq!(dash["leaderboard"].as_array().unwrap().len(), 2);

    // Scopes: Otto sees only his own; Tina her team's.
    let mut otto_b = signed_in(&pool, "otto@example.com").await;
    let dash = json(&otto_b.call("dashboard/get", &[]).await);
    let total: i64 = dash["pipeline"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 1);
    assert_eq!(dash["leaderboard"].as_array().unwrap().len(), 1);
    let mut tina_b = signed_in(&pool, "tina@example.com").await;
    let dash = json(&tina_b.call("dashboard/get", &[]).await);
    let total: i64 = dash["pipeline"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 2);

    // An empty period: no data, not NaN.
    let dash = json(&admin.call("dashboard/get", &[("from", "2020-01-01"), ("to", "2020-01-31")]).await);
    assert!(dash["velocity"]["win_rate"].is_null());
    assert!(dash["velocity"]["average_won_value"].is_null());
    let r = admin.call("dashboard/get", &[("from", "2026-02-01"), ("to", "2026-01-01")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn time_in_stage_averages_the_entries_that_left_and_names_the_slowest_open(pool: PgPool) {
    let sam = salesperson(&pool, "SAM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let far = (chrono::Local::now().date_naive() + chrono::Days::new(60)).to_string();
    // Three leave Qualification after 1, 2 and 6 days: average 3, median 2.
    for after in [1u64, 2, 6] {
        let id = create(&mut admin, &pool, sam, "1000").await;
        let v = version(&mut admin, id).await;
        let date = (chrono::Local::now().date_naive() + chrono::Days::new(after)).to_string();
        ok(&admin
            .call("opportunities/update", &[("id", &id.to_string()), ("version", &v), ("action", "Next"), ("date_of_change", &date), ("estimated_closing_date", &far)])
            .await);
    }
    let waiting = create(&mut admin, &pool, sam, "1000").await;
    let dash = json(&admin.call("dashboard/get", &[]).await);
    let q = dash["time_in_stage"].as_array().unwrap().iter().find(|t| t["name"] == "Qualification").unwrap().clone();
    assert_eq!(dec(&q["average"]), d("3.0"));
    assert_eq!(dec(&q["median"]), d("2"));
    assert_eq!(q["slowest"][0], waiting, "the only open one still at Qualification");
    let p = dash["time_in_stage"].as_array().unwrap().iter().find(|t| t["name"] == "Proposal").unwrap().clone();
    assert!(p["average"].is_null() && p["slowest"].is_null(), "no data, not 0");
}

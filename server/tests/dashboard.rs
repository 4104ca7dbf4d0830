//! The dashboard against a real database, on small hand-computed data: pipeline by stage (equal
//! to the board's column totals), forecast, velocity inputs, funnel, leaderboard, scoping.

mod common;

use chrono::Datelike;

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

async fn create(b: &mut Browser, pool: &PgPool, salesperson: i64, value: &str) -> i64 {
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(salesperson)
        .fetch_one(pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(pool)
        .await
        .unwrap();
    let r = b
        .call(
            "opportunities/create",
            &[
                ("description", "Deal"),
                ("contact_id", &contact.to_string()),
                ("salesperson_id", &salesperson.to_string()),
                ("cycle_id", &cycle.to_string()),
                ("estimated_value", value),
                ("activate_first_stage", "on"),
            ],
        )
        .await;
    ok(&r);
    json(&r).as_i64().unwrap()
}

async fn version(b: &mut Browser, id: i64) -> String {
    json(
        &b.call("opportunities/get", &[("id", &id.to_string())])
            .await,
    )["version"]
        .to_string()
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
    ok(&admin
        .call(
            "opportunities/update",
            &[("id", &a.to_string()), ("version", &v), ("action", "Next")],
        )
        .await);
    let won = create(&mut admin, &pool, sam, "1000").await;
    let v = version(&mut admin, won).await;
    ok(&admin
        .call(
            "opportunities/close",
            &[
                ("id", &won.to_string()),
                ("version", &v),
                ("outcome", "won"),
                ("close_code", "WON-PRICE"),
                ("amount_won", "3000"),
            ],
        )
        .await);
    // Tina: one open at Qualification (4,000 × 1 % = 40), one lost.
    create(&mut admin, &pool, tina, "4000").await;
    let lost = create(&mut admin, &pool, tina, "500").await;
    let v = version(&mut admin, lost).await;
    ok(&admin
        .call(
            "opportunities/close",
            &[
                ("id", &lost.to_string()),
                ("version", &v),
                ("outcome", "lost"),
                ("close_code", "LOST-PRICE"),
            ],
        )
        .await);
    // Otto (no team): one open at Qualification (10,000 → 100).
    create(&mut admin, &pool, otto, "10000").await;
    // Sam: one not started yet (800, no stage, so no calculated value).
    let contact: i64 = sqlx::query_scalar("select id from contacts order by id limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cycle: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(&pool)
        .await
        .unwrap();
    ok(&admin
        .call(
            "opportunities/create",
            &[
                ("description", "Waiting"),
                ("contact_id", &contact.to_string()),
                ("salesperson_id", &sam.to_string()),
                ("cycle_id", &cycle.to_string()),
                ("estimated_value", "800"),
            ],
        )
        .await);

    let r = admin.call("dashboard/get", &[]).await;
    ok(&r);
    let dash = json(&r);
    let stage = |name: &str| {
        dash["pipeline"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let q = stage("Qualification");
    assert_eq!(
        (
            q["count"].as_i64(),
            dec(&q["estimated"]),
            dec(&q["calculated"])
        ),
        (Some(2), d("14000.00"), d("140.00"))
    );
    let n = stage("Needs analysis");
    assert_eq!(
        (n["count"].as_i64(), dec(&n["calculated"])),
        (Some(1), d("125.00"))
    );
    // Funnel (created in the period): 5 reached Qualification, 1 went on to Needs analysis.
    assert_eq!(
        (q["reached"].as_i64(), n["reached"].as_i64()),
        (Some(5), Some(1))
    );
    // The board's column totals are the same numbers.
    let board = json(&admin.call("board/get", &[("query", "")]).await);
    let column = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Qualification")
        .unwrap()
        .clone();
    assert_eq!(
        (column["count"].as_i64(), dec(&column["calculated"])),
        (Some(2), d("140.00"))
    );
    // Not started: its own row, and the totals are the board's, column for column.
    assert_eq!(
        (
            dash["not_started"][0].as_i64(),
            dec(&dash["not_started"][1]),
            dec(&dash["not_started"][2])
        ),
        (Some(1), d("800.00"), d("0"))
    );
    let columns = board["columns"].as_array().unwrap();
    assert_eq!(columns[0]["title"], "Not started");
    assert_eq!(columns[0]["count"].as_i64(), Some(1));
    let board_total: i64 = columns.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    let pipeline_total: i64 = dash["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum::<i64>()
        + dash["not_started"][0].as_i64().unwrap();
    assert_eq!((board_total, pipeline_total), (4, 4));

    // Velocity: 4 open × 3,000.00 × 50 % (1 won, 1 lost) / cycle length 0 days → no data.
    let v = &dash["velocity"];
    assert_eq!(v["open_count"], 4);
    assert_eq!(
        (v["won_count"].as_i64(), v["lost_count"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(dec(&v["won_value"]), d("3000.00"));
    assert_eq!(v["won_days"], 0);
    // Forecast: this month's won amount is 3,000; the open value sits in the month a month from now.
    let forecast = dash["forecast"].as_array().unwrap();
    assert_eq!(forecast.len(), 12);
    let won_total: rust_decimal::Decimal = forecast.iter().map(|m| dec(&m["won"])).sum();
    assert_eq!(won_total, d("3000.00"));
    let open_total: rust_decimal::Decimal =
        forecast.iter().map(|m| dec(&m["open_calculated"])).sum();
    assert_eq!(
        open_total,
        d("265.00"),
        "125 + 40 + 100, all closing within six months"
    );
    // Leaderboard: Sam first (won 3,000).
    assert_eq!(dash["leaderboard"][0]["name"], "SAM");

    // Filtered to the team: Otto's opportunity is out.
    let north: i64 = sqlx::query_scalar("select id from teams where code = 'NORTH'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let dash = json(
        &admin
            .call("dashboard/get", &[("team", &north.to_string())])
            .await,
    );
    let q = dash["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Qualification")
        .unwrap()
        .clone();
    assert_eq!(
        (q["count"].as_i64(), dec(&q["calculated"])),
        (Some(1), d("40.00"))
    );
    assert_eq!(dash["leaderboard"].as_array().unwrap().len(), 2);

    // Scopes: Otto sees only his own; Tina her team's.
    let mut otto_b = signed_in(&pool, "otto@example.com").await;
    let dash = json(&otto_b.call("dashboard/get", &[]).await);
    let total: i64 = dash["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1);
    assert_eq!(dash["leaderboard"].as_array().unwrap().len(), 1);
    let mut tina_b = signed_in(&pool, "tina@example.com").await;
    let dash = json(&tina_b.call("dashboard/get", &[]).await);
    let total: i64 = dash["pipeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2);

    // An empty period: no data, not NaN.
    let dash = json(
        &admin
            .call(
                "dashboard/get",
                &[("from", "2020-01-01"), ("to", "2020-01-31")],
            )
            .await,
    );
    let v = &dash["velocity"];
    assert_eq!(
        (v["won_count"].as_i64(), v["lost_count"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(dec(&v["won_value"]), d("0"));
    let r = admin
        .call(
            "dashboard/get",
            &[("from", "2026-02-01"), ("to", "2026-01-01")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(admin.get("/dashboard").await.status, StatusCode::OK);
}

/// Team figures add up every member, so only the viewer's own teams are shown as teams: a
/// salesperson's teams, a manager's managed teams. A team that merely shares one member with them
/// stays out (its other members are out of reach: its figures would be partial).
#[sqlx::test(migrations = "../migrations")]
async fn each_role_sees_its_own_teams_with_their_whole_figures(pool: PgPool) {
    let ann = salesperson(&pool, "ANN").await;
    let bob = salesperson(&pool, "BOB").await;
    let carl = salesperson(&pool, "CARL").await;
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "ann@example.com", "salesperson", Some(ann)).await;
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    let north = team(&pool, "NORTH", &[ann, bob], &[]).await;
    let south = team(&pool, "SOUTH", &[bob, carl], &[mia]).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    for (who, value) in [(ann, "1000"), (bob, "2000"), (carl, "4000")] {
        let id = create(&mut admin, &pool, who, value).await;
        let v = version(&mut admin, id).await;
        ok(&admin
            .call(
                "opportunities/close",
                &[
                    ("id", &id.to_string()),
                    ("version", &v),
                    ("outcome", "won"),
                    ("close_code", "WON-PRICE"),
                    ("amount_won", value),
                ],
            )
            .await);
    }
    let teams_of = |dash: &Value| -> Vec<(i64, i64)> {
        dash["teams_figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["id"].as_i64().unwrap(), t["won_count"].as_i64().unwrap()))
            .collect()
    };
    let choices = |dash: &Value| -> Vec<i64> {
        dash["teams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    let dash = json(&admin.call("dashboard/get", &[]).await);
    assert_eq!(teams_of(&dash), [(north, 2), (south, 2)]);
    assert_eq!(choices(&dash), [north, south]);
    // Ann reads Bob (her teammate) but not Carl: South is not hers.
    let mut ann_b = signed_in(&pool, "ann@example.com").await;
    let dash = json(&ann_b.call("dashboard/get", &[]).await);
    assert_eq!(teams_of(&dash), [(north, 2)]);
    assert_eq!(choices(&dash), [north]);
    // Mia manages South: Bob and Carl, whole; North (Ann's) is not hers.
    let mut mia_b = signed_in(&pool, "mia@example.com").await;
    let dash = json(&mia_b.call("dashboard/get", &[]).await);
    assert_eq!(teams_of(&dash), [(south, 2)]);
    assert_eq!(choices(&dash), [south]);
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
            .call(
                "opportunities/update",
                &[
                    ("id", &id.to_string()),
                    ("version", &v),
                    ("action", "Next"),
                    ("date_of_change", &date),
                    ("estimated_closing_date", &far),
                ],
            )
            .await);
    }
    let waiting = create(&mut admin, &pool, sam, "1000").await;
    let dash = json(&admin.call("dashboard/get", &[]).await);
    let q = dash["time_in_stage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Qualification")
        .unwrap()
        .clone();
    assert_eq!(dec(&q["average"]), d("3.0"));
    assert_eq!(dec(&q["median"]), d("2"));
    assert_eq!(
        q["slowest"][0], waiting,
        "the only open one still at Qualification"
    );
    let p = dash["time_in_stage"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Proposal")
        .unwrap()
        .clone();
    assert!(
        p["average"].is_null() && p["slowest"].is_null(),
        "no data, not 0"
    );
}

/// The summaries the dashboard reads (furthest stage, time in stage, closes and funnel by day
/// and by month) against a from-scratch recomputation, through `server check`'s own rules (whose
/// test damages each summary and expects it named).
async fn assert_summaries_match_entries(pool: &PgPool, after: &str) {
    // The consistency check's rules include every summary against its recomputation.
    let report = server::check::check(pool).await.unwrap();
    assert_eq!(report.problems(), 0, "after {after}: {report}");
}

#[sqlx::test(migrations = "../migrations")]
async fn summaries_equal_a_recomputation_after_random_moves_closes_and_renumbering(pool: PgPool) {
    use rand::{Rng, SeedableRng};
    let people = [
        salesperson(&pool, "SAM").await,
        salesperson(&pool, "TINA").await,
        salesperson(&pool, "OTTO").await,
    ];
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let stages: Vec<i64> = sqlx::query_scalar(
        "select s.id from sales_cycle_stages s join sales_cycles c on c.id = s.cycle_id where c.code = 'STANDARD' order by s.stage",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
    let mut ids = Vec::new();
    for i in 0..10 {
        let id = create(
            &mut admin,
            &pool,
            people[i % 3],
            &format!("{}", 1000 + i * 250),
        )
        .await;
        // Half get a quote at once, so that they can go past the stages that need one.
        if i % 2 == 0 {
            let v = version(&mut admin, id).await;
            ok(&admin
                .call(
                    "opportunities/quote/add-line",
                    &[
                        ("id", &id.to_string()),
                        ("version", &v),
                        ("description", "Licences"),
                        ("quantity", "2"),
                        ("unit_price", "900"),
                    ],
                )
                .await);
        }
        ids.push(id);
    }
    let today = chrono::Local::now().date_naive();
    let (mut applied, mut refused) = (0, 0);
    for step in 0..160u64 {
        let id = ids[rng.gen_range(0..ids.len())];
        let v = version(&mut admin, id).await;
        // Dates move forward through the run, so days open vary.
        let date = (today + chrono::Days::new(step / 4)).to_string();
        let far = (today + chrono::Days::new(200)).to_string();
        let target = stages[rng.gen_range(0..stages.len())].to_string();
        let (id_s, roll) = (id.to_string(), rng.gen_range(0..100));
        let r = match roll {
            0..4 => {
                admin
                    .call(
                        "opportunities/close",
                        &[
                            ("id", &id_s),
                            ("version", &v),
                            ("outcome", "won"),
                            ("close_code", "WON-PRICE"),
                            ("date", &date),
                        ],
                    )
                    .await
            }
            4..7 => {
                admin
                    .call(
                        "opportunities/close",
                        &[
                            ("id", &id_s),
                            ("version", &v),
                            ("outcome", "lost"),
                            ("close_code", "LOST-PRICE"),
                            ("date", &date),
                        ],
                    )
                    .await
            }
            _ => {
                let action = ["Next", "Next", "Next", "Previous", "Skip", "Jump", "Update"]
                    [rng.gen_range(0..7)];
                let mut form = vec![
                    ("id", id_s.as_str()),
                    ("version", v.as_str()),
                    ("action", action),
                    ("date_of_change", date.as_str()),
                    ("estimated_closing_date", far.as_str()),
                ];
                if matches!(action, "Skip" | "Jump") {
                    form.push(("target_stage", target.as_str()));
                }
                admin.call("opportunities/update", &form).await
            }
        };
        if r.status.is_success() {
            applied += 1;
        } else {
            assert!(
                r.status.is_client_error(),
                "a refused move is a 4xx: {} {}",
                r.status,
                r.body
            );
            refused += 1;
        }
        if step % 40 == 39 {
            assert_summaries_match_entries(&pool, &format!("{} moves and closes", step + 1)).await;
        }
    }
    assert!(
        applied > 40 && refused > 0,
        "{applied} applied, {refused} refused: the run exercised both"
    );

    // An admin swaps two stages that opportunities have been at: "furthest" follows the numbers.
    let r = admin
        .call(
            "setup/stage_move",
            &[("id", &stages[1].to_string()), ("direction", "down")],
        )
        .await;
    assert!(r.status.is_success(), "{} {}", r.status, r.body);
    assert_summaries_match_entries(&pool, "swapping stages 2 and 3").await;

    // The funnel on the dashboard is the list's count for the same filter: for the default
    // period, and for periods read from whole months (funnel_by_month), from days only, and from
    // both (funnel_by_day for the days around the whole months).
    let today = chrono::Utc::now().date_naive();
    let month = today.with_day(1).unwrap();
    let month_end = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .pred_opt()
        .unwrap();
    let periods = [
        None,
        Some((month, month_end)),
        Some((today, today)),
        Some((today - chrono::Days::new(400), today)),
        Some((
            month - chrono::Days::new(3),
            month_end + chrono::Days::new(3),
        )),
        Some((
            chrono::NaiveDate::from_ymd_opt(2000, 1, 15).unwrap(),
            today + chrono::Days::new(400),
        )),
    ];
    let mut closes_seen = 0;
    for period in periods {
        let dash = match period {
            None => json(&admin.call("dashboard/get", &[]).await),
            Some((from, to)) => json(
                &admin
                    .call(
                        "dashboard/get",
                        &[("from", &from.to_string()), ("to", &to.to_string())],
                    )
                    .await,
            ),
        };
        let mut reached_any = 0;
        for stage in dash["pipeline"].as_array().unwrap() {
            let query = format!(
                "status=all&cycle={}&created_from={}&created_to={}&reached={}",
                dash["cycle_id"],
                dash["from"].as_str().unwrap(),
                dash["to"].as_str().unwrap(),
                stage["number"]
            );
            let list = json(&admin.call("opportunities/list", &[("query", &query)]).await);
            assert_eq!(
                list["total"], stage["reached"],
                "reached {} in {period:?}",
                stage["name"]
            );
            reached_any += stage["reached"].as_i64().unwrap_or(0);
        }
        assert!(
            reached_any > 0,
            "the period {period:?} has opportunities to count"
        );
        // The leaderboard's closes (closed_by_month for whole months, closed_by_day for the days
        // around them) are the opportunities closed in the period.
        let closes: i64 = dash["leaderboard"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["won_count"].as_i64().unwrap() + f["lost_count"].as_i64().unwrap())
            .sum();
        let expected: i64 = sqlx::query_scalar(
            "select count(*) from opportunities where closed and date_closed between $1::date and $2::date",
        )
        .bind(dash["from"].as_str().unwrap())
        .bind(dash["to"].as_str().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(closes, expected, "closes in {period:?}");
        closes_seen += expected;
    }
    assert!(closes_seen > 0, "some period had closes to count");
    let dash = json(&admin.call("dashboard/get", &[]).await);
    for t in dash["time_in_stage"].as_array().unwrap() {
        let expected: i64 = sqlx::query_scalar("select count(distinct opportunity_id) from opportunity_entries where stage_id = $1 and not active")
            .bind(t["stage_id"].as_i64().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
        let list = json(
            &admin
                .call(
                    "opportunities/list",
                    &[("query", &format!("status=all&left_stage={}", t["stage_id"]))],
                )
                .await,
        );
        assert_eq!(list["total"].as_i64(), Some(expected), "left {}", t["name"]);
    }
}

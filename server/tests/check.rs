//! The consistency check (`pipeline check`): green on data made by the product (seeded histories
//! and real moves and closes), and each rule of DOMAIN.md names the opportunity that breaks it
//! when the data is damaged behind the product's back.

mod common;

use std::time::Duration;

use common::{app::*, run_to_end, server, url_of};
use server::{
    check::{Report, check},
    seed::{SeedArgs, seed},
};
use sqlx::{Connection, PgConnection, PgPool};

async fn seeded(pool: &PgPool) {
    let args = SeedArgs {
        seed: 7,
        salespeople: 4,
        teams: 2,
        contacts: 60,
        opportunities: 150,
        history: true,
        password: "pipeline demo".into(),
    };
    seed(pool, &args).await.expect("seed");
}

/// Moves and closes through the product's own operations, as a salesperson would.
async fn real_activity(pool: &PgPool) {
    user(pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(pool, "admin@example.com").await;
    let open: Vec<i64> = sqlx::query_scalar("select id from opportunities where not closed and status = 'in_progress' order by id limit 3")
        .fetch_all(pool)
        .await
        .unwrap();
    let far = (chrono::Local::now().date_naive() + chrono::Days::new(90)).to_string();
    for (i, id) in open.iter().enumerate() {
        let version: i32 = sqlx::query_scalar("select version from opportunities where id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap();
        let id = id.to_string();
        let version = version.to_string();
        let r = if i == 2 {
            admin
                .call(
                    "opportunities/close",
                    &[
                        ("id", &id),
                        ("version", &version),
                        ("outcome", "lost"),
                        ("close_code", "LOST-PRICE"),
                    ],
                )
                .await
        } else {
            admin
                .call(
                    "opportunities/update",
                    &[
                        ("id", &id),
                        ("version", &version),
                        ("action", "Update"),
                        ("estimated_value", "1234.56"),
                        ("chances", "33.33"),
                        ("estimated_closing_date", &far),
                    ],
                )
                .await
        };
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
    }
}

fn finding<'a>(report: &'a Report, rule_starts: &str) -> &'a server::check::Finding {
    report
        .findings
        .iter()
        .find(|f| f.rule.starts_with(rule_starts))
        .unwrap_or_else(|| panic!("no rule {rule_starts:?}"))
}

fn names(report: &Report, rule_starts: &str, subject: &str) -> bool {
    finding(report, rule_starts)
        .examples
        .iter()
        .any(|(s, _)| s == subject)
}

#[sqlx::test(migrations = "../migrations")]
async fn data_made_by_the_product_passes_every_rule(pool: PgPool) {
    seeded(&pool).await;
    real_activity(&pool).await;
    let report = check(&pool).await.unwrap();
    assert!(
        report.opportunities >= 150 && report.entries > report.opportunities,
        "{report}"
    );
    assert_eq!(report.problems(), 0, "{report}");
    assert!(report.to_string().ends_with("No problems found."));
}

#[sqlx::test(migrations = "../migrations")]
async fn each_rule_names_what_breaks_it(pool: PgPool) {
    seeded(&pool).await;
    // Damage behind the product's back: triggers (append-only entries, summaries) and foreign
    // keys off for this connection only.
    let mut conn = PgConnection::connect_with(&pool.connect_options())
        .await
        .unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut conn)
        .await
        .unwrap();
    let pick = |sql: &'static str| sqlx::query_as::<_, (i64, String)>(sql);
    let many = "select o.id, o.no from opportunities o where o.entry_count >= 3 and not o.closed order by o.id";
    let candidates: Vec<(i64, String)> = pick(many).fetch_all(&mut conn).await.unwrap();
    assert!(
        candidates.len() >= 7,
        "the seed should give open opportunities with three entries or more"
    );
    let [a, b, c, d, e, f, g] = [0, 1, 2, 3, 4, 5, 6].map(|i| candidates[i].clone());

    // a: no active entry.
    sqlx::query("update opportunity_entries set active = false where opportunity_id = $1")
        .bind(a.0)
        .execute(&mut conn)
        .await
        .unwrap();
    // b: a gap in the entry numbers.
    sqlx::query("delete from opportunity_entries where opportunity_id = $1 and entry_no = 2")
        .bind(b.0)
        .execute(&mut conn)
        .await
        .unwrap();
    // c: the opportunity's calculated value disagrees with its active entry.
    sqlx::query("update opportunities set calculated_value = calculated_value + 1 where id = $1")
        .bind(c.0)
        .execute(&mut conn)
        .await
        .unwrap();
    // d: marked won without a closing entry.
    sqlx::query("update opportunities set closed = true, status = 'won', date_closed = current_date where id = $1").bind(d.0).execute(&mut conn).await.unwrap();
    // e: days open of a left entry that its dates don't give.
    sqlx::query("update opportunity_entries set days_open = days_open + 5 where opportunity_id = $1 and entry_no = 1").bind(e.0).execute(&mut conn).await.unwrap();
    // f: a probability no method gives.
    sqlx::query("update opportunity_entries set probability_pct = probability_pct + 1 where opportunity_id = $1 and entry_no = 1 and probability_pct < 99")
        .bind(f.0)
        .execute(&mut conn)
        .await
        .unwrap();
    // g: an entry at a stage of another cycle.
    sqlx::query(
        "with c as (insert into sales_cycles (code, description) values ('OTHER', 'Another cycle') returning id),
              s as (insert into sales_cycle_stages (cycle_id, stage, description) select id, 1, 'Elsewhere' from c returning id)
         update opportunity_entries set stage_id = (select id from s) where opportunity_id = $1 and entry_no = 1",
    )
    .bind(g.0)
    .execute(&mut conn)
    .await
    .unwrap();
    // A task of an opportunity that does not exist.
    sqlx::query("insert into tasks (kind, description, due_date, salesperson_id, opportunity_id) select 'task', 'Orphan', current_date, id, 999999999 from salespeople limit 1")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let report = check(&pool).await.unwrap();
    let text = report.to_string();
    assert!(
        names(
            &report,
            "a started opportunity has exactly one active entry",
            &a.1
        ),
        "{text}"
    );
    assert!(names(&report, "entry numbers run", &b.1), "{text}");
    assert!(names(&report, "an opportunity's figures", &c.1), "{text}");
    assert!(names(&report, "won and lost opportunities", &d.1), "{text}");
    assert!(names(&report, "days open of an entry", &e.1), "{text}");
    assert!(
        names(&report, "probability and calculated value", &f.1),
        "{text}"
    );
    assert!(
        names(&report, "every entry's stage belongs", &g.1),
        "{text}"
    );
    assert!(
        finding(&report, "no task, quote")
            .examples
            .iter()
            .any(|(s, p)| s.starts_with("task ") && p.contains("999999999")),
        "{text}"
    );
    // Days open changed behind the product's back: the time-in-stage summary no longer adds up.
    assert!(
        names(&report, "the dashboard's summaries", "time in stage")
            || names(&report, "the dashboard's summaries", &g.1),
        "{text}"
    );
    assert!(
        text.contains(&format!("{}: entries numbered 1, 3", b.1)),
        "plain words: {text}"
    );
    assert!(
        text.contains("FAILED") && !text.contains("No problems found."),
        "{text}"
    );
    assert!(report.problems() >= 9, "{text}");
}

/// The subcommand: prints the report, exit status 0 when the data is sound and 1 when not.
#[sqlx::test(migrations = "../migrations")]
async fn the_check_subcommand_exits_non_zero_on_a_problem(pool: PgPool) {
    seeded(&pool).await;
    let url = url_of(&pool.connect_options());
    let run = || {
        let mut cmd = server();
        cmd.args(["check"]).env("DATABASE_URL", &url);
        run_to_end(cmd, Duration::from_secs(120))
    };
    let good = run();
    let out = String::from_utf8_lossy(&good.stdout).into_owned();
    assert!(
        good.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(out.contains("No problems found."), "{out}");

    sqlx::query("update opportunities set estimated_value = estimated_value + 10 where id = (select min(id) from opportunities where entry_count > 0 and not closed)")
        .execute(&pool)
        .await
        .unwrap();
    let bad = run();
    let out = String::from_utf8_lossy(&bad.stdout).into_owned();
    assert_eq!(bad.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAILED  an opportunity's figures are those of its active entry — 1 problem:"),
        "{out}"
    );
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("the database breaks a rule of the domain"),
        "{err}{out}"
    );
}

/// `check` only reads: a database at another schema version (here: none yet) is reported, never
/// migrated under whatever server is running on it.
#[sqlx::test(migrations = false)]
async fn the_check_subcommand_does_not_migrate(pool: PgPool) {
    let mut cmd = server();
    cmd.args(["check"])
        .env("DATABASE_URL", url_of(&pool.connect_options()));
    let out = run_to_end(cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("server migrate"), "{stderr}");
    let tables: i64 =
        sqlx::query_scalar("select count(*) from pg_tables where schemaname = 'public'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(tables, 0, "check created tables");
}

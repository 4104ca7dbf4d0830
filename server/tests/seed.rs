//! The `seed` command: bulk demo data, the same for the same seed number.

use server::seed::{SeedArgs, seed};
use sqlx::PgPool;

fn args(seed: u64) -> SeedArgs {
    SeedArgs {
        seed,
        salespeople: 6,
        teams: 2,
        contacts: 600,
        opportunities: 300,
        history: false,
        password: "pipeline demo".into(),
    }
}

async fn snapshot(pool: &PgPool) -> Vec<(String, String, Option<String>)> {
    sqlx::query_as(
        "select c.kind, c.name, s.code from contacts c left join salespeople s on s.id = c.salesperson_id order by c.id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn wipe(pool: &PgPool) {
    sqlx::query("truncate opportunities, contacts, team_managers, team_members, teams, users, salespeople restart identity cascade")
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = "../migrations")]
async fn seeding_creates_the_requested_data_consistently(pool: PgPool) {
    let report = seed(&pool, &args(7)).await.unwrap();
    assert!(report.contains("6 salespeople"), "{report}");
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from salespeople), (select count(*) from teams),
                (select count(*) from contacts where kind = 'company'), (select count(*) from contacts where kind = 'person')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (6, 2, 120, 480));
    // Every person works for a company and has that company's salesperson.
    let mismatched: i64 = sqlx::query_scalar(
        "select count(*) from contacts p join contacts c on c.id = p.company_id
         where p.kind = 'person' and (c.kind <> 'company' or p.salesperson_id is distinct from c.salesperson_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from contacts where kind = 'person' and company_id is null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0);
    // Each team has a manager who can sign in.
    let managed: i64 = sqlx::query_scalar("select count(distinct team_id) from team_managers")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(managed, 2);
    // Opportunities: open, each with exactly one active entry whose figures are the opportunity's,
    // owned by their company's salesperson, calculated by Multiply.
    let (opportunities, consistent): (i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where e.stage_id = o.current_stage_id and e.calculated_value = o.calculated_value
                                            and o.salesperson_id = c.salesperson_id
                                            and o.probability_pct = round(o.chances_pct * o.completed_pct / 100, 2))
         from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
         join contacts c on c.id = o.contact_id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((opportunities, consistent), (300, 300));
    // Seeding twice is refused rather than duplicating.
    assert!(
        seed(&pool, &args(7))
            .await
            .unwrap_err()
            .to_string()
            .contains("already seeded")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_same_seed_gives_the_same_data_and_another_seed_other_data(pool: PgPool) {
    seed(&pool, &args(42)).await.unwrap();
    let first = snapshot(&pool).await;
    wipe(&pool).await;
    seed(&pool, &args(42)).await.unwrap();
    assert_eq!(snapshot(&pool).await, first);
    wipe(&pool).await;
    seed(&pool, &args(43)).await.unwrap();
    assert_ne!(snapshot(&pool).await, first);
}

#[sqlx::test(migrations = "../migrations")]
async fn seeded_histories_follow_the_rules_and_feed_the_summaries(pool: PgPool) {
    let report = seed(
        &pool,
        &SeedArgs {
            opportunities: 400,
            history: true,
            ..args(5)
        },
    )
    .await
    .unwrap();
    assert!(report.contains("400 opportunities"), "{report}");
    let scalar = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // Lives, not snapshots: several entries each, open and closed both ways, quotes where needed.
    let entries = scalar("select count(*) from opportunity_entries").await;
    assert!(entries > 400 * 3, "{entries} entries for 400 opportunities");
    for status in ["in_progress", "won", "lost"] {
        let sql: &'static str = match status {
            "in_progress" => "select count(*) from opportunities where status = 'in_progress'",
            "won" => "select count(*) from opportunities where status = 'won'",
            _ => "select count(*) from opportunities where status = 'lost'",
        };
        assert!(scalar(sql).await > 0, "some {status}");
    }
    // Every rule the operations keep: one active entry per started opportunity, numbers 1..n,
    // days open = days to the next change, the opportunity's figures = its active entry's, a
    // quote before any quote-required stage.
    let broken = [
        ("two active entries", "select count(*) from (select opportunity_id from opportunity_entries where active group by 1 having count(*) <> 1) x"),
        ("gaps in entry numbers", "select count(*) from (select opportunity_id from opportunity_entries group by 1 having count(*) <> max(entry_no)) x"),
        ("days open", "select count(*) from opportunity_entries e join opportunity_entries n on n.opportunity_id = e.opportunity_id and n.entry_no = e.entry_no + 1 where e.days_open <> n.date_of_change - e.date_of_change or e.active"),
        ("figures", "select count(*) from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
                     where o.current_stage_id is distinct from e.stage_id or o.calculated_value <> e.calculated_value
                        or o.estimated_value <> e.estimated_value or o.entry_count <> e.entry_no
                        or o.date_closed is distinct from e.date_closed or o.close_code_id is distinct from e.close_code_id
                        or o.closed <> (e.action_taken in ('won', 'lost'))"),
        ("quote missing", "select count(*) from opportunity_entries e join sales_cycle_stages s on s.id = e.stage_id
                           where s.quote_required and not exists (select 1 from quotes q where q.opportunity_id = e.opportunity_id)"),
        ("furthest stage", "select count(*) from opportunities where furthest_stage <> opportunity_furthest_stage(id)"),
        ("stage_days", "select count(*) from ((select * from stage_days except select * from stage_days_recomputed())
                        union all (select * from stage_days_recomputed() except select * from stage_days)) x"),
        ("closed_by_day", "select count(*) from ((select * from closed_by_day except select * from closed_by_day_recomputed())
                           union all (select * from closed_by_day_recomputed() except select * from closed_by_day)) x"),
        ("funnel_by_day", "select count(*) from ((select * from funnel_by_day where opportunities > 0 except select * from funnel_by_day_recomputed())
                           union all (select * from funnel_by_day_recomputed() except select * from funnel_by_day)) x"),
        ("closed_by_month", "select count(*) from ((select * from closed_by_month where opportunities > 0 except select * from closed_by_month_recomputed())
                             union all (select * from closed_by_month_recomputed() except select * from closed_by_month)) x"),
        ("funnel_by_month", "select count(*) from ((select * from funnel_by_month where opportunities > 0 except select * from funnel_by_month_recomputed())
                             union all (select * from funnel_by_month_recomputed() except select * from funnel_by_month)) x"),
    ];
    for (what, sql) in broken {
        assert_eq!(scalar(sql).await, 0, "{what}");
    }
}

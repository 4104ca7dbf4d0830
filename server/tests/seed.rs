//! The `seed` command: bulk demo data, the same for the same seed number.

use server::seed::{SeedArgs, seed};
use sqlx::PgPool;

fn args(seed: u64) -> SeedArgs {
    SeedArgs { seed, salespeople: 6, teams: 2, contacts: 600, opportunities: 300, password: "pipeline demo".into() }
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
    let orphans: i64 = sqlx::query_scalar("select count(*) from contacts where kind = 'person' and company_id is null")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(orphans, 0);
    // Each team has a manager who can sign in.
    let managed: i64 = sqlx::query_scalar("select count(distinct team_id) from team_managers").fetch_one(&pool).await.unwrap();
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
    assert!(seed(&pool, &args(7)).await.unwrap_err().to_string().contains("already seeded"));
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

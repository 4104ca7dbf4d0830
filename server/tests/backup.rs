//! `pipeline backup` and `pipeline restore`: a backup of a database in use, restored into a
//! fresh data directory (the embedded cluster), has every opportunity and entry and passes the
//! consistency check; a restore never overwrites data unless asked to.

mod common;

use std::time::Duration;

use common::{pg_is_running, run_to_end, server, shared_tempdir, stderr_text, url_of};
use server::{
    embedded::{DATABASE_NAME, EmbeddedPostgres},
    seed::{SeedArgs, seed},
};
use sqlx::{Connection, PgConnection, PgPool};

/// A table's rows in a fixed order, as text: equal only if every row came back unchanged.
const FINGERPRINT: &str = "select (select md5(string_agg(t::text, '|' order by t.id)) from opportunities t),
                                  (select md5(string_agg(t::text, '|' order by t.id)) from opportunity_entries t),
                                  (select count(*) from opportunities), (select count(*) from opportunity_entries)";

#[sqlx::test(migrations = "../migrations")]
async fn a_backup_restores_into_a_fresh_data_directory_whole_and_consistent(pool: PgPool) {
    let args = SeedArgs {
        seed: 3,
        salespeople: 4,
        teams: 2,
        contacts: 50,
        opportunities: 120,
        history: true,
        password: "pipeline demo".into(),
    };
    seed(&pool, &args).await.unwrap();
    let before: (Option<String>, Option<String>, i64, i64) =
        sqlx::query_as(FINGERPRINT).fetch_one(&pool).await.unwrap();
    assert!(before.2 == 120 && before.3 > 120);

    let dir = shared_tempdir();
    let file = dir.path().join("pipeline.dump");
    let mut cmd = server();
    cmd.args(["backup", "--output"])
        .arg(&file)
        .env("DATABASE_URL", url_of(&pool.connect_options()));
    let out = run_to_end(cmd, Duration::from_secs(120));
    assert!(out.status.success(), "{}", stderr_text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("Backed up 120 opportunities"), "{said}");
    assert!(std::fs::metadata(&file).unwrap().len() > 10_000);
    assert!(!file.with_extension("partial").exists());

    // Into a new data directory: the embedded cluster is created, restored, migrated, checked.
    let data = dir.path().join("restored");
    let mut cmd = server();
    cmd.args(["restore", "--input"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data);
    let out = run_to_end(cmd, Duration::from_secs(180));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{said}{}", stderr_text(&out));
    assert!(
        said.contains("Checked 120 opportunities") && said.contains("No problems found."),
        "{said}"
    );
    assert!(
        !pg_is_running(&data),
        "the restore stops the cluster it started"
    );

    let pg = EmbeddedPostgres::start(&data).await.unwrap();
    let mut conn = PgConnection::connect_with(&pg.connect_options(DATABASE_NAME))
        .await
        .unwrap();
    let after: (Option<String>, Option<String>, i64, i64) = sqlx::query_as(FINGERPRINT)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, before, "every opportunity and entry, unchanged");
    conn.close().await.unwrap();
    pg.stop().await.unwrap();

    // A second restore into the same (now full) directory is refused without --replace.
    let mut cmd = server();
    cmd.args(["restore", "--input"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data);
    let out = run_to_end(cmd, Duration::from_secs(120));
    assert!(!out.status.success());
    assert!(
        stderr_text(&out).contains("the database is not empty"),
        "{}",
        stderr_text(&out)
    );
    // … and allowed with it.
    let mut cmd = server();
    cmd.args(["restore", "--replace", "--input"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&data);
    let out = run_to_end(cmd, Duration::from_secs(180));
    assert!(out.status.success(), "{}", stderr_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No problems found."));
}

#[test]
fn a_missing_backup_file_is_one_clear_line() {
    let dir = shared_tempdir();
    let mut cmd = server();
    cmd.args(["restore", "--input"])
        .arg(dir.path().join("nope.dump"))
        .arg("--data-dir")
        .arg(dir.path().join("data"));
    let out = run_to_end(cmd, Duration::from_secs(60));
    assert!(!out.status.success());
    common::assert_one_clear_line(&out, "nope.dump is not a file");
}

//! Setup: sales cycles, stages, close codes and activities — rules, constraints and access,
//! through the real router and a real database.

mod common;

use axum::http::StatusCode;
use common::app::*;
use sqlx::PgPool;

async fn admin(pool: &PgPool) -> Browser {
    user(pool, "admin@example.com", "admin", None).await;
    signed_in(pool, "admin@example.com").await
}

async fn stages(pool: &PgPool, cycle: &str) -> Vec<(i32, String)> {
    sqlx::query_as(
        "select s.stage, s.description from sales_cycle_stages s join sales_cycles c on c.id = s.cycle_id
         where c.code = $1 order by s.stage",
    )
    .bind(cycle)
    .fetch_all(pool)
    .await
    .unwrap()
}

fn stage_form<'a>(
    cycle: &'a str,
    number: &'a str,
    description: &'a str,
    completed: &'a str,
    chances: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("cycle_code", cycle),
        ("stage", number),
        ("description", description),
        ("completed", completed),
        ("chances", chances),
        ("date_formula", ""),
        ("comment", ""),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn a_new_installation_has_a_working_default_setup(pool: PgPool) {
    let cycle: (String, String, bool) =
        sqlx::query_as("select code, probability_method, blocked from sales_cycles")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cycle, ("STANDARD".into(), "multiply".into(), false));
    let s = stages(&pool, "STANDARD").await;
    assert_eq!(s.len(), 5);
    assert_eq!(s[0], (1, "Qualification".into()));
    let outcomes: Vec<String> =
        sqlx::query_scalar("select distinct outcome from close_codes order by 1")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(outcomes, ["lost", "won"]);
    let steps: i64 = sqlx::query_scalar("select count(*) from activity_steps")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(steps, 3);
    // Every stored formula is canonical, as the domain type writes it.
    let formulas: Vec<String> =
        sqlx::query_scalar("select date_formula from sales_cycle_stages union all select date_formula from activity_steps")
            .fetch_all(&pool)
            .await
            .unwrap();
    for f in formulas {
        assert_eq!(
            app::domain::date_formula::DateFormula::parse(&f)
                .unwrap()
                .to_string(),
            f
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_creates_a_cycle_with_stages_and_reorders_them(pool: PgPool) {
    let mut b = admin(&pool).await;
    let r = b
        .call(
            "setup/cycle_create",
            &[
                ("code", " big-deals "),
                ("description", "Large accounts"),
                ("method", "add"),
            ],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{} {}",
        r.status,
        r.body
    );
    for (n, d, c, p) in [
        ("1", "Lead", "10", "5"),
        ("2", "Demo", "30", "25.5"),
        ("3", "Offer", "60", "50"),
        ("4", "Contract", "90", "80"),
    ] {
        let r = b
            .call("setup/stage_save", &stage_form("BIG-DEALS", n, d, c, p))
            .await;
        assert!(r.status.is_success(), "{} {}", r.status, r.body);
    }
    assert_eq!(stages(&pool, "BIG-DEALS").await.len(), 4);
    let demo: i64 =
        sqlx::query_scalar("select id from sales_cycle_stages where description = 'Demo'")
            .fetch_one(&pool)
            .await
            .unwrap();
    // Moving Demo up swaps it with Lead; its id (what entries point at) stays.
    let r = b
        .call(
            "setup/stage_move",
            &[("id", &demo.to_string()), ("direction", "up")],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let order: Vec<String> = stages(&pool, "BIG-DEALS")
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(order, ["Demo", "Lead", "Offer", "Contract"]);
    let still: i32 = sqlx::query_scalar("select stage from sales_cycle_stages where id = $1")
        .bind(demo)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(still, 1);
    let r = b
        .call(
            "setup/stage_move",
            &[("id", &demo.to_string()), ("direction", "up")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "the first stage cannot move up"
    );

    let detail = b.call("setup/cycle", &[("code", "BIG-DEALS")]).await;
    assert_eq!(detail.status, StatusCode::OK);
    let detail: serde_json::Value = serde_json::from_str(&detail.body).unwrap();
    assert_eq!(detail["method"], "Add");
    assert_eq!(detail["stages"][1]["chances"], "5.00");
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_stage_input_gets_field_messages_and_changes_nothing(pool: PgPool) {
    let mut b = admin(&pool).await;
    let before = stages(&pool, "STANDARD").await;
    let form = [
        ("cycle_code", "STANDARD"),
        ("stage", "0"),
        ("description", " "),
        ("completed", "101"),
        ("chances", "12.345"),
        ("date_formula", "2X"),
        ("comment", ""),
    ];
    let r = b.call("setup/stage_save", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let e: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let fields = &e["Validation"];
    assert_eq!(fields["stage"], "Enter a whole number greater than 0.");
    assert_eq!(fields["description"], "Enter a description.");
    assert_eq!(fields["completed"], "Enter a number between 0 and 100.");
    assert_eq!(fields["chances"], "Use at most two decimals.");
    assert!(fields["date_formula"].as_str().unwrap().contains("2X"));
    assert_eq!(stages(&pool, "STANDARD").await, before);

    // A stage number the cycle already has is a field message, not a 500.
    let r = b
        .call(
            "setup/stage_save",
            &stage_form("STANDARD", "1", "Twin", "1", "1"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("already has a stage with this number"),
        "{}",
        r.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn codes_are_unique_upper_case_and_plain(pool: PgPool) {
    let mut b = admin(&pool).await;
    let r = b
        .call(
            "setup/cycle_create",
            &[
                ("code", "standard"),
                ("description", ""),
                ("method", "multiply"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("already exists"), "{}", r.body);
    let r = b
        .call(
            "setup/cycle_create",
            &[("code", "a/b"), ("description", ""), ("method", "multiply")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .call(
            "setup/cycle_create",
            &[("code", "OK"), ("description", ""), ("method", "astrology")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("method"));
    let r = b
        .call(
            "setup/close_code_create",
            &[
                ("code", "won-price"),
                ("description", "x"),
                ("outcome", "won"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .call(
            "setup/close_code_create",
            &[
                ("code", "lost-timing"),
                ("description", "Bad timing"),
                ("outcome", "lost"),
            ],
        )
        .await;
    assert!(r.status.is_success());
    let code: String =
        sqlx::query_scalar("select code from close_codes where description = 'Bad timing'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(code, "LOST-TIMING");
    let r = b
        .call(
            "setup/close_code_create",
            &[("code", "X"), ("description", ""), ("outcome", "maybe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_blocked_cycle_is_saved_with_its_version_and_stale_edits_conflict(pool: PgPool) {
    let mut b = admin(&pool).await;
    let form = |version: &'static str| {
        vec![
            ("code", "STANDARD"),
            ("description", "Standard"),
            ("method", "completed"),
            ("blocked", "on"),
            ("version", version),
        ]
    };
    let r = b.call("setup/cycle_update", &form("1")).await;
    assert!(r.status.is_success(), "{}", r.body);
    let (blocked, method, version): (bool, String, i32) = sqlx::query_as(
        "select blocked, probability_method, version from sales_cycles where code = 'STANDARD'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((blocked, method.as_str(), version), (true, "completed", 2));
    let r = b.call("setup/cycle_update", &form("1")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "a stale version is refused");
}

#[sqlx::test(migrations = "../migrations")]
async fn activities_and_steps(pool: PgPool) {
    let mut b = admin(&pool).await;
    assert!(
        b.call(
            "setup/activity_create",
            &[("code", "follow-up"), ("description", "Follow up")]
        )
        .await
        .status
        .is_success()
    );
    let id: i64 = sqlx::query_scalar("select id from activities where code = 'FOLLOW-UP'")
        .fetch_one(&pool)
        .await
        .unwrap();
    for (kind, d) in [("task", "Send summary"), ("phone_call", "Call back")] {
        let r = b
            .call(
                "setup/step_add",
                &[
                    ("activity_id", &id.to_string()),
                    ("kind", kind),
                    ("description", d),
                    ("priority", "high"),
                    ("date_formula", "1w"),
                ],
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let steps: Vec<(i32, String)> =
        sqlx::query_as("select position, date_formula from activity_steps where activity_id = $1 order by position")
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(steps, [(1, "1W".into()), (2, "1W".into())]);
    let r = b
        .call(
            "setup/step_add",
            &[
                ("activity_id", &id.to_string()),
                ("kind", "party"),
                ("description", ""),
                ("priority", "urgent"),
                ("date_formula", "soon"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["kind", "description", "priority", "date_formula"] {
        assert!(r.body.contains(f), "{f}: {}", r.body);
    }
    // An activity named by a stage cannot be deleted.
    let used: i64 = sqlx::query_scalar("select id from activities where code = 'FIRST-CONTACT'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let r = b
        .call("setup/activity_delete", &[("id", &used.to_string())])
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Remove it from the stage first"));
    assert!(
        b.call("setup/activity_delete", &[("id", &id.to_string())])
            .await
            .status
            .is_success()
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_stages_and_cycles(pool: PgPool) {
    let mut b = admin(&pool).await;
    let id: i64 =
        sqlx::query_scalar("select id from sales_cycle_stages where description = 'Negotiation'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        b.call("setup/stage_delete", &[("id", &id.to_string())])
            .await
            .status
            .is_success()
    );
    assert_eq!(
        b.call("setup/stage_delete", &[("id", &id.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = b.call("setup/cycle_delete", &[("code", "STANDARD")]).await;
    assert!(r.status.is_success() || r.status.is_redirection());
    let left: i64 = sqlx::query_scalar("select count(*) from sales_cycle_stages")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "a cycle's stages go with it");
    assert_eq!(
        b.call("setup/cycle", &[("code", "STANDARD")]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_arguments_are_the_callers_mistake_not_a_server_error(pool: PgPool) {
    let mut b = admin(&pool).await;
    for (endpoint, form) in [
        ("setup/stage_move", vec![("id", "abc"), ("direction", "up")]),
        ("setup/stage_delete", vec![("id", "1; drop table users")]),
        (
            "setup/cycle_update",
            vec![
                ("code", "STANDARD"),
                ("description", ""),
                ("method", "add"),
                ("version", "x"),
            ],
        ),
        ("setup/step_add", vec![("kind", "task")]),
    ] {
        let r = b.call(endpoint, &form).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{endpoint}: {}",
            r.body
        );
        assert!(r.body.contains("The form could not be read"), "{}", r.body);
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn setup_is_for_admins_only(pool: PgPool) {
    user(&pool, "mia@example.com", "manager", None).await;
    user(&pool, "sam@example.com", "salesperson", None).await;
    for who in ["mia@example.com", "sam@example.com"] {
        let mut b = signed_in(&pool, who).await;
        for (endpoint, form) in [
            ("setup/cycles", vec![]),
            ("setup/cycle", vec![("code", "STANDARD")]),
            (
                "setup/cycle_create",
                vec![("code", "X"), ("description", ""), ("method", "add")],
            ),
            (
                "setup/close_code_create",
                vec![("code", "X"), ("description", ""), ("outcome", "won")],
            ),
            ("setup/cycle_delete", vec![("code", "STANDARD")]),
        ] {
            assert_eq!(
                b.call(endpoint, &form).await.status,
                StatusCode::FORBIDDEN,
                "{who} {endpoint}"
            );
        }
        assert_eq!(
            b.get("/setup/cycles").await.status,
            StatusCode::FORBIDDEN,
            "the page answers 403 too"
        );
    }
    let cycles: i64 = sqlx::query_scalar("select count(*) from sales_cycles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cycles, 1);
}

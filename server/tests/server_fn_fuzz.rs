//! Generated input against every server function (the doors of the web app: forms, drags,
//! dialogs), as signed-in users of each role: random and malformed form fields, huge strings,
//! control and unicode characters, SQL and HTML metacharacters, out-of-range numbers and dates,
//! garbage bodies. Property: never a 5xx, and a refused call (4xx) changes nothing (checksums of
//! every business table before and after). The REST API has the same in `api_fuzz.rs`.

mod common;

use common::app::*;
use proptest::{
    prelude::*,
    strategy::{Strategy, ValueTree},
    test_runner::{Config, TestRunner},
};
use sqlx::PgPool;

/// Every argument name the server functions take (grep `Option<String>` in app/src).
const FIELDS: &[&str] = &[
    "action",
    "activate_first_stage",
    "activity_id",
    "address",
    "after_id",
    "after_rank",
    "allow_skip",
    "amount_won",
    "blocked",
    "cancel_open_tasks",
    "chances",
    "city",
    "close_code",
    "company_id",
    "contact_id",
    "country",
    "creation_date",
    "cycle",
    "cycle_id",
    "date",
    "date_of_change",
    "description",
    "dir",
    "discount",
    "email",
    "estimated_closing_date",
    "estimated_value",
    "ev_closed",
    "ev_created",
    "ev_moved",
    "ev_task",
    "ev_updated",
    "from",
    "id",
    "job_title",
    "kind",
    "name",
    "outcome",
    "page",
    "phone",
    "post_code",
    "priority",
    "q",
    "quantity",
    "query",
    "quote_required",
    "rank",
    "salesperson",
    "salesperson_id",
    "sort",
    "stage",
    "target_stage",
    "team",
    "to",
    "unit_price",
    "url",
    "version",
    "code",
    "method",
    "role",
    "status",
    "completed",
    "date_formula",
    "comment",
    "commission",
    "line_id",
    "upload",
    "mapping",
    "expires",
    "token_id",
    "webhook_id",
    "active",
    "contact",
    "cycle_code",
    "direction",
    "display_name",
    "everyone",
    "expires_on",
    "ids",
    "include",
    "line",
    "log",
    "user_id",
    "next",
];

const NASTY: &[&str] = &[
    "",
    " ",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "1e999",
    "NaN",
    "Infinity",
    "99999999999999999999.99",
    "0.001",
    "-0.00",
    "100.01",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "2026-13-01",
    "'; drop table opportunities; --",
    "\" or 1=1 --",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "\u{0}",
    "\u{202e}reversed",
    "😀🚀",
    "First",
    "Next",
    "Previous",
    "Skip",
    "Jump",
    "Update",
    "won",
    "lost",
    "STANDARD",
    "company",
    "person",
    "done",
    "high",
    "on",
    "true",
    "%00",
    "../../etc/passwd",
    "null",
    "a0",
    "zz",
    "OP00001",
    "LOST-PRICE",
    "WON-PRICE",
    "admin",
    "salesperson",
    "manager",
];

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(NASTY).prop_map(str::to_owned),
        2 => (-3i64..40).prop_map(|n| n.to_string()),
        2 => "\\PC{0,40}",
        1 => "[\\x00-\\x1f]{1,5}",
        1 => (1usize..20_000).prop_map(|n| "x".repeat(n)),
    ]
}

#[derive(Debug, Clone)]
enum Body {
    Form(Vec<(String, String)>),
    Raw(String),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        6 => proptest::collection::vec((proptest::sample::select(FIELDS).prop_map(str::to_owned), value()), 0..8).prop_map(Body::Form),
        1 => "\\PC{0,200}".prop_map(Body::Raw),
        1 => Just(Body::Raw("id=1&id=2&version=%ZZ".into())),
        1 => Just(Body::Raw("{\"id\": 1}".into())),
    ]
}

async fn checksum(pool: &PgPool) -> String {
    common::checksum_of_every_table(pool).await
}

/// Calls that would end the fuzzing session itself (sign-out, password change) are left out;
/// they have their own tests.
fn fuzzable(path: &str) -> bool {
    !["sign_out", "password", "sign_in", "first_admin", "sessions"]
        .iter()
        .any(|p| path.contains(p))
}

#[sqlx::test(migrations = "../migrations")]
async fn random_calls_to_every_server_function_never_5xx_and_refusals_change_nothing(pool: PgPool) {
    let sam_sp = salesperson(&pool, "SAM").await;
    let tom_sp = salesperson(&pool, "TOM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "sam@example.com", "salesperson", Some(sam_sp)).await;
    user(&pool, "tom@example.com", "salesperson", Some(tom_sp)).await;
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    team(&pool, "NORTH", &[sam_sp], &[mia]).await;
    let mut callers = [
        signed_in(&pool, "admin@example.com").await,
        signed_in(&pool, "sam@example.com").await,
        signed_in(&pool, "tom@example.com").await,
        signed_in(&pool, "mia@example.com").await,
    ];
    // Real records, so that generated ids reach the rules behind the lookups.
    let contact: i64 = sqlx::query_scalar("insert into contacts (kind, name, salesperson_id) values ('company', 'Acme', $1) returning id")
        .bind(sam_sp)
        .fetch_one(&pool)
        .await
        .unwrap();
    for first in ["on", ""] {
        let r = callers[1]
            .call(
                "opportunities/create",
                &[
                    ("description", "Fuzz"),
                    ("contact_id", &contact.to_string()),
                    ("salesperson_id", &sam_sp.to_string()),
                    ("cycle_id", "1"),
                    ("estimated_value", "1000"),
                    ("activate_first_stage", first),
                ],
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }

    let mut endpoints: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .filter(|p| fuzzable(p))
        .collect();
    endpoints.sort();
    endpoints.dedup();
    assert!(endpoints.len() > 60, "{endpoints:?}");

    let case = (0..endpoints.len(), 0..callers.len(), body());
    let mut runner = TestRunner::new(Config::default());
    let mut before = checksum(&pool).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..600 {
        let (endpoint, who, body) = case.new_tree(&mut runner).unwrap().current();
        let endpoint = &endpoints[endpoint];
        let caller = &mut callers[who];
        let r = match &body {
            Body::Form(fields) => {
                let form: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                caller.call(endpoint, &form).await
            }
            Body::Raw(text) => {
                caller
                    .post_raw(
                        &format!("/api/{endpoint}"),
                        "application/x-www-form-urlencoded",
                        text.clone(),
                    )
                    .await
            }
        };
        *statuses.entry(r.status.as_u16()).or_default() += 1;
        assert!(
            r.status.as_u16() < 500,
            "{endpoint} as caller {who} with {body:?} -> {} {}",
            r.status,
            r.body
        );
        if r.status.is_client_error() {
            let after = checksum(&pool).await;
            assert_eq!(
                before, after,
                "refused {endpoint} as caller {who} with {body:?} changed data: {}",
                r.body
            );
        } else {
            before = checksum(&pool).await;
        }
    }
    println!("statuses: {statuses:?}");
    assert!(statuses.keys().any(|s| *s == 422), "{statuses:?}");
    assert!(
        statuses.keys().any(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
}

/// A body larger than any form (or CSV upload) is refused at once, before it is read.
#[sqlx::test(migrations = "../migrations")]
async fn an_oversized_body_is_refused_with_413(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let huge = "x".repeat(11 << 20);
    admin.extra.push(("content-length", huge.len().to_string()));
    let r = admin
        .post_raw(
            "/api/opportunities/update",
            "application/x-www-form-urlencoded",
            huge,
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.body);
}

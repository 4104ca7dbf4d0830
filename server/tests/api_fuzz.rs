//! Generated input against every route of the OpenAPI document: random and malformed JSON,
//! wrong types, huge and strange strings, SQL and HTML metacharacters, out-of-range numbers and
//! dates, random path values and headers. Property: never a 5xx, and a refused request (4xx)
//! changes nothing (checksums of every business table before and after).

mod common;

use common::{
    api::{Api, token},
    app::{salesperson, team, user},
};
use proptest::{
    prelude::*,
    strategy::{Strategy, ValueTree},
    test_runner::{Config, TestRunner},
};
use serde_json::{Value, json};
use sqlx::PgPool;

const FIELDS: &[&str] = &[
    "description",
    "contact_no",
    "sales_cycle",
    "estimated_value",
    "chances_of_success_pct",
    "estimated_closing_date",
    "activate_first_stage",
    "action",
    "stage_id",
    "date_of_change",
    "cancel_open_tasks",
    "outcome",
    "close_code",
    "date",
    "amount_won",
    "priority",
    "kind",
    "name",
    "company_no",
    "email",
    "status",
    "quantity",
    "unit_price",
    "discount_pct",
    "salesperson_code",
    "creation_date",
    "job_title",
    "phone",
    "country",
];

const NASTY: &[&str] = &[
    "",
    " ",
    "0",
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
    "first",
    "next",
    "previous",
    "skip",
    "jump",
    "update",
    "won",
    "lost",
    "STANDARD",
    "company",
    "person",
    "done",
    "high",
    "%00",
    "../../etc/passwd",
    "\\u0000",
    "null",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(NASTY).prop_map(str::to_owned),
        "\\PC{0,40}",
        "[\\x00-\\x1f]{1,5}",
        (1usize..20_000).prop_map(|n| "x".repeat(n)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        text().prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    proptest::sample::select(FIELDS).prop_map(str::to_owned),
                    "\\PC{0,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object of known fields with random values: gets past the JSON shape more often.
fn plausible_body() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        proptest::sample::select(FIELDS).prop_map(str::to_owned),
        leaf(),
        0..8,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(String),
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::None),
        json_value().prop_map(Body::Json),
        plausible_body().prop_map(Body::Json),
        "\\PC{0,200}".prop_map(Body::Raw),
        Just(Body::Raw("{\"description\": ".into())),
    ]
}

async fn checksum(pool: &PgPool) -> String {
    common::checksum_of_every_table(pool).await
}

#[sqlx::test(migrations = "../migrations")]
async fn random_requests_to_every_route_never_5xx_and_refusals_change_nothing(pool: PgPool) {
    let sam_sp = salesperson(&pool, "SAM").await;
    let tom_sp = salesperson(&pool, "TOM").await;
    user(&pool, "admin@example.com", "admin", None).await;
    user(&pool, "sam@example.com", "salesperson", Some(sam_sp)).await;
    user(&pool, "tom@example.com", "salesperson", Some(tom_sp)).await;
    team(&pool, "NORTH", &[sam_sp], &[]).await;
    team(&pool, "SOUTH", &[tom_sp], &[]).await;
    let callers = [
        Api::new(&pool, Some(token(&pool, "admin@example.com").await)),
        Api::new(&pool, Some(token(&pool, "sam@example.com").await)),
        Api::new(&pool, Some(token(&pool, "tom@example.com").await)),
    ];
    // Real records, so that generated requests also reach the rules behind the lookups.
    let co = callers[1]
        .post(
            "/api/v1/contacts",
            json!({"kind": "company", "name": "Acme"}),
        )
        .await
        .ok();
    let contact_no = co["no"].as_str().unwrap().to_owned();
    let mut numbers = vec![contact_no.clone()];
    for first in [true, false] {
        let o = callers[1]
            .post("/api/v1/opportunities", json!({"description": "Fuzz", "contact_no": contact_no, "sales_cycle": "STANDARD", "estimated_value": "1000", "activate_first_stage": first}))
            .await
            .ok();
        numbers.push(o["no"].as_str().unwrap().to_owned());
    }

    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    let mut operations: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    let path_value = prop_oneof![
        proptest::sample::select(numbers.clone()),
        Just("STANDARD".to_owned()),
        (-5i64..50).prop_map(|n| n.to_string()),
        "[a-zA-Z0-9%._~-]{0,30}",
    ];
    let header = prop_oneof![
        Just(None),
        Just(Some(("if-match", "\"v1\"".to_owned()))),
        Just(Some(("if-match", "garbage".to_owned()))),
        "[a-zA-Z0-9-]{1,40}".prop_map(|k| Some(("idempotency-key", k))),
    ];
    let case = (
        0..operations.len(),
        0usize..3,
        path_value.clone(),
        path_value,
        body(),
        header,
        "[a-z=&0-9%]{0,40}",
    );

    let mut runner = TestRunner::new(Config {
        cases: 400,
        ..Config::default()
    });
    let mut before = checksum(&pool).await;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for _ in 0..400 {
        let (op, who, p1, p2, body, header, query) = case.new_tree(&mut runner).unwrap().current();
        let (method, template) = &operations[op];
        let path = template
            .replacen("{no}", &p1, 1)
            .replacen("{code}", &p1, 1)
            .replacen("{id}", &p1, 1)
            .replacen("{line_id}", &p2, 1)
            .replacen(
                "{kind}",
                if p2.len() % 2 == 0 {
                    "contacts"
                } else {
                    "opportunities"
                },
                1,
            );
        let url = if query.is_empty() {
            path.clone()
        } else {
            format!("{path}?{query}")
        };
        let (text, content_type) = match &body {
            Body::None => (None, None),
            Body::Json(v) => (Some(v.to_string()), None),
            Body::Raw(s) => (Some(s.clone()), Some(("content-type", "application/json"))),
        };
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some((k, v)) = &header {
            headers.push((k, v.as_str()));
        }
        if let Some(ct) = content_type {
            headers.push(ct);
        }
        let r = callers[who]
            .send(method, &url, text.as_deref(), &headers)
            .await;
        *statuses.entry(r.status.as_u16()).or_default() += 1;
        assert!(
            r.status.as_u16() < 500,
            "{method} {url} {body:?} {header:?} -> {} {}",
            r.status,
            r.body
        );
        // Every answer is one the document lists for that operation (a path value that leaves
        // the route, e.g. an empty one, meets the API's 404 for unknown routes).
        let documented = &doc["paths"][template][method.to_lowercase()]["responses"];
        assert!(
            documented.get(r.status.as_str()).is_some() || r.status == 404,
            "{method} {template} answered {} which its document does not list: {}",
            r.status,
            r.body
        );
        if r.status.is_client_error() {
            assert_eq!(
                r.header("content-type"),
                Some("application/problem+json"),
                "{method} {url}: {}",
                r.body
            );
            let after = checksum(&pool).await;
            assert_eq!(
                before, after,
                "refused {method} {url} {body:?} changed data: {}",
                r.body
            );
        } else {
            before = checksum(&pool).await;
        }
    }
    println!("statuses: {statuses:?}");
    // The generated input reached the rules, not only the JSON parser.
    assert!(statuses.keys().any(|s| *s == 422), "{statuses:?}");
    assert!(
        statuses.keys().any(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
}

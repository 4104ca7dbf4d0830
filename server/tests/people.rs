//! Setup › Salespeople and Setup › Teams through the real router and a real database: what
//! admins can change, what everybody else cannot, and how the teams edited here become the
//! managers' scopes.

mod common;

use app::auth::access::Scope;
use axum::http::StatusCode;
use common::app::*;
use serde_json::Value;
use sqlx::PgPool;

async fn admin(pool: &PgPool) -> Browser {
    user(pool, "admin@example.com", "admin", None).await;
    signed_in(pool, "admin@example.com").await
}

fn assert_ok(r: &Reply) {
    assert!(
        r.status.is_success(),
        "expected success, got {} {}",
        r.status,
        r.body
    );
}

/// The field messages of a 422 answer.
fn field_errors(r: &Reply) -> serde_json::Map<String, Value> {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let body: Value = serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{e}: {}", r.body));
    body["Validation"]
        .as_object()
        .cloned()
        .unwrap_or_else(|| panic!("no field errors in {}", r.body))
}

fn conflict_message(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let body: Value = serde_json::from_str(&r.body).unwrap();
    body["Conflict"]
        .as_str()
        .unwrap_or_else(|| panic!("no conflict message in {}", r.body))
        .to_owned()
}

async fn id_of(pool: &PgPool, code: &str) -> i64 {
    sqlx::query_scalar("select id from salespeople where code = $1")
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn team_id_of(pool: &PgPool, code: &str) -> i64 {
    sqlx::query_scalar("select id from teams where code = $1")
        .bind(code)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn salesperson_form<'a>(
    code: &'a str,
    name: &'a str,
    commission: &'a str,
) -> Vec<(&'static str, &'a str)> {
    vec![
        ("code", code),
        ("name", name),
        ("email", ""),
        ("phone", ""),
        ("commission", commission),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_create_edit_and_block_salespeople(pool: PgPool) {
    let mut b = admin(&pool).await;
    let r = b
        .call(
            "people/create_salesperson",
            &[
                ("code", "sp1"),
                ("name", "  Sam Seller "),
                ("email", " sam@example.com "),
                ("phone", "+44 20 7946 0000"),
                ("commission", "12.5"),
            ],
        )
        .await;
    assert_ok(&r);
    assert!(r.body.contains("Sam Seller (SP1) added"), "{}", r.body);
    let (name, email, commission, blocked): (String, String, String, bool) = sqlx::query_as(
        "select name, email, commission_pct::text, blocked from salespeople where code = 'SP1'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(name, "Sam Seller");
    assert_eq!(email, "sam@example.com");
    assert_eq!(commission, "12.50");
    assert!(!blocked);

    // The list shows them, commission with 2 decimals.
    let r = b.call("people/list_salespeople", &[]).await;
    assert_ok(&r);
    let list: Value = serde_json::from_str(&r.body).unwrap();
    let row = &list["salespeople"][0];
    assert_eq!(row["code"], "SP1");
    assert_eq!(row["commission"], "12.50");
    let version = row["version"].as_i64().unwrap().to_string();

    // Edit: everything but the id may change, the code included.
    let id = id_of(&pool, "SP1").await.to_string();
    let r = b
        .call(
            "people/update_salesperson",
            &[
                ("id", &id),
                ("version", &version),
                ("code", "sp-one"),
                ("name", "Sam Seller-Smith"),
                ("email", ""),
                ("phone", ""),
                ("commission", "7"),
            ],
        )
        .await;
    assert_ok(&r);
    let (code, name, commission): (String, String, String) =
        sqlx::query_as("select code, name, commission_pct::text from salespeople where id = $1")
            .bind(id.parse::<i64>().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (code.as_str(), name.as_str(), commission.as_str()),
        ("SP-ONE", "Sam Seller-Smith", "7.00")
    );

    // A second save from the same (now stale) form is refused, not silently applied.
    let r = b
        .call(
            "people/update_salesperson",
            &[
                ("id", &id),
                ("version", &version),
                ("code", "SP-ONE"),
                ("name", "Overwritten"),
                ("commission", "1"),
            ],
        )
        .await;
    assert!(conflict_message(&r).contains("Someone else changed salesperson SP-ONE"));
    assert_eq!(
        count(
            &pool,
            "select count(*) from salespeople where name = 'Overwritten'"
        )
        .await,
        0
    );

    // Block and unblock.
    let r = b
        .call(
            "people/set_salesperson_blocked",
            &[("id", &id), ("blocked", "true")],
        )
        .await;
    assert_ok(&r);
    assert!(r.body.contains("is blocked"), "{}", r.body);
    assert_eq!(
        count(&pool, "select count(*) from salespeople where blocked").await,
        1
    );
    let r = b
        .call(
            "people/set_salesperson_blocked",
            &[("id", &id), ("blocked", "false")],
        )
        .await;
    assert_ok(&r);
    assert_eq!(
        count(&pool, "select count(*) from salespeople where blocked").await,
        0
    );

    // An id that does not exist is 404.
    let r = b
        .call(
            "people/set_salesperson_blocked",
            &[("id", "999999"), ("blocked", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn codes_are_trimmed_and_upper_cased_on_entry(pool: PgPool) {
    let mut b = admin(&pool).await;
    assert_ok(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("  north-1 ", "Nora North", ""),
        )
        .await,
    );
    assert_ok(
        &b.call(
            "people/create_team",
            &[("code", " sales-n\t"), ("name", " Northern sales ")],
        )
        .await,
    );
    let codes: Vec<String> = sqlx::query_scalar(
        "select code from salespeople union all select code from teams order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(codes, ["NORTH-1", "SALES-N"]);
    let commission: String = sqlx::query_scalar("select commission_pct::text from salespeople")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(commission, "0.00", "an empty commission is 0");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_duplicate_code_is_a_field_error_on_code(pool: PgPool) {
    let mut b = admin(&pool).await;
    assert_ok(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("SP1", "Sam", ""),
        )
        .await,
    );
    let errors = field_errors(
        &b.call(
            "people/create_salesperson",
            &salesperson_form(" sp1", "Other Sam", ""),
        )
        .await,
    );
    assert_eq!(
        errors["code"],
        "A salesperson with code SP1 already exists."
    );
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 1);

    // Renaming onto an existing code is refused the same way.
    assert_ok(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("SP2", "Sue", ""),
        )
        .await,
    );
    let sp2 = id_of(&pool, "SP2").await.to_string();
    let r = b
        .call(
            "people/update_salesperson",
            &[
                ("id", &sp2),
                ("version", "0"),
                ("code", "sp1"),
                ("name", "Sue"),
            ],
        )
        .await;
    assert_eq!(
        field_errors(&r)["code"],
        "A salesperson with code SP1 already exists."
    );

    assert_ok(
        &b.call("people/create_team", &[("code", "T1"), ("name", "One")])
            .await,
    );
    let errors = field_errors(
        &b.call(
            "people/create_team",
            &[("code", "t1"), ("name", "Another one")],
        )
        .await,
    );
    assert_eq!(errors["code"], "A team with code T1 already exists.");
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_commissions_are_refused_per_field_and_nothing_is_inserted(pool: PgPool) {
    let mut b = admin(&pool).await;
    for (input, message) in [
        ("100.01", "Commission must be between 0 and 100 %."),
        ("-1", "Commission must be between 0 and 100 %."),
        ("abc", "Commission must be a number, like 12.5."),
        ("1.234", "Commission can have at most 2 decimals."),
    ] {
        let errors = field_errors(
            &b.call(
                "people/create_salesperson",
                &salesperson_form("SP1", "Sam", input),
            )
            .await,
        );
        assert_eq!(errors["commission"], message, "{input}");
        assert_eq!(errors.len(), 1, "only the commission is wrong: {errors:?}");
    }
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 0);
    // The limits themselves are fine.
    assert_ok(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("SP0", "Zero", "0"),
        )
        .await,
    );
    assert_ok(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("SP100", "Hundred", "100.00"),
        )
        .await,
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_salesperson_field_is_checked_and_named(pool: PgPool) {
    let mut b = admin(&pool).await;
    let long_code = "X".repeat(21);
    let long_name = "N".repeat(101);
    let long_phone = "1".repeat(31);
    let r = b
        .call(
            "people/create_salesperson",
            &[
                ("code", &long_code),
                ("name", &long_name),
                ("email", "not-an-email"),
                ("phone", &long_phone),
                ("commission", "150"),
            ],
        )
        .await;
    let errors = field_errors(&r);
    for field in ["code", "name", "email", "phone", "commission"] {
        assert!(errors.contains_key(field), "{field} missing in {errors:?}");
    }
    let errors = field_errors(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("  ", "  ", ""),
        )
        .await,
    );
    assert_eq!(errors["code"], "Enter a code.");
    assert_eq!(errors["name"], "Enter a name.");
    // A form with fields missing altogether, or a control character, is a 422 too, never a 500.
    let errors = field_errors(&b.call("people/create_salesperson", &[]).await);
    assert!(
        errors.contains_key("code") && errors.contains_key("name"),
        "{errors:?}"
    );
    let errors = field_errors(
        &b.call(
            "people/create_salesperson",
            &salesperson_form("A\u{0}B", "Sam", ""),
        )
        .await,
    );
    assert!(errors.contains_key("code"), "{errors:?}");
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn forged_ids_get_a_clear_answer_not_a_server_error(pool: PgPool) {
    let mut b = admin(&pool).await;
    for (endpoint, form) in [
        (
            "people/update_salesperson",
            vec![
                ("id", "abc"),
                ("version", "0"),
                ("code", "X"),
                ("name", "X"),
            ],
        ),
        (
            "people/set_salesperson_blocked",
            vec![("id", "1"), ("blocked", "maybe")],
        ),
        ("people/delete_salesperson", vec![("id", "")]),
        ("people/delete_team", vec![]),
        (
            "people/remove_team_member",
            vec![("team_id", "1"), ("salesperson_id", "x")],
        ),
    ] {
        let r = b.call(endpoint, &form).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{endpoint}: {}",
            r.body
        );
        assert!(r.body.contains("Reload the page"), "{endpoint}: {}", r.body);
    }
    // Nothing chosen in a select says what to choose.
    let team = team(&pool, "T1", &[], &[]).await.to_string();
    let r = b
        .call(
            "people/add_team_member",
            &[("team_id", &team), ("salesperson_id", "")],
        )
        .await;
    assert_eq!(
        field_errors(&r)["salesperson_id"],
        "Choose a salesperson to add."
    );
    let r = b
        .call(
            "people/add_team_manager",
            &[("team_id", &team), ("user_id", "")],
        )
        .await;
    assert_eq!(
        field_errors(&r)["user_id"],
        "Choose a user to make manager."
    );
    // Well-formed ids of nothing are 404.
    assert_eq!(
        b.call("people/delete_salesperson", &[("id", "424242")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.call("people/delete_team", &[("id", "424242")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = b
        .call(
            "people/update_salesperson",
            &[
                ("id", "424242"),
                ("version", "0"),
                ("code", "X"),
                ("name", "X"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = b
        .call(
            "people/add_team_member",
            &[("team_id", "424242"), ("salesperson_id", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_create_teams_and_manage_members_and_managers(pool: PgPool) {
    let mut b = admin(&pool).await;
    let sam = salesperson(&pool, "SAM").await;
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    let seller = user(&pool, "seller@example.com", "salesperson", None).await;

    let r = b
        .call(
            "people/create_team",
            &[("code", "sales-n"), ("name", "Northern sales")],
        )
        .await;
    assert_ok(&r);
    let team = team_id_of(&pool, "SALES-N").await;
    let t = team.to_string();
    let sam_s = sam.to_string();
    let mia_s = mia.to_string();

    let r = b
        .call(
            "people/add_team_member",
            &[("team_id", &t), ("salesperson_id", &sam_s)],
        )
        .await;
    assert_ok(&r);
    assert!(r.body.contains("added to SALES-N"), "{}", r.body);
    // Adding twice is harmless and says so.
    let r = b
        .call(
            "people/add_team_member",
            &[("team_id", &t), ("salesperson_id", &sam_s)],
        )
        .await;
    assert_ok(&r);
    assert!(r.body.contains("already a member"), "{}", r.body);
    let r = b
        .call(
            "people/add_team_manager",
            &[("team_id", &t), ("user_id", &mia_s)],
        )
        .await;
    assert_ok(&r);

    // A salesperson-role user cannot be made a manager: it would give them nothing.
    let r = b
        .call(
            "people/add_team_manager",
            &[("team_id", &t), ("user_id", &seller.to_string())],
        )
        .await;
    assert!(
        field_errors(&r)["user_id"]
            .as_str()
            .unwrap()
            .contains("Give them the Manager role")
    );
    let r = b
        .call(
            "people/add_team_member",
            &[("team_id", &t), ("salesperson_id", "424242")],
        )
        .await;
    assert!(field_errors(&r).contains_key("salesperson_id"));

    let r = b.call("people/list_teams", &[]).await;
    assert_ok(&r);
    let o: Value = serde_json::from_str(&r.body).unwrap();
    let card = &o["teams"][0];
    assert_eq!(card["code"], "SALES-N");
    assert_eq!(card["members"][0]["code"], "SAM");
    assert_eq!(card["managers"][0]["email"], "mia@example.com");
    let candidates: Vec<&str> = o["manager_candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        candidates,
        ["admin@example.com", "mia@example.com"],
        "managers and admins only"
    );
    let r = b.call("people/list_salespeople", &[]).await;
    assert!(r.body.contains("\"teams\":[\"SALES-N\"]"), "{}", r.body);

    let r = b
        .call(
            "people/remove_team_member",
            &[("team_id", &t), ("salesperson_id", &sam_s)],
        )
        .await;
    assert_ok(&r);
    let r = b
        .call(
            "people/remove_team_manager",
            &[("team_id", &t), ("user_id", &mia_s)],
        )
        .await;
    assert_ok(&r);
    assert!(r.body.contains("has no manager now"), "{}", r.body);
    assert_eq!(count(&pool, "select count(*) from team_members").await, 0);
    assert_eq!(count(&pool, "select count(*) from team_managers").await, 0);
    assert_eq!(
        count(&pool, "select count(*) from salespeople").await,
        1,
        "removing a member keeps the salesperson"
    );

    // Rename, with the same stale-form protection as salespeople.
    let r = b
        .call(
            "people/update_team",
            &[
                ("id", &t),
                ("version", "0"),
                ("code", "north"),
                ("name", "North"),
            ],
        )
        .await;
    assert_ok(&r);
    let r = b
        .call(
            "people/update_team",
            &[
                ("id", &t),
                ("version", "0"),
                ("code", "NORTH"),
                ("name", "Stale"),
            ],
        )
        .await;
    assert!(conflict_message(&r).contains("Someone else changed team NORTH"));
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_a_team_removes_its_memberships_but_not_the_people(pool: PgPool) {
    let mut b = admin(&pool).await;
    let sam = salesperson(&pool, "SAM").await;
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    let t = team(&pool, "T1", &[sam], &[mia]).await;
    let r = b
        .call("people/delete_team", &[("id", &t.to_string())])
        .await;
    assert_ok(&r);
    assert!(r.body.contains("T1) deleted"), "{}", r.body);
    assert_eq!(count(&pool, "select count(*) from teams").await, 0);
    assert_eq!(count(&pool, "select count(*) from team_members").await, 0);
    assert_eq!(count(&pool, "select count(*) from team_managers").await, 0);
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 1);
    assert_eq!(
        count(
            &pool,
            "select count(*) from users where email = 'mia@example.com'"
        )
        .await,
        1
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_salesperson_linked_to_a_user_cannot_be_deleted(pool: PgPool) {
    let mut b = admin(&pool).await;
    let linked = salesperson(&pool, "LINKED").await;
    user(&pool, "sam@example.com", "salesperson", Some(linked)).await;
    let r = b
        .call("people/delete_salesperson", &[("id", &linked.to_string())])
        .await;
    let message = conflict_message(&r);
    assert!(message.contains("linked to the user account"), "{message}");
    assert!(message.contains("sam@example.com"), "{message}");
    assert!(message.contains("block them instead"), "{message}");
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 1);

    // One nothing refers to goes, and their team memberships with them.
    let free = salesperson(&pool, "FREE").await;
    team(&pool, "T1", &[free, linked], &[]).await;
    assert_ok(
        &b.call("people/delete_salesperson", &[("id", &free.to_string())])
            .await,
    );
    assert_eq!(count(&pool, "select count(*) from salespeople").await, 1);
    assert_eq!(count(&pool, "select count(*) from team_members").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn non_admins_get_403_from_every_endpoint_and_nothing_changes(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let sam = salesperson(&pool, "SAM").await;
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    user(&pool, "sam@example.com", "salesperson", Some(sam)).await;
    let t = team(&pool, "T1", &[sam], &[mia]).await;
    let (sam, t, mia) = (sam.to_string(), t.to_string(), mia.to_string());

    let snapshot = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select concat_ws('|',
                (select string_agg(concat_ws(',', id, code, name, email, phone, commission_pct, blocked, version), ';' order by id) from salespeople),
                (select string_agg(concat_ws(',', id, code, name, version), ';' order by id) from teams),
                (select string_agg(concat_ws(',', team_id, salesperson_id), ';' order by 1, 2) from team_members),
                (select string_agg(concat_ws(',', team_id, user_id), ';' order by 1, 2) from team_managers))",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = snapshot(pool.clone()).await;

    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("people/list_salespeople", vec![]),
        (
            "people/create_salesperson",
            vec![("code", "NEW"), ("name", "New"), ("commission", "1")],
        ),
        (
            "people/update_salesperson",
            vec![
                ("id", &sam),
                ("version", "0"),
                ("code", "SAM"),
                ("name", "Changed"),
            ],
        ),
        (
            "people/set_salesperson_blocked",
            vec![("id", &sam), ("blocked", "true")],
        ),
        ("people/delete_salesperson", vec![("id", &sam)]),
        ("people/list_teams", vec![]),
        ("people/create_team", vec![("code", "T2"), ("name", "Two")]),
        (
            "people/update_team",
            vec![
                ("id", &t),
                ("version", "0"),
                ("code", "T1"),
                ("name", "Changed"),
            ],
        ),
        ("people/delete_team", vec![("id", &t)]),
        (
            "people/add_team_member",
            vec![("team_id", &t), ("salesperson_id", &sam)],
        ),
        (
            "people/remove_team_member",
            vec![("team_id", &t), ("salesperson_id", &sam)],
        ),
        (
            "people/add_team_manager",
            vec![("team_id", &t), ("user_id", &mia)],
        ),
        (
            "people/remove_team_manager",
            vec![("team_id", &t), ("user_id", &mia)],
        ),
    ];
    for who in ["mia@example.com", "sam@example.com"] {
        let mut b = signed_in(&pool, who).await;
        for (endpoint, form) in &calls {
            let r = b.call(endpoint, form).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{who} {endpoint}: {}",
                r.body
            );
        }
        for page in ["/setup/salespeople", "/setup/teams"] {
            let r = b.get(page).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {page}");
            assert!(r.body.contains("No access"), "{who} {page}");
            assert!(!r.body.contains("SAM"), "{who} {page} leaks data");
        }
    }
    // Signed out: 401 for the server functions.
    let mut anonymous = Browser::new(&pool);
    for (endpoint, form) in &calls {
        assert_eq!(
            anonymous.call(endpoint, form).await.status,
            StatusCode::UNAUTHORIZED,
            "{endpoint}"
        );
    }
    assert_eq!(snapshot(pool.clone()).await, before, "nothing changed");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_pages_show_salespeople_and_teams_to_admins(pool: PgPool) {
    let mut b = admin(&pool).await;
    let sam = salesperson(&pool, "SAM").await;
    team(&pool, "SALES-N", &[sam], &[]).await;
    let r = b.get("/setup/salespeople").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Add a salesperson") && r.body.contains(">SAM<"),
        "{}",
        r.body
    );
    let r = b.get(&format!("/setup/salespeople?edit={sam}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Edit SAM (SAM)"),
        "the edit panel renders on the server"
    );
    let r = b.get("/setup/teams").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Remove SAM from SALES-N"), "{}", r.body);
    assert!(
        r.body.contains("No manager"),
        "a team without a manager is flagged"
    );
}

/// The teams edited here are the managers' scopes (`auth::access::resolve`).
#[sqlx::test(migrations = "../migrations")]
async fn team_membership_edits_change_the_managers_scope(pool: PgPool) {
    let mut b = admin(&pool).await;
    let (a1, a2) = (
        salesperson(&pool, "A1").await,
        salesperson(&pool, "A2").await,
    );
    let mia = user(&pool, "mia@example.com", "manager", None).await;
    let t = team(&pool, "TEAM-A", &[a1], &[]).await.to_string();
    let scope = |pool: PgPool| async move {
        use axum_login::AuthnBackend;
        let u = app::auth::backend::Backend::new(pool.clone())
            .get_user(&mia)
            .await
            .unwrap()
            .unwrap();
        app::auth::access::resolve(&pool, u).await.unwrap().read
    };
    assert_eq!(
        scope(pool.clone()).await,
        Scope::Salespeople(vec![]),
        "not a manager yet"
    );

    assert_ok(
        &b.call(
            "people/add_team_manager",
            &[("team_id", &t), ("user_id", &mia.to_string())],
        )
        .await,
    );
    assert_eq!(scope(pool.clone()).await, Scope::Salespeople(vec![a1]));

    assert_ok(
        &b.call(
            "people/add_team_member",
            &[("team_id", &t), ("salesperson_id", &a2.to_string())],
        )
        .await,
    );
    assert_eq!(
        scope(pool.clone()).await,
        Scope::Salespeople(vec![a1, a2]),
        "the new member is in reach"
    );

    assert_ok(
        &b.call(
            "people/remove_team_member",
            &[("team_id", &t), ("salesperson_id", &a1.to_string())],
        )
        .await,
    );
    assert_eq!(
        scope(pool.clone()).await,
        Scope::Salespeople(vec![a2]),
        "a removed member is out of reach"
    );

    assert_ok(
        &b.call(
            "people/remove_team_manager",
            &[("team_id", &t), ("user_id", &mia.to_string())],
        )
        .await,
    );
    assert_eq!(scope(pool.clone()).await, Scope::Salespeople(vec![]));
}

//! Contacts through the real router and a real database: creating companies and persons, the
//! checks on their fields, search, sort and paging, who sees and changes what, and versions.

mod common;

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

/// Creates a contact through the server function and answers its id.
async fn create(b: &mut Browser, fields: &[(&str, &str)]) -> i64 {
    let r = b.call("contacts/create", fields).await;
    ok(&r);
    json(&r)
        .as_i64()
        .unwrap_or_else(|| panic!("no id in {}", r.body))
}

async fn company(b: &mut Browser, name: &str) -> i64 {
    create(b, &[("kind", "company"), ("name", name)]).await
}

async fn person(b: &mut Browser, name: &str, company: i64) -> i64 {
    create(
        b,
        &[
            ("kind", "person"),
            ("name", name),
            ("company_id", &company.to_string()),
        ],
    )
    .await
}

async fn get(b: &mut Browser, id: i64) -> Reply {
    b.call("contacts/get", &[("id", &id.to_string())]).await
}

async fn list(b: &mut Browser, query: &[(&str, &str)]) -> Value {
    let r = b.call("contacts/list", query).await;
    ok(&r);
    json(&r)
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Posts the edit form: a company named "Unnamed" unless `changes` say otherwise.
async fn update(b: &mut Browser, id: i64, version: i64, changes: &[(&str, &str)]) -> Reply {
    let mut fields: Vec<(String, String)> = vec![
        ("id".into(), id.to_string()),
        ("version".into(), version.to_string()),
        ("kind".into(), "company".into()),
        ("name".into(), "Unnamed".into()),
    ];
    for (k, v) in changes {
        match fields.iter_mut().find(|(key, _)| key == k) {
            Some(pair) => pair.1 = (*v).to_owned(),
            None => fields.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.call("contacts/update", &form).await
}

async fn count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from contacts")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Inserts a contact directly (for scope and paging set-ups).
async fn insert(
    pool: &PgPool,
    kind: &str,
    name: &str,
    city: &str,
    salesperson: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "insert into contacts (kind, name, city, salesperson_id) values ($1, $2, $3, $4) returning id",
    )
    .bind(kind)
    .bind(name)
    .bind(city)
    .bind(salesperson)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn denied(pool: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from auth_events where kind = 'access_denied'")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_company_and_a_person_in_it_are_created_and_linked(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let r = admin
        .call(
            "contacts/create",
            &[
                ("kind", "company"),
                ("name", "  Acme Corp "),
                ("email", "info@acme.test"),
                ("phone", "+44 20 1234"),
                ("address", "1 Main St"),
                ("city", "London"),
                ("post_code", "EC1"),
                ("country", "UK"),
                ("salesperson_id", ""),
            ],
        )
        .await;
    ok(&r);
    let acme = json(&r).as_i64().unwrap();
    assert_eq!(
        r.location(),
        Some(format!("/contacts/{acme}").as_str()),
        "the browser is sent to the new card"
    );
    let ann = create(
        &mut admin,
        &[
            ("kind", "person"),
            ("name", "Ann Archer"),
            ("company_id", &acme.to_string()),
            ("job_title", "Buyer"),
        ],
    )
    .await;

    let card = json(&get(&mut admin, ann).await);
    assert_eq!(card["kind"], "Person");
    assert_eq!(card["company_id"], acme);
    assert_eq!(card["company_name"], "Acme Corp");
    assert_eq!(card["job_title"], "Buyer");
    assert_eq!(card["can_change"], true);

    let card = json(&get(&mut admin, acme).await);
    assert_eq!(card["name"], "Acme Corp", "names are trimmed");
    assert_eq!(card["city"], "London");
    assert_eq!(
        card["salesperson_id"],
        Value::Null,
        "an admin may leave a contact in the shared pool"
    );
    assert_eq!(
        card["persons"][0]["name"], "Ann Archer",
        "the company's card lists its persons"
    );

    // The card renders on the server, with the person linked from the company.
    let page = admin.get(&format!("/contacts/{acme}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Acme Corp"), "{}", page.body);
    assert!(
        page.body.contains(&format!("/contacts/{ann}")),
        "the person is linked"
    );
    assert!(
        page.body.contains(&format!("/contacts/new?company={acme}")),
        "Add person is offered"
    );
    let page = admin.get(&format!("/contacts/{ann}")).await;
    assert!(
        page.body.contains(&format!("href=\"/contacts/{acme}\"")),
        "the person links to the company"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn contact_numbers_come_from_a_sequence(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let first = company(&mut admin, "First").await;
    let r = admin
        .call("contacts/create", &[("kind", "company"), ("name", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let second = company(&mut admin, "Second").await;
    assert_eq!(json(&get(&mut admin, first).await)["no"], "CT000001");
    assert_eq!(json(&get(&mut admin, second).await)["no"], "CT000002");
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_input_gets_a_message_per_field_and_changes_nothing(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let long = "x".repeat(101);
    let r = admin
        .call(
            "contacts/create",
            &[
                ("kind", "robot"),
                ("name", " "),
                ("email", "ann@example"),
                ("city", &long),
                ("phone", &long),
                ("job_title", &long),
                ("salesperson_id", "999999"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let errors = &json(&r)["Validation"];
    assert_eq!(errors["kind"], "Choose Company or Person.");
    assert_eq!(errors["name"], "Enter a name.");
    assert_eq!(
        errors["email"],
        "Enter a valid email address, like name@example.com."
    );
    assert_eq!(errors["city"], "Use at most 50 characters.");
    assert_eq!(errors["phone"], "Use at most 30 characters.");
    assert_eq!(errors["job_title"], "Use at most 100 characters.");
    assert_eq!(
        errors["salesperson_id"],
        "Choose a salesperson from the list."
    );
    let r = admin
        .call("contacts/create", &[("kind", "company"), ("name", &long)])
        .await;
    assert_eq!(
        json(&r)["Validation"]["name"],
        "Use at most 100 characters."
    );
    // Forged posts with text where a number belongs get a 422 or 404, never a 500.
    let r = admin
        .call(
            "contacts/create",
            &[("kind", "person"), ("name", "Ann"), ("company_id", "acme")],
        )
        .await;
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "Choose a company from the list."
    );
    let r = admin
        .call("contacts/update", &[("id", "one"), ("version", "1")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(
        admin
            .call("contacts/get", &[("id", "1; drop table contacts")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(count(&pool).await, 0, "invalid input inserted nothing");

    // Invalid edits leave the contact as it was.
    let acme = company(&mut admin, "Acme").await;
    let r = admin
        .call(
            "contacts/update",
            &[
                ("id", &acme.to_string()),
                ("version", "latest"),
                ("kind", "company"),
                ("name", "X"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = update(
        &mut admin,
        acme,
        1,
        &[("name", "Acme 2"), ("email", "not an email")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let card = json(&get(&mut admin, acme).await);
    assert_eq!(
        (card["name"].as_str(), card["version"].as_i64()),
        (Some("Acme"), Some(1))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_company_cannot_have_a_company(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let acme = company(&mut admin, "Acme").await;
    let ann = person(&mut admin, "Ann", acme).await;

    let r = admin
        .call(
            "contacts/create",
            &[
                ("kind", "company"),
                ("name", "Sub"),
                ("company_id", &acme.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "A company cannot belong to another company."
    );
    let r = admin
        .call(
            "contacts/create",
            &[
                ("kind", "person"),
                ("name", "Bob"),
                ("company_id", &ann.to_string()),
            ],
        )
        .await;
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "Choose a company, not a person."
    );
    let r = admin
        .call(
            "contacts/create",
            &[
                ("kind", "person"),
                ("name", "Bob"),
                ("company_id", "999999"),
            ],
        )
        .await;
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "This company does not exist or you do not have access to it."
    );
    assert_eq!(count(&pool).await, 2);

    // Nor can an edit make one, or turn a company with persons into a person.
    let globex = company(&mut admin, "Globex").await;
    let r = update(
        &mut admin,
        globex,
        1,
        &[("name", "Globex"), ("company_id", &acme.to_string())],
    )
    .await;
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "A company cannot belong to another company."
    );
    let r = update(&mut admin, acme, 1, &[("kind", "person"), ("name", "Acme")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(&r)["Validation"]["kind"]
            .as_str()
            .unwrap()
            .contains("has persons"),
        "{}",
        r.body
    );
    let r = update(
        &mut admin,
        acme,
        1,
        &[
            ("kind", "person"),
            ("name", "Acme"),
            ("company_id", &acme.to_string()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The database holds the rule too.
    let direct =
        sqlx::query("insert into contacts (kind, name, company_id) values ('company', 'X', $1)")
            .bind(acme)
            .execute(&pool)
            .await;
    assert!(
        direct
            .unwrap_err()
            .to_string()
            .contains("contacts_only_persons_have_a_company")
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn search_is_case_insensitive_over_name_email_and_company_name(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let acme = company(&mut admin, "Acme Corp").await;
    create(
        &mut admin,
        &[
            ("kind", "person"),
            ("name", "Bob Jones"),
            ("email", "Bob.J@Mail.test"),
            ("company_id", &acme.to_string()),
        ],
    )
    .await;
    create(
        &mut admin,
        &[
            ("kind", "person"),
            ("name", "Carla 100% Sure_Thing"),
            ("email", "carla@other.test"),
        ],
    )
    .await;
    company(&mut admin, "Globex").await;

    assert_eq!(
        names(&list(&mut admin, &[("q", "ACME")]).await),
        ["Acme Corp", "Bob Jones"],
        "by company name too"
    );
    assert_eq!(
        names(&list(&mut admin, &[("q", "bob.j@mail")]).await),
        ["Bob Jones"],
        "by email"
    );
    assert_eq!(
        names(&list(&mut admin, &[("q", "jOnEs")]).await),
        ["Bob Jones"],
        "by name"
    );
    assert_eq!(
        names(&list(&mut admin, &[("q", "100%")]).await),
        ["Carla 100% Sure_Thing"],
        "% is literal"
    );
    assert_eq!(
        names(&list(&mut admin, &[("q", "%")]).await).len(),
        1,
        "% matches only a real %"
    );
    assert!(
        names(&list(&mut admin, &[("q", "b_b")]).await).is_empty(),
        "_ is literal (else it finds Bob)"
    );
    assert_eq!(
        names(&list(&mut admin, &[("q", "acme"), ("kind", "person")]).await),
        ["Bob Jones"]
    );
    assert_eq!(
        names(&list(&mut admin, &[("kind", "company")]).await),
        ["Acme Corp", "Globex"]
    );
    assert_eq!(
        list(&mut admin, &[("q", "nobody at all")]).await["total"],
        0
    );

    // The list page renders the search on the server, and its empty state.
    let page = admin.get("/contacts?q=acme").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Bob Jones"), "{}", page.body);
    assert!(!page.body.contains("Globex"));
    let page = admin.get("/contacts?q=zebra").await;
    assert!(
        page.body.contains("No contacts match “zebra”."),
        "{}",
        page.body
    );

    // The company picker finds companies only.
    let found = json(&admin.call("contacts/companies", &[("q", "CORP")]).await);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["name"], "Acme Corp");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_sorts_and_pages_with_counts(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    // 30 contacts: names in creation order, cities in the reverse order.
    for i in 1..=30 {
        insert(
            &pool,
            "company",
            &format!("Name {i:02}"),
            &format!("City {:02}", 31 - i),
            None,
        )
        .await;
    }
    let page1 = list(&mut admin, &[]).await;
    assert_eq!(page1["total"], 30);
    assert_eq!(page1["page"], 1);
    let names1 = names(&page1);
    assert_eq!(names1.len(), 25);
    assert_eq!(
        (names1[0].as_str(), names1[24].as_str()),
        ("Name 01", "Name 25")
    );
    let page2 = list(&mut admin, &[("page", "2")]).await;
    assert_eq!(
        names(&page2),
        ["Name 26", "Name 27", "Name 28", "Name 29", "Name 30"]
    );

    assert_eq!(
        names(&list(&mut admin, &[("sort", "name"), ("dir", "desc")]).await)[0],
        "Name 30"
    );
    assert_eq!(
        names(&list(&mut admin, &[("sort", "city")]).await)[0],
        "Name 30",
        "City 01 first"
    );
    assert_eq!(
        names(&list(&mut admin, &[("sort", "city"), ("dir", "desc")]).await)[0],
        "Name 01"
    );
    assert_eq!(
        names(&list(&mut admin, &[("sort", "created"), ("dir", "desc")]).await)[0],
        "Name 30"
    );
    assert_eq!(
        names(&list(&mut admin, &[("sort", "created")]).await)[0],
        "Name 01"
    );

    // A page past the end, or nonsense in the address, falls back instead of failing.
    assert_eq!(list(&mut admin, &[("page", "99")]).await["page"], 2);
    let odd = list(
        &mut admin,
        &[
            ("page", "x"),
            ("sort", "salary"),
            ("dir", "sideways"),
            ("kind", "alien"),
        ],
    )
    .await;
    assert_eq!(
        (odd["page"].as_i64(), odd["total"].as_i64()),
        (Some(1), Some(30))
    );

    let page = admin.get("/contacts?page=2").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("26–30 of 30"), "{}", page.body);
    let page = admin.get("/contacts").await;
    assert!(page.body.contains("1–25 of 30"));
    assert!(
        page.body.contains("href=\"/contacts?page=2\""),
        "Next is a link with the query"
    );
}

/// Team A: salespeople A1 and A2, managed by a manager; team B: salesperson B1; one contact each
/// and one in the shared pool.
struct Teams {
    a1: i64,
    a2: i64,
    b1: i64,
    of_a1: i64,
    of_a2: i64,
    of_b1: i64,
    pool_contact: i64,
}

async fn teams(pool: &PgPool) -> Teams {
    let (a1, a2, b1) = (
        salesperson(pool, "A1").await,
        salesperson(pool, "A2").await,
        salesperson(pool, "B1").await,
    );
    user(pool, "admin@example.com", "admin", None).await;
    let manager = user(pool, "mgr@example.com", "manager", None).await;
    user(pool, "a1@example.com", "salesperson", Some(a1)).await;
    team(pool, "TEAM-A", &[a1, a2], &[manager]).await;
    team(pool, "TEAM-B", &[b1], &[]).await;
    Teams {
        a1,
        a2,
        b1,
        of_a1: insert(pool, "company", "Of A1", "", Some(a1)).await,
        of_a2: insert(pool, "company", "Of A2", "", Some(a2)).await,
        of_b1: insert(pool, "company", "Of B1", "", Some(b1)).await,
        pool_contact: insert(pool, "company", "In the pool", "", None).await,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn admins_see_every_contact_and_salespeople_their_teams_and_the_pool(pool: PgPool) {
    let t = teams(&pool).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    assert_eq!(
        names(&list(&mut admin, &[]).await),
        ["In the pool", "Of A1", "Of A2", "Of B1"]
    );

    let mut seller = signed_in(&pool, "a1@example.com").await;
    assert_eq!(
        names(&list(&mut seller, &[]).await),
        ["In the pool", "Of A1", "Of A2"],
        "not team B's"
    );
    assert_eq!(
        list(&mut seller, &[("q", "B1")]).await["total"],
        0,
        "nor by search"
    );
    let before = denied(&pool).await;
    let r = get(&mut seller, t.of_b1).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another team's contact does not exist for them"
    );
    assert_eq!(
        denied(&pool).await,
        before + 1,
        "the forged request is recorded"
    );
    assert_eq!(
        get(&mut seller, 999_999).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json(&get(&mut seller, t.of_a2).await)["can_change"],
        false,
        "a teammate's contact is read-only"
    );
    assert_eq!(
        json(&get(&mut seller, t.pool_contact).await)["can_change"],
        false
    );
    assert_eq!(json(&get(&mut seller, t.of_a1).await)["can_change"], true);

    // The card page says so with a 404.
    let page = seller.get(&format!("/contacts/{}", t.of_b1)).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body
            .contains("This contact does not exist or you do not have access to it.")
    );
    assert!(!page.body.contains("Of B1"));
    assert_eq!(
        seller.get("/contacts/not-a-number").await.status,
        StatusCode::NOT_FOUND
    );

    // Nor can they attach a person to it, or find it in the company picker.
    let r = seller
        .call(
            "contacts/create",
            &[
                ("kind", "person"),
                ("name", "Pat"),
                ("company_id", &t.of_b1.to_string()),
            ],
        )
        .await;
    assert_eq!(
        json(&r)["Validation"]["company_id"],
        "This company does not exist or you do not have access to it."
    );
    let found = json(&seller.call("contacts/companies", &[("q", "of")]).await);
    assert_eq!(found.as_array().unwrap().len(), 2, "{found}");
    let _ = (t.a1, t.a2, t.b1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_salesperson_changes_only_their_own_contacts(pool: PgPool) {
    let t = teams(&pool).await;
    let mut seller = signed_in(&pool, "a1@example.com").await;
    let r = update(&mut seller, t.of_a2, 1, &[("name", "Mine now")]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a teammate's contact is readable but not changeable"
    );
    let r = update(&mut seller, t.pool_contact, 1, &[("name", "Mine now")]).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the pool is changed by admins and managers"
    );
    let r = update(&mut seller, t.of_b1, 1, &[("name", "Mine now")]).await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "another team's contact is not even there"
    );
    let renamed: i64 = sqlx::query_scalar("select count(*) from contacts where name = 'Mine now'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(renamed, 0);

    let r = update(
        &mut seller,
        t.of_a1,
        1,
        &[
            ("name", "Of A1, renamed"),
            ("salesperson_id", &t.a1.to_string()),
        ],
    )
    .await;
    ok(&r);
    assert_eq!(json(&r)["version"], 2);
    let r = update(
        &mut seller,
        t.of_a1,
        2,
        &[("name", "Of A1"), ("salesperson_id", &t.a2.to_string())],
    )
    .await;
    assert_eq!(
        json(&r)["Validation"]["salesperson_id"],
        "You can assign contacts only to yourself."
    );

    // A new contact is theirs by default; somebody else's is refused.
    let mine = create(
        &mut seller,
        &[("kind", "person"), ("name", "Pat"), ("salesperson_id", "")],
    )
    .await;
    assert_eq!(json(&get(&mut seller, mine).await)["salesperson_id"], t.a1);
    let r = seller
        .call(
            "contacts/create",
            &[
                ("kind", "person"),
                ("name", "Quinn"),
                ("salesperson_id", &t.b1.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(&r)["Validation"]["salesperson_id"],
        "You can assign contacts only to yourself."
    );

    let options = json(&seller.call("contacts/salespeople", &[]).await);
    assert_eq!(options["salespeople"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            options["default_id"].as_i64(),
            options["allow_none"].as_bool()
        ),
        (Some(t.a1), Some(false))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_manager_changes_the_contacts_of_the_teams_they_manage(pool: PgPool) {
    let t = teams(&pool).await;
    let mut manager = signed_in(&pool, "mgr@example.com").await;
    let a1 = t.a1.to_string();
    let r = update(
        &mut manager,
        t.of_a2,
        1,
        &[
            ("name", "Of A2"),
            ("city", "Leeds"),
            ("salesperson_id", &a1),
        ],
    )
    .await;
    ok(&r);
    let card = json(&get(&mut manager, t.of_a2).await);
    assert_eq!(
        (card["city"].as_str(), card["salesperson_id"].as_i64()),
        (Some("Leeds"), Some(t.a1))
    );
    let r = update(
        &mut manager,
        t.pool_contact,
        1,
        &[
            ("name", "In the pool"),
            ("salesperson_id", &t.a2.to_string()),
        ],
    )
    .await;
    ok(&r);
    let r = update(
        &mut manager,
        t.of_a1,
        1,
        &[("name", "Of A1"), ("salesperson_id", &t.b1.to_string())],
    )
    .await;
    assert!(
        json(&r)["Validation"]["salesperson_id"]
            .as_str()
            .unwrap()
            .contains("teams you manage"),
        "{}",
        r.body
    );
    assert_eq!(
        update(&mut manager, t.of_b1, 1, &[("name", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Blocked salespeople are not offered and cannot be given new contacts.
    sqlx::query("update salespeople set blocked = true where id = $1")
        .bind(t.a2)
        .execute(&pool)
        .await
        .unwrap();
    let options = json(&manager.call("contacts/salespeople", &[]).await);
    let offered: Vec<i64> = options["salespeople"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(offered, [t.a1]);
    assert_eq!(options["allow_none"], true);
    let r = manager
        .call(
            "contacts/create",
            &[
                ("kind", "company"),
                ("name", "New"),
                ("salesperson_id", &t.a2.to_string()),
            ],
        )
        .await;
    assert_eq!(
        json(&r)["Validation"]["salesperson_id"],
        "This salesperson is blocked. Choose another one."
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stale_version_is_refused_with_a_conflict(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let mut colleague = signed_in(&pool, "admin@example.com").await;
    let acme = company(&mut admin, "Acme").await;
    ok(&update(&mut admin, acme, 1, &[("name", "Acme Ltd")]).await);
    let r = update(&mut colleague, acme, 1, &[("name", "Acme Inc")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(
        json(&r)["Conflict"],
        "This contact was changed by someone else. Reload to see the latest version."
    );
    let card = json(&get(&mut admin, acme).await);
    assert_eq!(
        (card["name"].as_str(), card["version"].as_i64()),
        (Some("Acme Ltd"), Some(2))
    );
    ok(&update(&mut colleague, acme, 2, &[("name", "Acme Inc")]).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn contacts_need_a_signed_in_user(pool: PgPool) {
    let mut b = Browser::new(&pool);
    assert_eq!(
        b.call("contacts/list", &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        b.call("contacts/create", &[("kind", "company"), ("name", "X")])
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(count(&pool).await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_new_contact_page_preselects_the_company(pool: PgPool) {
    user(&pool, "admin@example.com", "admin", None).await;
    let mut admin = signed_in(&pool, "admin@example.com").await;
    let acme = company(&mut admin, "Acme").await;
    let page = admin.get(&format!("/contacts/new?company={acme}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(&format!("value=\"{acme}\" selected")),
        "{}",
        page.body
    );
    let page = admin.get("/contacts/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Create contact"));
}

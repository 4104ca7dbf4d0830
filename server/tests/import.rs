//! CSV import: every row through the create rules, all or nothing, problems by row number,
//! duplicates reported; the upload form and mapping step; the API; export → re-import round trip;
//! and the size the issue asks for (50,000 rows) within a minute.

mod common;

use common::{
    api::{Api, token, user_by_email},
    app::{salesperson, signed_in, team, user},
};
use serde_json::json;
use sqlx::PgPool;

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn world(pool: &PgPool) -> (Api, Api) {
    let sam = salesperson(pool, "SAM").await;
    let tom = salesperson(pool, "TOM").await;
    user(pool, "sam@example.com", "salesperson", Some(sam)).await;
    user(pool, "tom@example.com", "salesperson", Some(tom)).await;
    team(pool, "NORTH", &[sam], &[]).await;
    team(pool, "SOUTH", &[tom], &[]).await;
    (
        Api::new(pool, Some(token(pool, "sam@example.com").await)),
        Api::new(pool, Some(token(pool, "tom@example.com").await)),
    )
}

async fn import(api: &Api, kind: &str, csv: &str) -> common::api::Answer {
    api.send(
        "POST",
        &format!("/api/v1/imports/{kind}"),
        Some(csv),
        &[("content-type", "text/csv")],
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_clean_file_imports_every_row_through_the_form_rules(pool: PgPool) {
    let (sam, _) = world(&pool).await;
    let csv = "\u{feff}Name,Type,E-mail,Town,Company,Salesperson\n\
               Acme Ltd,company,info@acme.example,Leeds,,SAM\n\
               Ann Smith,person,ann@acme.example,Leeds,Acme Ltd,SAM\n\
               \"Bee, Inc.\",,bee@bee.example,\"York\",,\n";
    let r = import(&sam, "contacts", csv).await;
    assert_eq!(r.ok(), json!({"imported": 3, "rows": 3}));
    let ann: (String, Option<i64>, String) =
        sqlx::query_as("select kind, company_id, city from contacts where name = 'Ann Smith'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(ann.0, "person");
    assert!(ann.1.is_some(), "a person's company named in the same file");
    let bee: (String, Option<i64>) =
        sqlx::query_as("select kind, salesperson_id from contacts where name = 'Bee, Inc.'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(bee.0, "company");
    assert!(bee.1.is_some(), "default: the importer's own salesperson");

    // Opportunities on them, with a webhook listening for new ones.
    sqlx::query("insert into webhooks (url, secret, events) values ('http://127.0.0.1:9/hook', 'secret', '{opportunity.created}')")
        .execute(&pool)
        .await
        .unwrap();
    let nos: Vec<String> = sqlx::query_scalar("select no from contacts order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let csv = format!(
        "description,contact_no,sales_cycle,estimated_value,chances,closing date,priority\n\
         40 laptops,{},STANDARD,12500.00,40,2030-01-31,high\n\
         Service,{},standard,,,,\n",
        nos[0], nos[2]
    );
    let r = import(&sam, "opportunities", &csv).await;
    assert_eq!(r.ok()["imported"], 2);
    let o: (rust_decimal::Decimal, String, String) =
        sqlx::query_as("select estimated_value, priority, status from opportunities where description = '40 laptops'").fetch_one(&pool).await.unwrap();
    assert_eq!(o.0, "12500.00".parse().unwrap());
    assert_eq!((o.1.as_str(), o.2.as_str()), ("high", "not_started"));
    // Each imported row is an `opportunity.created` event, in row order, as a form's create is;
    // a row without a salesperson takes its contact's.
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "select event, payload->'opportunity'->>'description', payload->'opportunity'->>'salesperson_code' from webhook_events order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let created = |d: &str| {
        (
            "opportunity.created".to_owned(),
            d.to_owned(),
            "SAM".to_owned(),
        )
    };
    assert_eq!(events, [created("40 laptops"), created("Service")]);
    // The dashboard's funnel summary counted the imported rows (once, at the end of the import).
    let drift: i64 = sqlx::query_scalar(
        "select count(*) from ((select * from funnel_by_day except select * from funnel_by_day_recomputed())
                               union all (select * from funnel_by_day_recomputed() except select * from funnel_by_day)) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(drift, 0);
    let counted: i64 =
        sqlx::query_scalar("select coalesce(sum(opportunities), 0)::bigint from funnel_by_day")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(counted, 2);
    // After the import, single creates count themselves again.
    sam.post(
        "/api/v1/opportunities",
        json!({"description": "One more", "contact_no": nos[0], "sales_cycle": "STANDARD"}),
    )
    .await
    .ok();
    let counted: i64 =
        sqlx::query_scalar("select coalesce(sum(opportunities), 0)::bigint from funnel_by_day")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(counted, 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_file_with_bad_rows_changes_nothing_and_names_each_row(pool: PgPool) {
    let (sam, tom) = world(&pool).await;
    import(&sam, "contacts", "name,email\nFirst,first@x.example\n")
        .await
        .ok();
    let before = (
        count(&pool, "contacts").await,
        count(&pool, "opportunities").await,
    );
    let csv = "name,email,type,company,salesperson_code\n\
               Good Co,good@x.example,company,,\n\
               ,nobody@x.example,company,,\n\
               Dup Co,FIRST@x.example,company,,\n\
               Twice,twice@x.example,company,,\n\
               Twice Again,twice@x.example,company,,\n\
               Robot,r@x.example,robot,,\n\
               Orphan,o@x.example,person,No Such Co,\n\
               Bad mail,not-an-email,company,,\n\
               Stranger,s@x.example,company,,ZED\n";
    let r = import(&sam, "contacts", csv).await;
    let p = r.problem(422);
    let errors: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "row 3: name",
            "row 4: email",
            "row 6: email",
            "row 7: kind",
            "row 8: company",
            "row 9: email",
            "row 10: salesperson_code"
        ],
        "{errors:?}"
    );
    assert!(
        errors[1].1.contains("already the email of contact CT"),
        "{errors:?}"
    );
    assert!(errors[2].1.contains("also on row 5"), "{errors:?}");
    assert_eq!(
        (
            count(&pool, "contacts").await,
            count(&pool, "opportunities").await
        ),
        before,
        "all or nothing"
    );

    // Opportunities: unknown contact, another team's contact, bad value, duplicate number, rules of the form.
    let mine: String = sqlx::query_scalar("select no from contacts limit 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    import(&tom, "contacts", "name\nSouthern\n").await.ok();
    let theirs: String = sqlx::query_scalar("select no from contacts where name = 'Southern'")
        .fetch_one(&pool)
        .await
        .unwrap();
    import(
        &sam,
        "opportunities",
        &format!("description,contact_no,sales_cycle\nExisting,{mine},STANDARD\n"),
    )
    .await
    .ok();
    let existing_no: String = sqlx::query_scalar("select no from opportunities")
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("insert into webhooks (url, secret, events) values ('http://127.0.0.1:9/hook', 'secret', '{opportunity.created}')")
        .execute(&pool)
        .await
        .unwrap();
    let before = count(&pool, "opportunities").await;
    let csv = format!(
        "no,description,contact_no,sales_cycle,estimated_value,estimated_closing_date,creation_date\n\
         ,Fine,{mine},STANDARD,100,,\n\
         ,Nobody,CT999999,STANDARD,100,,\n\
         ,Not mine,{theirs},STANDARD,100,,\n\
         ,Bad value,{mine},STANDARD,12abc,,\n\
         {existing_no},Again,{mine},STANDARD,1,,\n\
         ,Backwards,{mine},STANDARD,1,2020-01-01,2021-01-01\n\
         ,No cycle,{mine},NOPE,1,,\n\
         ,,{mine},STANDARD,1,,\n"
    );
    let p = import(&sam, "opportunities", &csv).await.problem(422);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "row 3: contact_no",
            "row 4: contact_no",
            "row 5: estimated_value",
            "row 6: no",
            "row 7: estimated_closing_date",
            "row 8: sales_cycle",
            "row 9: description"
        ],
        "{p}"
    );
    assert_eq!(count(&pool, "opportunities").await, before);
    assert_eq!(
        count(&pool, "webhook_events").await,
        0,
        "a refused import announces nothing"
    );
    // Columns the rules need must be there.
    let p = import(&sam, "opportunities", "description,contact\nX,Y\n")
        .await
        .problem(422);
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "row 1: contact_no"),
        "{p}"
    );
    // Not CSV at all, or too big.
    import(&sam, "contacts", "").await.problem(422);
    sam.send(
        "POST",
        "/api/v1/imports/contacts",
        Some("name\nx\n"),
        &[("content-type", "application/json")],
    )
    .await
    .problem(415);
    sam.send(
        "POST",
        "/api/v1/imports/people",
        Some("name\nx\n"),
        &[("content-type", "text/csv")],
    )
    .await
    .problem(404);
}

#[sqlx::test(migrations = "../migrations")]
async fn exported_contacts_import_back_equal(pool: PgPool) {
    let (sam, _) = world(&pool).await;
    import(
        &sam,
        "contacts",
        "name,email,phone,city,type,company,salesperson_code,job_title,address,post_code,country\n\
        Acme,a@acme.example,+44 1,Leeds,company,,SAM,,1 Mill Lane,LS1 1AA,United Kingdom\n\
        \"=Evil, \"\"quoted\"\"\",e@evil.example,,York,company,,SAM,,,,\n\
        Ann,ann@acme.example,,Leeds,person,Acme,SAM,Buyer,,,United Kingdom\n",
    )
    .await
    .ok();
    let snapshot = |pool: PgPool| async move {
        // Every column a contact has that an import can set.
        let rows: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
            "select c.kind, c.name, c.email, c.phone, c.city, coalesce(co.name, ''),
                    concat_ws('|', c.job_title, c.address, c.post_code, c.country, s.code)
             from contacts c left join contacts co on co.id = c.company_id
             left join salespeople s on s.id = c.salesperson_id order by c.name",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        rows
    };
    let original = snapshot(pool.clone()).await;
    let mut browser = signed_in(&pool, "sam@example.com").await;
    let exported = browser.get("/export/contacts.csv").await;
    assert_eq!(exported.status, 200);
    assert!(
        exported.body.contains("'=Evil"),
        "formula cells are defused: {}",
        exported.body
    );
    // Into an empty database (the same people, no contacts): the same contacts come back.
    sqlx::query("delete from contacts")
        .execute(&pool)
        .await
        .unwrap();
    let r = import(&sam, "contacts", &exported.body).await;
    assert_eq!(r.ok()["imported"], 3, "{}", exported.body);
    // Defused cells come back as they were.
    assert_eq!(snapshot(pool.clone()).await, original);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_upload_form_and_mapping_step(pool: PgPool) {
    let (_, _) = world(&pool).await;
    let mut browser = signed_in(&pool, "sam@example.com").await;
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ncontacts\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n\
         Full name,Mail,Where\nAcme,a@acme.example,Leeds\nBee,b@bee.example,York\n\r\n--{boundary}--\r\n"
    );
    let r = browser
        .post_raw(
            "/import/upload",
            &format!("multipart/form-data; boundary={boundary}"),
            body,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.location().unwrap().to_owned();
    let upload = location.strip_prefix("/import?upload=").unwrap().to_owned();
    let preview = browser.call("import/preview", &[("upload", &upload)]).await;
    let p: serde_json::Value = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(p["total_rows"], 2);
    assert_eq!(p["headers"], json!(["Full name", "Mail", "Where"]));
    // "Full name" maps to name by itself; Mail and Where need the user's choice.
    let mapping = "kind=;name=0;company=;job_title=;email=1;phone=;address=;city=2;post_code=;country=;salesperson_code=";
    let r = browser
        .call("import/run", &[("upload", &upload), ("mapping", mapping)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["imported"],
        2
    );
    let city: String =
        sqlx::query_scalar("select city from contacts where email = 'b@bee.example'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(city, "York");
    // Twice is refused: a double click does not import twice.
    let r = browser
        .call("import/run", &[("upload", &upload), ("mapping", mapping)])
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(count(&pool, "contacts").await, 2);
    // Someone else's upload is not found.
    let mut tom = signed_in(&pool, "tom@example.com").await;
    assert_eq!(
        tom.call("import/preview", &[("upload", &upload)])
            .await
            .status,
        404
    );
    // Not UTF-8: back to the form with a message.
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\r\n\u{0}\r\n--{boundary}--\r\n"
    )
    .replace('\u{0}', "\u{fffd}");
    let mut bytes = body.into_bytes();
    let at = bytes
        .windows(3)
        .position(|w| w == "\u{fffd}".as_bytes())
        .unwrap();
    bytes.splice(at..at + 3, [0xff, 0xfe]);
    let r = browser
        .post_raw_bytes(
            "/import/upload",
            &format!("multipart/form-data; boundary={boundary}"),
            bytes,
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(
        r.location().unwrap().contains("error="),
        "{:?}",
        r.location()
    );
}

/// The size: 50,000 rows (about 5 MB) import within a minute. Run with `--ignored` for
/// the figure (debug builds are slower than the release server; see docs/benchmarks.md).
#[sqlx::test(migrations = "../migrations")]
#[ignore]
async fn fifty_thousand_contacts(pool: PgPool) {
    let (sam, _) = world(&pool).await;
    let mut csv = String::from("name,email,phone,city,country,salesperson_code\n");
    for i in 0..50_000 {
        csv.push_str(&format!(
            "Company {i},buyer{i}@example.com,+44 20 7946 {i:04},City {},United Kingdom,SAM\n",
            i % 100
        ));
    }
    let started = std::time::Instant::now();
    let r = import(&sam, "contacts", &csv).await;
    let took = started.elapsed();
    assert_eq!(r.ok()["imported"], 50_000);
    println!("50,000 contacts ({} bytes) imported in {took:?}", csv.len());
    let _ = user_by_email;
}

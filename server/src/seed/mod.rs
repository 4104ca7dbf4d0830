//! `seed`: realistic demo data in bulk — salespeople, teams with managers, users, and thousands
//! of companies and persons — the same data for the same seed number, for demos and benchmarks.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::PgPool;

use crate::error::StartupError;

mod history;

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The same number gives the same data.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, default_value_t = 12)]
    pub salespeople: usize,
    #[arg(long, default_value_t = 3)]
    pub teams: usize,
    #[arg(long, default_value_t = 5000)]
    pub contacts: usize,
    /// Opportunities in the STANDARD cycle on owned companies: open ones spread over its stages,
    /// or with `--history` whole lives (moves, quotes, closes) over the last three years.
    #[arg(long, default_value_t = 0)]
    pub opportunities: usize,
    /// Give the opportunities histories: about five entries each, most older ones closed.
    #[arg(long)]
    pub history: bool,
    /// Password of the seeded user accounts (one manager per team, one user per salesperson).
    #[arg(long, env = "PIPELINE_SEED_PASSWORD", default_value = "pipeline demo")]
    pub password: String,
}

const FIRST: &[&str] = &[
    "Anna", "Ben", "Carla", "David", "Elif", "Finn", "Grace", "Hugo", "Ines", "Jonas", "Kira",
    "Liam", "Maya", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wim",
    "Yara", "Zoe", "Mateo", "Lena", "Omar", "Sofia", "Jan", "Priya", "Kenji", "Amara", "Lucas",
    "Nora", "Ravi", "Elena", "Tom",
];
const LAST: &[&str] = &[
    "Andersen",
    "Becker",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Müller",
    "Novak",
    "Olsen",
    "Petersen",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Usman",
    "Visser",
    "Weber",
    "Young",
    "Zimmermann",
    "Nielsen",
    "Moreau",
    "Kim",
    "Patel",
    "Silva",
];
const COMPANY_A: &[&str] = &[
    "Nordic",
    "Blue",
    "Cedar",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Maple",
    "Nova",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Riverside",
    "Summit",
    "Tidal",
    "Union",
    "Vertex",
];
const COMPANY_B: &[&str] = &[
    "Logistics",
    "Foods",
    "Robotics",
    "Energy",
    "Health",
    "Textiles",
    "Software",
    "Furniture",
    "Motors",
    "Pharma",
    "Retail",
    "Construction",
    "Media",
    "Analytics",
    "Packaging",
    "Solar",
    "Bikes",
    "Print",
];
const SUFFIX: &[&str] = &["Ltd", "GmbH", "A/S", "AB", "Inc.", "BV", "S.A.", "Oy"];
const PLACES: &[(&str, &str, &str)] = &[
    ("Copenhagen", "1050", "Denmark"),
    ("Aarhus", "8000", "Denmark"),
    ("Hamburg", "20095", "Germany"),
    ("Munich", "80331", "Germany"),
    ("Stockholm", "111 20", "Sweden"),
    ("Oslo", "0150", "Norway"),
    ("Amsterdam", "1012", "Netherlands"),
    ("Lyon", "69001", "France"),
    ("Milan", "20121", "Italy"),
    ("Helsinki", "00100", "Finland"),
    ("Manchester", "M1 1AE", "United Kingdom"),
    ("Boston", "02108", "United States"),
];
const TITLES: &[&str] = &[
    "CEO",
    "CFO",
    "Head of Purchasing",
    "Buyer",
    "Operations Manager",
    "IT Manager",
    "Office Manager",
    "Sales Director",
    "Project Lead",
    "Procurement Specialist",
];
const TEAMS: &[&str] = &[
    "NORTH",
    "SOUTH",
    "EAST",
    "WEST",
    "KEY-ACCOUNTS",
    "PARTNERS",
    "ONLINE",
    "PUBLIC",
];

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

fn fail(e: impl std::fmt::Display) -> StartupError {
    StartupError::Invalid(format!("seeding failed: {e}"))
}

/// Inserts the data in one transaction (all or nothing) and reports what it made.
pub async fn seed(pool: &PgPool, args: &SeedArgs) -> Result<String, StartupError> {
    if args.teams > TEAMS.len() {
        return Err(StartupError::Invalid(format!(
            "at most {} teams",
            TEAMS.len()
        )));
    }
    let already: bool =
        sqlx::query_scalar("select exists (select 1 from salespeople where code = 'SP001')")
            .fetch_one(pool)
            .await
            .map_err(fail)?;
    if already {
        return Err(StartupError::Invalid(
            "this database is already seeded (salesperson SP001 exists)".into(),
        ));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let password_hash = {
        let p = args.password.clone();
        tokio::task::spawn_blocking(move || password_auth::generate_hash(p))
            .await
            .map_err(fail)?
    };
    let mut tx = pool.begin().await.map_err(fail)?;

    // Salespeople, each with a user account.
    let mut salespeople = Vec::new();
    for i in 1..=args.salespeople {
        let name = format!("{} {}", pick(&mut rng, FIRST), pick(&mut rng, LAST));
        let email = format!("{}.{i}@pipeline.example", slug(&name));
        let commission = rust_decimal::Decimal::new(rng.gen_range(100..=800), 2);
        let id: i64 = sqlx::query_scalar(
            "insert into salespeople (code, name, email, phone, commission_pct) values ($1, $2, $3, $4, $5) returning id",
        )
        .bind(format!("SP{i:03}"))
        .bind(&name)
        .bind(&email)
        .bind(format!("+45 {:08}", rng.gen_range(20_000_000..99_999_999)))
        .bind(commission)
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
        sqlx::query("insert into users (email, display_name, password_hash, role, salesperson_id) values ($1, $2, $3, 'salesperson', $4)")
            .bind(&email)
            .bind(&name)
            .bind(&password_hash)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        salespeople.push(id);
    }

    // Teams: salespeople spread round-robin; one manager account per team.
    for (t, team) in TEAMS.iter().take(args.teams).enumerate() {
        let team_id: i64 =
            sqlx::query_scalar("insert into teams (code, name) values ($1, $2) returning id")
                .bind(format!("TEAM-{team}"))
                .bind(format!("Team {}", team.to_lowercase().replace('-', " ")))
                .fetch_one(&mut *tx)
                .await
                .map_err(fail)?;
        let members: Vec<i64> = salespeople
            .iter()
            .copied()
            .skip(t)
            .step_by(args.teams.max(1))
            .collect();
        sqlx::query(
            "insert into team_members (team_id, salesperson_id) select $1, unnest($2::bigint[])",
        )
        .bind(team_id)
        .bind(&members)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        let manager_name = format!("{} {}", pick(&mut rng, FIRST), pick(&mut rng, LAST));
        let manager: i64 = sqlx::query_scalar(
            "insert into users (email, display_name, password_hash, role) values ($1, $2, $3, 'manager') returning id",
        )
        .bind(format!("manager.{}@pipeline.example", team.to_lowercase()))
        .bind(&manager_name)
        .bind(&password_hash)
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
        sqlx::query("insert into team_managers (team_id, user_id) values ($1, $2)")
            .bind(team_id)
            .bind(manager)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
    }

    // Companies (a fifth of the contacts), then persons working for them, inserted in bulk.
    let companies = (args.contacts / 5).max(usize::from(args.contacts > 0));
    let persons = args.contacts.saturating_sub(companies);
    let mut cols = Columns::default();
    let mut company_owner = Vec::with_capacity(companies);
    for i in 0..companies {
        let name = format!(
            "{} {} {}",
            pick(&mut rng, COMPANY_A),
            pick(&mut rng, COMPANY_B),
            pick(&mut rng, SUFFIX)
        );
        let name = format!("{name} {}", i + 1);
        // One in ten companies is still an unassigned lead.
        let owner = (!salespeople.is_empty() && rng.gen_ratio(9, 10))
            .then(|| *pick(&mut rng, &salespeople));
        company_owner.push(owner);
        let domain = format!("{}.example", slug(&name));
        cols.push(
            &mut rng,
            "company",
            name,
            None,
            String::new(),
            format!("info@{domain}"),
            owner,
        );
    }
    let company_ids: Vec<i64> = cols.insert(&mut tx).await?;
    let mut cols = Columns::default();
    for _ in 0..persons {
        let c = rng.gen_range(0..company_ids.len());
        let name = format!("{} {}", pick(&mut rng, FIRST), pick(&mut rng, LAST));
        let email = format!("{}{}@mail.example", slug(&name), rng.gen_range(1..10_000));
        let title = pick(&mut rng, TITLES).to_string();
        cols.push(
            &mut rng,
            "person",
            name,
            Some(company_ids[c]),
            title,
            email,
            company_owner[c],
        );
    }
    cols.insert(&mut tx).await?;
    let owned: Vec<(i64, i64)> = company_ids
        .iter()
        .zip(&company_owner)
        .filter_map(|(c, o)| o.map(|o| (*c, o)))
        .collect();
    if args.history {
        let today = chrono::Local::now().date_naive();
        history::seed_histories(&mut tx, &mut rng, &owned, args.opportunities, today).await?;
    } else {
        seed_opportunities(&mut tx, &mut rng, &owned, args.opportunities).await?;
    }
    tx.commit().await.map_err(fail)?;

    Ok(format!(
        "seeded {} salespeople, {} teams, {} companies, {} persons and {} opportunities (seed {}); every seeded user's password is {:?}",
        args.salespeople,
        args.teams,
        companies,
        persons,
        args.opportunities,
        args.seed,
        args.password
    ))
}

const WHAT: &[&str] = &[
    "laptops",
    "office chairs",
    "support contract",
    "warehouse racks",
    "solar panels",
    "licences",
    "printers",
    "delivery vans",
    "consulting days",
    "training",
    "servers",
    "coffee machines",
];

/// Open opportunities in the STANDARD cycle, each with its one active entry at a random stage;
/// the figures follow DOMAIN.md (Multiply: chances × completed / 100).
async fn seed_opportunities(
    tx: &mut sqlx::PgConnection,
    rng: &mut ChaCha8Rng,
    owned_companies: &[(i64, i64)],
    count: usize,
) -> Result<(), StartupError> {
    if count == 0 || owned_companies.is_empty() {
        return Ok(());
    }
    let stages: Vec<i64> = sqlx::query_scalar(
        "select s.id from sales_cycle_stages s join sales_cycles c on c.id = s.cycle_id where c.code = 'STANDARD' order by s.stage",
    )
    .fetch_all(&mut *tx)
    .await
    .map_err(fail)?;
    if stages.is_empty() {
        return Err(StartupError::Invalid(
            "the STANDARD cycle has no stages".into(),
        ));
    }
    let (
        mut description,
        mut contact,
        mut owner,
        mut stage,
        mut value,
        mut age,
        mut priority,
        mut closing,
    ) = (
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    for i in 0..count {
        let (company, salesperson) = *pick(rng, owned_companies);
        description.push(format!(
            "{} {} (deal {})",
            rng.gen_range(2..200),
            pick(rng, WHAT),
            i + 1
        ));
        contact.push(company);
        owner.push(salesperson);
        // Earlier stages hold more opportunities, as in a real funnel.
        let s = (rng.gen_range(0..stages.len()) + rng.gen_range(0..stages.len())) / 2;
        stage.push(stages[s]);
        value.push(rust_decimal::Decimal::new(
            rng.gen_range(50_000..5_000_000),
            2,
        ));
        age.push(rng.gen_range(0..120));
        priority.push(pick(rng, &["low", "normal", "normal", "high"]).to_string());
        closing.push(rng.gen_range(-10..120));
    }
    let ids: Vec<i64> = sqlx::query_scalar(
        "insert into opportunities (description, contact_id, salesperson_id, cycle_id, creation_date, priority,
                                    estimated_value, current_stage_id, status, entry_count, chances_pct, completed_pct,
                                    probability_pct, calculated_value, estimated_closing_date, furthest_stage)
         select x.d, x.c, x.s, st.cycle_id, current_date - x.age, x.p, x.v, st.id, 'in_progress', 1, st.chances_pct,
                st.completed_pct, round(st.chances_pct * st.completed_pct / 100, 2),
                round(x.v * st.chances_pct * st.completed_pct / 10000, 2), current_date + x.closing, st.stage
         from unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::numeric[], $6::int[], $7::text[], $8::int[])
              with ordinality as x(d, c, s, stage, v, age, p, closing, n)
         join sales_cycle_stages st on st.id = x.stage
         order by x.n
         returning id",
    )
    .bind(&description)
    .bind(&contact)
    .bind(&owner)
    .bind(&stage)
    .bind(&value)
    .bind(&age)
    .bind(&priority)
    .bind(&closing)
    .fetch_all(&mut *tx)
    .await
    .map_err(fail)?;
    sqlx::query(
        "insert into opportunity_entries (opportunity_id, entry_no, stage_id, action_taken, date_of_change,
                                          estimated_value, chances_pct, completed_pct, probability_pct,
                                          calculated_value, estimated_closing_date, active)
         select o.id, 1, o.current_stage_id, case when st.stage = 1 then 'first' else 'jumped' end, o.creation_date,
                o.estimated_value, o.chances_pct, o.completed_pct, o.probability_pct, o.calculated_value,
                greatest(o.estimated_closing_date, o.creation_date), true
         from opportunities o join sales_cycle_stages st on st.id = o.current_stage_id
         where o.id = any($1)",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await
    .map_err(fail)?;
    Ok(())
}

/// Column vectors for one `insert … select from unnest(…)` per batch.
#[derive(Default)]
struct Columns {
    kind: Vec<String>,
    name: Vec<String>,
    company: Vec<Option<i64>>,
    title: Vec<String>,
    email: Vec<String>,
    phone: Vec<String>,
    address: Vec<String>,
    city: Vec<String>,
    post_code: Vec<String>,
    country: Vec<String>,
    owner: Vec<Option<i64>>,
}

impl Columns {
    #[expect(clippy::too_many_arguments, reason = "one argument per column")]
    fn push(
        &mut self,
        rng: &mut ChaCha8Rng,
        kind: &str,
        name: String,
        company: Option<i64>,
        title: String,
        email: String,
        owner: Option<i64>,
    ) {
        let (city, post_code, country) = *pick(rng, PLACES);
        self.kind.push(kind.into());
        self.name.push(name);
        self.company.push(company);
        self.title.push(title);
        self.email.push(email);
        self.phone
            .push(format!("+45 {:08}", rng.gen_range(20_000_000..99_999_999)));
        self.address.push(format!(
            "{} Street {}",
            pick(rng, LAST),
            rng.gen_range(1..200)
        ));
        self.city.push(city.into());
        self.post_code.push(post_code.into());
        self.country.push(country.into());
        self.owner.push(owner);
    }

    async fn insert(self, tx: &mut sqlx::PgConnection) -> Result<Vec<i64>, StartupError> {
        let mut ids = Vec::with_capacity(self.name.len());
        const BATCH: usize = 5000;
        for start in (0..self.name.len()).step_by(BATCH) {
            let end = (start + BATCH).min(self.name.len());
            let batch: Vec<i64> = sqlx::query_scalar(
                "insert into contacts (kind, name, company_id, job_title, email, phone, address, city, post_code, country, salesperson_id)
                 select * from unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                      $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[])
                 returning id",
            )
            .bind(&self.kind[start..end])
            .bind(&self.name[start..end])
            .bind(&self.company[start..end])
            .bind(&self.title[start..end])
            .bind(&self.email[start..end])
            .bind(&self.phone[start..end])
            .bind(&self.address[start..end])
            .bind(&self.city[start..end])
            .bind(&self.post_code[start..end])
            .bind(&self.country[start..end])
            .bind(&self.owner[start..end])
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
            ids.extend(batch);
        }
        Ok(ids)
    }
}

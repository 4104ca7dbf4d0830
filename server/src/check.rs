//! `pipeline check`: verifies the rules of DOMAIN.md on a live database, like `fsck`. Each rule
//! is one set-based query that returns the opportunities (or rows) breaking it, with the problem
//! in plain words; all run in one read-only snapshot so that a change committing meanwhile never
//! shows as a half-done one.

use std::fmt;

use sqlx::{PgPool, Row};

/// At most this many examples are printed per rule; the count is always exact.
const EXAMPLES: i64 = 20;

/// A rule of the domain and the SQL listing what breaks it: one row per problem, as
/// `(subject, problem)` in plain words.
struct Rule {
    name: &'static str,
    sql: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        name: "a started opportunity has exactly one active entry; one not started has none",
        sql: r#"
            select o.no, case
                     when count(e.id) = 0 and o.status <> 'not_started' then 'is ' || o.status || ' but has no entries'
                     when count(e.id) > 0 and o.status = 'not_started' then 'is not started but has ' || count(e.id) || ' entries'
                     else count(e.id) filter (where e.active) || ' active entries out of ' || count(e.id) end
            from opportunities o left join opportunity_entries e on e.opportunity_id = o.id
            group by o.id
            having (count(e.id) = 0) <> (o.status = 'not_started')
                or (count(e.id) > 0 and count(e.id) filter (where e.active) <> 1)"#,
    },
    Rule {
        name: "entry numbers run 1, 2, 3 … without gaps, as many as the opportunity counts",
        sql: r#"
            select o.no, 'entries numbered ' || string_agg(e.entry_no::text, ', ' order by e.entry_no)
                         || ' (the opportunity counts ' || o.entry_count || ')'
            from opportunities o join opportunity_entries e on e.opportunity_id = o.id
            group by o.id
            having min(e.entry_no) <> 1 or max(e.entry_no) <> count(*) or count(*) <> o.entry_count
            union all
            select o.no, 'counts ' || o.entry_count || ' entries but has none'
            from opportunities o
            where o.entry_count > 0 and not exists (select 1 from opportunity_entries e where e.opportunity_id = o.id)"#,
    },
    Rule {
        name: "an opportunity's figures are those of its active entry",
        sql: r#"
            select o.no, concat_ws('; ',
                     case when o.current_stage_id is distinct from e.stage_id then 'stage differs from the active entry''s' end,
                     case when o.estimated_value <> e.estimated_value then 'estimated value ' || o.estimated_value || ', active entry ' || e.estimated_value end,
                     case when o.chances_pct <> e.chances_pct then 'chances of success ' || o.chances_pct || ' %, active entry ' || e.chances_pct || ' %' end,
                     case when o.completed_pct <> e.completed_pct then 'completed ' || o.completed_pct || ' %, active entry ' || e.completed_pct || ' %' end,
                     case when o.probability_pct <> e.probability_pct then 'probability ' || o.probability_pct || ' %, active entry ' || e.probability_pct || ' %' end,
                     case when o.calculated_value <> e.calculated_value then 'calculated value ' || o.calculated_value || ', active entry ' || e.calculated_value end,
                     case when o.estimated_closing_date is distinct from e.estimated_closing_date then 'estimated closing date ' || coalesce(o.estimated_closing_date::text, 'none') || ', active entry ' || e.estimated_closing_date end)
            from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
            where o.current_stage_id is distinct from e.stage_id or o.estimated_value <> e.estimated_value
               or o.chances_pct <> e.chances_pct or o.completed_pct <> e.completed_pct
               or o.probability_pct <> e.probability_pct or o.calculated_value <> e.calculated_value
               or o.estimated_closing_date is distinct from e.estimated_closing_date"#,
    },
    Rule {
        name: "won and lost opportunities end with their closing entry; open ones don't have one",
        sql: r#"
            select o.no, case
                     when o.closed and e.action_taken not in ('won', 'lost') then 'is ' || o.status || ' but its active entry is a ' || e.action_taken || ' entry'
                     when not o.closed and e.action_taken in ('won', 'lost') then 'is open but its active entry closed it as ' || e.action_taken
                     when o.status <> e.action_taken then 'is ' || o.status || ' but its closing entry says ' || e.action_taken
                     else 'closed on ' || o.date_closed || ' but its closing entry says ' || coalesce(e.date_closed::text, 'no date') end
            from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
            where o.closed <> (e.action_taken in ('won', 'lost'))
               or (o.closed and (o.status <> e.action_taken or o.date_closed is distinct from e.date_closed))"#,
    },
    Rule {
        name: "days open of an entry = the next entry's date of change − its own (0 while active); dates never go back",
        sql: r#"
            select o.no, 'entry ' || e.entry_no || case
                     when e.active and e.days_open <> 0 then ' is active but has ' || e.days_open || ' days open'
                     when n.date_of_change < e.date_of_change then ' is dated ' || e.date_of_change || ', after the next entry (' || n.date_of_change || ')'
                     else ' has ' || e.days_open || ' days open; its dates say ' || (n.date_of_change - e.date_of_change) end
            from opportunity_entries e
            join opportunities o on o.id = e.opportunity_id
            left join opportunity_entries n on n.opportunity_id = e.opportunity_id and n.entry_no = e.entry_no + 1
            where (e.active and e.days_open <> 0)
               or (not e.active and n.id is not null and (n.date_of_change < e.date_of_change or e.days_open <> n.date_of_change - e.date_of_change))"#,
    },
    Rule {
        name: "probability and calculated value of each entry follow a probability method; closing entries follow the closing rules",
        // An admin may change a cycle's method later and entries are never rewritten, so an entry
        // is right if one of the four methods gives its figures from its own chances and completed %.
        sql: r#"
            select o.no, 'entry ' || e.entry_no || ' (' || e.action_taken || '): chances ' || e.chances_pct || ' %, completed '
                         || e.completed_pct || ' %, probability ' || e.probability_pct || ' %, estimated value ' || e.estimated_value
                         || ', calculated value ' || e.calculated_value
            from opportunity_entries e join opportunities o on o.id = e.opportunity_id
            where case e.action_taken
                    when 'won' then not (e.chances_pct = 100 and e.completed_pct = 100 and e.probability_pct = 100 and e.calculated_value > 0)
                    when 'lost' then not (e.chances_pct = 0 and e.completed_pct = 100 and e.probability_pct = 0 and e.calculated_value = 0)
                    else not exists (
                        select 1 from (values (e.chances_pct * e.completed_pct / 100), ((e.chances_pct + e.completed_pct) / 2),
                                              (e.chances_pct), (e.completed_pct)) m (p)
                        where round(m.p, 2) = e.probability_pct and round(e.estimated_value * m.p / 100, 2) = e.calculated_value)
                  end"#,
    },
    Rule {
        name: "every entry's stage belongs to its opportunity's sales cycle",
        sql: r#"
            select o.no, 'entry ' || e.entry_no || ' is at a stage of another sales cycle'
            from opportunity_entries e
            join opportunities o on o.id = e.opportunity_id
            join sales_cycle_stages s on s.id = e.stage_id
            where s.cycle_id <> o.cycle_id"#,
    },
    Rule {
        name: "no task, quote or quote line belongs to a missing opportunity or quote",
        sql: r#"
            select 'task ' || t.id, 'belongs to opportunity id ' || t.opportunity_id || ', which does not exist'
            from tasks t where t.opportunity_id is not null and not exists (select 1 from opportunities o where o.id = t.opportunity_id)
            union all
            select 'quote ' || q.no, 'belongs to opportunity id ' || q.opportunity_id || ', which does not exist'
            from quotes q where not exists (select 1 from opportunities o where o.id = q.opportunity_id)
            union all
            select 'quote line ' || l.id, 'belongs to quote id ' || l.quote_id || ', which does not exist'
            from quote_lines l where not exists (select 1 from quotes q where q.id = l.quote_id)"#,
    },
    Rule {
        name: "the dashboard's summaries (furthest stage, time in stage, closes per day and month, funnel by day and by month) equal their recomputation",
        sql: r#"
            select o.no, 'furthest stage reached is recorded as ' || o.furthest_stage || ', its entries say ' || opportunity_furthest_stage(o.id)
            from opportunities o where o.furthest_stage <> opportunity_furthest_stage(o.id)
            union all
            select 'time in stage', count(*) || ' rows differ from a recomputation'
            from ((table stage_days except select * from stage_days_recomputed())
                  union all (select * from stage_days_recomputed() except table stage_days)) d
            having count(*) > 0
            union all
            select 'closes per day', count(*) || ' rows differ from a recomputation'
            from ((table closed_by_day except select * from closed_by_day_recomputed())
                  union all (select * from closed_by_day_recomputed() except table closed_by_day)) d
            having count(*) > 0
            union all
            select 'funnel', count(*) || ' rows differ from a recomputation'
            from ((select * from funnel_by_day where opportunities > 0 except select * from funnel_by_day_recomputed())
                  union all (select * from funnel_by_day_recomputed() except select * from funnel_by_day where opportunities > 0)) d
            having count(*) > 0
            union all
            select 'funnel by month', count(*) || ' rows differ from a recomputation'
            from ((select * from funnel_by_month where opportunities > 0 except select * from funnel_by_month_recomputed())
                  union all (select * from funnel_by_month_recomputed() except select * from funnel_by_month where opportunities > 0)) d
            having count(*) > 0
            union all
            select 'closes per month', count(*) || ' rows differ from a recomputation'
            from ((select * from closed_by_month where opportunities > 0 except select * from closed_by_month_recomputed())
                  union all (select * from closed_by_month_recomputed() except select * from closed_by_month where opportunities > 0)) d
            having count(*) > 0"#,
    },
];

/// What one rule found.
pub struct Finding {
    pub rule: &'static str,
    pub count: i64,
    /// Up to [`EXAMPLES`] problems, `(subject, problem)`.
    pub examples: Vec<(String, String)>,
}

pub struct Report {
    pub opportunities: i64,
    pub entries: i64,
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn problems(&self) -> i64 {
        self.findings.iter().map(|f| f.count).sum()
    }
}

/// Runs every rule in one read-only snapshot.
pub async fn check(pool: &PgPool) -> Result<Report, sqlx::Error> {
    let mut tx = pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let (opportunities, entries) = counts(&mut *tx).await?;
    let mut findings = Vec::with_capacity(RULES.len());
    for rule in RULES {
        let rows = sqlx::query(&format!(
            "select subject, problem, count(*) over () as total from ({}) p (subject, problem) order by subject limit {EXAMPLES}",
            rule.sql
        ))
        .fetch_all(&mut *tx)
        .await?;
        let count = rows.first().map_or(0, |r| r.get::<i64, _>("total"));
        let examples = rows
            .iter()
            .map(|r| (r.get("subject"), r.get("problem")))
            .collect();
        findings.push(Finding {
            rule: rule.name,
            count,
            examples,
        });
    }
    tx.rollback().await?;
    Ok(Report {
        opportunities,
        entries,
        findings,
    })
}

/// How many opportunities and opportunity entries there are.
pub async fn counts<'e>(db: impl sqlx::PgExecutor<'e>) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select (select count(*) from opportunities), (select count(*) from opportunity_entries)",
    )
    .fetch_one(db)
    .await
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Checked {} opportunities and {} entries.",
            self.opportunities, self.entries
        )?;
        for finding in &self.findings {
            if finding.count == 0 {
                writeln!(f, "  ok      {}", finding.rule)?;
                continue;
            }
            let plural = if finding.count == 1 { "" } else { "s" };
            writeln!(
                f,
                "  FAILED  {} — {} problem{plural}:",
                finding.rule, finding.count
            )?;
            for (subject, problem) in &finding.examples {
                writeln!(f, "            {subject}: {problem}")?;
            }
            if finding.count > finding.examples.len() as i64 {
                writeln!(
                    f,
                    "            … and {} more",
                    finding.count - finding.examples.len() as i64
                )?;
            }
        }
        match self.problems() {
            0 => write!(f, "No problems found."),
            1 => write!(f, "1 problem found."),
            n => write!(f, "{n} problems found."),
        }
    }
}

//! Opportunity operations: the one server-side implementation of create, update (move), close
//! and the quote, which every way in (card, board, REST) calls.
//!
//! Access: an opportunity belongs to its salesperson. A viewer reads those of the salespeople in
//! their read scope and changes those in their write scope; anything else answers 404 (outside
//! the read scope, recorded) or 403.
//!
//! Every change is one transaction that locks the opportunity row (`for update`) and requires the
//! version the user saw: of two users changing it at once exactly one wins, the other gets
//! [`STALE`] and reloads. The entry chain is guarded twice more by the database: one active entry
//! (partial unique index) and append-only entries (trigger).

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use super::{
    Choice, CloseCodeChoice, ContactChoice, EntryRow, FilterOptions, ListQuery, NewOptions,
    OpportunityDetail, OpportunityList, OpportunityListItem, PAGE_SIZE, Priority, QuoteLineRow,
    QuoteView, STALE, Saved, TaskRow, action_taken_as_str, last_page, parse_action_taken,
    parse_status, status_as_str,
};
use crate::{
    auth::access::{Viewer, record_denied},
    domain::{
        date_formula::DateFormula,
        entries::{
            Action, ActiveEntry, CloseRequest, OpportunityState, Outcome, ProbabilityMethod,
            Refusal, StageRule, Status, UpdatePlan, UpdateRequest, plan_close, plan_update,
        },
        quotes::{self, QuoteLine},
        setup as rules,
    },
    error::{AppError, FieldErrors},
    live::{self, ChangeKind},
};

/// A refused move or close, as a message next to the field it is about.
pub fn refused(refusal: Refusal) -> AppError {
    AppError::field(refusal.field().unwrap_or("form"), refusal.to_string())
}

fn method(code: &str) -> ProbabilityMethod {
    rules::parse_method(code).unwrap_or_default()
}

fn status(code: &str) -> Status {
    // The column's CHECK allows only the four values.
    parse_status(code).unwrap_or(Status::NotStarted)
}

// ---- List ------------------------------------------------------------------------------------

pub async fn list(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
) -> Result<OpportunityList, AppError> {
    Ok(list_window(pool, viewer, query, Window::Page(query.page))
        .await?
        .0)
}

/// A slice of the list: a page number (the UI) or the rows after a cursor (the API, stable while
/// rows are added or moved).
#[derive(Clone, Debug)]
pub enum Window {
    Page(i64),
    After {
        after: Option<ListCursor>,
        limit: i64,
    },
}

/// Where a list slice ended: the last row's sort key and id (keyset paging).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListCursor {
    pub id: i64,
    pub closing: Option<NaiveDate>,
    pub value: Decimal,
    pub created: chrono::DateTime<chrono::Utc>,
}

/// The list (with totals) and, for a cursor window with more rows, where the next one starts.
pub async fn list_window(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
    window: Window,
) -> Result<(OpportunityList, Option<ListCursor>), AppError> {
    let read = viewer.read.ids();
    let status_filter = query.status.as_str();
    let priority = query.priority.map(Priority::as_str);
    let pattern = crate::contacts::ops::contains_pattern(&query.search);
    let mut tx = pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let totals = sqlx::query!(
        r#"select count(*) as "n!", coalesce(sum(o.estimated_value), 0) as "estimated!",
                  coalesce(sum(o.calculated_value), 0) as "calculated!"
           from opportunities o join contacts ct on ct.id = o.contact_id
           where ($1::bigint[] is null or o.salesperson_id = any($1))
             and case $2::text when 'open' then not o.closed when 'all' then true else o.status = $2 end
             and ($3::bigint is null or o.cycle_id = $3)
             and ($4::bigint is null or o.current_stage_id = $4)
             and ($5::bigint is null or o.salesperson_id = $5)
             and ($6::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $6))
             and ($7::text is null or o.priority = $7)
             and ($8::date is null or o.estimated_closing_date >= $8)
             and ($9::date is null or o.estimated_closing_date <= $9)
             and ($10::text is null or o.description ilike $10 or o.no ilike $10 or ct.name ilike $10)
             and ($11::date is null or o.date_closed >= $11) and ($12::date is null or o.date_closed <= $12)
             and ($13::date is null or o.creation_date >= $13) and ($14::date is null or o.creation_date <= $14)
             and ($15::int is null or o.furthest_stage >= $15)
             and ($16::bigint is null or exists (select 1 from opportunity_entries e
                                                  where e.opportunity_id = o.id and e.stage_id = $16 and not e.active))"#,
        read,
        status_filter,
        query.cycle,
        query.stage,
        query.salesperson,
        query.team,
        priority,
        query.closing_from as _,
        query.closing_to as _,
        pattern,
        query.more.closed_from as _,
        query.more.closed_to as _,
        query.more.created_from as _,
        query.more.created_to as _,
        query.more.reached,
        query.more.left_stage,
    )
    .fetch_one(&mut *tx)
    .await?;
    let page = query.page.clamp(1, last_page(totals.n));
    let (limit, offset, after) = match &window {
        Window::Page(_) => (PAGE_SIZE, (page - 1) * PAGE_SIZE, None),
        // One row more than asked tells whether there is a next slice.
        Window::After { after, limit } => (limit + 1, 0, after.clone()),
    };
    let mut rows = sqlx::query_as!(
        ListRow,
        r#"select o.id, o.no, o.description, o.contact_id, ct.name as contact_name, sp.name as salesperson_name,
                  cy.code as cycle_code, st.description as "stage_description?", st.stage as "stage_no?",
                  o.status, o.priority, o.estimated_value, o.probability_pct, o.calculated_value,
                  o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", o.created_at as "created_at: chrono::DateTime<chrono::Utc>"
           from opportunities o
           join contacts ct on ct.id = o.contact_id
           join salespeople sp on sp.id = o.salesperson_id
           join sales_cycles cy on cy.id = o.cycle_id
           left join sales_cycle_stages st on st.id = o.current_stage_id
           -- The sort key as one row value (nulls last either way), so a cursor can continue it.
           cross join lateral (select
               case when $11::text = 'closing'
                    then coalesce(o.estimated_closing_date, case when $12::bool then '-infinity'::date else 'infinity'::date end)
                    else 'infinity'::date end as d,
               case when $11::text = 'value' then o.estimated_value else 0 end as v,
               case when $11::text = 'created' then o.created_at else '-infinity'::timestamptz end as t) k
           -- The cursor's key, computed the same way.
           cross join lateral (select
               case when $11::text = 'closing'
                    then coalesce($22::date, case when $12::bool then '-infinity'::date else 'infinity'::date end)
                    else 'infinity'::date end as d,
               case when $11::text = 'value' then $23::numeric else 0 end as v,
               case when $11::text = 'created' then $24::timestamptz else '-infinity'::timestamptz end as t) c
           where ($1::bigint[] is null or o.salesperson_id = any($1))
             and case $2::text when 'open' then not o.closed when 'all' then true else o.status = $2 end
             and ($3::bigint is null or o.cycle_id = $3)
             and ($4::bigint is null or o.current_stage_id = $4)
             and ($5::bigint is null or o.salesperson_id = $5)
             and ($6::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $6))
             and ($7::text is null or o.priority = $7)
             and ($8::date is null or o.estimated_closing_date >= $8)
             and ($9::date is null or o.estimated_closing_date <= $9)
             and ($10::text is null or o.description ilike $10 or o.no ilike $10 or ct.name ilike $10)
             and ($15::date is null or o.date_closed >= $15) and ($16::date is null or o.date_closed <= $16)
             and ($17::date is null or o.creation_date >= $17) and ($18::date is null or o.creation_date <= $18)
             and ($19::int is null or o.furthest_stage >= $19)
             and ($20::bigint is null or exists (select 1 from opportunity_entries e
                                                  where e.opportunity_id = o.id and e.stage_id = $20 and not e.active))
             and ($21::bigint is null or case when $12::bool then (k.d, k.v, k.t, o.id) < (c.d, c.v, c.t, $21)
                                                   else (k.d, k.v, k.t, o.id) > (c.d, c.v, c.t, $21) end)
           order by
             case when not $12::bool then k.d end asc, case when $12::bool then k.d end desc,
             case when not $12::bool then k.v end asc, case when $12::bool then k.v end desc,
             case when not $12::bool then k.t end asc, case when $12::bool then k.t end desc,
             case when not $12::bool then o.id end asc, case when $12::bool then o.id end desc
           limit $13 offset $14"#,
        read,
        status_filter,
        query.cycle,
        query.stage,
        query.salesperson,
        query.team,
        priority,
        query.closing_from as _,
        query.closing_to as _,
        pattern,
        query.sort.as_str(),
        query.descending,
        limit,
        offset,
        query.more.closed_from as _,
        query.more.closed_to as _,
        query.more.created_from as _,
        query.more.created_to as _,
        query.more.reached,
        query.more.left_stage,
        after.as_ref().map(|c| c.id),
        after.as_ref().and_then(|c| c.closing) as _,
        after.as_ref().map(|c| c.value),
        after.as_ref().map(|c| c.created) as _,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let next = match window {
        Window::After { limit, .. } if rows.len() as i64 > limit => {
            rows.truncate(limit as usize);
            rows.last().map(|r| ListCursor {
                id: r.id,
                closing: r.estimated_closing_date,
                value: r.estimated_value,
                created: r.created_at,
            })
        }
        _ => None,
    };
    let items = rows.into_iter().map(ListRow::item).collect();
    let list = OpportunityList {
        items,
        total: totals.n,
        page,
        sum_estimated: totals.estimated,
        sum_calculated: totals.calculated,
    };
    Ok((list, next))
}

/// A row of the list (and of a contact's opportunities) as the queries return it.
struct ListRow {
    id: i64,
    no: String,
    description: String,
    contact_id: i64,
    contact_name: String,
    salesperson_name: String,
    cycle_code: String,
    stage_description: Option<String>,
    stage_no: Option<i32>,
    status: String,
    priority: String,
    estimated_value: Decimal,
    probability_pct: Decimal,
    calculated_value: Decimal,
    estimated_closing_date: Option<NaiveDate>,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl ListRow {
    fn item(self) -> OpportunityListItem {
        OpportunityListItem {
            id: self.id,
            no: self.no,
            description: self.description,
            contact_id: self.contact_id,
            contact_name: self.contact_name,
            salesperson_name: self.salesperson_name,
            cycle_code: self.cycle_code,
            stage: self
                .stage_no
                .map(|no| stage_label(no, self.stage_description.as_deref().unwrap_or_default())),
            status: status(&self.status),
            priority: Priority::from_db(&self.priority),
            estimated_value: self.estimated_value,
            probability: self.probability_pct,
            calculated_value: self.calculated_value,
            estimated_closing_date: self.estimated_closing_date,
        }
    }
}

/// "3 Proposal", or "Stage 3" when the stage has no description.
fn stage_label(no: i32, description: &str) -> String {
    match description.trim() {
        "" => format!("Stage {no}"),
        d => d.to_owned(),
    }
}

pub async fn filter_options(pool: &PgPool, viewer: &Viewer) -> Result<FilterOptions, AppError> {
    let cycles = sqlx::query!("select id, code, description from sales_cycles order by code")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|c| Choice {
            id: c.id,
            label: c.code,
        })
        .collect();
    let stages = sqlx::query!(
        "select s.id, s.stage, s.description, c.code from sales_cycle_stages s join sales_cycles c on c.id = s.cycle_id
         order by c.code, s.stage"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| Choice { id: s.id, label: format!("{} · {}", s.code, stage_label(s.stage, &s.description)) })
    .collect();
    let salespeople = sqlx::query!(
        "select id, name from salespeople where ($1::bigint[] is null or id = any($1)) order by lower(name), id",
        viewer.read.ids()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| Choice { id: s.id, label: s.name })
    .collect();
    let teams_in_view = crate::auth::access::teams_in_view(pool, viewer).await?;
    let teams = sqlx::query!(
        "select t.id, t.name from teams t
         where $1::bigint[] is null or t.id = any($1)
         order by lower(t.name), t.id",
        teams_in_view.as_deref()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|t| Choice {
        id: t.id,
        label: t.name,
    })
    .collect();
    Ok(FilterOptions {
        cycles,
        stages,
        salespeople,
        teams,
    })
}

// ---- Card ------------------------------------------------------------------------------------

/// Answers 404 for an opportunity the viewer may not read, recording the attempt when it exists.
async fn not_found(pool: &PgPool, viewer: &Viewer, id: i64, what: &str) -> AppError {
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from opportunities where id = $1) as "e!""#,
        id
    )
    .fetch_one(pool)
    .await
    .unwrap_or(false);
    if exists {
        record_denied(
            pool,
            &viewer.user,
            &format!("opportunities: {what} of opportunity {id} outside the read scope"),
        )
        .await;
    }
    AppError::NotFound
}

/// The cycle's stages as the rules see them, in stage order.
pub async fn stages(conn: &mut PgConnection, cycle_id: i64) -> Result<Vec<StageRule>, AppError> {
    let rows = sqlx::query!(
        r#"select s.id, s.stage, s.description, s.completed_pct, s.chances_pct, s.allow_skip, s.quote_required,
                  s.date_formula, a.code as "activity_code?"
           from sales_cycle_stages s left join activities a on a.id = s.activity_id
           where s.cycle_id = $1 order by s.stage"#,
        cycle_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|s| StageRule {
            id: s.id,
            number: s.stage,
            description: s.description,
            completed: s.completed_pct,
            chances: s.chances_pct,
            allow_skip: s.allow_skip,
            quote_required: s.quote_required,
            // Stored formulas were validated on entry; one that no longer parses counts as none.
            date_formula: DateFormula::parse(&s.date_formula)
                .ok()
                .filter(|f| !f.is_empty()),
            activity_code: s.activity_code,
        })
        .collect())
}

async fn active_entry(conn: &mut PgConnection, id: i64) -> Result<Option<ActiveEntry>, AppError> {
    Ok(sqlx::query!(
        r#"select entry_no, stage_id, date_of_change as "date_of_change: chrono::NaiveDate", estimated_value,
                estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", chances_pct
         from opportunity_entries where opportunity_id = $1 and active"#,
        id
    )
    .fetch_optional(conn)
    .await?
    .map(|e| ActiveEntry {
        entry_no: e.entry_no,
        stage_id: e.stage_id,
        date_of_change: e.date_of_change,
        estimated_value: e.estimated_value,
        estimated_closing_date: Some(e.estimated_closing_date),
        chances: e.chances_pct,
    }))
}

async fn quote(
    conn: &mut PgConnection,
    opportunity_id: i64,
) -> Result<Option<(i64, QuoteView)>, AppError> {
    let Some(q) = sqlx::query!(r#"select id, no, quote_date as "quote_date: chrono::NaiveDate" from quotes where opportunity_id = $1"#, opportunity_id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let lines: Vec<QuoteLineRow> = sqlx::query!(
        "select id, line_no, description, quantity, unit_price, discount_pct from quote_lines
         where quote_id = $1 order by line_no",
        q.id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|l| {
        let line = QuoteLine {
            description: l.description,
            quantity: l.quantity,
            unit_price: l.unit_price,
            discount: l.discount_pct,
        };
        QuoteLineRow {
            id: l.id,
            line_no: l.line_no,
            amount: line.amount(),
            line,
        }
    })
    .collect();
    let total = lines.iter().map(|l| l.amount).sum();
    Ok(Some((
        q.id,
        QuoteView {
            no: q.no,
            date: q.quote_date,
            lines,
            total,
        },
    )))
}

/// A quote counts for the rules once it has a line: an empty quote is no offer.
fn state_of(
    closed: bool,
    cycle_blocked: bool,
    quote: Option<&QuoteView>,
    active: Option<ActiveEntry>,
) -> OpportunityState {
    let quote = quote.filter(|q| !q.lines.is_empty());
    OpportunityState {
        closed,
        cycle_blocked,
        has_quote: quote.is_some(),
        quote_total: quote.map(|q| q.total),
        active,
    }
}

pub async fn get(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    today: NaiveDate,
) -> Result<OpportunityDetail, AppError> {
    let mut conn = pool.acquire().await?;
    let Some(o) = sqlx::query!(
        r#"select o.id, o.no, o.description, o.contact_id, ct.name as contact_name, co.name as "company_name?",
                  sp.name as salesperson_name, cy.id as cycle_id, cy.code as cycle_code,
                  cy.description as cycle_description, cy.probability_method, cy.blocked as cycle_blocked,
                  o.creation_date as "creation_date: chrono::NaiveDate", o.priority, o.status, o.closed,
                  o.date_closed as "date_closed: chrono::NaiveDate", cc.code as "close_code?",
                  o.current_stage_id, o.estimated_value, o.chances_pct, o.completed_pct, o.probability_pct,
                  o.calculated_value, o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", o.version,
                  ($3::bigint[] is null or o.salesperson_id = any($3)) as "can_write!"
           from opportunities o
           join contacts ct on ct.id = o.contact_id
           left join contacts co on co.id = o.contact_company_id
           join salespeople sp on sp.id = o.salesperson_id
           join sales_cycles cy on cy.id = o.cycle_id
           left join close_codes cc on cc.id = o.close_code_id
           where o.id = $1 and ($2::bigint[] is null or o.salesperson_id = any($2))"#,
        id,
        viewer.read.ids(),
        viewer.write.ids(),
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        drop(conn); // never hold one connection while waiting for another
        return Err(not_found(pool, viewer, id, "read").await);
    };
    let stages = stages(&mut conn, o.cycle_id).await?;
    let active = active_entry(&mut conn, id).await?;
    let quote = quote(&mut conn, id).await?.map(|(_, q)| q);
    let entries = sqlx::query!(
        r#"select e.entry_no, e.action_taken, e.stage_id, s.stage as "stage_no?", s.description as "stage_description?",
                  e.date_of_change as "date_of_change: chrono::NaiveDate", e.days_open, e.active, e.estimated_value, e.chances_pct, e.completed_pct,
                  e.probability_pct, e.calculated_value, e.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", cc.code as "close_code?",
                  u.display_name as "by?"
           from opportunity_entries e
           left join sales_cycle_stages s on s.id = e.stage_id
           left join close_codes cc on cc.id = e.close_code_id
           left join users u on u.id = e.user_id
           where e.opportunity_id = $1 order by e.entry_no desc"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter_map(|e| {
        Some(EntryRow {
            entry_no: e.entry_no,
            action_taken: parse_action_taken(&e.action_taken)?,
            stage: e.stage_no.map(|no| stage_label(no, e.stage_description.as_deref().unwrap_or_default())),
            date_of_change: e.date_of_change,
            // The active entry is still open: count its days so far.
            days_open: if e.active && !o.closed { crate::domain::entries::days_open(e.date_of_change, today) } else { e.days_open },
            active: e.active,
            estimated_value: e.estimated_value,
            chances: e.chances_pct,
            completed: e.completed_pct,
            probability: e.probability_pct,
            calculated_value: e.calculated_value,
            estimated_closing_date: e.estimated_closing_date,
            close_code: e.close_code,
            by: e.by,
        })
    })
    .collect();
    let tasks = sqlx::query!(
        r#"select id, kind, description, priority, due_date as "due_date: chrono::NaiveDate", status, version from tasks
         where opportunity_id = $1 order by (status = 'open') desc, due_date, id"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|t| TaskRow {
        id: t.id,
        kind: t.kind,
        description: t.description,
        priority: Priority::from_db(&t.priority),
        due_date: t.due_date,
        status: t.status,
        version: t.version,
    })
    .collect();
    let close_codes = sqlx::query!(
        "select code, description, outcome from close_codes order by outcome desc, code"
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|c| CloseCodeChoice {
        code: c.code,
        description: c.description,
        won: c.outcome == "won",
    })
    .collect();
    let end = o.date_closed.unwrap_or(today);
    Ok(OpportunityDetail {
        id: o.id,
        no: o.no,
        description: o.description,
        contact_id: o.contact_id,
        contact_name: o.contact_name,
        company_name: o.company_name,
        salesperson_name: o.salesperson_name,
        cycle_code: o.cycle_code,
        cycle_description: o.cycle_description,
        method: method(&o.probability_method),
        creation_date: o.creation_date,
        priority: Priority::from_db(&o.priority),
        status: status(&o.status),
        date_closed: o.date_closed,
        close_code: o.close_code,
        current_stage_id: o.current_stage_id,
        estimated_value: o.estimated_value,
        chances: o.chances_pct,
        completed: o.completed_pct,
        probability: o.probability_pct,
        calculated_value: o.calculated_value,
        estimated_closing_date: o.estimated_closing_date,
        version: o.version,
        state: state_of(o.closed, o.cycle_blocked, quote.as_ref(), active),
        stages,
        entries,
        tasks,
        quote,
        close_codes,
        can_change: o.can_write && !o.closed,
        days_open: (end - o.creation_date).num_days().max(0),
        today,
    })
}

/// An opportunity without its history, tasks and quote: what the REST API answers for one
/// opportunity (one statement, where [`get`] reads everything the card shows).
#[derive(Clone, Debug)]
pub struct OpportunityHeader {
    pub id: i64,
    pub no: String,
    pub description: String,
    pub status: Status,
    pub priority: Priority,
    pub contact_id: i64,
    pub contact_name: String,
    pub company_name: Option<String>,
    pub salesperson_name: String,
    pub cycle_code: String,
    /// The active entry's stage (id, number, description); none before the first stage and
    /// after closing.
    pub stage: Option<(i64, i32, String)>,
    pub creation_date: NaiveDate,
    pub estimated_value: Decimal,
    pub chances: Decimal,
    pub completed: Decimal,
    pub probability: Decimal,
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
    pub date_closed: Option<NaiveDate>,
    pub close_code: Option<String>,
    /// From creation to closing, or to `today` while open.
    pub days_open: i64,
    pub version: i32,
}

/// The opportunity's [`OpportunityHeader`], if the viewer may read it (else 404, as [`get`]).
pub async fn header(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    today: NaiveDate,
) -> Result<OpportunityHeader, AppError> {
    let row = sqlx::query!(
        r#"select o.id, o.no, o.description, o.contact_id, ct.name as contact_name, co.name as "company_name?",
                  sp.name as salesperson_name, cy.code as cycle_code,
                  o.creation_date as "creation_date: chrono::NaiveDate", o.priority, o.status,
                  o.date_closed as "date_closed: chrono::NaiveDate", cc.code as "close_code?",
                  s.id as "stage_id?", s.stage as "stage_no?", s.description as "stage_description?",
                  o.estimated_value, o.chances_pct, o.completed_pct, o.probability_pct,
                  o.calculated_value, o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", o.version
           from opportunities o
           join contacts ct on ct.id = o.contact_id
           left join contacts co on co.id = o.contact_company_id
           join salespeople sp on sp.id = o.salesperson_id
           join sales_cycles cy on cy.id = o.cycle_id
           left join sales_cycle_stages s on s.id = o.current_stage_id
           left join close_codes cc on cc.id = o.close_code_id
           where o.id = $1 and ($2::bigint[] is null or o.salesperson_id = any($2))"#,
        id,
        viewer.read.ids(),
    )
    .fetch_optional(pool)
    .await?;
    let Some(o) = row else {
        return Err(not_found(pool, viewer, id, "read").await);
    };
    let end = o.date_closed.unwrap_or(today);
    Ok(OpportunityHeader {
        id: o.id,
        no: o.no,
        description: o.description,
        status: status(&o.status),
        priority: Priority::from_db(&o.priority),
        contact_id: o.contact_id,
        contact_name: o.contact_name,
        company_name: o.company_name,
        salesperson_name: o.salesperson_name,
        cycle_code: o.cycle_code,
        stage: match (o.stage_id, o.stage_no, o.stage_description) {
            (Some(id), Some(no), Some(description)) => Some((id, no, description)),
            _ => None,
        },
        creation_date: o.creation_date,
        estimated_value: o.estimated_value,
        chances: o.chances_pct,
        completed: o.completed_pct,
        probability: o.probability_pct,
        calculated_value: o.calculated_value,
        estimated_closing_date: o.estimated_closing_date,
        date_closed: o.date_closed,
        close_code: o.close_code,
        days_open: (end - o.creation_date).num_days().max(0),
        version: o.version,
    })
}

/// The opportunities of a contact (as the person, or as their company), for the contact card.
pub async fn of_contact(
    pool: &PgPool,
    viewer: &Viewer,
    contact_id: i64,
) -> Result<Vec<OpportunityListItem>, AppError> {
    let rows = sqlx::query_as!(
        ListRow,
        r#"select o.id, o.no, o.description, o.contact_id, ct.name as contact_name, sp.name as salesperson_name,
                  cy.code as cycle_code, st.description as "stage_description?", st.stage as "stage_no?",
                  o.status, o.priority, o.estimated_value, o.probability_pct, o.calculated_value,
                  o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", o.created_at as "created_at: chrono::DateTime<chrono::Utc>"
           from opportunities o
           join contacts ct on ct.id = o.contact_id
           join salespeople sp on sp.id = o.salesperson_id
           join sales_cycles cy on cy.id = o.cycle_id
           left join sales_cycle_stages st on st.id = o.current_stage_id
           where (o.contact_id = $1 or o.contact_company_id = $1)
             and ($2::bigint[] is null or o.salesperson_id = any($2))
           order by o.closed, o.estimated_closing_date nulls last, o.id
           limit 100"#,
        contact_id,
        viewer.read.ids(),
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(ListRow::item).collect())
}

// ---- Create ----------------------------------------------------------------------------------

/// The new-opportunity form as posted (text, checked by [`create`]).
#[derive(Clone, Debug, Default)]
pub struct NewOpportunityForm {
    pub description: String,
    pub contact_id: String,
    pub salesperson_id: String,
    pub cycle_id: String,
    pub creation_date: String,
    pub priority: String,
    pub estimated_value: String,
    pub chances: String,
    pub estimated_closing_date: String,
    pub activate_first_stage: bool,
}

fn optional_date(text: &str, field: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            errors.add(field, "Enter a date as YYYY-MM-DD.");
            None
        }
    }
}

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse().ok()
}

pub async fn new_options(
    pool: &PgPool,
    viewer: &Viewer,
    contact_id: Option<i64>,
    today: NaiveDate,
) -> Result<NewOptions, AppError> {
    let cycles = sqlx::query!(
        "select id, code, description from sales_cycles where not blocked order by code"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|c| Choice {
        id: c.id,
        label: if c.description.is_empty() {
            c.code
        } else {
            format!("{} – {}", c.code, c.description)
        },
    })
    .collect();
    let salespeople: Vec<Choice> = sqlx::query!(
        "select id, name, code from salespeople where not blocked and ($1::bigint[] is null or id = any($1))
         order by lower(name), code",
        viewer.write.ids()
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|s| Choice { id: s.id, label: format!("{} ({})", s.name, s.code) })
    .collect();
    let contact = match contact_id {
        Some(id) => contacts(pool, viewer, "", Some(id))
            .await?
            .into_iter()
            .find(|c| c.id == id),
        None => None,
    };
    let assignable = |id: i64| salespeople.iter().any(|s| s.id == id);
    let default_salesperson = contact
        .as_ref()
        .and_then(|c| c.salesperson_id)
        .filter(|id| assignable(*id))
        .or(viewer.user.salesperson_id.filter(|id| assignable(*id)));
    Ok(NewOptions {
        cycles,
        salespeople,
        default_salesperson,
        contact,
        today,
    })
}

/// The contact picker: readable contacts whose name contains `q` (at most 20), plus `include`.
pub async fn contacts(
    pool: &PgPool,
    viewer: &Viewer,
    q: &str,
    include: Option<i64>,
) -> Result<Vec<ContactChoice>, AppError> {
    let rows = sqlx::query!(
        r#"select c.id, c.no, c.name, co.name as "company?", c.salesperson_id
           from contacts c left join contacts co on co.id = c.company_id
           where ($1::bigint[] is null or c.salesperson_id is null or c.salesperson_id = any($1))
             and (c.id = $3 or $2::text is null or c.name ilike $2 or co.name ilike $2 or c.no ilike $2)
           order by (c.id = $3) desc nulls last, lower(c.name), c.id
           limit 20"#,
        viewer.read.ids(),
        crate::contacts::ops::contains_pattern(q),
        include,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ContactChoice {
            id: r.id,
            label: match r.company {
                Some(company) => format!("{} · {} ({})", r.name, company, r.no),
                None => format!("{} ({})", r.name, r.no),
            },
            salesperson_id: r.salesperson_id,
        })
        .collect())
}

/// Creates the opportunity (and, if asked, activates the first stage in the same transaction).
/// Answers the new id.
pub async fn create(
    pool: &PgPool,
    viewer: &Viewer,
    form: &NewOpportunityForm,
    today: NaiveDate,
) -> Result<i64, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let id = create_in(&mut tx, viewer, form, today, &mut CreateLookups::default()).await?;
    live::notify(&mut tx, id, ChangeKind::Created, viewer.user.id).await?;
    tx.commit().await?;
    tracing::info!(
        opportunity = id,
        user = viewer.user.id,
        "opportunity created"
    );
    Ok(id)
}

/// The contacts, salespeople and sales cycles [`create_in`] has read and locked (`for share`) in
/// one transaction for one viewer, so that a CSV import of thousands of rows reads each once
/// (and its contacts with one statement, [`CreateLookups::add_contact`]). A fresh one per
/// transaction: the locks, not the cache, keep what was read true until the commit.
#[derive(Default)]
pub struct CreateLookups {
    contacts: HashMap<i64, Option<ContactRef>>,
    salespeople: HashMap<i64, Option<SalespersonRef>>,
    cycles: HashMap<i64, Option<CycleRef>>,
}

#[derive(Clone, Copy)]
struct ContactRef {
    id: i64,
    company_id: Option<i64>,
}

#[derive(Clone)]
struct SalespersonRef {
    name: String,
    blocked: bool,
}

#[derive(Clone)]
struct CycleRef {
    id: i64,
    code: String,
    blocked: bool,
    probability_method: String,
}

impl CreateLookups {
    /// Records a contact the caller read in the viewer's read scope and locked `for share` in
    /// this transaction.
    pub fn add_contact(&mut self, id: i64, company_id: Option<i64>) {
        self.contacts
            .insert(id, Some(ContactRef { id, company_id }));
    }

    /// The contact, if it exists and the viewer may read it.
    async fn contact(
        &mut self,
        tx: &mut PgConnection,
        viewer: &Viewer,
        id: i64,
    ) -> Result<Option<ContactRef>, sqlx::Error> {
        if let Some(known) = self.contacts.get(&id) {
            return Ok(*known);
        }
        let row = sqlx::query_as!(
            ContactRef,
            "select id, company_id from contacts
             where id = $1 and ($2::bigint[] is null or salesperson_id is null or salesperson_id = any($2))
             for share",
            id,
            viewer.read.ids()
        )
        .fetch_optional(&mut *tx)
        .await?;
        self.contacts.insert(id, row);
        Ok(row)
    }

    async fn salesperson(
        &mut self,
        tx: &mut PgConnection,
        id: i64,
    ) -> Result<Option<SalespersonRef>, sqlx::Error> {
        if let Some(known) = self.salespeople.get(&id) {
            return Ok(known.clone());
        }
        let row = sqlx::query_as!(
            SalespersonRef,
            "select name, blocked from salespeople where id = $1 for share",
            id
        )
        .fetch_optional(&mut *tx)
        .await?;
        self.salespeople.insert(id, row.clone());
        Ok(row)
    }

    async fn cycle(
        &mut self,
        tx: &mut PgConnection,
        id: i64,
    ) -> Result<Option<CycleRef>, sqlx::Error> {
        if let Some(known) = self.cycles.get(&id) {
            return Ok(known.clone());
        }
        let row = sqlx::query_as!(CycleRef, "select id, code, blocked, probability_method from sales_cycles where id = $1 for share", id)
            .fetch_optional(&mut *tx)
            .await?;
        self.cycles.insert(id, row.clone());
        Ok(row)
    }
}

/// [`create`] inside the caller's transaction (a CSV import creates every row in one). The
/// caller announces the new opportunities ([`live::notify`], [`live::notify_many`]).
pub async fn create_in(
    tx: &mut PgConnection,
    viewer: &Viewer,
    form: &NewOpportunityForm,
    today: NaiveDate,
    lookups: &mut CreateLookups,
) -> Result<i64, AppError> {
    let mut errors = FieldErrors::default();
    let description = rules::description(&form.description, true)
        .map_err(|m| errors.add("description", m))
        .ok();
    let contact_id = optional_id(&form.contact_id);
    errors.check(contact_id.is_some(), "contact_id", "Choose a contact.");
    let salesperson_id = optional_id(&form.salesperson_id);
    errors.check(
        salesperson_id.is_some(),
        "salesperson_id",
        "Choose a salesperson.",
    );
    let cycle_id = optional_id(&form.cycle_id);
    errors.check(cycle_id.is_some(), "cycle_id", "Choose a sales cycle.");
    let creation_date =
        optional_date(&form.creation_date, "creation_date", &mut errors).unwrap_or(today);
    let priority = match form.priority.trim() {
        "" => Some(Priority::Normal),
        p => Priority::parse(p),
    };
    errors.check(
        priority.is_some(),
        "priority",
        "Choose Low, Normal or High.",
    );
    let estimated_value = match form.estimated_value.trim() {
        "" => Some(Decimal::ZERO),
        text => quotes::amount(text, false)
            .map_err(|m| errors.add("estimated_value", m))
            .ok(),
    };
    let chances = rules::percent(&form.chances)
        .map_err(|m| errors.add("chances", m))
        .ok();
    let closing_date = optional_date(
        &form.estimated_closing_date,
        "estimated_closing_date",
        &mut errors,
    );
    if let Some(closing) = closing_date
        && closing < creation_date
    {
        errors.add(
            "estimated_closing_date",
            "The estimated closing date cannot be before the creation date.",
        );
    }

    // The contact must be readable; its company is recorded with the opportunity.
    let contact = match contact_id {
        Some(id) => lookups.contact(tx, viewer, id).await?,
        None => None,
    };
    if contact_id.is_some() && contact.is_none() {
        errors.add(
            "contact_id",
            "That contact does not exist or you do not have access to it.",
        );
    }
    if let Some(id) = salesperson_id {
        match lookups.salesperson(tx, id).await? {
            Some(s) if viewer.write.allows(Some(id)) && s.blocked => errors.add(
                "salesperson_id",
                format!(
                    "{} is blocked and cannot be given new opportunities.",
                    s.name
                ),
            ),
            Some(_) if viewer.write.allows(Some(id)) => {}
            _ => errors.add(
                "salesperson_id",
                "You cannot give opportunities to that salesperson.",
            ),
        }
    }
    let cycle = match cycle_id {
        Some(id) => lookups.cycle(tx, id).await?,
        None => None,
    };
    match &cycle {
        Some(c) if c.blocked => errors.add(
            "cycle_id",
            format!("The sales cycle {} is blocked: choose another.", c.code),
        ),
        None if cycle_id.is_some() => errors.add("cycle_id", "That sales cycle does not exist."),
        _ => {}
    }
    errors.finish()?;
    let (
        Some(description),
        Some(contact),
        Some(salesperson_id),
        Some(cycle),
        Some(priority),
        Some(estimated_value),
        Some(chances),
    ) = (
        description,
        contact,
        salesperson_id,
        cycle,
        priority,
        estimated_value,
        chances,
    )
    else {
        return Err(AppError::field("form", "Please check the form."));
    };

    let row = sqlx::query!(
        "insert into opportunities (description, contact_id, contact_company_id, salesperson_id, cycle_id, creation_date,
                                    priority, estimated_value, chances_pct, estimated_closing_date, created_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         returning id, version",
        description,
        contact.id,
        contact.company_id,
        salesperson_id,
        cycle.id,
        creation_date as _,
        priority.as_str(),
        estimated_value,
        chances,
        closing_date as _,
        viewer.user.id,
    )
    .fetch_one(&mut *tx)
    .await?;

    if form.activate_first_stage {
        let stages = stages(&mut *tx, cycle.id).await?;
        let state = OpportunityState {
            cycle_blocked: cycle.blocked,
            ..Default::default()
        };
        let request = UpdateRequest {
            action: Action::First,
            target_stage_id: None,
            date_of_change: Some(creation_date),
            estimated_value: Some(estimated_value),
            chances: (!chances.is_zero()).then_some(chances),
            estimated_closing_date: closing_date,
        };
        let plan = plan_update(
            &stages,
            method(&cycle.probability_method),
            &state,
            &request,
            today,
        )
        .map_err(refused)?;
        let target = Change {
            id: row.id,
            version: row.version,
            salesperson_id,
            contact_id: contact.id,
        };
        write_plan(&mut *tx, viewer, &target, &plan, None, false).await?;
    }
    Ok(row.id)
}

// ---- Update and close ------------------------------------------------------------------------

/// The opportunity being changed, locked for the rest of the transaction.
struct Locked {
    change: Change,
    cycle_id: i64,
    method: ProbabilityMethod,
    state: OpportunityState,
    /// The figures typed at creation: First's defaults.
    estimated_value: Decimal,
    estimated_closing_date: Option<NaiveDate>,
}

/// Who and what a plan is written for.
struct Change {
    id: i64,
    version: i32,
    salesperson_id: i64,
    contact_id: i64,
}

/// Locks the opportunity for a change by `viewer` that was prepared from `version`.
async fn lock(
    tx: &mut PgConnection,
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    what: &str,
) -> Result<Locked, AppError> {
    let Some(o) = sqlx::query!(
        r#"select o.id, o.version, o.salesperson_id, o.contact_id, o.cycle_id, o.closed, o.estimated_value,
                o.estimated_closing_date as "estimated_closing_date: chrono::NaiveDate", c.blocked as cycle_blocked,
                c.probability_method
         from opportunities o join sales_cycles c on c.id = o.cycle_id
         where o.id = $1 and ($2::bigint[] is null or o.salesperson_id = any($2))
         for update of o"#,
        id,
        viewer.read.ids(),
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(not_found(pool, viewer, id, what).await);
    };
    if !viewer.write.allows(Some(o.salesperson_id)) {
        record_denied(
            pool,
            &viewer.user,
            &format!("opportunities: {what} of opportunity {id} outside the write scope"),
        )
        .await;
        return Err(AppError::Forbidden);
    }
    if o.closed {
        return Err(refused(Refusal::Closed));
    }
    if o.version != version {
        return Err(AppError::Conflict(STALE.into()));
    }
    let active = active_entry(tx, id).await?;
    let quote = quote(tx, id).await?.map(|(_, q)| q);
    Ok(Locked {
        change: Change {
            id,
            version: o.version,
            salesperson_id: o.salesperson_id,
            contact_id: o.contact_id,
        },
        cycle_id: o.cycle_id,
        method: method(&o.probability_method),
        state: state_of(o.closed, o.cycle_blocked, quote.as_ref(), active),
        estimated_value: o.estimated_value,
        estimated_closing_date: o.estimated_closing_date,
    })
}

/// Moves the opportunity (First, Next, Previous, Skip, Jump, Update): one entry appended.
#[allow(clippy::too_many_arguments)] // the update dialog's fields plus where a board drop lands
pub async fn update(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    request: &UpdateRequest,
    cancel_open_tasks: bool,
    board_rank: Option<&str>,
    today: NaiveDate,
) -> Result<Saved, AppError> {
    if board_rank.is_some_and(|r| !crate::domain::rank::is_valid(r)) {
        return Err(AppError::field(
            "rank",
            "The position on the board could not be read. Reload the board.",
        ));
    }
    let mut tx = crate::state::begin(pool).await?;
    let locked = lock(&mut tx, pool, viewer, id, version, "update").await?;
    let stages = stages(&mut tx, locked.cycle_id).await?;
    let mut request = request.clone();
    if locked.state.active.is_none() {
        // First starts from the estimate typed at creation unless the user gives another.
        request.estimated_value = request
            .estimated_value
            .or((!locked.estimated_value.is_zero()).then_some(locked.estimated_value));
        request.estimated_closing_date = request
            .estimated_closing_date
            .or(locked.estimated_closing_date);
    }
    let plan =
        plan_update(&stages, locked.method, &locked.state, &request, today).map_err(refused)?;
    let version = write_plan(
        &mut tx,
        viewer,
        &locked.change,
        &plan,
        None,
        cancel_open_tasks,
    )
    .await?;
    // A card dropped on the board lands where it was dropped in its new column.
    if let Some(rank) = board_rank {
        sqlx::query!(
            "update opportunities set board_rank = $2 where id = $1",
            id,
            rank
        )
        .execute(&mut *tx)
        .await?;
    }
    live::notify(&mut tx, id, ChangeKind::Updated, viewer.user.id).await?;
    crate::failpoint!("move-before-commit");
    tx.commit().await?;
    tracing::info!(opportunity = id, user = viewer.user.id, action = ?request.action, "opportunity updated");
    Ok(Saved { id, version })
}

/// The close dialog as posted.
#[derive(Clone, Debug)]
pub struct CloseInput {
    pub outcome: Outcome,
    pub close_code: String,
    pub date: Option<NaiveDate>,
    pub amount_won: Option<Decimal>,
    pub cancel_open_tasks: bool,
}

/// Closes the opportunity as won or lost: the final entry.
pub async fn close(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    input: &CloseInput,
    today: NaiveDate,
) -> Result<Saved, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    let locked = lock(&mut tx, pool, viewer, id, version, "close").await?;
    let code = input.close_code.trim().to_uppercase();
    let close_code = match code.as_str() {
        "" => None,
        code => {
            sqlx::query!("select id, outcome from close_codes where code = $1", code)
                .fetch_optional(&mut *tx)
                .await?
        }
    };
    if !code.is_empty() && close_code.is_none() {
        return Err(AppError::field(
            "close_code",
            "That close code does not exist.",
        ));
    }
    let request = CloseRequest {
        outcome: input.outcome,
        close_code: code,
        close_code_outcome: match close_code.as_ref().map(|c| c.outcome.as_str()) {
            Some("won") => Outcome::Won,
            Some(_) => Outcome::Lost,
            None => input.outcome,
        },
        date: input.date,
        amount_won: input.amount_won,
    };
    let plan = plan_close(&locked.state, &request, today).map_err(refused)?;
    let version = write_plan(
        &mut tx,
        viewer,
        &locked.change,
        &plan,
        close_code.map(|c| c.id),
        input.cancel_open_tasks,
    )
    .await?;
    live::notify(&mut tx, id, ChangeKind::Closed, viewer.user.id).await?;
    crate::failpoint!("move-before-commit");
    tx.commit().await?;
    tracing::info!(opportunity = id, user = viewer.user.id, outcome = ?input.outcome, "opportunity closed");
    Ok(Saved { id, version })
}

/// Writes an update or close plan: deactivates the previous entry, appends the new one, copies
/// its figures to the opportunity and bumps the version, creates the stage's tasks. Answers the
/// new version.
async fn write_plan(
    tx: &mut PgConnection,
    viewer: &Viewer,
    change: &Change,
    plan: &UpdatePlan,
    close_code_id: Option<i64>,
    cancel_open_tasks: bool,
) -> Result<i32, AppError> {
    let entry = &plan.entry;
    if cancel_open_tasks {
        sqlx::query!(
            "update tasks set status = 'cancelled', version = version + 1 where opportunity_id = $1 and status = 'open'",
            change.id
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some(old) = plan.deactivate {
        let done = sqlx::query!(
            "update opportunity_entries set active = false, days_open = $3
             where opportunity_id = $1 and entry_no = $2 and active",
            change.id,
            old.entry_no,
            old.days_open,
        )
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // The row lock makes this unreachable; refuse rather than fork the chain.
            return Err(AppError::Conflict(STALE.into()));
        }
    }
    let closing = entry.close.as_ref();
    sqlx::query!(
        "insert into opportunity_entries
             (opportunity_id, entry_no, stage_id, previous_stage_id, action_taken, date_of_change, user_id,
              estimated_value, chances_pct, completed_pct, probability_pct, calculated_value,
              estimated_closing_date, active, date_closed, close_code_id)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, true, $14, $15)",
        change.id,
        entry.entry_no,
        entry.stage_id,
        entry.previous_stage_id,
        action_taken_as_str(entry.action_taken),
        entry.date_of_change as _,
        viewer.user.id,
        entry.estimated_value,
        entry.chances,
        entry.completed,
        entry.probability,
        entry.calculated_current_value,
        entry.estimated_closing_date as _,
        closing.map(|c| c.date_closed) as _,
        close_code_id,
    )
    .execute(&mut *tx)
    .await?;
    let version = sqlx::query_scalar!(
        "update opportunities set status = $3, closed = $4, date_closed = $5, close_code_id = $6, current_stage_id = $7,
                estimated_value = $8, chances_pct = $9, completed_pct = $10, probability_pct = $11,
                calculated_value = $12, estimated_closing_date = $13, entry_count = $14, version = version + 1,
                furthest_stage = greatest(furthest_stage, coalesce((select stage from sales_cycle_stages where id = $7), 0))
         where id = $1 and version = $2
         returning version",
        change.id,
        change.version,
        status_as_str(plan.status),
        plan.status.is_closed(),
        closing.map(|c| c.date_closed) as _,
        close_code_id,
        entry.stage_id,
        entry.estimated_value,
        entry.chances,
        entry.completed,
        entry.probability,
        entry.calculated_current_value,
        entry.estimated_closing_date as _,
        entry.entry_no,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| AppError::Conflict(STALE.into()))?;
    if let (Some(activity), Some(stage_id)) = (&plan.create_tasks_of, entry.stage_id) {
        create_tasks(tx, change, activity, stage_id, entry.date_of_change).await?;
    }
    Ok(version)
}

/// The activity's steps become tasks for the salesperson, due by each step's date formula from
/// the date the stage was entered.
async fn create_tasks(
    tx: &mut PgConnection,
    change: &Change,
    activity: &str,
    stage_id: i64,
    entered: NaiveDate,
) -> Result<(), AppError> {
    let steps = sqlx::query!(
        "select st.kind, st.description, st.priority, st.date_formula
         from activity_steps st join activities a on a.id = st.activity_id
         where a.code = $1 order by st.position",
        activity
    )
    .fetch_all(&mut *tx)
    .await?;
    for step in steps {
        let due = DateFormula::parse(&step.date_formula)
            .map(|f| f.apply(entered))
            .unwrap_or(entered);
        let task = sqlx::query_scalar!(
            "insert into tasks (kind, description, priority, due_date, salesperson_id, contact_id, opportunity_id, stage_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8) returning id",
            step.kind,
            step.description,
            step.priority,
            due as _,
            change.salesperson_id,
            change.contact_id,
            change.id,
            stage_id,
        )
        .fetch_one(&mut *tx)
        .await?;
        crate::webhooks::ops::emit_task(tx, task).await?;
    }
    Ok(())
}

// ---- Edit and quote --------------------------------------------------------------------------

/// Changes the description and priority (the figures change through entries only).
pub async fn edit(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    description: &str,
    priority: &str,
) -> Result<Saved, AppError> {
    let mut errors = FieldErrors::default();
    let description = rules::description(description, true)
        .map_err(|m| errors.add("description", m))
        .ok();
    let priority = Priority::parse(priority);
    errors.check(
        priority.is_some(),
        "priority",
        "Choose Low, Normal or High.",
    );
    errors.finish()?;
    let (Some(description), Some(priority)) = (description, priority) else {
        return Err(AppError::field("form", "Please check the form."));
    };
    let mut tx = crate::state::begin(pool).await?;
    lock(&mut tx, pool, viewer, id, version, "edit").await?;
    let version = sqlx::query_scalar!(
        "update opportunities set description = $2, priority = $3, version = version + 1 where id = $1 returning version",
        id,
        description,
        priority.as_str()
    )
    .fetch_one(&mut *tx)
    .await?;
    live::notify(&mut tx, id, ChangeKind::Edited, viewer.user.id).await?;
    tx.commit().await?;
    Ok(Saved { id, version })
}

/// Adds a line to the opportunity's quote, creating the quote with its first line. Bumps the
/// opportunity's version: a quote changes which moves are allowed and the amount won.
pub async fn add_quote_line(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    line: (&str, &str, &str, &str),
    today: NaiveDate,
) -> Result<Saved, AppError> {
    let line = quotes::line(line.0, line.1, line.2, line.3).map_err(|errors| {
        let mut all = FieldErrors::default();
        for (field, message) in errors {
            all.add(field, message);
        }
        all.finish().err().unwrap_or(AppError::Internal)
    })?;
    let mut tx = crate::state::begin(pool).await?;
    lock(&mut tx, pool, viewer, id, version, "quote").await?;
    let quote_id = sqlx::query_scalar!(
        "insert into quotes (opportunity_id, quote_date) values ($1, $2)
         on conflict (opportunity_id) do update set updated_at = now()
         returning id",
        id,
        today as _
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into quote_lines (quote_id, line_no, description, quantity, unit_price, discount_pct)
         values ($1, coalesce((select max(line_no) from quote_lines where quote_id = $1), 0) + 1, $2, $3, $4, $5)",
        quote_id,
        line.description,
        line.quantity,
        line.unit_price,
        line.discount,
    )
    .execute(&mut *tx)
    .await?;
    let version = bump(&mut tx, id).await?;
    live::notify(&mut tx, id, ChangeKind::Quote, viewer.user.id).await?;
    tx.commit().await?;
    Ok(Saved { id, version })
}

pub async fn remove_quote_line(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    version: i32,
    line_id: i64,
) -> Result<Saved, AppError> {
    let mut tx = crate::state::begin(pool).await?;
    lock(&mut tx, pool, viewer, id, version, "quote").await?;
    let done = sqlx::query!(
        "delete from quote_lines l using quotes q where l.id = $2 and l.quote_id = q.id and q.opportunity_id = $1",
        id,
        line_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    let version = bump(&mut tx, id).await?;
    live::notify(&mut tx, id, ChangeKind::Quote, viewer.user.id).await?;
    tx.commit().await?;
    Ok(Saved { id, version })
}

async fn bump(tx: &mut PgConnection, id: i64) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar!(
        "update opportunities set version = version + 1 where id = $1 returning version",
        id
    )
    .fetch_one(tx)
    .await?)
}

// ---- Tasks -----------------------------------------------------------------------------------

/// Sets a task's status (done, open again, cancelled). Tasks of a closed opportunity can still
/// be completed: the work may happen after the deal.
pub async fn set_task_status(
    pool: &PgPool,
    viewer: &Viewer,
    task_id: i64,
    version: i32,
    status: &str,
) -> Result<(), AppError> {
    if !matches!(status, "open" | "done" | "cancelled") {
        return Err(AppError::field("status", "Choose done, open or cancelled."));
    }
    let task = sqlx::query!(
        "select salesperson_id, opportunity_id, version from tasks where id = $1 and ($2::bigint[] is null or salesperson_id = any($2))",
        task_id,
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?;
    let Some(task) = task else {
        return Err(AppError::NotFound);
    };
    if !viewer.write.allows(Some(task.salesperson_id)) {
        record_denied(
            pool,
            &viewer.user,
            &format!("tasks: status of task {task_id} outside the write scope"),
        )
        .await;
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::state::begin(pool).await?;
    let done = sqlx::query!(
        "update tasks set status = $3, version = version + 1 where id = $1 and version = $2",
        task_id,
        version,
        status
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(
            "This task was changed by someone else. Reload to see the latest version.".into(),
        ));
    }
    if let Some(opportunity) = task.opportunity_id {
        live::notify(&mut tx, opportunity, ChangeKind::Task, viewer.user.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

// ---- Lookups for the REST API ------------------------------------------------------------------

/// The id and version of the opportunity with this number, if the viewer may read it.
pub async fn find_by_no(pool: &PgPool, viewer: &Viewer, no: &str) -> Result<(i64, i32), AppError> {
    let row = sqlx::query!(
        "select id, version from opportunities where no = $1 and ($2::bigint[] is null or salesperson_id = any($2))",
        no.trim(),
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?;
    row.map(|r| (r.id, r.version)).ok_or(AppError::NotFound)
}

/// The version of a task the viewer may read.
pub async fn task_version(pool: &PgPool, viewer: &Viewer, task_id: i64) -> Result<i32, AppError> {
    sqlx::query_scalar!(
        "select version from tasks where id = $1 and ($2::bigint[] is null or salesperson_id = any($2))",
        task_id,
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?
    .ok_or(AppError::NotFound)
}

/// What an API caller names by number or code, as ids: the contact (in the viewer's read scope),
/// the salesperson (default as on the new-opportunity form) and the sales cycle. Unknown ones are
/// field errors.
pub struct References {
    pub contact_id: i64,
    pub salesperson_id: Option<i64>,
    pub cycle_id: i64,
}

pub async fn references(
    pool: &PgPool,
    viewer: &Viewer,
    contact_no: &str,
    salesperson_code: Option<&str>,
    cycle_code: &str,
    today: NaiveDate,
) -> Result<References, AppError> {
    let mut errors = FieldErrors::default();
    let contact_id = sqlx::query_scalar!(
        "select id from contacts where no = $1 and ($2::bigint[] is null or salesperson_id is null or salesperson_id = any($2))",
        contact_no.trim(),
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?;
    errors.check(
        contact_id.is_some(),
        "contact_no",
        "No contact with this number in your access.",
    );
    let cycle_id = sqlx::query_scalar!(
        "select id from sales_cycles where code = $1",
        cycle_code.trim().to_uppercase()
    )
    .fetch_optional(pool)
    .await?;
    errors.check(
        cycle_id.is_some(),
        "sales_cycle",
        "No sales cycle with this code.",
    );
    let salesperson_id = match salesperson_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => {
            let id = sqlx::query_scalar!(
                "select id from salespeople where code = $1",
                code.to_uppercase()
            )
            .fetch_optional(pool)
            .await?;
            errors.check(
                id.is_some(),
                "salesperson_code",
                "No salesperson with this code.",
            );
            id
        }
        None => None,
    };
    errors.finish()?;
    let (Some(contact_id), Some(cycle_id)) = (contact_id, cycle_id) else {
        return Err(AppError::NotFound);
    };
    let salesperson_id = match salesperson_id {
        Some(id) => Some(id),
        None => {
            new_options(pool, viewer, Some(contact_id), today)
                .await?
                .default_salesperson
        }
    };
    Ok(References {
        contact_id,
        salesperson_id,
        cycle_id,
    })
}

/// A sales cycle with its stages as the rules see them (the API's `/sales-cycles`).
pub struct CycleWithStages {
    pub code: String,
    pub description: String,
    pub method: ProbabilityMethod,
    pub blocked: bool,
    pub stages: Vec<StageRule>,
}

/// Every sales cycle (all roles may read the setup), or the one with `code`.
pub async fn cycles_with_stages(
    pool: &PgPool,
    code: Option<&str>,
) -> Result<Vec<CycleWithStages>, AppError> {
    let mut conn = pool.acquire().await?;
    let cycles = sqlx::query!(
        "select id, code, description, probability_method, blocked from sales_cycles
         where $1::text is null or code = $1 order by code",
        code.map(|c| c.trim().to_uppercase())
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(cycles.len());
    for c in cycles {
        out.push(CycleWithStages {
            stages: stages(&mut conn, c.id).await?,
            code: c.code,
            description: c.description,
            method: method(&c.probability_method),
            blocked: c.blocked,
        });
    }
    Ok(out)
}

//! Board queries. Column totals are computed in SQL over every matching card; each column sends
//! only its first [`COLUMN_PAGE`] cards (in rank order) and the rest page in with a keyset
//! (`(board_rank, id) > (…)`) on the `opportunities_board` index.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sqlx::PgPool;

use super::{Board, BoardCard, BoardChanges, BoardColumn, COLUMN_PAGE, ColumnTotals};
use crate::{
    auth::access::{Viewer, record_denied},
    domain::{
        entries::{ActiveEntry, OpportunityState, StageRule},
        rank, setup as rules,
    },
    error::AppError,
    opportunities::{Choice, CloseCodeChoice, ListQuery, Priority},
};

/// One card as the queries return it.
struct CardRow {
    id: i64,
    version: i32,
    no: String,
    description: String,
    contact: String,
    company: Option<String>,
    estimated_value: Decimal,
    probability_pct: Decimal,
    calculated_value: Decimal,
    estimated_closing_date: Option<NaiveDate>,
    priority: String,
    salesperson: String,
    board_rank: String,
    current_stage_id: Option<i64>,
    entry_no: Option<i32>,
    entry_stage: Option<i64>,
    date_of_change: Option<NaiveDate>,
    entry_value: Option<Decimal>,
    entry_closing: Option<NaiveDate>,
    entry_chances: Option<Decimal>,
    quote_lines: i64,
    quote_total: Option<Decimal>,
    can_move: bool,
    cycle_blocked: bool,
}

impl CardRow {
    fn card(self, today: NaiveDate) -> BoardCard {
        let active = match (self.entry_no, self.date_of_change) {
            (Some(entry_no), Some(date_of_change)) => Some(ActiveEntry {
                entry_no,
                stage_id: self.entry_stage,
                date_of_change,
                estimated_value: self.entry_value.unwrap_or_default(),
                estimated_closing_date: self.entry_closing,
                chances: self.entry_chances.unwrap_or_default(),
            }),
            _ => None,
        };
        let has_quote = self.quote_lines > 0;
        BoardCard {
            id: self.id,
            version: self.version,
            no: self.no,
            description: self.description,
            contact: self.contact,
            company: self.company,
            estimated_value: self.estimated_value,
            probability: self.probability_pct,
            calculated_value: self.calculated_value,
            estimated_closing_date: self.estimated_closing_date,
            priority: Priority::from_db(&self.priority),
            salesperson: self.salesperson,
            days_in_stage: self
                .date_of_change
                .map_or(0, |d| (today - d).num_days().max(0)),
            rank: self.board_rank,
            state: OpportunityState {
                closed: false,
                cycle_blocked: self.cycle_blocked,
                has_quote,
                quote_total: has_quote.then_some(self.quote_total).flatten(),
                active,
            },
            can_move: self.can_move,
        }
    }
}

/// The cycle the board shows: the one asked for, else STANDARD, else the first with stages.
async fn cycle_id(pool: &PgPool, asked: Option<i64>) -> Result<i64, AppError> {
    if let Some(id) = asked {
        return sqlx::query_scalar!("select id from sales_cycles where id = $1", id)
            .fetch_optional(pool)
            .await?
            .ok_or(AppError::NotFound);
    }
    sqlx::query_scalar!(
        r#"select c.id as "id!" from sales_cycles c
           order by (c.code = 'STANDARD') desc, c.blocked,
                    exists (select 1 from sales_cycle_stages s where s.cycle_id = c.id) desc, c.code
           limit 1"#
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| {
        AppError::Conflict("There is no sales cycle yet. An admin can create one in Setup.".into())
    })
}

pub async fn board(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
    today: NaiveDate,
) -> Result<Board, AppError> {
    let cycle_id = cycle_id(pool, query.cycle).await?;
    let cycle = sqlx::query!(
        "select code, probability_method from sales_cycles where id = $1",
        cycle_id
    )
    .fetch_one(pool)
    .await?;
    let cycles = sqlx::query!("select id, code from sales_cycles order by code")
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|c| Choice {
            id: c.id,
            label: c.code,
        })
        .collect();
    let stages: Vec<StageRule> =
        crate::opportunities::ops::stages(&mut *pool.acquire().await?, cycle_id).await?;

    let read = viewer.read.ids();
    let priority = query.priority.map(Priority::as_str);
    let pattern = crate::contacts::ops::contains_pattern(&query.search);
    let mut tx = pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let totals = column_totals(&mut tx, viewer, query, cycle_id).await?;
    let rows = sqlx::query_as!(
        CardRow,
        r#"with ranked as (
               select o.id, row_number() over (partition by o.current_stage_id order by o.board_rank, o.id) as rn
               from opportunities o join contacts ct on ct.id = o.contact_id
               where o.cycle_id = $1 and not o.closed
                 and ($2::bigint[] is null or o.salesperson_id = any($2))
                 and ($3::bigint is null or o.salesperson_id = $3)
                 and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                 and ($5::text is null or o.priority = $5)
                 and ($6::date is null or o.estimated_closing_date >= $6)
                 and ($7::date is null or o.estimated_closing_date <= $7)
                 and ($8::text is null or o.description ilike $8 or o.no ilike $8 or ct.name ilike $8)
           )
           select c.id as "id!", c.version as "version!", c.no as "no!", c.description as "description!",
                  c.contact as "contact!", c.company as "company?", c.estimated_value as "estimated_value!",
                  c.probability_pct as "probability_pct!", c.calculated_value as "calculated_value!",
                  c.estimated_closing_date as "estimated_closing_date?: chrono::NaiveDate", c.priority as "priority!",
                  c.salesperson as "salesperson!", c.board_rank as "board_rank!", c.current_stage_id as "current_stage_id?",
                  c.entry_no as "entry_no?", c.entry_stage as "entry_stage?",
                  c.date_of_change as "date_of_change?: chrono::NaiveDate", c.entry_value as "entry_value?",
                  c.entry_closing as "entry_closing?: chrono::NaiveDate", c.entry_chances as "entry_chances?",
                  c.quote_lines as "quote_lines!", c.quote_total as "quote_total?",
                  ($9::bigint[] is null or c.salesperson_id = any($9)) as "can_move!",
                  c.cycle_blocked as "cycle_blocked!"
           from ranked r
           join board_cards c on c.id = r.id
           where r.rn <= $10
           order by c.current_stage_id nulls first, c.board_rank, c.id"#,
        cycle_id,
        read,
        query.salesperson,
        query.team,
        priority,
        query.closing_from as _,
        query.closing_to as _,
        pattern,
        viewer.write.ids(),
        COLUMN_PAGE,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;

    let column_of = |stage_id: Option<i64>, title: String, rows: &mut Vec<CardRow>| {
        let (count, estimated, calculated) = totals
            .iter()
            .find(|t| t.stage_id == stage_id)
            .map_or((0, Decimal::ZERO, Decimal::ZERO), |t| {
                (t.count, t.estimated, t.calculated)
            });
        let (mine, rest): (Vec<CardRow>, Vec<CardRow>) = std::mem::take(rows)
            .into_iter()
            .partition(|r| r.current_stage_id == stage_id);
        *rows = rest;
        BoardColumn {
            stage_id,
            title,
            count,
            estimated,
            calculated,
            cards: mine.into_iter().map(|r| r.card(today)).collect(),
        }
    };
    let mut rows = rows;
    let mut columns = vec![column_of(None, "Not started".into(), &mut rows)];
    for stage in &stages {
        columns.push(column_of(Some(stage.id), stage.name(), &mut rows));
    }
    let close_codes = sqlx::query!(
        "select code, description, outcome from close_codes order by outcome desc, code"
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|c| CloseCodeChoice {
        code: c.code,
        description: c.description,
        won: c.outcome == "won",
    })
    .collect();
    Ok(Board {
        cycle_id,
        cycle_code: cycle.code,
        method: rules::parse_method(&cycle.probability_method).unwrap_or_default(),
        cycles,
        stages,
        columns,
        close_codes,
        own_salesperson: viewer.user.salesperson_id,
        today,
    })
}

/// Count, estimated and weighted value of every matching open card, per column.
async fn column_totals(
    conn: &mut sqlx::PgConnection,
    viewer: &Viewer,
    query: &ListQuery,
    cycle_id: i64,
) -> Result<Vec<ColumnTotals>, AppError> {
    let read = viewer.read.ids();
    let priority = query.priority.map(Priority::as_str);
    let pattern = crate::contacts::ops::contains_pattern(&query.search);
    let totals = sqlx::query_as!(
        ColumnTotals,
        r#"select o.current_stage_id as "stage_id", count(*) as "count!", coalesce(sum(o.estimated_value), 0) as "estimated!",
                  coalesce(sum(o.calculated_value), 0) as "calculated!"
           from opportunities o join contacts ct on ct.id = o.contact_id
           where o.cycle_id = $1 and not o.closed
             and ($2::bigint[] is null or o.salesperson_id = any($2))
             and ($3::bigint is null or o.salesperson_id = $3)
             and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
             and ($5::text is null or o.priority = $5)
             and ($6::date is null or o.estimated_closing_date >= $6)
             and ($7::date is null or o.estimated_closing_date <= $7)
             and ($8::text is null or o.description ilike $8 or o.no ilike $8 or ct.name ilike $8)
           group by o.current_stage_id"#,
        cycle_id,
        read,
        query.salesperson,
        query.team,
        priority,
        query.closing_from as _,
        query.closing_to as _,
        pattern,
    )
    .fetch_all(conn)
    .await?;
    Ok(totals)
}

/// What changed for the live board: each changed card as it is now, if it still belongs on
/// this board with these filters (else `None`: it left), and every column's fresh totals.
pub async fn changes(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
    ids: &[i64],
    today: NaiveDate,
) -> Result<BoardChanges, AppError> {
    let cycle_id = cycle_id(pool, query.cycle).await?;
    let mut tx = pool
        .begin_with("begin isolation level repeatable read, read only")
        .await?;
    let totals = column_totals(&mut tx, viewer, query, cycle_id).await?;
    let rows = sqlx::query_as!(
        CardRow,
        r#"select c.id as "id!", c.version as "version!", c.no as "no!", c.description as "description!",
                  c.contact as "contact!", c.company as "company?", c.estimated_value as "estimated_value!",
                  c.probability_pct as "probability_pct!", c.calculated_value as "calculated_value!",
                  c.estimated_closing_date as "estimated_closing_date?: chrono::NaiveDate", c.priority as "priority!",
                  c.salesperson as "salesperson!", c.board_rank as "board_rank!", c.current_stage_id as "current_stage_id?",
                  c.entry_no as "entry_no?", c.entry_stage as "entry_stage?",
                  c.date_of_change as "date_of_change?: chrono::NaiveDate", c.entry_value as "entry_value?",
                  c.entry_closing as "entry_closing?: chrono::NaiveDate", c.entry_chances as "entry_chances?",
                  c.quote_lines as "quote_lines!", c.quote_total as "quote_total?",
                  ($9::bigint[] is null or c.salesperson_id = any($9)) as "can_move!",
                  c.cycle_blocked as "cycle_blocked!"
           from board_cards c
           where c.id = any($10) and c.cycle_id = $1 and not c.closed
             and ($2::bigint[] is null or c.salesperson_id = any($2))
             and ($3::bigint is null or c.salesperson_id = $3)
             and ($4::bigint is null or c.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
             and ($5::text is null or c.priority = $5)
             and ($6::date is null or c.estimated_closing_date >= $6)
             and ($7::date is null or c.estimated_closing_date <= $7)
             and ($8::text is null or c.description ilike $8 or c.no ilike $8 or c.contact ilike $8)"#,
        cycle_id,
        viewer.read.ids(),
        query.salesperson,
        query.team,
        query.priority.map(Priority::as_str),
        query.closing_from as _,
        query.closing_to as _,
        crate::contacts::ops::contains_pattern(&query.search),
        viewer.write.ids(),
        ids,
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut rows = rows;
    let cards = ids
        .iter()
        .map(|id| {
            let row = rows
                .iter()
                .position(|r| r.id == *id)
                .map(|i| rows.swap_remove(i));
            (*id, row.map(|r| (r.current_stage_id, r.card(today))))
        })
        .collect();
    Ok(BoardChanges { cards, totals })
}

/// The next cards of one column after `(after_rank, after_id)`.
pub async fn more_cards(
    pool: &PgPool,
    viewer: &Viewer,
    query: &ListQuery,
    stage_id: Option<i64>,
    after: (&str, i64),
    today: NaiveDate,
) -> Result<Vec<BoardCard>, AppError> {
    let cycle_id = cycle_id(pool, query.cycle).await?;
    let rows = sqlx::query_as!(
        CardRow,
        r#"select c.id as "id!", c.version as "version!", c.no as "no!", c.description as "description!",
                  c.contact as "contact!", c.company as "company?", c.estimated_value as "estimated_value!",
                  c.probability_pct as "probability_pct!", c.calculated_value as "calculated_value!",
                  c.estimated_closing_date as "estimated_closing_date?: chrono::NaiveDate", c.priority as "priority!",
                  c.salesperson as "salesperson!", c.board_rank as "board_rank!", c.current_stage_id as "current_stage_id?",
                  c.entry_no as "entry_no?", c.entry_stage as "entry_stage?",
                  c.date_of_change as "date_of_change?: chrono::NaiveDate", c.entry_value as "entry_value?",
                  c.entry_closing as "entry_closing?: chrono::NaiveDate", c.entry_chances as "entry_chances?",
                  c.quote_lines as "quote_lines!", c.quote_total as "quote_total?",
                  ($9::bigint[] is null or c.salesperson_id = any($9)) as "can_move!",
                  c.cycle_blocked as "cycle_blocked!"
           from board_cards c
           where c.cycle_id = $1 and not c.closed and c.current_stage_id is not distinct from $10
             and (c.board_rank, c.id) > ($11::text collate "C", $12::bigint)
             and ($2::bigint[] is null or c.salesperson_id = any($2))
             and ($3::bigint is null or c.salesperson_id = $3)
             and ($4::bigint is null or c.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
             and ($5::text is null or c.priority = $5)
             and ($6::date is null or c.estimated_closing_date >= $6)
             and ($7::date is null or c.estimated_closing_date <= $7)
             and ($8::text is null or c.description ilike $8 or c.no ilike $8 or c.contact ilike $8)
           order by c.board_rank, c.id
           limit $13"#,
        cycle_id,
        viewer.read.ids(),
        query.salesperson,
        query.team,
        query.priority.map(Priority::as_str),
        query.closing_from as _,
        query.closing_to as _,
        crate::contacts::ops::contains_pattern(&query.search),
        viewer.write.ids(),
        stage_id,
        after.0,
        after.1,
        COLUMN_PAGE,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| r.card(today)).collect())
}

/// Moves a card within its column: only its rank changes (no entry: the stage did not change).
pub async fn reorder(
    pool: &PgPool,
    viewer: &Viewer,
    id: i64,
    new_rank: &str,
) -> Result<(), AppError> {
    if !rank::is_valid(new_rank) {
        return Err(AppError::field(
            "rank",
            "The position on the board could not be read. Reload the board.",
        ));
    }
    let owner = sqlx::query_scalar!(
        "select salesperson_id from opportunities where id = $1 and ($2::bigint[] is null or salesperson_id = any($2))",
        id,
        viewer.read.ids()
    )
    .fetch_optional(pool)
    .await?;
    let Some(owner) = owner else {
        return Err(AppError::NotFound);
    };
    if !viewer.write.allows(Some(owner)) {
        record_denied(
            pool,
            &viewer.user,
            &format!("board: reorder of opportunity {id} outside the write scope"),
        )
        .await;
        return Err(AppError::Forbidden);
    }
    let mut tx = crate::state::begin(pool).await?;
    sqlx::query!(
        "update opportunities set board_rank = $2 where id = $1 and not closed",
        id,
        new_rank
    )
    .execute(&mut *tx)
    .await?;
    crate::live::notify(
        &mut tx,
        id,
        crate::live::ChangeKind::Reordered,
        viewer.user.id,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

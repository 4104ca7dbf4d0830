//! `seed --history`: opportunities with a life behind them — started, moved forward and back,
//! quoted, and most of the older ones closed won or lost — spread over the last three years.
//! Every entry is planned by the same domain rules as a real move (`plan_update`, `plan_close`),
//! so the seeded data passes the same checks as typed data. Rows go in with `COPY`, which is what
//! makes a million opportunities and five million entries take minutes, not hours.

use app::{
    domain::entries::{
        Action, ActiveEntry, CloseRequest, NewEntry, OpportunityState, Outcome, ProbabilityMethod,
        StageRule, UpdatePlan, UpdateRequest, plan_close, plan_update,
    },
    opportunities::{action_taken_as_str, status_as_str},
};
use chrono::{Days, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::fmt::Write;

use super::{WHAT, fail, pick};
use crate::error::StartupError;

/// How many opportunities go to the database per `COPY`.
const BATCH: usize = 20_000;

struct Cycle {
    id: i64,
    stages: Vec<StageRule>,
    won_codes: Vec<i64>,
    lost_codes: Vec<i64>,
}

/// Seeds `count` opportunities with histories in the STANDARD cycle on the given (company,
/// salesperson) pairs; dates end at `today`.
pub async fn seed_histories(
    tx: &mut PgConnection,
    rng: &mut ChaCha8Rng,
    owned_companies: &[(i64, i64)],
    count: usize,
    today: NaiveDate,
) -> Result<(), StartupError> {
    if count == 0 || owned_companies.is_empty() {
        return Ok(());
    }
    let cycle_id: i64 = sqlx::query_scalar("select id from sales_cycles where code = 'STANDARD'")
        .fetch_one(&mut *tx)
        .await
        .map_err(fail)?;
    let stages = app::opportunities::ops::stages(tx, cycle_id)
        .await
        .map_err(fail)?;
    let codes: Vec<(i64, String)> =
        sqlx::query_as("select id, outcome from close_codes order by code")
            .fetch_all(&mut *tx)
            .await
            .map_err(fail)?;
    let cycle = Cycle {
        id: cycle_id,
        stages,
        won_codes: codes
            .iter()
            .filter(|(_, o)| o == "won")
            .map(|(id, _)| *id)
            .collect(),
        lost_codes: codes
            .iter()
            .filter(|(_, o)| o == "lost")
            .map(|(id, _)| *id)
            .collect(),
    };
    if cycle.stages.is_empty() || cycle.won_codes.is_empty() || cycle.lost_codes.is_empty() {
        return Err(StartupError::Invalid(
            "the STANDARD cycle needs stages and won and lost close codes".into(),
        ));
    }
    // Ids are taken from the sequences up front so that entries and quotes can point at their
    // opportunity inside the same COPY stream.
    let first_id = reserve(tx, "opportunities", count).await?;
    let first_quote = reserve(tx, "quotes", count).await?;
    let (mut opportunities, mut entries, mut quotes, mut lines) =
        (String::new(), String::new(), String::new(), String::new());
    for n in 0..count {
        let id = first_id + n as i64;
        let quote_id = first_quote + n as i64;
        let (company, salesperson) = *pick(rng, owned_companies);
        let life = live(rng, &cycle, today);
        write_opportunity(
            &mut opportunities,
            id,
            n,
            company,
            salesperson,
            &cycle,
            &life,
            rng,
        );
        for (plan, code) in &life.plans {
            write_entry(&mut entries, id, plan, *code, &life);
        }
        if let Some((date, amount)) = life.quote {
            writeln!(quotes, "{quote_id}\t{id}\t{date}").ok();
            writeln!(lines, "{quote_id}\t1\t{}\t1\t{amount}\t0", pick(rng, WHAT)).ok();
        }
        if (n + 1) % BATCH == 0 || n + 1 == count {
            copy(tx, "opportunities (id, description, contact_id, contact_company_id, salesperson_id, cycle_id, creation_date, priority, status, closed, date_closed, close_code_id, current_stage_id, estimated_value, chances_pct, completed_pct, probability_pct, calculated_value, estimated_closing_date, entry_count, version, furthest_stage)", &mut opportunities).await?;
            copy(tx, "quotes (id, opportunity_id, quote_date)", &mut quotes).await?;
            copy(
                tx,
                "quote_lines (quote_id, line_no, description, quantity, unit_price, discount_pct)",
                &mut lines,
            )
            .await?;
            copy(tx, "opportunity_entries (opportunity_id, entry_no, stage_id, previous_stage_id, action_taken, date_of_change, estimated_value, chances_pct, completed_pct, probability_pct, calculated_value, estimated_closing_date, active, days_open, date_closed, close_code_id)", &mut entries).await?;
        }
    }
    // The rows went in already deactivated and closed, past the triggers that keep the
    // dashboard's summaries: those are worked out once here.
    for summary in [
        "insert into stage_days select * from stage_days_recomputed()",
        "insert into closed_by_day select * from closed_by_day_recomputed()",
    ] {
        sqlx::query(summary).execute(&mut *tx).await.map_err(fail)?;
    }
    Ok(())
}

/// One opportunity's life: its plans in order (with the close code of a final one), whether
/// and when it got a quote.
struct Life {
    creation: NaiveDate,
    plans: Vec<(UpdatePlan, Option<i64>)>,
    /// The days open each entry ended with (0 for the active one).
    days_open: Vec<i32>,
    quote: Option<(NaiveDate, Decimal)>,
}

/// Plays an opportunity forward from its creation until today or its close: mostly Next, now and
/// then Previous or an updated estimate; a quote before the first stage that needs one; the
/// chance to close grows with the stage reached.
fn live(rng: &mut ChaCha8Rng, cycle: &Cycle, today: NaiveDate) -> Life {
    let creation = today - Days::new(rng.gen_range(0..3 * 365));
    let value = Decimal::new(rng.gen_range(50_000..5_000_000), 2);
    let mut state = OpportunityState {
        closed: false,
        cycle_blocked: false,
        has_quote: false,
        quote_total: None,
        active: None,
    };
    let mut life = Life {
        creation,
        plans: Vec::new(),
        days_open: Vec::new(),
        quote: None,
    };
    let mut date = creation + Days::new(rng.gen_range(0..4));
    let mut request = UpdateRequest {
        estimated_value: Some(value),
        ..UpdateRequest::new(Action::First)
    };
    loop {
        if date > today {
            break;
        }
        let stage_no = state
            .active
            .as_ref()
            .and_then(|a| a.stage_id)
            .and_then(|id| cycle.stages.iter().position(|s| s.id == id));
        let roll = rng.gen_range(0..100);
        let close = stage_no.is_some() && roll < 6 + 5 * stage_no.unwrap_or(0) as i32;
        let plan = if close {
            let won = rng.gen_range(0..cycle.stages.len() + 3) <= stage_no.unwrap_or(0) + 1;
            let (outcome, codes) = if won {
                (Outcome::Won, &cycle.won_codes)
            } else {
                (Outcome::Lost, &cycle.lost_codes)
            };
            let code = *pick(rng, codes);
            let close = CloseRequest {
                outcome,
                close_code: code.to_string(),
                close_code_outcome: outcome,
                date: Some(date),
                amount_won: None,
            };
            plan_close(&state, &close, today).map(|p| (p, Some(code)))
        } else {
            if request.action != Action::First {
                request = UpdateRequest::new(match roll {
                    ..12 => Action::Previous,
                    12..20 => Action::Update,
                    _ => Action::Next,
                });
                if request.action == Action::Update {
                    let value = state.active.as_ref().map_or(value, |a| a.estimated_value);
                    request.estimated_value =
                        Some((value * Decimal::new(rng.gen_range(80..125), 2)).round_dp(2));
                }
            }
            request.date_of_change = Some(date);
            // A closing date that has passed is moved on by the stage's date formula.
            if state
                .active
                .as_ref()
                .and_then(|a| a.estimated_closing_date)
                .is_some_and(|d| d < date)
            {
                request.estimated_closing_date = Some(date);
            }
            // A salesperson attaches the quote when the next stage asks for one.
            let next_needs_quote = stage_no
                .and_then(|i| cycle.stages.get(i + 1))
                .is_some_and(|s| s.quote_required);
            if request.action == Action::Next && next_needs_quote && !state.has_quote {
                let amount = state.active.as_ref().map_or(value, |a| a.estimated_value);
                life.quote = Some((date, amount));
                state.has_quote = true;
                state.quote_total = Some(amount);
            }
            plan_update(
                &cycle.stages,
                ProbabilityMethod::Multiply,
                &state,
                &request,
                today,
            )
            .map(|p| (p, None))
        };
        let Ok((plan, code)) = plan else {
            // Refused (no higher or lower stage): try something else a few days later.
            request = UpdateRequest::new(Action::Update);
            date = date + Days::new(rng.gen_range(1..10));
            continue;
        };
        if let Some(d) = plan.deactivate {
            if let Some(last) = life.days_open.last_mut() {
                *last = d.days_open;
            }
        }
        let entry = &plan.entry;
        state.closed = plan.status.is_closed();
        state.active = Some(ActiveEntry {
            entry_no: entry.entry_no,
            stage_id: entry.stage_id,
            date_of_change: entry.date_of_change,
            estimated_value: entry.estimated_value,
            estimated_closing_date: Some(entry.estimated_closing_date),
            chances: entry.chances,
        });
        life.days_open.push(0);
        life.plans.push((plan, code));
        if state.closed {
            break;
        }
        request = UpdateRequest::new(Action::Next);
        date = date + Days::new(rng.gen_range(0..50));
    }
    life
}

fn optional(value: Option<impl std::fmt::Display>) -> String {
    value.map_or_else(|| "\\N".to_owned(), |v| v.to_string())
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of the opportunities table"
)]
fn write_opportunity(
    out: &mut String,
    id: i64,
    n: usize,
    company: i64,
    salesperson: i64,
    cycle: &Cycle,
    life: &Life,
    rng: &mut ChaCha8Rng,
) {
    let description = format!(
        "{} {} (deal {})",
        rng.gen_range(2..200),
        pick(rng, WHAT),
        n + 1
    );
    let priority = pick(rng, &["low", "normal", "normal", "high"]);
    let last = life.plans.last();
    let (status, closed, date_closed, code, entry) = match last {
        Some((plan, code)) => {
            let closing = plan.entry.close.as_ref().map(|c| c.date_closed);
            (
                status_as_str(plan.status),
                plan.status.is_closed(),
                closing,
                *code,
                Some(&plan.entry),
            )
        }
        None => ("not_started", false, None, None, None),
    };
    let figure = |f: fn(&NewEntry) -> Decimal| entry.map_or(Decimal::ZERO, f);
    writeln!(
        out,
        "{id}\t{description}\t{company}\t{company}\t{salesperson}\t{}\t{}\t{priority}\t{status}\t{closed}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        cycle.id,
        life.creation,
        optional(date_closed),
        optional(code),
        optional(entry.and_then(|e| e.stage_id)),
        figure(|e| e.estimated_value),
        figure(|e| e.chances),
        figure(|e| e.completed),
        figure(|e| e.probability),
        figure(|e| e.calculated_current_value),
        optional(entry.map(|e| e.estimated_closing_date)),
        life.plans.len(),
        1 + life.plans.len(),
        life.plans
            .iter()
            .filter_map(|(plan, _)| plan.entry.stage_id)
            .filter_map(|id| cycle.stages.iter().find(|s| s.id == id).map(|s| s.number))
            .max()
            .unwrap_or(0),
    )
    .ok();
}

fn write_entry(out: &mut String, id: i64, plan: &UpdatePlan, code: Option<i64>, life: &Life) {
    let e = &plan.entry;
    let active = e.entry_no as usize == life.plans.len();
    writeln!(
        out,
        "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{active}\t{}\t{}\t{}",
        e.entry_no,
        optional(e.stage_id),
        optional(e.previous_stage_id),
        action_taken_as_str(e.action_taken),
        e.date_of_change,
        e.estimated_value,
        e.chances,
        e.completed,
        e.probability,
        e.calculated_current_value,
        e.estimated_closing_date,
        life.days_open[e.entry_no as usize - 1],
        optional(e.close.as_ref().map(|c| c.date_closed)),
        optional(code),
    )
    .ok();
}

/// Takes `count` values from a table's id sequence and returns the first.
async fn reserve(tx: &mut PgConnection, table: &str, count: usize) -> Result<i64, StartupError> {
    let last: i64 = sqlx::query_scalar(&format!(
        "select setval(pg_get_serial_sequence('{table}', 'id'), nextval(pg_get_serial_sequence('{table}', 'id')) + $1 - 1)"
    ))
    .bind(count as i64)
    .fetch_one(&mut *tx)
    .await
    .map_err(fail)?;
    Ok(last - count as i64 + 1)
}

async fn copy(tx: &mut PgConnection, target: &str, rows: &mut String) -> Result<(), StartupError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sink = tx
        .copy_in_raw(&format!("copy {target} from stdin"))
        .await
        .map_err(fail)?;
    sink.send(std::mem::take(rows).into_bytes())
        .await
        .map_err(fail)?;
    sink.finish().await.map_err(fail)?;
    Ok(())
}

//! The team dashboard: pipeline now, forecast, win rates, sales velocity, funnel and leaderboard,
//! scoped by the viewer's access and filtered by period, team, salesperson and sales cycle (kept
//! in the address). Definitions live in `domain::metrics`; every number links to the list of the
//! opportunities behind it.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    domain::metrics::{VelocityInputs, conversions},
    error::AppError,
    opportunities::{Choice, ListQuery, StatusFilter, money, percent, statistics::Figures},
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageFigure {
    pub stage_id: i64,
    pub number: i32,
    pub name: String,
    pub count: i64,
    pub estimated: Decimal,
    pub calculated: Decimal,
    /// Opportunities of the cycle created in the period that reached this stage or a later one.
    pub reached: i64,
}

/// Days at a stage (DOMAIN.md statistics: the days open of the entries that left it) and the open
/// opportunity that has been at it longest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTime {
    pub stage_id: i64,
    pub name: String,
    pub average: Option<Decimal>,
    pub median: Option<Decimal>,
    /// How many entries left the stage (what the average and median are of).
    pub entries: i64,
    /// (id, number, description, days at the stage so far)
    pub slowest: Option<(i64, String, String, i32)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthFigure {
    pub month: NaiveDate,
    pub open_calculated: Decimal,
    pub won: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub today: NaiveDate,
    pub cycle_id: i64,
    pub team: Option<i64>,
    pub salesperson: Option<i64>,
    pub cycles: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub salespeople: Vec<Choice>,
    pub pipeline: Vec<StageFigure>,
    /// Open opportunities of the cycle not started yet (the board's first column): count,
    /// estimated value, calculated value.
    pub not_started: (i64, Decimal, Decimal),
    /// The last 6 months (won) and the next 6 (open, by estimated closing month).
    pub forecast: Vec<MonthFigure>,
    pub overdue_count: i64,
    pub overdue_calculated: Decimal,
    pub velocity: VelocityInputs,
    pub time_in_stage: Vec<StageTime>,
    pub leaderboard: Vec<Figures>,
    pub teams_figures: Vec<Figures>,
}

#[cfg(feature = "ssr")]
pub mod ops {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;
    use sqlx::PgPool;

    use super::{Dashboard, MonthFigure, StageFigure, StageTime};
    use crate::{
        auth::access::Viewer,
        domain::metrics::{self, VelocityInputs},
        error::AppError,
        opportunities::{Choice, statistics::ops::statistics_of},
    };

    pub struct Filters {
        pub from: NaiveDate,
        pub to: NaiveDate,
        pub team: Option<i64>,
        pub salesperson: Option<i64>,
        pub cycle: Option<i64>,
    }

    async fn db<T>(
        query: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, AppError> {
        Ok(query.await?)
    }

    pub async fn dashboard(
        pool: &PgPool,
        viewer: &Viewer,
        f: &Filters,
        today: NaiveDate,
    ) -> Result<Dashboard, AppError> {
        let read = viewer.read.ids();
        let cycle_id = match f.cycle {
            Some(id) => id,
            None => sqlx::query_scalar!(
                r#"select id as "id!" from sales_cycles order by (code = 'STANDARD') desc, blocked, code limit 1"#
            )
            .fetch_optional(pool)
            .await?
            .ok_or_else(|| AppError::Conflict("There is no sales cycle yet.".into()))?,
        };
        // Pipeline now: the open opportunities of the cycle by stage (the board's column totals).
        let pipeline = sqlx::query!(
            r#"select st.id as "id?", st.stage as "stage!", st.description as "description!",
                      coalesce(o.n, 0) as "count!", coalesce(o.estimated, 0) as "estimated!",
                      coalesce(o.calculated, 0) as "calculated!"
               -- The stages, and a row for the opportunities not started yet (no stage).
               from (select null::bigint as id, 0 as stage, ''::text as description
                     union all
                     select id, stage, description from sales_cycle_stages where cycle_id = $1) st
               left join (
                   -- Summed first, so that the covering index (cycle, stage) is read alone.
                   select o.current_stage_id, count(*) as n, sum(o.estimated_value) as estimated, sum(o.calculated_value) as calculated
                   from opportunities o
                   where o.cycle_id = $1 and not o.closed
                     and ($2::bigint[] is null or o.salesperson_id = any($2))
                     and ($3::bigint is null or o.salesperson_id = $3)
                     and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                   group by 1
               ) o on o.current_stage_id is not distinct from st.id
               order by st.stage"#,
            cycle_id,
            read,
            f.salesperson,
            f.team,
        )
        .fetch_all(pool);
        // Funnel: the cycle's opportunities created in the period by the furthest stage they
        // reached; "reached stage n" counts those whose furthest stage is n or later. Summed per
        // month in funnel_by_month for the period's whole months and per day in funnel_by_day
        // for the days around them (migration 16).
        let (whole_from, whole_to) = metrics::whole_months(f.from, f.to);
        let furthest = sqlx::query!(
            r#"select x.furthest_stage as "furthest_stage!", sum(x.opportunities)::bigint as "count!"
               from (
                   select f.furthest_stage, f.opportunities
                   from funnel_by_month f
                   where f.cycle_id = $1 and f.month >= $7 and f.month < $8
                     and ($2::bigint[] is null or f.salesperson_id = any($2))
                     and ($3::bigint is null or f.salesperson_id = $3)
                     and ($4::bigint is null or f.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                   union all
                   select f.furthest_stage, f.opportunities
                   from funnel_by_day f
                   where f.cycle_id = $1 and f.creation_date >= $5 and f.creation_date < $7
                     and ($2::bigint[] is null or f.salesperson_id = any($2))
                     and ($3::bigint is null or f.salesperson_id = $3)
                     and ($4::bigint is null or f.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                   union all
                   select f.furthest_stage, f.opportunities
                   from funnel_by_day f
                   where f.cycle_id = $1 and f.creation_date >= $8 and f.creation_date <= $6
                     and ($2::bigint[] is null or f.salesperson_id = any($2))
                     and ($3::bigint is null or f.salesperson_id = $3)
                     and ($4::bigint is null or f.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
               ) x
               group by 1"#,
            cycle_id,
            read,
            f.salesperson,
            f.team,
            f.from as _,
            f.to as _,
            whole_from as _,
            whole_to as _,
        )
        .fetch_all(pool);

        // Forecast: won per month for the last 6 months, open calculated value by estimated
        // closing month for this and the next 5.
        let past = metrics::months(today, -6, 6);
        let future = metrics::months(today, 0, 6);
        let first = past[0];
        let this_month = metrics::month_start(today);
        let last = future
            .last()
            .copied()
            .and_then(|m| m.checked_add_months(chrono::Months::new(1)))
            .unwrap_or(today);
        let rows = sqlx::query!(
            r#"select x.month as "month!: chrono::NaiveDate", coalesce(sum(x.won), 0) as "won!", coalesce(sum(x.open), 0) as "open!"
               from (
                   select c.month, c.calculated as won, 0::numeric as open
                   from closes_between($4::date, $6::date - 1, $4::date, $6::date) c
                   where c.status = 'won'
                     and ($1::bigint[] is null or c.salesperson_id = any($1))
                     and ($2::bigint is null or c.salesperson_id = $2)
                     and ($3::bigint is null or c.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))
                   union all
                   select date_trunc('month', o.estimated_closing_date)::date, 0, o.calculated_value
                   from opportunities o
                   where not o.closed and o.estimated_closing_date >= $5 and o.estimated_closing_date < $6
                     and ($1::bigint[] is null or o.salesperson_id = any($1))
                     and ($2::bigint is null or o.salesperson_id = $2)
                     and ($3::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))
               ) x
               group by 1"#,
            read,
            f.salesperson,
            f.team,
            first as _,
            this_month as _,
            last as _,
        )
        .fetch_all(pool);

        // Open figures from their partial index; the period's closes from closed_by_month and
        // closed_by_day (migration 17).
        let totals = sqlx::query!(
            r#"with open as (
                   select count(*) as open_count,
                          count(*) filter (where o.estimated_closing_date < $4) as overdue_count,
                          coalesce(sum(o.calculated_value) filter (where o.estimated_closing_date < $4), 0) as overdue
                   from opportunities o
                   where not o.closed
                     and ($1::bigint[] is null or o.salesperson_id = any($1))
                     and ($2::bigint is null or o.salesperson_id = $2)
                     and ($3::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))
               ), closed as (
                   select coalesce(sum(c.opportunities) filter (where c.status = 'won'), 0)::bigint as won_count,
                          coalesce(sum(c.opportunities) filter (where c.status = 'lost'), 0)::bigint as lost_count,
                          coalesce(sum(c.calculated) filter (where c.status = 'won'), 0) as won_value,
                          coalesce(sum(c.days_to_close) filter (where c.status = 'won'), 0)::bigint as won_days
                   from closes_between($5, $6, $7, $8) c
                   where ($1::bigint[] is null or c.salesperson_id = any($1))
                     and ($2::bigint is null or c.salesperson_id = $2)
                     and ($3::bigint is null or c.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))
               )
               select open.open_count as "open_count!", open.overdue_count as "overdue_count!", open.overdue as "overdue!",
                      closed.won_count as "won_count!", closed.lost_count as "lost_count!",
                      closed.won_value as "won_value!", closed.won_days as "won_days!"
               from open, closed"#,
            read,
            f.salesperson,
            f.team,
            today as _,
            f.from as _,
            f.to as _,
            whole_from as _,
            whole_to as _,
        )
        .fetch_one(pool);

        // Time in stage: the histogram of days open of the entries that left each stage (kept by
        // a trigger in the table stage_days), and the open opportunity longest at each stage.
        let histogram = sqlx::query!(
            r#"select d.stage_id, d.days_open, sum(d.entries)::bigint as "entries!"
               from stage_days d join sales_cycle_stages st on st.id = d.stage_id
               where st.cycle_id = $1
                 and ($2::bigint[] is null or d.salesperson_id = any($2))
                 and ($3::bigint is null or d.salesperson_id = $3)
                 and ($4::bigint is null or d.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
               group by 1, 2"#,
            cycle_id,
            read,
            f.salesperson,
            f.team,
        )
        .fetch_all(pool);
        let time_rows = sqlx::query!(
            r#"select st.id, st.stage, st.description,
                      s.id as "slowest_id?", s.no as "slowest_no?", s.description as "slowest_description?",
                      s.days as "slowest_days?"
               from sales_cycle_stages st
               left join lateral (
                   select o.id, o.no, o.description, ($5::date - e.date_of_change) as days
                   from opportunity_entries e join opportunities o on o.id = e.opportunity_id
                   where e.stage_id = st.id and e.active and e.action_taken not in ('won', 'lost')
                     and ($2::bigint[] is null or o.salesperson_id = any($2))
                     and ($3::bigint is null or o.salesperson_id = $3)
                     and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                   order by e.date_of_change, e.opportunity_id
                   limit 1
               ) s on true
               where st.cycle_id = $1
               order by st.stage"#,
            cycle_id,
            read,
            f.salesperson,
            f.team,
            today as _,
        )
        .fetch_all(pool);

        let cycles =
            sqlx::query!("select id, code from sales_cycles order by code").fetch_all(pool);
        // The panels are independent: their queries run at the same time.
        let (pipeline, furthest, rows, totals, histogram, time_rows, statistics, cycles, filters) =
            tokio::try_join!(
                db(pipeline),
                db(furthest),
                db(rows),
                db(totals),
                db(histogram),
                db(time_rows),
                statistics_of(pool, viewer, f.from, f.to, f.team, f.salesperson),
                db(cycles),
                crate::opportunities::ops::filter_options(pool, viewer),
            )?;
        let not_started = pipeline
            .iter()
            .find(|r| r.id.is_none())
            .map_or((0, Decimal::ZERO, Decimal::ZERO), |r| {
                (r.count, r.estimated, r.calculated)
            });
        let pipeline: Vec<StageFigure> = pipeline
            .into_iter()
            .filter_map(|r| Some((r.id?, r)))
            .map(|(stage_id, r)| StageFigure {
                stage_id,
                number: r.stage,
                name: if r.description.is_empty() {
                    format!("Stage {}", r.stage)
                } else {
                    r.description
                },
                count: r.count,
                estimated: r.estimated,
                calculated: r.calculated,
                reached: furthest
                    .iter()
                    .filter(|x| x.furthest_stage >= r.stage)
                    .map(|x| x.count)
                    .sum(),
            })
            .collect();
        let figure = |month: NaiveDate| rows.iter().find(|r| r.month == month);
        let mut forecast: Vec<MonthFigure> = past
            .iter()
            .map(|m| MonthFigure {
                month: *m,
                open_calculated: Decimal::ZERO,
                won: figure(*m).map_or(Decimal::ZERO, |r| r.won),
            })
            .collect();
        forecast.extend(future.iter().map(|m| MonthFigure {
            month: *m,
            open_calculated: figure(*m).map_or(Decimal::ZERO, |r| r.open),
            won: if *m == this_month {
                figure(*m).map_or(Decimal::ZERO, |r| r.won)
            } else {
                Decimal::ZERO
            },
        }));
        let velocity = VelocityInputs {
            open_count: totals.open_count,
            won_count: totals.won_count,
            lost_count: totals.lost_count,
            won_value: totals.won_value,
            won_days: totals.won_days,
        };
        let time_in_stage = time_rows
            .into_iter()
            .map(|r| {
                let days: Vec<(i32, i64)> = histogram
                    .iter()
                    .filter(|h| h.stage_id == r.id)
                    .map(|h| (h.days_open, h.entries))
                    .collect();
                let (average, median) = metrics::histogram_mean_median(&days);
                StageTime {
                    stage_id: r.id,
                    name: if r.description.is_empty() {
                        format!("Stage {}", r.stage)
                    } else {
                        r.description
                    },
                    average,
                    median,
                    entries: days.iter().map(|(_, n)| n).sum(),
                    slowest: match (
                        r.slowest_id,
                        r.slowest_no,
                        r.slowest_description,
                        r.slowest_days,
                    ) {
                        (Some(id), Some(no), Some(description), Some(days)) => {
                            Some((id, no, description, days))
                        }
                        _ => None,
                    },
                }
            })
            .collect();
        let mut leaderboard = statistics.salespeople;
        leaderboard.sort_by(|a, b| {
            b.won_value
                .cmp(&a.won_value)
                .then(b.open_calculated.cmp(&a.open_calculated))
        });
        let cycles = cycles
            .into_iter()
            .map(|c| Choice {
                id: c.id,
                label: c.code,
            })
            .collect();
        Ok(Dashboard {
            from: f.from,
            to: f.to,
            today,
            cycle_id,
            team: f.team,
            salesperson: f.salesperson,
            cycles,
            teams: filters.teams,
            salespeople: filters.salespeople,
            pipeline,
            not_started,
            forecast,
            overdue_count: totals.overdue_count,
            overdue_calculated: totals.overdue,
            velocity,
            time_in_stage,
            leaderboard,
            teams_figures: statistics.teams,
        })
    }
}

#[server(endpoint = "dashboard/get")]
pub async fn get_dashboard(
    from: Option<String>,
    to: Option<String>,
    team: Option<String>,
    salesperson: Option<String>,
    cycle: Option<String>,
) -> Result<Dashboard, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let today = crate::opportunities::api::read::today();
    let (default_from, default_to) = crate::opportunities::statistics::default_period(today);
    let from =
        crate::opportunities::api::read::date(from.as_deref(), "from")?.unwrap_or(default_from);
    let to = crate::opportunities::api::read::date(to.as_deref(), "to")?.unwrap_or(default_to);
    if to < from {
        return Err(
            AppError::field("to", "The end of the period cannot be before its start.").respond(),
        );
    }
    let id = |s: Option<String>| {
        s.and_then(|s| s.trim().parse::<i64>().ok())
            .filter(|id| *id > 0)
    };
    let filters = ops::Filters {
        from,
        to,
        team: id(team),
        salesperson: id(salesperson),
        cycle: id(cycle),
    };
    ops::dashboard(&crate::state::pool()?, &viewer, &filters, today)
        .await
        .map_err(AppError::respond)
}

/// The opportunities list behind a number: the dashboard's team and salesperson carry over,
/// `with` sets what the number counts (status, stage, dates …).
fn list_href(d: &Dashboard, with: impl FnOnce(&mut ListQuery)) -> String {
    let mut query = ListQuery {
        team: d.team,
        salesperson: d.salesperson,
        page: 1,
        ..ListQuery::default()
    };
    with(&mut query);
    query.href()
}

/// The opportunities closed in the dashboard's period (won, lost or both).
fn closed_in_period(d: &Dashboard, status: StatusFilter) -> impl FnOnce(&mut ListQuery) {
    let (from, to) = (d.from, d.to);
    move |q: &mut ListQuery| {
        q.status = status;
        q.more.closed_from = Some(from);
        q.more.closed_to = Some(to);
    }
}

fn month_end(month: NaiveDate) -> NaiveDate {
    month
        .checked_add_months(chrono::Months::new(1))
        .and_then(|m| m.pred_opt())
        .unwrap_or(month)
}

/// Won per past month and open weighted value per coming month as one SVG column chart, drawn on
/// the server. Labels are 3-letter months in 30 units of a 360-unit-wide box: they do not collide
/// at 390 px. The table next to it is the accessible alternative.
fn forecast_chart(months: &[MonthFigure], this_month: NaiveDate) -> impl IntoView + use<> {
    let max = months
        .iter()
        .map(|m| m.won.max(m.open_calculated))
        .max()
        .unwrap_or_default();
    let height = |value: Decimal| {
        if max.is_zero() {
            Decimal::ZERO
        } else {
            (value * Decimal::from(120) / max).round_dp(1)
        }
    };
    let columns = months
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let past = m.month < this_month;
            let x = Decimal::from(i as i64 * 30 + 4);
            let (won, open) = (height(m.won), height(m.open_calculated));
            // This month shows both: what is already won and what is still open.
            let (won_x, open_x, width) = if !past && !m.won.is_zero() {
                (x, x + Decimal::from(11), Decimal::from(11))
            } else {
                (x, x, Decimal::from(22))
            };
            let label_x = Decimal::from(i as i64 * 30 + 15);
            view! {
                <g>
                    <rect class="won" x=won_x.to_string() y=(Decimal::from(130) - won).to_string()
                        width=width.to_string() height=won.to_string()></rect>
                    <rect class="open" x=open_x.to_string() y=(Decimal::from(130) - open).to_string()
                        width=width.to_string() height=open.to_string()></rect>
                    <text x=label_x.to_string() y="145" text-anchor="middle">{m.month.format("%b").to_string()}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <svg class="forecast-chart" viewBox="0 0 360 150" role="img" aria-hidden="true" data-chart="forecast">
            <line x1="0" y1="130.5" x2="360" y2="130.5"></line>
            {columns}
        </svg>
        <p class="chart-legend" aria-hidden="true">
            <span class="legend-won">"Won"</span>" "<span class="legend-open">"Open, weighted"</span>
        </p>
    }
}

fn rate(value: Option<Decimal>) -> String {
    value.map(percent).unwrap_or_else(|| "no data".into())
}

fn optional_money(value: Option<Decimal>) -> String {
    value.map(money).unwrap_or_else(|| "no data".into())
}

/// A bar as wide as `value` is of `max` (the SVG scales to its box; text stays in the table).
fn bar(value: Decimal, max: Decimal) -> impl IntoView {
    let width = if max.is_zero() {
        Decimal::ZERO
    } else {
        (value * Decimal::ONE_HUNDRED / max).round_dp(1)
    };
    view! {
        <svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">
            <rect x="0" y="0" width=width.to_string() height="10"></rect>
        </svg>
    }
}

fn definition(text: &'static str) -> impl IntoView {
    view! {
        <details class="definition">
            <summary>"How is this calculated?"</summary>
            <p>{text}</p>
        </details>
    }
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let query = use_query_map();
    let filters = Memo::new(move |_| {
        query.with(|q| {
            (
                q.get("from"),
                q.get("to"),
                q.get("team"),
                q.get("salesperson"),
                q.get("cycle"),
            )
        })
    });
    let dashboard = Resource::new(
        move || filters.get(),
        |(from, to, team, salesperson, cycle)| get_dashboard(from, to, team, salesperson, cycle),
    );
    // Live: figures follow the team's changes (not while a filter is being chosen).
    crate::live::refetch_on_live(
        |event| !matches!(event, crate::live::LiveEvent::Change(c) if matches!(c.kind, crate::live::ChangeKind::Task | crate::live::ChangeKind::Reordered)),
        move || {
            if !crate::live::typing() {
                dashboard.refetch();
            }
        },
    );
    view! {
        <Title text="Dashboard · Pipeline"/>
        <h1>"Dashboard"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading the dashboard…"</p> }>
            {move || dashboard.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(d) => panels(d).into_any(),
            })}
        </Transition>
    }
}

fn choice_select(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    all: Option<&'static str>,
    choices: Vec<Choice>,
    selected: Option<i64>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                {all.map(|all| view! { <option value="" selected=selected.is_none()>{all}</option> })}
                {choices.into_iter().map(|c| view! {
                    <option value=c.id.to_string() selected=selected == Some(c.id)>{c.label}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

fn panels(d: Dashboard) -> impl IntoView {
    let period = format!("{} – {}", d.from, d.to);
    let max_calculated = d
        .pipeline
        .iter()
        .map(|s| s.calculated)
        .chain([d.not_started.2])
        .max()
        .unwrap_or_default();
    let pipeline_rows = d
        .pipeline
        .iter()
        .map(|s| {
            let (cycle, stage) = (d.cycle_id, s.stage_id);
            let href = list_href(&d, |q| {
                q.cycle = Some(cycle);
                q.stage = Some(stage);
            });
            view! {
                <tr>
                    <th scope="row">{s.name.clone()}</th>
                    <td class="num"><a href=href.clone()>{s.count}</a></td>
                    <td class="num"><a href=href.clone()>{money(s.estimated)}</a></td>
                    <td class="num"><a href=href>{money(s.calculated)}</a></td>
                    <td class="bar-cell">{bar(s.calculated, max_calculated)}</td>
                </tr>
            }
        })
        .collect_view();
    // Not started yet: the board's first column, counted in the totals as the board counts it.
    let (waiting_count, waiting_estimated, waiting_calculated) = d.not_started;
    let cycle = d.cycle_id;
    let waiting_href = list_href(&d, |q| {
        q.cycle = Some(cycle);
        q.status = StatusFilter::Only(crate::domain::entries::Status::NotStarted);
    });
    let not_started_row = view! {
        <tr data-row="not-started">
            <th scope="row">"Not started"</th>
            <td class="num"><a href=waiting_href.clone()>{waiting_count}</a></td>
            <td class="num"><a href=waiting_href.clone()>{money(waiting_estimated)}</a></td>
            <td class="num"><a href=waiting_href>{money(waiting_calculated)}</a></td>
            <td class="bar-cell">{bar(waiting_calculated, max_calculated)}</td>
        </tr>
    }
    .into_any();
    let total_count: i64 = waiting_count + d.pipeline.iter().map(|s| s.count).sum::<i64>();
    let total_estimated: Decimal =
        waiting_estimated + d.pipeline.iter().map(|s| s.estimated).sum::<Decimal>();
    let total_calculated: Decimal =
        waiting_calculated + d.pipeline.iter().map(|s| s.calculated).sum::<Decimal>();
    let cycle_href = list_href(&d, |q| q.cycle = Some(cycle));

    let this_month = crate::domain::metrics::month_start(d.today);
    let forecast_rows = d
        .forecast
        .iter()
        .map(|m| {
            let label = m.month.format("%b %Y").to_string();
            let (start, end) = (m.month, month_end(m.month));
            let won_href = list_href(&d, |q| {
                q.status = StatusFilter::Only(crate::domain::entries::Status::Won);
                q.more.closed_from = Some(start);
                q.more.closed_to = Some(end);
            });
            let open_href = list_href(&d, |q| {
                q.closing_from = Some(start);
                q.closing_to = Some(end);
            });
            let past = m.month < this_month;
            view! {
                <tr class=if past { "month-won" } else { "month-open" }>
                    <th scope="row">{label}</th>
                    <td class="num">{(past || !m.won.is_zero()).then(|| view! { <a href=won_href>{money(m.won)}</a> })}</td>
                    <td class="num">{(!past).then(|| view! { <a href=open_href>{money(m.open_calculated)}</a> })}</td>
                </tr>
            }
        })
        .collect_view();
    let chart = forecast_chart(&d.forecast, this_month);
    let yesterday = d.today.pred_opt().unwrap_or(d.today);
    let overdue_href = list_href(&d, |q| q.closing_to = Some(yesterday));

    let funnel: Vec<i64> = d.pipeline.iter().map(|s| s.reached).collect();
    let conversion = conversions(&funnel);
    let funnel_rows = d
        .pipeline
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let next = conversion.get(i).copied().flatten();
            let reached = |number: i32| {
                let (cycle, from, to) = (d.cycle_id, d.from, d.to);
                list_href(&d, move |q| {
                    q.status = StatusFilter::All;
                    q.cycle = Some(cycle);
                    q.more.created_from = Some(from);
                    q.more.created_to = Some(to);
                    q.more.reached = Some(number);
                })
            };
            // The conversion links to those that went on: the next stage's "reached".
            let onward = d
                .pipeline
                .get(i + 1)
                .map(|n| (reached(n.number), rate(next)));
            view! {
                <tr>
                    <th scope="row">{s.name.clone()}</th>
                    <td class="num"><a href=reached(s.number)>{s.reached}</a></td>
                    <td class="num">{match onward {
                        Some((href, rate)) => view! { <a href=href>{rate}</a> }.into_any(),
                        None => "—".into_any(),
                    }}</td>
                </tr>
            }
        })
        .collect_view();

    let days = |value: Option<Decimal>| {
        value
            .map(|v| format!("{} days", v.normalize()))
            .unwrap_or_else(|| "no data".into())
    };
    let time_rows = d
        .time_in_stage
        .iter()
        .map(|t| {
            let slowest = match &t.slowest {
                Some((id, no, description, open_days)) => view! {
                    <a href=format!("/opportunities/{id}")>{format!("{no} {description}")}</a>
                    <span class="muted">{format!(" · {open_days} days")}</span>
                }
                .into_any(),
                None => "—".into_any(),
            };
            let stage = t.stage_id;
            let href = list_href(&d, |q| {
                q.status = StatusFilter::All;
                q.more.left_stage = Some(stage);
            });
            view! {
                <tr>
                    <th scope="row">{t.name.clone()}</th>
                    <td class="num"><a href=href.clone()>{days(t.average)}</a></td>
                    <td class="num"><a href=href.clone()>{days(t.median)}</a></td>
                    <td class="num"><a href=href>{t.entries}</a></td>
                    <td>{slowest}</td>
                </tr>
            }
        })
        .collect_view();
    let won_href = list_href(
        &d,
        closed_in_period(&d, StatusFilter::Only(crate::domain::entries::Status::Won)),
    );
    let closed_href = list_href(&d, closed_in_period(&d, StatusFilter::All));
    let open_href = list_href(&d, |_| ());
    let velocity = d.velocity.clone();
    let leaderboard_rows = d
        .leaderboard
        .iter()
        .map(|f| {
            let id = f.id;
            let open = list_href(&d, |q| q.salesperson = Some(id));
            let won = closed_in_period(&d, StatusFilter::Only(crate::domain::entries::Status::Won));
            let won = list_href(&d, move |q| {
                won(q);
                q.salesperson = Some(id);
            });
            let closed = closed_in_period(&d, StatusFilter::All);
            let closed = list_href(&d, move |q| {
                closed(q);
                q.salesperson = Some(id);
            });
            view! {
                <tr>
                    <th scope="row"><a href=open.clone()>{f.name.clone()}</a></th>
                    <td class="num"><a href=open.clone()>{f.open_count}</a></td>
                    <td class="num"><a href=open>{money(f.open_calculated)}</a></td>
                    <td class="num"><a href=won>{money(f.won_value)}</a></td>
                    <td class="num"><a href=closed.clone()>{format!("{} ({} won, {} lost)", rate(f.win_rate_by_count()), f.won_count, f.lost_count)}</a></td>
                    <td class="num"><a href=closed>{rate(f.win_rate_by_value())}</a></td>
                </tr>
            }
        })
        .collect_view();
    let team_rows = d
        .teams_figures
        .iter()
        .map(|f| {
            let id = f.id;
            let closed = closed_in_period(&d, StatusFilter::All);
            let href = list_href(&d, move |q| {
                closed(q);
                q.team = Some(id);
            });
            view! {
                <tr>
                    <th scope="row">{f.name.clone()}</th>
                    <td class="num"><a href=href.clone()>{format!("{} ({} won, {} lost)", rate(f.win_rate_by_count()), f.won_count, f.lost_count)}</a></td>
                    <td class="num"><a href=href>{rate(f.win_rate_by_value())}</a></td>
                </tr>
            }
        })
        .collect_view();

    // Each panel is type-erased: one nested view type for the whole page is too deep for the
    // compiler in the wasm release build.
    let pipeline_panel = view! {
    <section class="card" aria-labelledby="pipeline-heading">
        <h2 id="pipeline-heading">"Pipeline now"</h2>
        <div class="table-wrap"><table class="table compact" data-panel="pipeline">
            <thead><tr><th scope="col">"Stage"</th><th scope="col" class="num">"Open"</th><th scope="col" class="num">"Estimated"</th><th scope="col" class="num">"Weighted"</th><th scope="col"><span class="sr-only">"Bar"</span></th></tr></thead>
            <tbody>{not_started_row}{pipeline_rows}</tbody>
            <tfoot><tr><th scope="row">"Total"</th><td class="num" data-total="count"><a href=cycle_href.clone()>{total_count}</a></td><td class="num"><a href=cycle_href.clone()>{money(total_estimated)}</a></td><td class="num" data-total="weighted"><a href=cycle_href>{money(total_calculated)}</a></td><td></td></tr></tfoot>
        </table></div>
        {definition("Open opportunities of the chosen cycle by their current stage (\u{201c}Not started\u{201d}: no stage activated yet): count, sum of estimated value and of calculated current value (estimated value × probability %). The same figures as the board's column headers.")}
    </section>
    }
    .into_any();
    let forecast_panel = view! {
    <section class="card" aria-labelledby="forecast-heading">
        <h2 id="forecast-heading">"Forecast"</h2>
        <p class="overdue-callout">
            <a href=overdue_href.clone()>{format!("{} overdue", d.overdue_count)}</a>
            " open opportunities (closing date passed): "
            <a href=overdue_href>{money(d.overdue_calculated)}</a>" weighted"
        </p>
        {chart}
        <div class="table-wrap"><table class="table compact" data-panel="forecast">
            <thead><tr><th scope="col">"Month"</th><th scope="col" class="num">"Won"</th><th scope="col" class="num">"Open, weighted"</th></tr></thead>
            <tbody>{forecast_rows}</tbody>
        </table></div>
        {definition("Past months: the amounts won, by month closed. This and the next five months: the calculated current value of open opportunities by estimated closing month. All sales cycles: the cycle filter applies to Pipeline now, Funnel and Time in stage.")}
    </section>
    }
    .into_any();
    let velocity_panel = view! {
    <section class="card" aria-labelledby="velocity-heading">
        <h2 id="velocity-heading">"Sales velocity"</h2>
        <p class="big-figure" data-panel="velocity">{match velocity.velocity_per_day() {
            Some(v) => view! { {money(v)}<span class="muted">" a day"</span> }.into_any(),
            None => view! { <span class="muted">"no data"</span> }.into_any(),
        }}</p>
        <dl class="facts">
            <div><dt>"Open opportunities"</dt><dd><a href=open_href>{velocity.open_count}</a></dd></div>
            <div><dt>"Average won value"</dt><dd><a href=won_href.clone()>{optional_money(velocity.average_won_value())}</a></dd></div>
            <div><dt>"Win rate (count)"</dt><dd><a href=closed_href>{rate(velocity.win_rate())}</a></dd></div>
            <div><dt>"Average cycle length"</dt><dd><a href=won_href.clone()>{velocity.average_cycle_days().map(|d| format!("{} days", d.normalize())).unwrap_or_else(|| "no data".into())}</a></dd></div>
        </dl>
        {definition("Open opportunities × average amount won × win rate ÷ average days from creation to close of the opportunities won in the period: the value the pipeline turns into per day. All sales cycles.")}
    </section>
    }
    .into_any();
    let funnel_panel = view! {
    <section class="card" aria-labelledby="funnel-heading">
        <h2 id="funnel-heading">"Funnel"</h2>
        <div class="table-wrap"><table class="table compact" data-panel="funnel">
            <thead><tr><th scope="col">"Stage"</th><th scope="col" class="num">"Reached"</th><th scope="col" class="num">"To next stage"</th></tr></thead>
            <tbody>{funnel_rows}</tbody>
        </table></div>
        {definition("Opportunities of the cycle created in the period that reached each stage (an entry at that stage or a later one), and the share that went on to the next stage.")}
    </section>
    }
    .into_any();
    let time_panel = view! {
        <section class="card wide" aria-labelledby="time-heading">
            <h2 id="time-heading">"Time in stage"</h2>
            <div class="table-wrap"><table class="table compact" data-panel="time-in-stage">
                <thead><tr><th scope="col">"Stage"</th><th scope="col" class="num">"Average"</th><th scope="col" class="num">"Median"</th><th scope="col" class="num">"Entries"</th><th scope="col">"Slowest open"</th></tr></thead>
                <tbody>{time_rows}</tbody>
            </table></div>
            {definition("Average and median days open of the entries that have left each stage (all time; \"Entries\" is how many), and the open opportunity whose current entry at the stage is oldest (days since its last change there). The links list the opportunities that have left the stage; one opportunity can have left a stage several times (an update or a step back starts a new entry), so the list can be shorter than the entries.")}
        </section>
    }
    .into_any();
    let leaderboard_panel = view! {
    <section class="card wide" aria-labelledby="leaderboard-heading">
        <h2 id="leaderboard-heading">"Leaderboard"</h2>
        <div class="table-wrap"><table class="table compact" data-panel="leaderboard">
            <thead><tr><th scope="col">"Salesperson"</th><th scope="col" class="num">"Open"</th><th scope="col" class="num">"Weighted"</th><th scope="col" class="num">"Won in period"</th><th scope="col" class="num">"Win rate by count"</th><th scope="col" class="num">"By value"</th></tr></thead>
            <tbody>{leaderboard_rows}</tbody>
        </table></div>
        {definition("Per salesperson: open opportunities and their weighted value now; the amounts won and the win rate (won ÷ (won + lost)) of the opportunities closed in the period, by count and by value (amounts won against estimated values lost). All sales cycles.")}
    </section>
    }
    .into_any();
    let teams_panel = view! {
    <section class="card wide" aria-labelledby="teams-heading">
        <h2 id="teams-heading">"Win rate by team"</h2>
        <div class="table-wrap"><table class="table compact" data-panel="teams">
            <thead><tr><th scope="col">"Team"</th><th scope="col" class="num">"By count"</th><th scope="col" class="num">"By value"</th></tr></thead>
            <tbody>{team_rows}</tbody>
        </table></div>
        {definition("Won ÷ (won + lost) of the opportunities closed in the period, by count and by value (amounts won against estimated values lost). All sales cycles; the viewer's own teams (a salesperson's teams, the teams a manager manages).")}
    </section>
    }
    .into_any();
    view! {
        <Form method="get" action="/dashboard" attr:class="card dashboard-filters" attr:aria-label="Dashboard filters">
            <div class="field">
                <label for="dash-from">"From"</label>
                <input id="dash-from" name="from" type="date" value=d.from.to_string()/>
            </div>
            <div class="field">
                <label for="dash-to">"To"</label>
                <input id="dash-to" name="to" type="date" value=d.to.to_string()/>
            </div>
            {choice_select("dash-team", "team", "Team", Some("All teams"), d.teams.clone(), d.team)}
            {choice_select("dash-salesperson", "salesperson", "Salesperson", Some("Everyone"), d.salespeople.clone(), d.salesperson)}
            {choice_select("dash-cycle", "cycle", "Sales cycle", None, d.cycles.clone(), Some(d.cycle_id))}
            <div class="form-actions"><button class="button" type="submit">"Show"</button></div>
        </Form>
        <p class="muted">{format!("Closed in {period}; open as of today.")}</p>
        <div class="dashboard-grid">
            {pipeline_panel}
            {forecast_panel}
            {velocity_panel}
            {funnel_panel}
            {time_panel}
            {leaderboard_panel}
            {teams_panel}
        </div>
    }
}

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
    opportunities::{Choice, money, percent, statistics::Figures},
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageFigure {
    pub stage_id: i64,
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
    pub name: String,
    pub average: Option<Decimal>,
    pub median: Option<Decimal>,
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

    pub async fn dashboard(pool: &PgPool, viewer: &Viewer, f: &Filters, today: NaiveDate) -> Result<Dashboard, AppError> {
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
        let pipeline = sqlx::query!(
            r#"select st.id, st.stage, st.description,
                      count(o.id) as "count!", coalesce(sum(o.estimated_value), 0) as "estimated!",
                      coalesce(sum(o.calculated_value), 0) as "calculated!",
                      (select count(distinct r.id) from opportunities r
                         join opportunity_entries e on e.opportunity_id = r.id
                         join sales_cycle_stages s2 on s2.id = e.stage_id
                        where r.cycle_id = st.cycle_id and s2.stage >= st.stage
                          and r.creation_date between $5 and $6
                          and ($2::bigint[] is null or r.salesperson_id = any($2))
                          and ($3::bigint is null or r.salesperson_id = $3)
                          and ($4::bigint is null or r.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                      ) as "reached!"
               from sales_cycle_stages st
               left join opportunities o on o.current_stage_id = st.id and not o.closed
                    and ($2::bigint[] is null or o.salesperson_id = any($2))
                    and ($3::bigint is null or o.salesperson_id = $3)
                    and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
               where st.cycle_id = $1
               group by st.id order by st.stage"#,
            cycle_id,
            read,
            f.salesperson,
            f.team,
            f.from as _,
            f.to as _,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| StageFigure {
            stage_id: r.id,
            name: if r.description.is_empty() { format!("Stage {}", r.stage) } else { r.description },
            count: r.count,
            estimated: r.estimated,
            calculated: r.calculated,
            reached: r.reached,
        })
        .collect();

        // Forecast: won per month for the last 6 months, open calculated value by estimated
        // closing month for this and the next 5.
        let past = metrics::months(today, -6, 6);
        let future = metrics::months(today, 0, 6);
        let first = past[0];
        let last = future.last().copied().and_then(|m| m.checked_add_months(chrono::Months::new(1))).unwrap_or(today);
        let rows = sqlx::query!(
            r#"select date_trunc('month', coalesce(o.date_closed, o.estimated_closing_date))::date as "month!: chrono::NaiveDate",
                      coalesce(sum(o.calculated_value) filter (where o.status = 'won'), 0) as "won!",
                      coalesce(sum(o.calculated_value) filter (where not o.closed), 0) as "open!"
               from opportunities o
               where (o.status = 'won' or not o.closed)
                 and coalesce(o.date_closed, o.estimated_closing_date) >= $4 and coalesce(o.date_closed, o.estimated_closing_date) < $5
                 and ($1::bigint[] is null or o.salesperson_id = any($1))
                 and ($2::bigint is null or o.salesperson_id = $2)
                 and ($3::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))
               group by 1"#,
            read,
            f.salesperson,
            f.team,
            first as _,
            last as _,
        )
        .fetch_all(pool)
        .await?;
        let figure = |month: NaiveDate| rows.iter().find(|r| r.month == month);
        let mut forecast: Vec<MonthFigure> = past
            .iter()
            .map(|m| MonthFigure { month: *m, open_calculated: Decimal::ZERO, won: figure(*m).map_or(Decimal::ZERO, |r| r.won) })
            .collect();
        let this_month = metrics::month_start(today);
        forecast.extend(future.iter().map(|m| MonthFigure {
            month: *m,
            open_calculated: figure(*m).map_or(Decimal::ZERO, |r| r.open),
            won: if *m == this_month { figure(*m).map_or(Decimal::ZERO, |r| r.won) } else { Decimal::ZERO },
        }));

        let totals = sqlx::query!(
            r#"select count(*) filter (where not o.closed) as "open_count!",
                      count(*) filter (where not o.closed and o.estimated_closing_date < $4) as "overdue_count!",
                      coalesce(sum(o.calculated_value) filter (where not o.closed and o.estimated_closing_date < $4), 0) as "overdue!",
                      count(*) filter (where o.status = 'won' and o.date_closed between $5 and $6) as "won_count!",
                      count(*) filter (where o.status = 'lost' and o.date_closed between $5 and $6) as "lost_count!",
                      avg(o.calculated_value) filter (where o.status = 'won' and o.date_closed between $5 and $6) as "average_won?",
                      avg(o.date_closed - o.creation_date) filter (where o.status = 'won' and o.date_closed between $5 and $6) as "average_days?"
               from opportunities o
               where ($1::bigint[] is null or o.salesperson_id = any($1))
                 and ($2::bigint is null or o.salesperson_id = $2)
                 and ($3::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $3))"#,
            read,
            f.salesperson,
            f.team,
            today as _,
            f.from as _,
            f.to as _,
        )
        .fetch_one(pool)
        .await?;
        let velocity = VelocityInputs {
            open_count: totals.open_count,
            average_won_value: totals.average_won.map(crate::domain::entries::round2),
            win_rate: metrics::win_rate(Decimal::from(totals.won_count), Decimal::from(totals.lost_count)),
            average_cycle_days: totals.average_days.map(|d| d.round_dp(1)),
        };

        let time_in_stage = sqlx::query!(
            r#"select st.stage, st.description, t.average as "average?", t.median as "median?",
                      s.id as "slowest_id?", s.no as "slowest_no?", s.description as "slowest_description?",
                      s.days as "slowest_days?"
               from sales_cycle_stages st
               left join lateral (
                   select round(avg(e.days_open), 1) as average,
                          (percentile_cont(0.5) within group (order by e.days_open))::numeric as median
                   from opportunity_entries e join opportunities o on o.id = e.opportunity_id
                   where e.stage_id = st.id and not e.active
                     and ($2::bigint[] is null or o.salesperson_id = any($2))
                     and ($3::bigint is null or o.salesperson_id = $3)
                     and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
               ) t on true
               left join lateral (
                   select o.id, o.no, o.description, ($5::date - e.date_of_change) as days
                   from opportunities o join opportunity_entries e on e.opportunity_id = o.id and e.active
                   where o.current_stage_id = st.id and not o.closed
                     and ($2::bigint[] is null or o.salesperson_id = any($2))
                     and ($3::bigint is null or o.salesperson_id = $3)
                     and ($4::bigint is null or o.salesperson_id in (select m.salesperson_id from team_members m where m.team_id = $4))
                   order by e.date_of_change, o.id
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
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| StageTime {
            name: if r.description.is_empty() { format!("Stage {}", r.stage) } else { r.description },
            average: r.average,
            median: r.median.map(|m| m.round_dp(1)),
            slowest: match (r.slowest_id, r.slowest_no, r.slowest_description, r.slowest_days) {
                (Some(id), Some(no), Some(description), Some(days)) => Some((id, no, description, days)),
                _ => None,
            },
        })
        .collect();

        let statistics = statistics_of(pool, viewer, f.from, f.to, f.team, f.salesperson).await?;
        let mut leaderboard = statistics.salespeople;
        leaderboard.sort_by(|a, b| b.won_value.cmp(&a.won_value).then(b.open_calculated.cmp(&a.open_calculated)));

        let cycles = sqlx::query!("select id, code from sales_cycles order by code")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|c| Choice { id: c.id, label: c.code })
            .collect();
        let filters = crate::opportunities::ops::filter_options(pool, viewer).await?;
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
    let viewer = crate::auth::access::require_viewer().await.map_err(AppError::respond)?;
    let today = crate::opportunities::api::read::today();
    let (default_from, default_to) = crate::opportunities::statistics::default_period(today);
    let from = crate::opportunities::api::read::date(from.as_deref(), "from")?.unwrap_or(default_from);
    let to = crate::opportunities::api::read::date(to.as_deref(), "to")?.unwrap_or(default_to);
    if to < from {
        return Err(AppError::field("to", "The end of the period cannot be before its start.").respond());
    }
    let id = |s: Option<String>| s.and_then(|s| s.trim().parse::<i64>().ok()).filter(|id| *id > 0);
    let filters = ops::Filters { from, to, team: id(team), salesperson: id(salesperson), cycle: id(cycle) };
    ops::dashboard(&crate::state::pool()?, &viewer, &filters, today).await.map_err(AppError::respond)
}

/// `/opportunities?…` for the numbers' links: the dashboard's team and salesperson carry over.
fn list_href(d: &Dashboard, extra: &[(&str, String)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(team) = d.team {
        parts.push(format!("team={team}"));
    }
    if let Some(salesperson) = d.salesperson {
        parts.push(format!("salesperson={salesperson}"));
    }
    parts.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
    format!("/opportunities?{}", parts.join("&"))
}

fn rate(value: Option<Decimal>) -> String {
    value.map(percent).unwrap_or_else(|| "no data".into())
}

fn optional_money(value: Option<Decimal>) -> String {
    value.map(money).unwrap_or_else(|| "no data".into())
}

/// A bar as wide as `value` is of `max` (the SVG scales to its box; text stays in the table).
fn bar(value: Decimal, max: Decimal) -> impl IntoView {
    let width = if max.is_zero() { Decimal::ZERO } else { (value * Decimal::ONE_HUNDRED / max).round_dp(1) };
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
        query.with(|q| (q.get("from"), q.get("to"), q.get("team"), q.get("salesperson"), q.get("cycle")))
    });
    let dashboard = Resource::new(move || filters.get(), |(from, to, team, salesperson, cycle)| get_dashboard(from, to, team, salesperson, cycle));
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

fn choice_select(id: &'static str, name: &'static str, label: &'static str, all: Option<&'static str>, choices: Vec<Choice>, selected: Option<i64>) -> impl IntoView {
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
    let max_calculated = d.pipeline.iter().map(|s| s.calculated).max().unwrap_or_default();
    let pipeline_rows = d
        .pipeline
        .iter()
        .map(|s| {
            let href = list_href(&d, &[("cycle", d.cycle_id.to_string()), ("stage", s.stage_id.to_string())]);
            view! {
                <tr>
                    <th scope="row">{s.name.clone()}</th>
                    <td class="num"><a href=href>{s.count}</a></td>
                    <td class="num">{money(s.estimated)}</td>
                    <td class="num">{money(s.calculated)}</td>
                    <td class="bar-cell">{bar(s.calculated, max_calculated)}</td>
                </tr>
            }
        })
        .collect_view();
    let total_count: i64 = d.pipeline.iter().map(|s| s.count).sum();
    let total_estimated: Decimal = d.pipeline.iter().map(|s| s.estimated).sum();
    let total_calculated: Decimal = d.pipeline.iter().map(|s| s.calculated).sum();

    let max_month = d.forecast.iter().map(|m| m.open_calculated.max(m.won)).max().unwrap_or_default();
    let forecast_rows = d
        .forecast
        .iter()
        .map(|m| {
            let label = m.month.format("%b %Y").to_string();
            let (value, kind) = if m.month < crate::domain::metrics::month_start(d.today) {
                (m.won, "won")
            } else {
                (m.open_calculated, "open")
            };
            view! {
                <tr class=format!("month-{kind}")>
                    <th scope="row">{label}</th>
                    <td class="num">{money(m.won)}</td>
                    <td class="num">{money(m.open_calculated)}</td>
                    <td class="bar-cell">{bar(value, max_month)}</td>
                </tr>
            }
        })
        .collect_view();
    let yesterday = d.today.pred_opt().unwrap_or(d.today).to_string();
    let overdue_href = list_href(&d, &[("to", yesterday)]);

    let funnel: Vec<i64> = d.pipeline.iter().map(|s| s.reached).collect();
    let conversion = conversions(&funnel);
    let funnel_rows = d
        .pipeline
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let next = conversion.get(i).copied().flatten();
            view! {
                <tr>
                    <th scope="row">{s.name.clone()}</th>
                    <td class="num">{s.reached}</td>
                    <td class="num">{if i + 1 < funnel.len() { rate(next) } else { "—".into() }}</td>
                </tr>
            }
        })
        .collect_view();

    let days = |value: Option<Decimal>| value.map(|v| format!("{} days", v.normalize())).unwrap_or_else(|| "no data".into());
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
            view! {
                <tr>
                    <th scope="row">{t.name.clone()}</th>
                    <td class="num">{days(t.average)}</td>
                    <td class="num">{days(t.median)}</td>
                    <td>{slowest}</td>
                </tr>
            }
        })
        .collect_view();
    let won_href = list_href(&d, &[("status", "won".into()), ("from", d.from.to_string()), ("to", d.to.to_string())]);
    let velocity = d.velocity.clone();
    let leaderboard_rows = d
        .leaderboard
        .iter()
        .map(|f| {
            let href = format!("/opportunities?salesperson={}", f.id);
            view! {
                <tr>
                    <th scope="row"><a href=href>{f.name.clone()}</a></th>
                    <td class="num">{f.open_count}</td>
                    <td class="num">{money(f.open_calculated)}</td>
                    <td class="num">{money(f.won_value)}</td>
                    <td class="num">{format!("{} ({} won, {} lost)", rate(f.win_rate_by_count()), f.won_count, f.lost_count)}</td>
                </tr>
            }
        })
        .collect_view();
    let team_rows = d
        .teams_figures
        .iter()
        .map(|f| {
            view! {
                <tr>
                    <th scope="row">{f.name.clone()}</th>
                    <td class="num">{format!("{} ({} won, {} lost)", rate(f.win_rate_by_count()), f.won_count, f.lost_count)}</td>
                    <td class="num">{rate(f.win_rate_by_value())}</td>
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
            <tbody>{pipeline_rows}</tbody>
            <tfoot><tr><th scope="row">"Total"</th><td class="num" data-total="count">{total_count}</td><td class="num">{money(total_estimated)}</td><td class="num" data-total="weighted">{money(total_calculated)}</td><td></td></tr></tfoot>
        </table></div>
        {definition("Open opportunities of the chosen cycle by their current stage: count, sum of estimated value and of calculated current value (estimated value × probability %). The same figures as the board's column headers.")}
    </section>
    }
    .into_any();
    let forecast_panel = view! {
    <section class="card" aria-labelledby="forecast-heading">
        <h2 id="forecast-heading">"Forecast"</h2>
        <p class="overdue-callout">
            <a href=overdue_href>{format!("{} overdue", d.overdue_count)}</a>
            {format!(" open opportunities (closing date passed): {} weighted", money(d.overdue_calculated))}
        </p>
        <div class="table-wrap"><table class="table compact">
            <thead><tr><th scope="col">"Month"</th><th scope="col" class="num">"Won"</th><th scope="col" class="num">"Open, weighted"</th><th scope="col"><span class="sr-only">"Bar"</span></th></tr></thead>
            <tbody>{forecast_rows}</tbody>
        </table></div>
        {definition("Past months: the amounts won, by month closed. This and the next five months: the calculated current value of open opportunities by estimated closing month.")}
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
            <div><dt>"Open opportunities"</dt><dd>{velocity.open_count}</dd></div>
            <div><dt>"Average won value"</dt><dd><a href=won_href.clone()>{optional_money(velocity.average_won_value)}</a></dd></div>
            <div><dt>"Win rate (count)"</dt><dd>{rate(velocity.win_rate)}</dd></div>
            <div><dt>"Average cycle length"</dt><dd>{velocity.average_cycle_days.map(|d| format!("{} days", d.normalize())).unwrap_or_else(|| "no data".into())}</dd></div>
        </dl>
        {definition("Open opportunities × average amount won × win rate ÷ average days from creation to close of the opportunities won in the period: the value the pipeline turns into per day.")}
    </section>
    }
    .into_any();
    let funnel_panel = view! {
    <section class="card" aria-labelledby="funnel-heading">
        <h2 id="funnel-heading">"Funnel"</h2>
        <div class="table-wrap"><table class="table compact">
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
                <thead><tr><th scope="col">"Stage"</th><th scope="col" class="num">"Average"</th><th scope="col" class="num">"Median"</th><th scope="col">"Slowest open"</th></tr></thead>
                <tbody>{time_rows}</tbody>
            </table></div>
            {definition("Average and median days open of the entries that have left each stage (all time), and the open opportunity that has been at the stage longest.")}
        </section>
    }
    .into_any();
    let leaderboard_panel = view! {
    <section class="card wide" aria-labelledby="leaderboard-heading">
        <h2 id="leaderboard-heading">"Leaderboard"</h2>
        <div class="table-wrap"><table class="table compact">
            <thead><tr><th scope="col">"Salesperson"</th><th scope="col" class="num">"Open"</th><th scope="col" class="num">"Weighted"</th><th scope="col" class="num">"Won in period"</th><th scope="col" class="num">"Win rate"</th></tr></thead>
            <tbody>{leaderboard_rows}</tbody>
        </table></div>
        {definition("Per salesperson: open opportunities and their weighted value now; the amounts won and the win rate by count (won ÷ (won + lost)) of the opportunities closed in the period.")}
    </section>
    }
    .into_any();
    let teams_panel = view! {
    <section class="card wide" aria-labelledby="teams-heading">
        <h2 id="teams-heading">"Win rate by team"</h2>
        <div class="table-wrap"><table class="table compact">
            <thead><tr><th scope="col">"Team"</th><th scope="col" class="num">"By count"</th><th scope="col" class="num">"By value"</th></tr></thead>
            <tbody>{team_rows}</tbody>
        </table></div>
        {definition("Won ÷ (won + lost) of the opportunities closed in the period, by count and by value (amounts won against estimated values lost).")}
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

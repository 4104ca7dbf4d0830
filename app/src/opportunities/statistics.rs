//! DOMAIN.md "Statistics" per salesperson and per team: open count and values, won and lost in
//! a period, win rate by count and by value. The dashboards (issue 8) build on the same figures.

use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{money, percent};
use crate::error::AppError;

/// The figures of one salesperson or team.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    pub id: i64,
    pub name: String,
    pub open_count: i64,
    pub open_estimated: Decimal,
    pub open_calculated: Decimal,
    pub won_count: i64,
    /// The amounts won (the final entries' calculated current value).
    pub won_value: Decimal,
    pub lost_count: i64,
    /// The estimated values of the opportunities lost.
    pub lost_value: Decimal,
}

impl Figures {
    /// Won / (won + lost) by count, in %; `None` when nothing was closed in the period.
    pub fn win_rate_by_count(&self) -> Option<Decimal> {
        win_rate(
            Decimal::from(self.won_count),
            Decimal::from(self.lost_count),
        )
    }

    /// Won / (won + lost) by value, in %.
    pub fn win_rate_by_value(&self) -> Option<Decimal> {
        win_rate(self.won_value, self.lost_value)
    }

    /// Adds a member's figures to a team's.
    pub fn add(&mut self, other: &Figures) {
        self.open_count += other.open_count;
        self.open_estimated += other.open_estimated;
        self.open_calculated += other.open_calculated;
        self.won_count += other.won_count;
        self.won_value += other.won_value;
        self.lost_count += other.lost_count;
        self.lost_value += other.lost_value;
    }
}

pub use crate::domain::metrics::win_rate;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statistics {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub salespeople: Vec<Figures>,
    pub teams: Vec<Figures>,
}

/// The default period: the current year up to today.
pub fn default_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        today,
    )
}

#[cfg(feature = "ssr")]
pub mod ops {
    use chrono::NaiveDate;
    use sqlx::PgPool;

    use super::{Figures, Statistics};
    use crate::{auth::access::Viewer, error::AppError};

    /// Salespeople and teams in the viewer's read scope, with the opportunities they own.
    pub async fn statistics(
        pool: &PgPool,
        viewer: &Viewer,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Statistics, AppError> {
        statistics_of(pool, viewer, from, to, None, None).await
    }

    /// The same, narrowed to one team's members and/or one salesperson (the dashboard's filters).
    pub async fn statistics_of(
        pool: &PgPool,
        viewer: &Viewer,
        from: NaiveDate,
        to: NaiveDate,
        team: Option<i64>,
        salesperson: Option<i64>,
    ) -> Result<Statistics, AppError> {
        let read = viewer.read.ids();
        // Per salesperson in reach: open figures summed from their partial index, the period's
        // closes from closed_by_month and closed_by_day (no pass over every opportunity ever
        // closed; migration 17).
        let (whole_from, whole_to) = crate::domain::metrics::whole_months(from, to);
        let people: Vec<Figures> = sqlx::query!(
            r#"with open as (
                   select o.salesperson_id, count(*) as n, sum(o.estimated_value) as estimated, sum(o.calculated_value) as calculated
                   from opportunities o
                   where not o.closed and ($1::bigint[] is null or o.salesperson_id = any($1))
                     and ($4::bigint is null or o.salesperson_id = $4)
                   group by 1
               ), closed as (
                   select c.salesperson_id,
                          sum(c.opportunities) filter (where c.status = 'won') as won_count,
                          sum(c.calculated) filter (where c.status = 'won') as won_value,
                          sum(c.opportunities) filter (where c.status = 'lost') as lost_count,
                          sum(c.estimated) filter (where c.status = 'lost') as lost_value
                   from closes_between($2, $3, $5, $6) c
                   where ($1::bigint[] is null or c.salesperson_id = any($1))
                     and ($4::bigint is null or c.salesperson_id = $4)
                   group by 1
               )
               select s.id, s.name,
                      coalesce(op.n, 0) as "open_count!", coalesce(op.estimated, 0) as "open_estimated!",
                      coalesce(op.calculated, 0) as "open_calculated!",
                      coalesce(cl.won_count, 0)::bigint as "won_count!", coalesce(cl.won_value, 0) as "won_value!",
                      coalesce(cl.lost_count, 0)::bigint as "lost_count!", coalesce(cl.lost_value, 0) as "lost_value!"
               from salespeople s
               left join open op on op.salesperson_id = s.id
               left join closed cl on cl.salesperson_id = s.id
               where ($1::bigint[] is null or s.id = any($1)) and ($4::bigint is null or s.id = $4)
               order by lower(s.name), s.id"#,
            read,
            from as _,
            to as _,
            salesperson,
            whole_from as _,
            whole_to as _,
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| Figures {
            id: r.id,
            name: r.name,
            open_count: r.open_count,
            open_estimated: r.open_estimated,
            open_calculated: r.open_calculated,
            won_count: r.won_count,
            won_value: r.won_value,
            lost_count: r.lost_count,
            lost_value: r.lost_value,
        })
        .collect();
        // A team's figures add up its members that are in reach (and match the salesperson
        // filter); a team with none of them is left out.
        let members = sqlx::query!(
            "select t.id, t.name, m.salesperson_id from teams t join team_members m on m.team_id = t.id
             where ($1::bigint is null or t.id = $1) order by lower(t.name), t.id",
            team
        )
        .fetch_all(pool)
        .await?;
        // Only the viewer's own teams are shown as teams (see `teams_in_view`).
        let teams_in_view = crate::auth::access::teams_in_view(pool, viewer).await?;
        let mut teams: Vec<Figures> = Vec::new();
        for m in &members {
            if teams_in_view
                .as_ref()
                .is_some_and(|ids| !ids.contains(&m.id))
            {
                continue;
            }
            let Some(person) = people.iter().find(|p| p.id == m.salesperson_id) else {
                continue;
            };
            match teams.last_mut() {
                Some(t) if t.id == m.id => t.add(person),
                _ => {
                    let mut t = Figures {
                        id: m.id,
                        name: m.name.clone(),
                        ..Figures::default()
                    };
                    t.add(person);
                    teams.push(t);
                }
            }
        }
        let salespeople = match team {
            Some(_) => people
                .into_iter()
                .filter(|p| members.iter().any(|m| m.salesperson_id == p.id))
                .collect(),
            None => people,
        };
        Ok(Statistics {
            from,
            to,
            salespeople,
            teams,
        })
    }
}

#[server(endpoint = "opportunities/statistics")]
pub async fn get_statistics(
    from: Option<String>,
    to: Option<String>,
) -> Result<Statistics, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let today = crate::opportunities::api::read::today();
    let (default_from, default_to) = default_period(today);
    let date = crate::opportunities::api::read::date;
    let from = date(from.as_deref(), "from")?.unwrap_or(default_from);
    let to = date(to.as_deref(), "to")?.unwrap_or(default_to);
    if to < from {
        return Err(
            AppError::field("to", "The end of the period cannot be before its start.").respond(),
        );
    }
    ops::statistics(&crate::state::pool()?, &viewer, from, to)
        .await
        .map_err(AppError::respond)
}

#[component]
pub fn StatisticsPage() -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| query.with(|q| (q.get("from"), q.get("to"))));
    let statistics = Resource::new(move || period.get(), |(from, to)| get_statistics(from, to));
    view! {
        <Title text="Statistics · Opportunities · Pipeline"/>
        <p class="breadcrumb"><a href="/opportunities">"Opportunities"</a></p>
        <h1>"Statistics"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading statistics…"</p> }>
            {move || statistics.get().map(|result| match result {
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(s) => view! {
                    <Form method="get" action="/opportunities/statistics" attr:class="card period-form" attr:aria-label="Period">
                        <div class="field">
                            <label for="stats-from">"Closed from"</label>
                            <input id="stats-from" name="from" type="date" value=s.from.to_string()/>
                        </div>
                        <div class="field">
                            <label for="stats-to">"Closed to"</label>
                            <input id="stats-to" name="to" type="date" value=s.to.to_string()/>
                        </div>
                        <div class="form-actions"><button class="button" type="submit">"Show"</button></div>
                    </Form>
                    {figures_table("Salespeople", "salespeople-heading", s.salespeople)}
                    {figures_table("Teams", "teams-heading", s.teams)}
                }.into_any(),
            })}
        </Transition>
    }
}

fn rate(value: Option<Decimal>) -> String {
    value.map(percent).unwrap_or_else(|| "—".into())
}

fn figures_table(
    title: &'static str,
    heading_id: &'static str,
    rows: Vec<Figures>,
) -> impl IntoView {
    let body = if rows.is_empty() {
        view! { <p class="muted">"Nothing to show."</p> }.into_any()
    } else {
        let rows = rows
            .into_iter()
            .map(|f| {
                let (by_count, by_value) = (rate(f.win_rate_by_count()), rate(f.win_rate_by_value()));
                view! {
                    <tr>
                        <th scope="row" data-label="Name">{f.name}</th>
                        <td class="num" data-label="Open">{f.open_count}</td>
                        <td class="num" data-label="Estimated value">{money(f.open_estimated)}</td>
                        <td class="num" data-label="Calculated value">{money(f.open_calculated)}</td>
                        <td class="num" data-label="Won">{format!("{} · {}", f.won_count, money(f.won_value))}</td>
                        <td class="num" data-label="Lost">{format!("{} · {}", f.lost_count, money(f.lost_value))}</td>
                        <td class="num" data-label="Win rate (count)">{by_count}</td>
                        <td class="num" data-label="Win rate (value)">{by_value}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="table statistics-table">
                    <thead><tr>
                        <th scope="col">"Name"</th>
                        <th scope="col" class="num">"Open"</th>
                        <th scope="col" class="num">"Estimated value"</th>
                        <th scope="col" class="num">"Calculated value"</th>
                        <th scope="col" class="num">"Won"</th>
                        <th scope="col" class="num">"Lost"</th>
                        <th scope="col" class="num">"Win rate (count)"</th>
                        <th scope="col" class="num">"Win rate (value)"</th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="statistics-section" aria-labelledby=heading_id>
            <h2 id=heading_id>{title}</h2>
            {body}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn win_rates_by_count_and_by_value() {
        let cases = [
            ("3", "1", Some("75.00")),
            ("0", "2", Some("0.00")),
            ("2", "0", Some("100.00")),
            ("1", "2", Some("33.33")),
            ("0", "0", None),
        ];
        for (won, lost, expected) in cases {
            assert_eq!(
                win_rate(d(won), d(lost)),
                expected.map(d),
                "{won} won, {lost} lost"
            );
        }
        let f = Figures {
            won_count: 1,
            won_value: d("3000"),
            lost_count: 3,
            lost_value: d("1000"),
            ..Default::default()
        };
        assert_eq!(f.win_rate_by_count(), Some(d("25.00")));
        assert_eq!(f.win_rate_by_value(), Some(d("75.00")));
    }

    #[test]
    fn the_default_period_is_the_year_so_far() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            default_period(today),
            (NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), today)
        );
    }
}

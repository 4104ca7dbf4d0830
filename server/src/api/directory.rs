//! Read-only setup for integrations: who you are, salespeople, teams, sales cycles with their
//! stages, close codes.

use app::domain::{entries::Outcome, setup::method_code};
use axum::{Extension, extract::State};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    ApiState, Problem,
    caller::Caller,
    extract::{Json, Path},
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    /// `admin`, `manager` or `salesperson`.
    pub role: String,
    pub salesperson_id: Option<i64>,
    /// The salespeople whose records you can read; absent for admins (everyone).
    pub read_scope: Option<Vec<i64>>,
    /// The salespeople whose records you can change; absent for admins.
    pub write_scope: Option<Vec<i64>>,
}

/// The token's user, role and scope.
#[utoipa::path(get, path = "/api/v1/me", tag = "Setup",
    responses((status = 200, body = Me), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn me(Extension(caller): Extension<Caller>) -> Json<Me> {
    let v = caller.viewer;
    Json(Me {
        user_id: v.user.id,
        email: v.user.email.clone(),
        display_name: v.user.display_name.clone(),
        role: v.user.role.as_str().into(),
        salesperson_id: v.user.salesperson_id,
        read_scope: v.read.ids().map(<[i64]>::to_vec),
        write_scope: v.write.ids().map(<[i64]>::to_vec),
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Salesperson {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
    pub blocked: bool,
    /// Codes of their teams.
    pub teams: Vec<String>,
}

/// The salespeople whose records you can read (everyone for admins), as the UI's filters list
/// them, with those of their teams that are yours.
#[utoipa::path(get, path = "/api/v1/salespeople", tag = "Setup",
    responses((status = 200, body = Vec<Salesperson>), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn salespeople(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Salesperson>>, Problem> {
    let all = app::people::ops::list_salespeople(&state.pool).await?;
    // Their teams as far as /teams shows them: the caller's own (every team for admins).
    let team_codes: Option<std::collections::HashSet<String>> =
        match app::auth::access::teams_in_view(&state.pool, &caller.viewer).await? {
            None => None,
            Some(ids) => Some(
                app::people::ops::list_teams(&state.pool)
                    .await?
                    .teams
                    .into_iter()
                    .filter(|t| ids.contains(&t.id))
                    .map(|t| t.code)
                    .collect(),
            ),
        };
    Ok(Json(
        all.salespeople
            .into_iter()
            .filter(|s| caller.viewer.read.allows(Some(s.id)))
            .map(|mut s| {
                if let Some(codes) = &team_codes {
                    s.teams.retain(|t| codes.contains(t));
                }
                s
            })
            .map(|s| Salesperson {
                id: s.id,
                code: s.code,
                name: s.name,
                email: s.email,
                blocked: s.blocked,
                teams: s.teams,
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Team {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Codes of the salespeople in the team.
    pub members: Vec<String>,
}

/// Your teams with their members: every team for admins, the teams a manager manages, the teams
/// a salesperson belongs to.
#[utoipa::path(get, path = "/api/v1/teams", tag = "Setup",
    responses((status = 200, body = Vec<Team>), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn teams(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<Team>>, Problem> {
    let in_view = app::auth::access::teams_in_view(&state.pool, &caller.viewer).await?;
    let all = app::people::ops::list_teams(&state.pool).await?;
    Ok(Json(
        all.teams
            .into_iter()
            .filter(|t| in_view.as_ref().is_none_or(|ids| ids.contains(&t.id)))
            .map(|t| Team {
                id: t.id,
                code: t.code,
                name: t.name,
                members: t.members.into_iter().map(|m| m.code).collect(),
            })
            .collect(),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SalesCycle {
    pub code: String,
    pub description: String,
    /// How probability follows from a stage: `multiply`, `add`, `chances_of_success` or `completed`.
    pub probability_method: String,
    /// A blocked cycle takes no new opportunities and no moves.
    pub blocked: bool,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stage {
    pub id: i64,
    pub number: i32,
    pub description: String,
    #[schema(value_type = String)]
    pub completed_pct: Decimal,
    #[schema(value_type = String)]
    pub chances_of_success_pct: Decimal,
    pub allow_skip: bool,
    pub quote_required: bool,
    /// E.g. `1W`, `CM+10D`.
    pub date_formula: Option<String>,
    pub activity_code: Option<String>,
}

fn cycle(c: app::opportunities::ops::CycleWithStages) -> SalesCycle {
    SalesCycle {
        code: c.code,
        description: c.description,
        probability_method: method_code(c.method).into(),
        blocked: c.blocked,
        stages: c
            .stages
            .into_iter()
            .map(|s| Stage {
                id: s.id,
                number: s.number,
                description: s.description,
                completed_pct: s.completed,
                chances_of_success_pct: s.chances,
                allow_skip: s.allow_skip,
                quote_required: s.quote_required,
                date_formula: s.date_formula.map(|f| f.to_string()),
                activity_code: s.activity_code,
            })
            .collect(),
    }
}

/// All sales cycles with their stages.
#[utoipa::path(get, path = "/api/v1/sales-cycles", tag = "Setup",
    responses((status = 200, body = Vec<SalesCycle>), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn sales_cycles(State(state): State<ApiState>) -> Result<Json<Vec<SalesCycle>>, Problem> {
    let all = app::opportunities::ops::cycles_with_stages(&state.pool, None).await?;
    Ok(Json(all.into_iter().map(cycle).collect()))
}

/// One sales cycle with its stages.
#[utoipa::path(get, path = "/api/v1/sales-cycles/{code}", tag = "Setup", params(("code" = String, Path)),
    responses((status = 200, body = SalesCycle), (status = 401, body = Problem), (status = 404, body = Problem), (status = 429, body = Problem)))]
pub async fn sales_cycle(
    State(state): State<ApiState>,
    Path(code): Path<String>,
) -> Result<Json<SalesCycle>, Problem> {
    let found = app::opportunities::ops::cycles_with_stages(&state.pool, Some(&code)).await?;
    found
        .into_iter()
        .next()
        .map(cycle)
        .map(Json)
        .ok_or_else(|| app::error::AppError::NotFound.into())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CloseCode {
    pub code: String,
    pub description: String,
    /// `won` or `lost`.
    pub outcome: String,
}

/// The reasons an opportunity can be closed with.
#[utoipa::path(get, path = "/api/v1/close-codes", tag = "Setup",
    responses((status = 200, body = Vec<CloseCode>), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn close_codes(State(state): State<ApiState>) -> Result<Json<Vec<CloseCode>>, Problem> {
    let all = app::setup::ops::close_codes(&state.pool).await?;
    Ok(Json(
        all.into_iter()
            .map(|c| CloseCode {
                code: c.code,
                description: c.description,
                outcome: match c.outcome {
                    Outcome::Won => "won",
                    Outcome::Lost => "lost",
                }
                .into(),
            })
            .collect(),
    ))
}

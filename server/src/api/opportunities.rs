//! `/api/v1/opportunities`: list, create, read, edit, move (actions), close, entries, tasks and
//! the quote. Every handler reads its input and calls the same `app::opportunities::ops`
//! function the card and the board call.

use app::{
    domain::entries::{Action, Outcome, UpdateRequest},
    opportunities::{
        self as opp, ListQuery, SortKey, StatusFilter,
        ops::{self, ListCursor, Window},
    },
};
use axum::{
    Extension,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    ApiState, Problem,
    caller::Caller,
    conditional::{etag, required_version, stale_is_412},
    extract::{Json, Path, Query},
    today,
};

/// An opportunity as the API shows it. Amounts and percentages are decimal strings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Opportunity {
    #[schema(example = "OP00042")]
    pub no: String,
    pub description: String,
    /// `not_started`, `in_progress`, `won` or `lost`.
    #[schema(example = "in_progress")]
    pub status: String,
    /// `low`, `normal` or `high`.
    pub priority: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub company_name: Option<String>,
    pub salesperson_name: String,
    #[schema(example = "NEW")]
    pub sales_cycle: String,
    /// The active entry's stage; none before the first stage and after closing.
    pub stage: Option<StageRef>,
    pub creation_date: NaiveDate,
    #[schema(value_type = String, example = "12500.00")]
    pub estimated_value: Decimal,
    #[schema(value_type = String, example = "50")]
    pub chances_of_success_pct: Decimal,
    #[schema(value_type = String, example = "25")]
    pub completed_pct: Decimal,
    #[schema(value_type = String, example = "12.5")]
    pub probability_pct: Decimal,
    #[schema(value_type = String, example = "1562.50")]
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
    pub date_closed: Option<NaiveDate>,
    pub close_code: Option<String>,
    pub days_open: i64,
    /// Also the `ETag` (`"v<version>"`): send it back in `If-Match` to change the opportunity.
    pub version: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StageRef {
    pub id: i64,
    pub number: i32,
    pub description: String,
}

impl From<ops::OpportunityHeader> for Opportunity {
    fn from(o: ops::OpportunityHeader) -> Self {
        Self {
            no: o.no,
            description: o.description,
            status: opp::status_as_str(o.status).into(),
            priority: o.priority.as_str().into(),
            contact_id: o.contact_id,
            contact_name: o.contact_name,
            company_name: o.company_name,
            salesperson_name: o.salesperson_name,
            sales_cycle: o.cycle_code,
            stage: o.stage.map(|(id, number, description)| StageRef {
                id,
                number,
                description,
            }),
            creation_date: o.creation_date,
            estimated_value: o.estimated_value,
            chances_of_success_pct: o.chances,
            completed_pct: o.completed,
            probability_pct: o.probability,
            calculated_value: o.calculated_value,
            estimated_closing_date: o.estimated_closing_date,
            date_closed: o.date_closed,
            close_code: o.close_code,
            days_open: o.days_open,
            version: o.version,
        }
    }
}

/// A row of a list: what the list page shows.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpportunitySummary {
    pub no: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub salesperson_name: String,
    pub sales_cycle: String,
    pub stage: Option<String>,
    #[schema(value_type = String)]
    pub estimated_value: Decimal,
    #[schema(value_type = String)]
    pub probability_pct: Decimal,
    #[schema(value_type = String)]
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpportunityPage {
    pub items: Vec<OpportunitySummary>,
    /// Pass as `cursor` for the next slice; absent on the last one.
    pub next_cursor: Option<String>,
    /// How many opportunities match the filter, and their sums.
    pub total: i64,
    #[schema(value_type = String)]
    pub sum_estimated_value: Decimal,
    #[schema(value_type = String)]
    pub sum_calculated_value: Decimal,
}

/// Filters of the list: the same as the opportunity list page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query string; the handler reads it by name
pub struct ListParams {
    /// Searches the description, the number and the contact's name.
    q: Option<String>,
    /// `open` (default), `all`, `not_started`, `in_progress`, `won` or `lost`.
    status: Option<String>,
    /// Sales cycle id.
    cycle: Option<i64>,
    /// Current stage id.
    stage: Option<i64>,
    /// Salesperson id.
    salesperson: Option<i64>,
    /// Team id: opportunities of the team's salespeople.
    team: Option<i64>,
    /// `low`, `normal` or `high`.
    priority: Option<String>,
    /// Estimated closing date on or after (YYYY-MM-DD).
    from: Option<NaiveDate>,
    /// Estimated closing date on or before.
    to: Option<NaiveDate>,
    closed_from: Option<NaiveDate>,
    closed_to: Option<NaiveDate>,
    created_from: Option<NaiveDate>,
    created_to: Option<NaiveDate>,
    /// `closing` (default), `value`, `no` or `created`.
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    dir: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
    /// `next_cursor` of the previous slice.
    cursor: Option<String>,
}

fn read_list_params(
    params: &std::collections::HashMap<String, String>,
) -> Result<(ListQuery, Window), Problem> {
    let get = |name: &str| params.get(name).cloned();
    let bad =
        |field: &str, message: &str| Problem::from(app::error::AppError::field(field, message));
    // The UI reads its address leniently; an API caller is told what is wrong instead.
    if let Some(s) = get("status") {
        StatusFilter::parse(&s).ok_or_else(|| {
            bad(
                "status",
                "Use open, all, not_started, in_progress, won or lost.",
            )
        })?;
    }
    if let Some(s) = get("sort") {
        SortKey::parse(&s).ok_or_else(|| bad("sort", "Use closing, value, no or created."))?;
    }
    if let Some(s) = get("priority") {
        opp::Priority::parse(&s).ok_or_else(|| bad("priority", "Use low, normal or high."))?;
    }
    if get("dir").is_some_and(|d| d != "asc" && d != "desc") {
        return Err(bad("dir", "Use asc or desc."));
    }
    for name in ["cycle", "stage", "salesperson", "team"] {
        if get(name).is_some_and(|v| v.trim().parse::<i64>().map_or(true, |id| id <= 0)) {
            return Err(bad(name, "Use a positive id."));
        }
    }
    for name in [
        "from",
        "to",
        "closed_from",
        "closed_to",
        "created_from",
        "created_to",
    ] {
        if get(name).is_some_and(|v| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").is_err()) {
            return Err(bad(name, "Enter a date as YYYY-MM-DD."));
        }
    }
    let limit = super::extract::limit(params)?;
    let query = ListQuery::parse(|name| get(name));
    let after = match get("cursor") {
        None => None,
        Some(c) => Some(decode_cursor(&c, &query).ok_or_else(|| {
            bad(
                "cursor",
                "This cursor is not from this list; start without one.",
            )
        })?),
    };
    Ok((query, Window::After { after, limit }))
}

/// A cursor carries the last row's key and the sort it belongs to (a cursor of another sort
/// would skip rows).
fn encode_cursor(cursor: &ListCursor, query: &ListQuery) -> String {
    let json = serde_json::json!({ "k": cursor, "s": query.sort.as_str(), "d": query.descending });
    hex::encode(json.to_string())
}

fn decode_cursor(text: &str, query: &ListQuery) -> Option<ListCursor> {
    let bytes = hex::decode(text.trim()).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let same_sort = value["s"].as_str() == Some(query.sort.as_str())
        && value["d"].as_bool() == Some(query.descending);
    same_sort
        .then(|| serde_json::from_value(value["k"].clone()).ok())
        .flatten()
}

/// List opportunities in your access, filtered and sorted as on the list page.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "Opportunities", params(ListParams),
    responses((status = 200, body = OpportunityPage), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn list(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(params): Query,
) -> Result<Json<OpportunityPage>, Problem> {
    let (query, window) = read_list_params(&params)?;
    let (list, next) = ops::list_window(&state.pool, &caller.viewer, &query, window).await?;
    Ok(Json(OpportunityPage {
        items: list
            .items
            .into_iter()
            .map(|i| OpportunitySummary {
                no: i.no,
                description: i.description,
                status: opp::status_as_str(i.status).into(),
                priority: i.priority.as_str().into(),
                contact_id: i.contact_id,
                contact_name: i.contact_name,
                salesperson_name: i.salesperson_name,
                sales_cycle: i.cycle_code,
                stage: i.stage,
                estimated_value: i.estimated_value,
                probability_pct: i.probability,
                calculated_value: i.calculated_value,
                estimated_closing_date: i.estimated_closing_date,
            })
            .collect(),
        next_cursor: next.map(|c| encode_cursor(&c, &query)),
        total: list.total,
        sum_estimated_value: list.sum_estimated,
        sum_calculated_value: list.sum_calculated,
    }))
}

/// The opportunity with its `ETag`.
async fn answer(
    state: &ApiState,
    caller: &Caller,
    id: i64,
    status: StatusCode,
) -> Result<Response, Problem> {
    let detail = ops::header(&state.pool, &caller.viewer, id, today()).await?;
    let location = format!("/api/v1/opportunities/{}", detail.no);
    let tag = etag(detail.version);
    let mut response = (status, Json(Opportunity::from(detail))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Ok(location) = location.parse() {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

/// One opportunity. Its `ETag` is its version.
#[utoipa::path(get, path = "/api/v1/opportunities/{no}", tag = "Opportunities",
    params(("no" = String, Path, description = "The opportunity's number")),
    responses((status = 200, body = Opportunity, headers(("ETag" = String))), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Response, Problem> {
    let (id, _) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    answer(&state, &caller, id, StatusCode::OK).await
}

/// A new opportunity. Amounts and percentages are strings ("12500.00", "50").
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpportunity {
    pub description: String,
    /// The contact's number (e.g. `CT00012`).
    pub contact_no: String,
    /// The salesperson's code; default: the contact's salesperson, else yours.
    pub salesperson_code: Option<String>,
    /// The sales cycle's code.
    pub sales_cycle: String,
    /// Default: today.
    pub creation_date: Option<NaiveDate>,
    /// `low`, `normal` (default) or `high`.
    pub priority: Option<String>,
    #[schema(example = "12500.00")]
    pub estimated_value: Option<String>,
    #[schema(example = "50")]
    pub chances_of_success_pct: Option<String>,
    pub estimated_closing_date: Option<NaiveDate>,
    /// Start at the cycle's first stage in the same transaction.
    #[serde(default)]
    pub activate_first_stage: bool,
}

/// Create an opportunity (send `Idempotency-Key` to retry safely).
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "Opportunities", request_body = NewOpportunity,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: a repeat gets the first answer")),
    responses((status = 201, body = Opportunity, headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 409, body = Problem), (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn create(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewOpportunity>,
) -> Result<Response, Problem> {
    let refs = ops::references(
        &state.pool,
        &caller.viewer,
        &body.contact_no,
        body.salesperson_code.as_deref(),
        &body.sales_cycle,
        today(),
    )
    .await?;
    let form = ops::NewOpportunityForm {
        description: body.description,
        contact_id: refs.contact_id.to_string(),
        salesperson_id: refs
            .salesperson_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        cycle_id: refs.cycle_id.to_string(),
        creation_date: body
            .creation_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        priority: body.priority.unwrap_or_default(),
        estimated_value: body.estimated_value.unwrap_or_default(),
        chances: body.chances_of_success_pct.unwrap_or_default(),
        estimated_closing_date: body
            .estimated_closing_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
        activate_first_stage: body.activate_first_stage,
    };
    let id = ops::create(&state.pool, &caller.viewer, &form, today())
        .await
        .map_err(rename_create_fields)?;
    answer(&state, &caller, id, StatusCode::CREATED).await
}

/// The create operation names the form's fields; the API's body names them differently.
fn rename_create_fields(e: app::error::AppError) -> Problem {
    e.rename("contact_id", "contact_no")
        .rename("salesperson_id", "salesperson_code")
        .rename("cycle_id", "sales_cycle")
        .rename("chances", "chances_of_success_pct")
        .into()
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpportunityEdit {
    pub description: Option<String>,
    /// `low`, `normal` or `high`.
    pub priority: Option<String>,
}

/// Change the description or priority (`If-Match` recommended).
#[utoipa::path(patch, path = "/api/v1/opportunities/{no}", tag = "Opportunities", request_body = OpportunityEdit,
    params(("no" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since")),
    responses((status = 200, body = Opportunity, headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn edit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(no): Path<String>,
    Json(body): Json<OpportunityEdit>,
) -> Result<Response, Problem> {
    let (id, current) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let version = required_version(&headers, current)?;
    let now = ops::header(&state.pool, &caller.viewer, id, today()).await?;
    let description = body.description.unwrap_or(now.description);
    let priority = body
        .priority
        .unwrap_or_else(|| now.priority.as_str().to_owned());
    ops::edit(
        &state.pool,
        &caller.viewer,
        id,
        version,
        &description,
        &priority,
    )
    .await
    .map_err(|e| stale_is_412(&headers, e.into()))?;
    answer(&state, &caller, id, StatusCode::OK).await
}

/// A move through the sales cycle. Omitted fields take the defaults of the rules (the target
/// stage's chances, the previous entry's value and closing date, today).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// `first`, `next`, `previous`, `skip`, `jump` or `update`.
    #[schema(example = "next")]
    pub action: String,
    /// The stage id to skip or jump to (when more than one is possible).
    pub stage_id: Option<i64>,
    pub date_of_change: Option<NaiveDate>,
    #[schema(example = "15000.00")]
    pub estimated_value: Option<String>,
    pub chances_of_success_pct: Option<String>,
    pub estimated_closing_date: Option<NaiveDate>,
    /// Cancel the open tasks of the stage being left.
    #[serde(default)]
    pub cancel_open_tasks: bool,
}

fn parse_action(text: &str) -> Result<Action, Problem> {
    Action::ALL
        .into_iter()
        .find(|a| a.label().eq_ignore_ascii_case(text.trim()))
        .ok_or_else(|| {
            app::error::AppError::field(
                "action",
                "Use first, next, previous, skip, jump or update.",
            )
            .into()
        })
}

fn decimal(text: Option<&str>, field: &str, percent: bool) -> Result<Option<Decimal>, Problem> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) if percent => app::domain::setup::percent(t)
            .map(Some)
            .map_err(|m| app::error::AppError::field(field, m).into()),
        Some(t) => app::domain::quotes::amount(t, false)
            .map(Some)
            .map_err(|m| app::error::AppError::field(field, m).into()),
    }
}

/// Move the opportunity: First, Next, Previous, Skip, Jump or Update (one new entry).
#[utoipa::path(post, path = "/api/v1/opportunities/{no}/actions", tag = "Opportunities", request_body = ActionRequest,
    params(("no" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Opportunity, headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn act(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(no): Path<String>,
    Json(body): Json<ActionRequest>,
) -> Result<Response, Problem> {
    let (id, current) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let version = required_version(&headers, current)?;
    let request = UpdateRequest {
        action: parse_action(&body.action)?,
        target_stage_id: body.stage_id,
        date_of_change: body.date_of_change,
        estimated_value: decimal(body.estimated_value.as_deref(), "estimated_value", false)?,
        chances: decimal(
            body.chances_of_success_pct.as_deref(),
            "chances_of_success_pct",
            true,
        )?,
        estimated_closing_date: body.estimated_closing_date,
    };
    ops::update(
        &state.pool,
        &caller.viewer,
        id,
        version,
        &request,
        body.cancel_open_tasks,
        None,
        today(),
    )
    .await
    .map_err(|e| stale_is_412(&headers, rename_action_fields(e)))?;
    answer(&state, &caller, id, StatusCode::OK).await
}

fn rename_action_fields(e: app::error::AppError) -> Problem {
    e.rename("target_stage", "stage_id")
        .rename("target_stage_id", "stage_id")
        .rename("chances", "chances_of_success_pct")
        .into()
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    /// `won` or `lost`.
    #[schema(example = "won")]
    pub outcome: String,
    /// A close code of that outcome (see `/api/v1/close-codes`).
    pub close_code: Option<String>,
    /// Default: today.
    pub date: Option<NaiveDate>,
    /// Won only; default: the quote's total or the estimated value.
    pub amount_won: Option<String>,
    #[serde(default)]
    pub cancel_open_tasks: bool,
}

/// Close the opportunity as won or lost.
#[utoipa::path(post, path = "/api/v1/opportunities/{no}/close", tag = "Opportunities", request_body = CloseRequest,
    params(("no" = String, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = Opportunity, headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn close(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(no): Path<String>,
    Json(body): Json<CloseRequest>,
) -> Result<Response, Problem> {
    let (id, current) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let version = required_version(&headers, current)?;
    let outcome = match body.outcome.trim() {
        "won" => Outcome::Won,
        "lost" => Outcome::Lost,
        _ => return Err(app::error::AppError::field("outcome", "Use won or lost.").into()),
    };
    let input = ops::CloseInput {
        outcome,
        close_code: body.close_code.unwrap_or_default(),
        date: body.date,
        amount_won: decimal(body.amount_won.as_deref(), "amount_won", false)?,
        cancel_open_tasks: body.cancel_open_tasks,
    };
    ops::close(&state.pool, &caller.viewer, id, version, &input, today())
        .await
        .map_err(|e| stale_is_412(&headers, e.into()))?;
    answer(&state, &caller, id, StatusCode::OK).await
}

/// One opportunity entry (the history of moves; never changed once written).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    pub entry_no: i32,
    /// `first`, `next`, `previous`, `jumped`, `updated`, `won` or `lost`.
    pub action_taken: String,
    pub stage: Option<String>,
    pub date_of_change: NaiveDate,
    pub days_open: i32,
    pub active: bool,
    #[schema(value_type = String)]
    pub estimated_value: Decimal,
    #[schema(value_type = String)]
    pub chances_of_success_pct: Decimal,
    #[schema(value_type = String)]
    pub completed_pct: Decimal,
    #[schema(value_type = String)]
    pub probability_pct: Decimal,
    #[schema(value_type = String)]
    pub calculated_value: Decimal,
    pub estimated_closing_date: NaiveDate,
    pub close_code: Option<String>,
    /// Who recorded it.
    pub by: Option<String>,
}

/// The opportunity's entries, oldest first.
#[utoipa::path(get, path = "/api/v1/opportunities/{no}/entries", tag = "Opportunities", params(("no" = String, Path)),
    responses((status = 200, body = Vec<Entry>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn entries(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Json<Vec<Entry>>, Problem> {
    let (id, _) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let detail = ops::get(&state.pool, &caller.viewer, id, today()).await?;
    let mut entries: Vec<Entry> = detail
        .entries
        .into_iter()
        .map(|e| Entry {
            entry_no: e.entry_no,
            action_taken: opp::action_taken_as_str(e.action_taken).into(),
            stage: e.stage,
            date_of_change: e.date_of_change,
            days_open: e.days_open,
            active: e.active,
            estimated_value: e.estimated_value,
            chances_of_success_pct: e.chances,
            completed_pct: e.completed,
            probability_pct: e.probability,
            calculated_value: e.calculated_value,
            estimated_closing_date: e.estimated_closing_date,
            close_code: e.close_code,
            by: e.by,
        })
        .collect();
    entries.sort_by_key(|e| e.entry_no);
    Ok(Json(entries))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Task {
    pub id: i64,
    pub kind: String,
    pub description: String,
    pub priority: String,
    pub due_date: NaiveDate,
    /// `open`, `done` or `cancelled`.
    pub status: String,
    pub version: i32,
}

/// The tasks the stages' activities created for this opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{no}/tasks", tag = "Tasks", params(("no" = String, Path)),
    responses((status = 200, body = Vec<Task>), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn tasks(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Json<Vec<Task>>, Problem> {
    let (id, _) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let detail = ops::get(&state.pool, &caller.viewer, id, today()).await?;
    Ok(Json(detail.tasks.into_iter().map(task).collect()))
}

fn task(t: opp::TaskRow) -> Task {
    Task {
        id: t.id,
        kind: t.kind,
        description: t.description,
        priority: t.priority.as_str().into(),
        due_date: t.due_date,
        status: t.status,
        version: t.version,
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskStatus {
    /// `open`, `done` or `cancelled`.
    #[schema(example = "done")]
    pub status: String,
}

/// Complete, reopen or cancel a task.
#[utoipa::path(patch, path = "/api/v1/tasks/{id}", tag = "Tasks", request_body = TaskStatus,
    params(("id" = i64, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204, description = "Changed", headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn set_task_status(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<TaskStatus>,
) -> Result<Response, Problem> {
    let current = ops::task_version(&state.pool, &caller.viewer, id).await?;
    let version = required_version(&headers, current)?;
    ops::set_task_status(&state.pool, &caller.viewer, id, version, body.status.trim())
        .await
        .map_err(|e| {
            let problem = Problem::from(e);
            if problem.status == 409 && super::conditional::if_match(&headers).is_some() {
                Problem::stale()
            } else {
                problem
            }
        })?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::ETAG, etag(version + 1));
    Ok(response)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Quote {
    pub no: String,
    pub date: NaiveDate,
    pub lines: Vec<QuoteLine>,
    #[schema(value_type = String)]
    pub total: Decimal,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QuoteLine {
    pub id: i64,
    pub line_no: i32,
    pub description: String,
    #[schema(value_type = String)]
    pub quantity: Decimal,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    #[schema(value_type = String)]
    pub discount_pct: Decimal,
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// The opportunity's quote (404 when it has none).
#[utoipa::path(get, path = "/api/v1/opportunities/{no}/quote", tag = "Quotes", params(("no" = String, Path)),
    responses((status = 200, body = Quote), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn quote(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Response, Problem> {
    let (id, _) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let detail = ops::get(&state.pool, &caller.viewer, id, today()).await?;
    let tag = etag(detail.version);
    let quote = detail
        .quote
        .ok_or_else(|| Problem::new(StatusCode::NOT_FOUND, "This opportunity has no quote yet."))?;
    let mut response = Json(Quote {
        no: quote.no,
        date: quote.date,
        total: quote.total,
        lines: quote
            .lines
            .into_iter()
            .map(|l| QuoteLine {
                id: l.id,
                line_no: l.line_no,
                description: l.line.description,
                quantity: l.line.quantity,
                unit_price: l.line.unit_price,
                discount_pct: l.line.discount,
                amount: l.amount,
            })
            .collect(),
    })
    .into_response();
    response.headers_mut().insert(header::ETAG, tag);
    Ok(response)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuoteLine {
    pub description: String,
    #[schema(example = "2")]
    pub quantity: String,
    #[schema(example = "1250.00")]
    pub unit_price: String,
    #[schema(example = "10")]
    pub discount_pct: Option<String>,
}

/// Add a line to the quote (creating the quote with its first line).
#[utoipa::path(post, path = "/api/v1/opportunities/{no}/quote/lines", tag = "Quotes", request_body = NewQuoteLine,
    params(("no" = String, Path), ("If-Match" = Option<String>, Header, description = "The opportunity's ETag"), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Opportunity, headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn add_quote_line(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path(no): Path<String>,
    Json(body): Json<NewQuoteLine>,
) -> Result<Response, Problem> {
    let (id, current) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let version = required_version(&headers, current)?;
    let line = (
        body.description.as_str(),
        body.quantity.as_str(),
        body.unit_price.as_str(),
        body.discount_pct.as_deref().unwrap_or(""),
    );
    ops::add_quote_line(&state.pool, &caller.viewer, id, version, line, today())
        .await
        .map_err(|e| stale_is_412(&headers, e.rename("discount", "discount_pct").into()))?;
    answer(&state, &caller, id, StatusCode::CREATED).await
}

/// Remove a line from the quote.
#[utoipa::path(delete, path = "/api/v1/opportunities/{no}/quote/lines/{line_id}", tag = "Quotes",
    params(("no" = String, Path), ("line_id" = i64, Path), ("If-Match" = Option<String>, Header, description = "The opportunity's ETag")),
    responses((status = 200, body = Opportunity, headers(("ETag" = String))), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem), (status = 429, body = Problem)))]
pub async fn remove_quote_line(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path((no, line_id)): Path<(String, i64)>,
) -> Result<Response, Problem> {
    let (id, current) = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let version = required_version(&headers, current)?;
    ops::remove_quote_line(&state.pool, &caller.viewer, id, version, line_id)
        .await
        .map_err(|e| stale_is_412(&headers, e.into()))?;
    answer(&state, &caller, id, StatusCode::OK).await
}

/// Every opportunity the filter matches, as CSV (the list's columns; up to 200,000 rows).
#[utoipa::path(get, path = "/api/v1/exports/opportunities.csv", tag = "Opportunities", params(ListParams),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn export(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(params): Query,
) -> Result<Response, Problem> {
    let (query, _) = read_list_params(&params)?;
    let bytes = crate::export::opportunities(&state.pool, &caller.viewer, &query).await?;
    Ok(crate::export::attachment(bytes, "opportunities.csv"))
}

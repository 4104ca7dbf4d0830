//! `/api/v1/contacts`: list (by name, cursor), read, create — through `app::contacts::ops`.

use app::contacts::{ContactDetail, ContactForm, ContactKind, ContactListItem, ops};
use axum::{
    Extension,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{
    ApiState, Problem,
    caller::Caller,
    conditional::etag,
    extract::{Json, Path, Query},
};
use app::error::AppError;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    #[schema(example = "CT00012")]
    pub no: String,
    pub id: i64,
    /// `company` or `person`.
    pub kind: String,
    pub name: String,
    /// A person's company.
    pub company_no: Option<String>,
    pub company_name: Option<String>,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    pub salesperson_name: Option<String>,
    pub version: i32,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactSummary {
    pub no: String,
    pub id: i64,
    pub kind: String,
    pub name: String,
    pub company_name: Option<String>,
    pub email: String,
    pub phone: String,
    pub city: String,
    pub salesperson_name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactPage {
    pub items: Vec<ContactSummary>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query string; the handler reads it by name
pub struct ContactParams {
    /// Searches the name, the email and the company's name.
    q: Option<String>,
    /// `company` or `person`.
    kind: Option<String>,
    /// `name` (default), `city` or `created`.
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    dir: Option<String>,
    /// 1 to 200, default 50.
    limit: Option<i64>,
    cursor: Option<String>,
}

fn summary(c: ContactListItem) -> ContactSummary {
    ContactSummary {
        no: c.no,
        id: c.id,
        kind: c.kind.as_str().into(),
        name: c.name,
        company_name: c.company_name.filter(|_| c.company_readable),
        email: c.email,
        phone: c.phone,
        city: c.city,
        salesperson_name: c.salesperson,
    }
}

/// Contacts in your access, sorted by name, city or date added.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "Contacts", params(ContactParams),
    responses((status = 200, body = ContactPage), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn list(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Query(params): Query,
) -> Result<Json<ContactPage>, Problem> {
    let kind = match params.get("kind").map(|k| k.trim()) {
        None => None,
        Some(k) => Some(
            ContactKind::parse(k)
                .ok_or_else(|| AppError::field("kind", "Use company or person."))?,
        ),
    };
    let sort = match params.get("sort").map(|s| s.trim()) {
        None | Some("") => app::contacts::SortKey::Name,
        Some(s) => app::contacts::SortKey::parse(s)
            .ok_or_else(|| AppError::field("sort", "Sort by name, city or created."))?,
    };
    let descending = match params.get("dir").map(|d| d.trim()) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(AppError::field("dir", "Use asc or desc.").into()),
    };
    let limit = super::extract::limit(&params)?;
    let after = match params.get("cursor") {
        None => None,
        Some(c) => Some(
            hex::decode(c.trim())
                .ok()
                .and_then(|b| serde_json::from_slice::<(String, i64)>(&b).ok())
                .ok_or_else(|| {
                    AppError::field(
                        "cursor",
                        "This cursor is not from this list; start without one.",
                    )
                })?,
        ),
    };
    let search: String = params
        .get("q")
        .map(|q| q.trim().chars().take(app::contacts::MAX_SEARCH).collect())
        .unwrap_or_default();
    let mut items = ops::list_after(
        &state.pool,
        &caller.viewer,
        &search,
        kind,
        (sort, descending),
        after,
        limit + 1,
    )
    .await?;
    // The cursor carries the last row's sort key and id (a cursor of another sort or direction
    // simply continues from that point).
    let next = (items.len() as i64 > limit).then(|| {
        items.truncate(limit as usize);
        items
            .last()
            .map(|(c, key)| hex::encode(serde_json::json!([key, c.id]).to_string()))
    });
    Ok(Json(ContactPage {
        items: items.into_iter().map(|(c, _)| summary(c)).collect(),
        next_cursor: next.flatten(),
    }))
}

fn contact(d: ContactDetail, company_no: Option<String>) -> Contact {
    Contact {
        no: d.no,
        id: d.id,
        kind: d.kind.as_str().into(),
        name: d.name,
        company_no,
        company_name: d.company_name.filter(|_| d.company_readable),
        job_title: d.job_title,
        email: d.email,
        phone: d.phone,
        address: d.address,
        city: d.city,
        post_code: d.post_code,
        country: d.country,
        salesperson_name: d.salesperson_name,
        version: d.version,
    }
}

async fn answer(
    state: &ApiState,
    caller: &Caller,
    id: i64,
    status: StatusCode,
) -> Result<Response, Problem> {
    let detail = ops::get(&state.pool, &caller.viewer, id).await?;
    let company_no = match detail.company_id.filter(|_| detail.company_readable) {
        Some(company) => Some(ops::get(&state.pool, &caller.viewer, company).await?.no),
        None => None,
    };
    let tag = etag(detail.version);
    let location = format!("/api/v1/contacts/{}", detail.no);
    let mut response = (status, Json(contact(detail, company_no))).into_response();
    response.headers_mut().insert(header::ETAG, tag);
    if status == StatusCode::CREATED {
        if let Ok(location) = location.parse() {
            response.headers_mut().insert(header::LOCATION, location);
        }
    }
    Ok(response)
}

/// One contact.
#[utoipa::path(get, path = "/api/v1/contacts/{no}", tag = "Contacts", params(("no" = String, Path)),
    responses((status = 200, body = Contact, headers(("ETag" = String))), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub async fn get(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Path(no): Path<String>,
) -> Result<Response, Problem> {
    let id = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    answer(&state, &caller, id, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    /// `company` or `person`.
    #[schema(example = "company")]
    pub kind: String,
    pub name: String,
    /// For a person: their company's number.
    pub company_no: Option<String>,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub post_code: Option<String>,
    pub country: Option<String>,
    /// Default: yours. Admins and managers may leave it empty for the shared pool.
    pub salesperson_code: Option<String>,
}

/// Create a contact (send `Idempotency-Key` to retry safely).
#[utoipa::path(post, path = "/api/v1/contacts", tag = "Contacts", request_body = NewContact,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Contact, headers(("ETag" = String), ("Location" = String))), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 415, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn create(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewContact>,
) -> Result<Response, Problem> {
    let mut errors = app::error::FieldErrors::default();
    let company_id = company_reference(&state, &caller, body.company_no.as_deref(), &mut errors)
        .await
        .flatten();
    // Absent: the caller's own salesperson record; empty: the shared pool (admins and managers;
    // the rules give a salesperson's own contacts to them).
    let salesperson_id =
        match salesperson_reference(&state, body.salesperson_code.as_deref(), &mut errors).await? {
            None => caller.viewer.user.salesperson_id,
            Some(chosen) => chosen,
        };
    errors.finish()?;
    let form = ContactForm {
        kind: body.kind,
        name: body.name,
        company_id: company_id.map(|id| id.to_string()).unwrap_or_default(),
        job_title: body.job_title.unwrap_or_default(),
        email: body.email.unwrap_or_default(),
        phone: body.phone.unwrap_or_default(),
        address: body.address.unwrap_or_default(),
        city: body.city.unwrap_or_default(),
        post_code: body.post_code.unwrap_or_default(),
        country: body.country.unwrap_or_default(),
        salesperson_id: salesperson_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    let id = ops::create(&state.pool, &caller.viewer, &form)
        .await
        .map_err(rename_fields)?;
    answer(&state, &caller, id, StatusCode::CREATED).await
}

/// Fields to change; the others keep their values.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactEdit {
    pub name: Option<String>,
    /// A person's company (its number); `""` removes it.
    pub company_no: Option<String>,
    pub job_title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub post_code: Option<String>,
    pub country: Option<String>,
    /// `""`: unassigned (admins and managers).
    pub salesperson_code: Option<String>,
}

/// Change a contact's fields (`If-Match` recommended).
#[utoipa::path(patch, path = "/api/v1/contacts/{no}", tag = "Contacts", request_body = ContactEdit,
    params(("no" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read; 412 if it changed since")),
    responses((status = 200, body = Contact, headers(("ETag" = String))), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 412, body = Problem),
        (status = 415, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn edit(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: axum::http::HeaderMap,
    Path(no): Path<String>,
    Json(body): Json<ContactEdit>,
) -> Result<Response, Problem> {
    let id = ops::find_by_no(&state.pool, &caller.viewer, &no).await?;
    let now = ops::get(&state.pool, &caller.viewer, id).await?;
    let version = super::conditional::required_version(&headers, now.version)?;
    let mut errors = app::error::FieldErrors::default();
    // Absent: unchanged; `""`: none.
    let company_id = company_reference(&state, &caller, body.company_no.as_deref(), &mut errors)
        .await
        .unwrap_or(now.company_id);
    let salesperson_id =
        salesperson_reference(&state, body.salesperson_code.as_deref(), &mut errors)
            .await?
            .unwrap_or(now.salesperson_id);
    errors.finish()?;
    let form = ContactForm {
        kind: now.kind.as_str().into(),
        name: body.name.unwrap_or(now.name),
        company_id: company_id.map(|id| id.to_string()).unwrap_or_default(),
        job_title: body.job_title.unwrap_or(now.job_title),
        email: body.email.unwrap_or(now.email),
        phone: body.phone.unwrap_or(now.phone),
        address: body.address.unwrap_or(now.address),
        city: body.city.unwrap_or(now.city),
        post_code: body.post_code.unwrap_or(now.post_code),
        country: body.country.unwrap_or(now.country),
        salesperson_id: salesperson_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    ops::update(&state.pool, &caller.viewer, id, version, &form)
        .await
        .map_err(|e| {
            let mut p = rename_fields(e);
            if p.status == 409 && super::conditional::if_match(&headers).is_some() {
                p = Problem::stale();
            }
            p
        })?;
    answer(&state, &caller, id, StatusCode::OK).await
}

/// The contact operations name the form's fields; the API's body names them differently.
fn rename_fields(e: AppError) -> Problem {
    e.rename("company_id", "company_no")
        .rename("salesperson_id", "salesperson_code")
        .into()
}

/// A body's `company_no`: `None` when absent, `Some(None)` when empty (or unknown: then a field
/// error is added), else the company in the caller's access.
async fn company_reference(
    state: &ApiState,
    caller: &Caller,
    no: Option<&str>,
    errors: &mut app::error::FieldErrors,
) -> Option<Option<i64>> {
    match no.map(str::trim)? {
        "" => Some(None),
        no => Some(
            ops::find_by_no(&state.pool, &caller.viewer, no)
                .await
                .map_err(|_| {
                    errors.add("company_no", "No company with this number in your access.")
                })
                .ok(),
        ),
    }
}

/// A body's `salesperson_code`, read the same way as [`company_reference`].
async fn salesperson_reference(
    state: &ApiState,
    code: Option<&str>,
    errors: &mut app::error::FieldErrors,
) -> Result<Option<Option<i64>>, Problem> {
    let Some(code) = code.map(str::trim) else {
        return Ok(None);
    };
    if code.is_empty() {
        return Ok(Some(None));
    }
    let id = ops::salesperson_by_code(&state.pool, code).await?;
    errors.check(
        id.is_some(),
        "salesperson_code",
        "No salesperson with this code.",
    );
    Ok(Some(id))
}

//! Server functions of Contacts: thin adapters over `ops`. Arguments arrive as text and are read
//! here, so a malformed or forged post gets a 404 or a field message, never a 500.

use leptos::prelude::*;

use super::{AssignOptions, CompanyOption, ContactDetail, ContactList, Saved};
use crate::error::AppError;

#[server(endpoint = "contacts/list")]
pub async fn list_contacts(
    q: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
) -> Result<ContactList, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let query = super::ListQuery::parse(
        q.as_deref(),
        kind.as_deref(),
        sort.as_deref(),
        dir.as_deref(),
        page.as_deref(),
    );
    super::ops::list(&crate::state::pool()?, &viewer, &query)
        .await
        .map_err(AppError::respond)
}

/// A contact id from a form or an address; anything else names no contact.
#[cfg(feature = "ssr")]
fn contact_id(id: Option<&str>) -> Result<i64, AppError> {
    id.and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| AppError::NotFound.respond())
}

#[server(endpoint = "contacts/get")]
pub async fn get_contact(id: Option<String>) -> Result<ContactDetail, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = contact_id(id.as_deref())?;
    super::ops::get(&crate::state::pool()?, &viewer, id)
        .await
        .map_err(AppError::respond)
}

/// Creates the contact and sends the browser to its card (a redirect without JS, client-side
/// navigation with it). Answers the new id.
#[server(endpoint = "contacts/create")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn create_contact(
    kind: Option<String>,
    name: Option<String>,
    company_id: Option<String>,
    job_title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    city: Option<String>,
    post_code: Option<String>,
    country: Option<String>,
    salesperson_id: Option<String>,
) -> Result<i64, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let form = super::ContactForm {
        kind: kind.unwrap_or_default(),
        name: name.unwrap_or_default(),
        company_id: company_id.unwrap_or_default(),
        job_title: job_title.unwrap_or_default(),
        email: email.unwrap_or_default(),
        phone: phone.unwrap_or_default(),
        address: address.unwrap_or_default(),
        city: city.unwrap_or_default(),
        post_code: post_code.unwrap_or_default(),
        country: country.unwrap_or_default(),
        salesperson_id: salesperson_id.unwrap_or_default(),
    };
    let id = super::ops::create(&crate::state::pool()?, &viewer, &form)
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(id)
}

/// Saves the edit form; `version` is the one the form was filled from.
#[server(endpoint = "contacts/update")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn update_contact(
    id: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<String>,
    company_id: Option<String>,
    job_title: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    city: Option<String>,
    post_code: Option<String>,
    country: Option<String>,
    salesperson_id: Option<String>,
) -> Result<Saved, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = contact_id(id.as_deref())?;
    let version = version.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
        AppError::field(
            "form",
            "The form could not be read. Reload the page and try again.",
        )
        .respond()
    })?;
    let form = super::ContactForm {
        kind: kind.unwrap_or_default(),
        name: name.unwrap_or_default(),
        company_id: company_id.unwrap_or_default(),
        job_title: job_title.unwrap_or_default(),
        email: email.unwrap_or_default(),
        phone: phone.unwrap_or_default(),
        address: address.unwrap_or_default(),
        city: city.unwrap_or_default(),
        post_code: post_code.unwrap_or_default(),
        country: country.unwrap_or_default(),
        salesperson_id: salesperson_id.unwrap_or_default(),
    };
    super::ops::update(&crate::state::pool()?, &viewer, id, version, &form)
        .await
        .map_err(AppError::respond)
}

/// The company picker: readable companies whose name contains `q` (at most 20), plus `include`.
#[server(endpoint = "contacts/companies")]
pub async fn search_companies(
    q: Option<String>,
    include: Option<String>,
) -> Result<Vec<CompanyOption>, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let include = include.and_then(|s| s.trim().parse().ok());
    super::ops::companies(
        &crate::state::pool()?,
        &viewer,
        q.as_deref().unwrap_or_default(),
        include,
    )
    .await
    .map_err(AppError::respond)
}

/// The salespeople the viewer may assign contacts to.
#[server(endpoint = "contacts/salespeople")]
pub async fn assignable_salespeople() -> Result<AssignOptions, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    super::ops::assignable(&crate::state::pool()?, &viewer)
        .await
        .map_err(AppError::respond)
}

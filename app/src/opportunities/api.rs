//! Server functions of Opportunities: thin adapters over `ops`. Arguments arrive as text and are
//! read here, so a malformed or forged post gets a 404 or a field message, never a 500.

use leptos::prelude::*;

use super::{
    ContactChoice, FilterOptions, NewOptions, OpportunityDetail, OpportunityList,
    OpportunityListItem, Saved,
};
use crate::error::AppError;

#[cfg(feature = "ssr")]
pub(crate) mod read {
    use chrono::NaiveDate;
    use rust_decimal::Decimal;

    use crate::{
        domain::{entries::Action, quotes},
        error::AppError,
    };

    /// An id from a form or an address; anything else names nothing.
    pub fn id(text: Option<&str>) -> Result<i64, AppError> {
        text.and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| AppError::NotFound.respond())
    }

    pub fn version(text: Option<&str>) -> Result<i32, AppError> {
        text.and_then(|v| v.trim().parse().ok()).ok_or_else(|| {
            AppError::field(
                "form",
                "The form could not be read. Reload the page and try again.",
            )
            .respond()
        })
    }

    pub fn action(text: Option<&str>) -> Result<Action, AppError> {
        let text = text.unwrap_or_default().trim().to_lowercase();
        Action::ALL
            .into_iter()
            .find(|a| a.label().to_lowercase() == text)
            .ok_or_else(|| {
                AppError::field(
                    "action",
                    "Choose what to do: First, Next, Previous, Skip, Jump or Update.",
                )
                .respond()
            })
    }

    pub fn date(text: Option<&str>, field: &str) -> Result<Option<NaiveDate>, AppError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::field(field, "Enter a date as YYYY-MM-DD.").respond()),
        }
    }

    pub fn amount(text: Option<&str>, field: &str) -> Result<Option<Decimal>, AppError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => quotes::amount(t, false)
                .map(Some)
                .map_err(|m| AppError::field(field, m).respond()),
        }
    }

    pub fn percent(text: Option<&str>, field: &str) -> Result<Option<Decimal>, AppError> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None => Ok(None),
            Some(t) => crate::domain::setup::percent(t)
                .map(Some)
                .map_err(|m| AppError::field(field, m).respond()),
        }
    }

    /// A checkbox: present ("on", "true") means yes.
    pub fn flag(text: Option<&str>) -> bool {
        matches!(text.map(str::trim), Some("on" | "true" | "1" | "yes"))
    }

    pub fn today() -> NaiveDate {
        chrono::Local::now().date_naive()
    }
}

#[server(endpoint = "opportunities/list")]
pub async fn list_opportunities(query: Option<String>) -> Result<OpportunityList, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let query = super::ListQuery::decode(query.as_deref().unwrap_or_default());
    super::ops::list(&crate::state::pool()?, &viewer, &query)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/filters")]
pub async fn list_filter_options() -> Result<FilterOptions, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    super::ops::filter_options(&crate::state::pool()?, &viewer)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/get")]
pub async fn get_opportunity(id: Option<String>) -> Result<OpportunityDetail, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    super::ops::get(&crate::state::pool()?, &viewer, id, read::today())
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/of-contact")]
pub async fn contact_opportunities(
    contact_id: Option<String>,
) -> Result<Vec<OpportunityListItem>, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(contact_id.as_deref())?;
    super::ops::of_contact(&crate::state::pool()?, &viewer, id)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/new-options")]
pub async fn new_opportunity_options(contact: Option<String>) -> Result<NewOptions, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let contact = contact.and_then(|c| c.trim().parse().ok());
    super::ops::new_options(&crate::state::pool()?, &viewer, contact, read::today())
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/contacts")]
pub async fn search_contacts(
    q: Option<String>,
    include: Option<String>,
) -> Result<Vec<ContactChoice>, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let include = include.and_then(|s| s.trim().parse().ok());
    super::ops::contacts(
        &crate::state::pool()?,
        &viewer,
        q.as_deref().unwrap_or_default(),
        include,
    )
    .await
    .map_err(AppError::respond)
}

/// Creates the opportunity and sends the browser to its card. Answers the new id.
#[server(endpoint = "opportunities/create")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn create_opportunity(
    description: Option<String>,
    contact_id: Option<String>,
    salesperson_id: Option<String>,
    cycle_id: Option<String>,
    creation_date: Option<String>,
    priority: Option<String>,
    estimated_value: Option<String>,
    chances: Option<String>,
    estimated_closing_date: Option<String>,
    activate_first_stage: Option<String>,
) -> Result<i64, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let form = super::ops::NewOpportunityForm {
        description: description.unwrap_or_default(),
        contact_id: contact_id.unwrap_or_default(),
        salesperson_id: salesperson_id.unwrap_or_default(),
        cycle_id: cycle_id.unwrap_or_default(),
        creation_date: creation_date.unwrap_or_default(),
        priority: priority.unwrap_or_default(),
        estimated_value: estimated_value.unwrap_or_default(),
        chances: chances.unwrap_or_default(),
        estimated_closing_date: estimated_closing_date.unwrap_or_default(),
        activate_first_stage: read::flag(activate_first_stage.as_deref()),
    };
    let id = super::ops::create(&crate::state::pool()?, &viewer, &form, read::today())
        .await
        .map_err(AppError::respond)?;
    leptos_axum::redirect(&format!("/opportunities/{id}"));
    Ok(id)
}

/// One move through the sales cycle (the Update Opportunity dialog, a card dropped on the board).
/// Empty fields take the defaults of DOMAIN.md.
#[server(endpoint = "opportunities/update")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn update_opportunity(
    id: Option<String>,
    version: Option<String>,
    action: Option<String>,
    target_stage: Option<String>,
    date_of_change: Option<String>,
    estimated_value: Option<String>,
    chances: Option<String>,
    estimated_closing_date: Option<String>,
    cancel_open_tasks: Option<String>,
) -> Result<Saved, AppError> {
    use crate::domain::entries::UpdateRequest;
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    let request = UpdateRequest {
        action: read::action(action.as_deref())?,
        target_stage_id: target_stage.and_then(|s| s.trim().parse().ok()),
        date_of_change: read::date(date_of_change.as_deref(), "date_of_change")?,
        estimated_value: read::amount(estimated_value.as_deref(), "estimated_value")?,
        chances: read::percent(chances.as_deref(), "chances")?,
        estimated_closing_date: read::date(
            estimated_closing_date.as_deref(),
            "estimated_closing_date",
        )?,
    };
    let cancel = read::flag(cancel_open_tasks.as_deref());
    super::ops::update(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        &request,
        cancel,
        None,
        read::today(),
    )
    .await
    .map_err(AppError::respond)
}

/// Closes the opportunity as won or lost.
#[server(endpoint = "opportunities/close")]
#[allow(clippy::too_many_arguments)] // one argument per form field
pub async fn close_opportunity(
    id: Option<String>,
    version: Option<String>,
    outcome: Option<String>,
    close_code: Option<String>,
    date: Option<String>,
    amount_won: Option<String>,
    cancel_open_tasks: Option<String>,
) -> Result<Saved, AppError> {
    use crate::domain::entries::Outcome;
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    let outcome = match outcome.as_deref().map(str::trim) {
        Some("won") => Outcome::Won,
        Some("lost") => Outcome::Lost,
        _ => return Err(AppError::field("outcome", "Choose Won or Lost.").respond()),
    };
    let input = super::ops::CloseInput {
        outcome,
        close_code: close_code.unwrap_or_default(),
        date: read::date(date.as_deref(), "date")?,
        amount_won: read::amount(amount_won.as_deref(), "amount_won")?,
        cancel_open_tasks: read::flag(cancel_open_tasks.as_deref()),
    };
    super::ops::close(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        &input,
        read::today(),
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/edit")]
pub async fn edit_opportunity(
    id: Option<String>,
    version: Option<String>,
    description: Option<String>,
    priority: Option<String>,
) -> Result<Saved, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    super::ops::edit(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        description.as_deref().unwrap_or_default(),
        priority.as_deref().unwrap_or_default(),
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/quote/add-line")]
pub async fn add_quote_line(
    id: Option<String>,
    version: Option<String>,
    description: Option<String>,
    quantity: Option<String>,
    unit_price: Option<String>,
    discount: Option<String>,
) -> Result<Saved, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    let line = (
        description.as_deref().unwrap_or_default(),
        quantity.as_deref().unwrap_or_default(),
        unit_price.as_deref().unwrap_or_default(),
        discount.as_deref().unwrap_or_default(),
    );
    super::ops::add_quote_line(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        line,
        read::today(),
    )
    .await
    .map_err(AppError::respond)
}

#[server(endpoint = "opportunities/quote/remove-line")]
pub async fn remove_quote_line(
    id: Option<String>,
    version: Option<String>,
    line: Option<String>,
) -> Result<Saved, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    let line = read::id(line.as_deref())?;
    super::ops::remove_quote_line(&crate::state::pool()?, &viewer, id, version, line)
        .await
        .map_err(AppError::respond)
}

#[server(endpoint = "tasks/set-status")]
pub async fn set_task_status(
    id: Option<String>,
    version: Option<String>,
    status: Option<String>,
) -> Result<(), AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    super::ops::set_task_status(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        status.as_deref().unwrap_or_default().trim(),
    )
    .await
    .map_err(AppError::respond)
}

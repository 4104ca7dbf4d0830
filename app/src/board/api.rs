//! Server functions of the board. A drop across columns goes to `board/move`, which calls the
//! very `opportunities::ops::update` the card's dialog calls.

use leptos::prelude::*;

use super::{Board, BoardCard, BoardChanges};
use crate::{error::AppError, opportunities::Saved};

#[server(endpoint = "board/get")]
pub async fn get_board(query: Option<String>) -> Result<Board, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let query = crate::opportunities::ListQuery::decode(query.as_deref().unwrap_or_default());
    let today = crate::opportunities::api::read::today();
    super::ops::board(&crate::state::pool()?, &viewer, &query, today)
        .await
        .map_err(AppError::respond)
}

/// The live board's refetch: the changed cards (comma-separated ids, at most 200) as they are now
/// on this board, and every column's totals.
#[server(endpoint = "board/changes")]
pub async fn changed_cards(
    query: Option<String>,
    ids: Option<String>,
) -> Result<BoardChanges, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let query = crate::opportunities::ListQuery::decode(query.as_deref().unwrap_or_default());
    let mut ids: Vec<i64> = ids
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > 200 {
        return Err(AppError::field("ids", "At most 200 cards at a time.").respond());
    }
    let today = crate::opportunities::api::read::today();
    super::ops::changes(&crate::state::pool()?, &viewer, &query, &ids, today)
        .await
        .map_err(AppError::respond)
}

/// The next cards of a column, after the last one shown.
#[server(endpoint = "board/more")]
pub async fn more_cards(
    query: Option<String>,
    stage: Option<String>,
    after_rank: Option<String>,
    after_id: Option<String>,
) -> Result<Vec<BoardCard>, AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let query = crate::opportunities::ListQuery::decode(query.as_deref().unwrap_or_default());
    let stage = stage.and_then(|s| s.trim().parse().ok());
    let after_id = after_id.and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let after_rank = after_rank.unwrap_or_default();
    let today = crate::opportunities::api::read::today();
    super::ops::more_cards(
        &crate::state::pool()?,
        &viewer,
        &query,
        stage,
        (&after_rank, after_id),
        today,
    )
    .await
    .map_err(AppError::respond)
}

/// A card dropped on another stage: the action the drop means (Next, Previous, Skip, Jump, First)
/// with every other field defaulted — but a new estimated closing date when the card's has
/// passed — and the card's place in its new column.
#[server(endpoint = "board/move")]
pub async fn move_card(
    id: Option<String>,
    version: Option<String>,
    action: Option<String>,
    target_stage: Option<String>,
    rank: Option<String>,
    estimated_closing_date: Option<String>,
) -> Result<Saved, AppError> {
    use crate::{domain::entries::UpdateRequest, opportunities::api::read};
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(id.as_deref())?;
    let version = read::version(version.as_deref())?;
    let mut request = UpdateRequest::new(read::action(action.as_deref())?);
    request.target_stage_id = target_stage.and_then(|s| s.trim().parse().ok());
    // Given when the card's estimated closing date has passed (the board asks for a new one).
    request.estimated_closing_date =
        read::date(estimated_closing_date.as_deref(), "estimated_closing_date")?;
    let rank = rank.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
    crate::opportunities::ops::update(
        &crate::state::pool()?,
        &viewer,
        id,
        version,
        &request,
        false,
        rank.as_deref(),
        read::today(),
    )
    .await
    .map_err(AppError::respond)
}

/// A card moved within its column.
#[server(endpoint = "board/reorder")]
pub async fn reorder_card(id: Option<String>, rank: Option<String>) -> Result<(), AppError> {
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = crate::opportunities::api::read::id(id.as_deref())?;
    super::ops::reorder(
        &crate::state::pool()?,
        &viewer,
        id,
        rank.as_deref().unwrap_or_default().trim(),
    )
    .await
    .map_err(AppError::respond)
}

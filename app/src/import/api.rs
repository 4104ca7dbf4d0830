//! Server functions of the import page. The upload itself is a plain multipart POST to
//! `/import/upload` (server/src/import.rs), so a 10 MB file never goes through a JSON body.

use leptos::prelude::*;

use super::{ImportReport, Preview};
use crate::error::AppError;

#[server(endpoint = "import/preview")]
pub async fn preview_import(upload: Option<String>) -> Result<Preview, AppError> {
    use crate::opportunities::api::read;
    let user = crate::auth::access::require_user()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(upload.as_deref())?;
    super::ops::preview(&crate::state::pool()?, &user, id)
        .await
        .map_err(AppError::respond)
}

/// Runs the upload. `mapping` is `field=column index` pairs joined by `;` (empty index: not
/// imported).
#[server(endpoint = "import/run")]
pub async fn run_import(
    upload: Option<String>,
    mapping: Option<String>,
) -> Result<ImportReport, AppError> {
    use crate::opportunities::api::read;
    let viewer = crate::auth::access::require_viewer()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(upload.as_deref())?;
    let mapping = super::decode_mapping(mapping.as_deref().unwrap_or_default());
    super::ops::run_upload(&crate::state::pool()?, &viewer, id, &mapping, read::today())
        .await
        .map_err(AppError::respond)
}

/// (rows checked, rows) while this user's import of the upload runs on this instance.
#[server(endpoint = "import/progress")]
pub async fn import_progress(upload: Option<String>) -> Result<Option<(usize, usize)>, AppError> {
    use crate::opportunities::api::read;
    let _user = crate::auth::access::require_user()
        .await
        .map_err(AppError::respond)?;
    let id = read::id(upload.as_deref())?;
    Ok(super::ops::progress(id))
}

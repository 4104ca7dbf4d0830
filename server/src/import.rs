//! `POST /import/upload`: the import page's file form (multipart, signed-in session). Stores the
//! file and sends the browser on to the mapping step; problems go back to the form as `?error=`.

use app::{error::AppError, import::ImportKind, state::AppState};
use axum::{
    extract::{Multipart, State},
    response::{IntoResponse, Redirect, Response},
};

pub async fn upload(
    State(state): State<AppState>,
    auth: app::auth::backend::AuthSession,
    mut form: Multipart,
) -> Response {
    let Some(user) = auth.user else {
        return Redirect::to("/login?next=/import").into_response();
    };
    let mut kind = ImportKind::Contacts;
    let mut file: Option<(String, String)> = None;
    let back = |kind: ImportKind, message: &str| {
        Redirect::to(&format!(
            "/import?kind={}&error={}",
            kind.as_str(),
            app::error::encode_query_value(message)
        ))
        .into_response()
    };
    loop {
        match form.next_field().await {
            Ok(None) => break,
            Ok(Some(field)) => match field.name() {
                Some("kind") => {
                    let text = field.text().await.unwrap_or_default();
                    kind = ImportKind::parse(&text).unwrap_or(ImportKind::Contacts);
                }
                Some("file") => {
                    let name = field.file_name().unwrap_or("upload.csv").to_owned();
                    match field.bytes().await {
                        Ok(bytes) => match String::from_utf8(bytes.to_vec()) {
                            Ok(text) => file = Some((name, text)),
                            Err(_) => {
                                return back(
                                    kind,
                                    "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.",
                                );
                            }
                        },
                        Err(_) => return back(kind, "The file is larger than 10 MB: split it."),
                    }
                }
                _ => {}
            },
            Err(_) => {
                return back(
                    kind,
                    "The upload could not be read (or is larger than 10 MB).",
                );
            }
        }
    }
    let Some((name, text)) = file else {
        return back(kind, "Choose a CSV file.");
    };
    match app::import::ops::store_upload(&state.pool, &user, kind, &name, &text).await {
        Ok(id) => Redirect::to(&format!("/import?upload={id}")).into_response(),
        Err(AppError::Validation(fields)) => back(
            kind,
            fields
                .values()
                .next()
                .map(String::as_str)
                .unwrap_or("The file could not be read."),
        ),
        Err(e) => back(kind, &e.to_string()),
    }
}

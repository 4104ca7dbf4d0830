//! The home page: where to start, and whether the system is healthy.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// What the status card shows: enough for an admin to see the server and database are fine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    pub database_ok: bool,
    pub schema_version: i64,
    pub checked_at: String,
}

#[server(endpoint = "system/status")]
pub async fn system_status() -> Result<StatusReport, crate::error::AppError> {
    crate::auth::access::require_user()
        .await
        .map_err(crate::error::AppError::respond)?;
    let pool = crate::state::pool()?;
    // Readiness: the database answers and reports which migration it is at.
    let version: Result<Option<i64>, sqlx::Error> =
        sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
            .fetch_one(&pool)
            .await;
    let checked_at = chrono::Utc::now().format("%H:%M:%S UTC").to_string();
    Ok(match version {
        Ok(v) => StatusReport {
            database_ok: true,
            schema_version: v.unwrap_or(0),
            checked_at,
        },
        Err(e) => {
            tracing::warn!(error = %e, "status check could not reach the database");
            StatusReport {
                database_ok: false,
                schema_version: 0,
                checked_at,
            }
        }
    })
}

#[component]
pub fn HomePage() -> impl IntoView {
    let (checks, set_checks) = signal(1u32);
    let status = Resource::new(move || checks.get(), |_| system_status());

    view! {
        <Title text="Home · Pipeline"/>
        <h1>"Welcome to Pipeline"</h1>
        <p class="lead">"Track every lead from first contact to won deal, stage by stage."</p>
        <div class="grid">
            <section class="card" aria-labelledby="start-heading">
                <h2 id="start-heading">"Get started"</h2>
                <ol class="steps">
                    <li><a href="/setup">"Set up your sales cycles and stages"</a></li>
                    <li><a href="/contacts">"Add the companies and people you sell to"</a></li>
                    <li><a href="/opportunities">"Create opportunities and move them on the board"</a></li>
                </ol>
            </section>
            <section class="card" aria-labelledby="status-heading">
                <h2 id="status-heading">"System status"</h2>
                <Transition fallback=|| view! { <p class="muted">"Checking…"</p> }>
                    {move || {
                        status
                            .get()
                            .map(|result| match result {
                                Ok(s) if s.database_ok => view! {
                                    <p class="status ok" role="status">
                                        "Database connected · schema version "
                                        {s.schema_version}
                                    </p>
                                    <p class="muted">"Last checked " {s.checked_at}</p>
                                }
                                .into_any(),
                                Ok(_) => view! {
                                    <p class="status bad" role="status">
                                        "The database is not reachable. Pipeline will retry on its own."
                                    </p>
                                }
                                .into_any(),
                                Err(_) => view! {
                                    <p class="status bad" role="status">
                                        "The server could not be reached. Check your connection."
                                    </p>
                                }
                                .into_any(),
                            })
                    }}
                </Transition>
                <p class="muted">{move || format!("Checks this visit: {}", checks.get())}</p>
                <button type="button" class="button" on:click=move |_| set_checks.update(|n| *n += 1)>
                    "Check again"
                </button>
            </section>
        </div>
    }
}

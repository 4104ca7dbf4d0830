//! /import: upload a CSV file (a plain multipart form, works before the app loads), map its
//! columns with a preview, import; problems are listed by row.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    ImportKind, ImportReport, Preview,
    api::{RunImport, preview_import},
    encode_mapping,
};
use crate::{error::AppError, ui::FormMessage};

#[component]
pub fn ImportPage() -> impl IntoView {
    let query = use_query_map();
    let upload = move || query.with(|q| q.get("upload"));
    let kind = move || {
        query
            .with(|q| q.get("kind"))
            .and_then(|k| ImportKind::parse(&k))
            .unwrap_or(ImportKind::Contacts)
    };
    let error = move || query.with(|q| q.get("error"));
    view! {
        <Title text="Import · Pipeline"/>
        <h1>"Import from CSV"</h1>
        {move || match upload() {
            None => upload_step(kind(), error()).into_any(),
            Some(id) => view! { <MappingStep upload=id/> }.into_any(),
        }}
    }
}

fn upload_step(kind: ImportKind, error: Option<String>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="upload-heading">
            <h2 id="upload-heading">"1. Choose a file"</h2>
            <p class="muted">
                "A CSV file (comma-separated, UTF-8) whose first line names the columns — up to 10 MB and 50,000 rows. "
                "Nothing is imported until you have checked the columns on the next step."
            </p>
            {error.map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            <form method="post" action="/import/upload" enctype="multipart/form-data" class="form-grid">
                <div class="field">
                    <label for="import-kind">"Import"</label>
                    <select id="import-kind" name="kind">
                        <option value="contacts" selected=kind == ImportKind::Contacts>"Contacts"</option>
                        <option value="opportunities" selected=kind == ImportKind::Opportunities>"Opportunities"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" name="file" type="file" accept=".csv,text/csv" required/>
                </div>
                <div class="form-actions">
                    <button class="button" type="submit">"Upload and preview"</button>
                </div>
            </form>
        </section>
    }
}

#[component]
fn MappingStep(upload: String) -> impl IntoView {
    let preview = Resource::new(move || upload.clone(), |id| preview_import(Some(id)));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Reading the file…"</p> }>
            {move || preview.get().map(|result| match result {
                Err(e) => view! {
                    <p class="form-error" role="alert">{match e {
                        AppError::NotFound => "This upload does not exist (uploads are kept for a day).".to_owned(),
                        other => other.to_string(),
                    }}</p>
                    <p><a href="/import">"Upload a file"</a></p>
                }.into_any(),
                Ok(p) => mapping_form(p).into_any(),
            })}
        </Transition>
    }
}

fn mapping_form(p: Preview) -> impl IntoView {
    let run = ServerAction::<RunImport>::new();
    let mapping = RwSignal::new(p.mapping.clone());
    let headers = p.headers.clone();
    let what = p.kind.as_str();
    let total = p.total_rows;
    let report = move || run.value().get();
    // While the import runs, ask every half second how far it got.
    let progress = RwSignal::new(None::<(usize, usize)>);
    let upload_id = p.upload_id;
    Effect::new(move |_| {
        if !run.pending().get() {
            progress.set(None);
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let handle = set_interval_with_handle(
                move || {
                    leptos::task::spawn_local(async move {
                        if run.pending().get_untracked() {
                            if let Ok(p) =
                                super::api::import_progress(Some(upload_id.to_string())).await
                            {
                                progress.set(p);
                            }
                        }
                    });
                },
                std::time::Duration::from_millis(500),
            );
            if let Ok(handle) = handle {
                on_cleanup(move || handle.clear());
            }
        }
        let _ = upload_id;
    });
    view! {
        <section class="card" aria-labelledby="map-heading">
            <h2 id="map-heading">{format!("2. Match the columns of {}", p.filename)}</h2>
            <p class="muted">{format!("{total} rows of {what}. The first rows:")}</p>
            <div class="table-wrap">
                <table class="table preview" aria-label="First rows of the file">
                    <thead><tr>{p.headers.iter().map(|h| view! { <th scope="col">{h.clone()}</th> }).collect_view()}</tr></thead>
                    <tbody>
                        {p.rows.iter().map(|row| view! {
                            <tr>{row.iter().map(|c| view! { <td>{c.clone()}</td> }).collect_view()}</tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="form-grid mapping">
                {p.kind.columns().iter().enumerate().map(|(i, column)| {
                    let headers = headers.clone();
                    let id = format!("map-{}", column.field);
                    let current = p.mapping.get(i).and_then(|(_, c)| *c);
                    view! {
                        <div class="field">
                            <label for=id.clone()>{column.label}{column.required.then_some(" *")}</label>
                            <select id=id on:change=move |ev| {
                                let value = event_target_value(&ev).parse::<usize>().ok();
                                mapping.update(|m| if let Some(slot) = m.get_mut(i) { slot.1 = value; });
                            }>
                                <option value="" selected=current.is_none()>"— not imported —"</option>
                                {headers.iter().enumerate().map(|(j, h)| view! {
                                    <option value=j.to_string() selected=current == Some(j)>{h.clone()}</option>
                                }).collect_view()}
                            </select>
                        </div>
                    }
                }).collect_view()}
            </div>
            {if p.imported {
                view! { <p class="form-ok" role="status">"This file has been imported."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=run>
                        <input type="hidden" name="upload" value=p.upload_id.to_string()/>
                        <input type="hidden" name="mapping" prop:value=move || encode_mapping(&mapping.get())/>
                        <FormMessage error=Signal::derive(move || report().and_then(Result::err))/>
                        <div class="form-actions">
                            <button class="button" type="submit" disabled=move || run.pending().get() || matches!(report(), Some(Ok(r)) if r.errors.is_empty())>
                                {format!("Import {total} rows")}
                            </button>
                        </div>
                        <Show when=move || run.pending().get()>
                            <div role="status" class="import-progress">
                                <p class="muted">{format!("Importing {total} rows… checking every row, then saving them together (up to a minute for 50,000).")}</p>
                                {move || progress.get().map(|(done, all)| view! {
                                    <progress max=all.to_string() value=done.to_string()></progress>
                                    <span class="muted">{format!(" {done} of {all} rows checked")}</span>
                                })}
                            </div>
                        </Show>
                    </ActionForm>
                }.into_any()
            }}
            {move || report().and_then(Result::ok).map(|r| outcome(r, what))}
        </section>
    }
}

fn outcome(r: ImportReport, what: &'static str) -> impl IntoView {
    if r.errors.is_empty() {
        return view! {
            <p class="form-ok" role="status">{format!("Imported {} {what}.", r.imported)}" "
                <a href=format!("/{what}")>{format!("Open the {what}")}</a></p>
        }
        .into_any();
    }
    let more = r.more_errors;
    view! {
        <div role="alert">
            <p class="form-error">{format!("Nothing was imported: {} problem(s) in {} rows. Fix the file and upload it again, or change the columns above.",
                r.errors.len() + more, r.rows)}</p>
            <div class="table-wrap">
                <table class="table" aria-label="Problems by row">
                    <thead><tr><th scope="col">"Row"</th><th scope="col">"Field"</th><th scope="col">"Problem"</th></tr></thead>
                    <tbody>
                        {r.errors.into_iter().map(|e| view! {
                            <tr><td data-label="Row">{e.row}</td><td data-label="Field">{e.field}</td><td data-label="Problem">{e.message}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(more > 0).then(|| view! { <p class="muted">{format!("… and {more} more.")}</p> })}
        </div>
    }
    .into_any()
}

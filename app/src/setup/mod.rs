//! Setup: sales cycles and their stages, close codes and activities (admins only). Forms post
//! to server functions and work before the app hydrates; messages appear next to the fields.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    domain::{
        entries::{Outcome, ProbabilityMethod},
        setup::method_code,
    },
    error::AppError,
    ui::{FieldMessage, Forbidden, FormMessage, action_error, invalid, successes},
};
use api::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleRow {
    pub code: String,
    pub description: String,
    pub method: ProbabilityMethod,
    pub blocked: bool,
    pub stages: i64,
    pub open_count: i64,
    pub estimated_value: Decimal,
    pub calculated_value: Decimal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRow {
    pub id: i64,
    pub stage: i32,
    pub description: String,
    pub completed: Decimal,
    pub chances: Decimal,
    pub activity_id: Option<i64>,
    pub activity_code: Option<String>,
    pub quote_required: bool,
    pub allow_skip: bool,
    pub date_formula: String,
    pub comment: String,
    pub statistics: StageStatistics,
}

/// DOMAIN.md "Statistics" per stage: the open opportunities whose active entry is at the stage,
/// and the mean days open of the entries that left it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageStatistics {
    pub open_count: i64,
    pub estimated_value: Decimal,
    pub calculated_value: Decimal,
    /// `None` until an opportunity has left the stage.
    pub average_days: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleDetail {
    pub code: String,
    pub description: String,
    pub method: ProbabilityMethod,
    pub blocked: bool,
    pub version: i32,
    pub stages: Vec<StageRow>,
    /// (id, "CODE – description") for the stage form's activity choice.
    pub activities: Vec<(i64, String)>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloseCodeRow {
    pub id: i64,
    pub code: String,
    pub description: String,
    pub outcome: Outcome,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRow {
    pub id: i64,
    pub position: i32,
    pub kind: String,
    pub description: String,
    pub priority: String,
    pub date_formula: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub id: i64,
    pub code: String,
    pub description: String,
    pub steps: Vec<StepRow>,
    /// How many stages name this activity.
    pub used_by: i64,
}

/// Percentages as stored: two decimals.
fn pct(d: Decimal) -> String {
    format!("{d:.2} %")
}

fn step_kind_label(kind: &str) -> &'static str {
    match kind {
        "meeting" => "Meeting",
        "phone_call" => "Phone call",
        _ => "Task",
    }
}

/// The tabs of the Setup area.
#[component]
pub fn SetupTabs() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Setup">
            <A href="/setup/cycles">"Sales cycles"</A>
            <A href="/setup/close-codes">"Close codes"</A>
            <A href="/setup/activities">"Activities"</A>
            <A href="/setup/salespeople">"Salespeople"</A>
            <A href="/setup/teams">"Teams"</A>
            <A href="/setup/users">"Users"</A>
            <A href="/setup/webhooks">"Webhooks"</A>
        </nav>
    }
}

/// Renders `ok` for a loaded value, the Forbidden page for non-admins, and errors plainly.
fn loaded<T: 'static, V: IntoView + 'static>(
    result: Result<T, AppError>,
    ok: impl FnOnce(T) -> V,
) -> AnyView {
    match result {
        Ok(value) => ok(value).into_any(),
        Err(AppError::Forbidden | AppError::Unauthorized) => view! { <Forbidden/> }.into_any(),
        Err(AppError::NotFound) => view! {
            <section class="card empty-state">
                <h1>"Not found"</h1>
                <p>"This record does not exist (any more)."</p>
                <p><a href="/setup">"Back to Setup"</a></p>
            </section>
        }
        .into_any(),
        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
    }
}

#[component]
pub fn SetupHome() -> impl IntoView {
    let cycles = Resource::new_blocking(|| (), |_| list_cycles());
    view! {
        <Title text="Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || cycles.get().map(|r| loaded(r, |cycles: Vec<CycleRow>| view! {
                <h1>"Setup"</h1>
                <p class="lead">"How your team sells: cycles and stages, close reasons, follow-up activities, people."</p>
                <SetupTabs/>
                <div class="grid">
                    <section class="card">
                        <h2><a href="/setup/cycles">"Sales cycles"</a></h2>
                        <p class="muted">{format!("{} cycle(s) with their stages, probabilities and rules.", cycles.len())}</p>
                    </section>
                    <section class="card">
                        <h2><a href="/setup/close-codes">"Close codes"</a></h2>
                        <p class="muted">"Why opportunities are won or lost."</p>
                    </section>
                    <section class="card">
                        <h2><a href="/setup/activities">"Activities"</a></h2>
                        <p class="muted">"Tasks, calls and meetings created when an opportunity enters a stage."</p>
                    </section>
                    <section class="card">
                        <h2><a href="/setup/users">"Users"</a></h2>
                        <p class="muted">"Who can sign in, and their roles."</p>
                    </section>
                </div>
            }))}
        </Transition>
    }
}

#[component]
fn MethodSelect(id: &'static str, selected: ProbabilityMethod) -> impl IntoView {
    view! {
        <select id=id name="method">
            {ProbabilityMethod::ALL.into_iter().map(|m| view! {
                <option value=method_code(m) selected={m == selected}>{m.label()}</option>
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn CyclesPage() -> impl IntoView {
    let create = ServerAction::<CreateCycle>::new();
    let error = action_error(create);
    let created = successes(create);
    let cycles = Resource::new_blocking(move || created.get(), |_| list_cycles());
    view! {
        <Title text="Sales cycles · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading sales cycles…"</p> }>
            {move || cycles.get().map(|r| loaded(r, |cycles: Vec<CycleRow>| view! {
                <h1>"Sales cycles"</h1>
                <SetupTabs/>
                <div class="table-wrap">
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Code"</th><th scope="col">"Description"</th><th scope="col">"Probability"</th>
                            <th scope="col">"Stages"</th><th scope="col">"Open"</th><th scope="col">"Estimated value"</th>
                            <th scope="col">"Calculated value"</th><th scope="col">"Status"</th>
                        </tr></thead>
                        <tbody>
                            {cycles.into_iter().map(|c| view! {
                                <tr>
                                    <td data-label="Code"><a href=format!("/setup/cycles/{}", c.code)>{c.code.clone()}</a></td>
                                    <td data-label="Description">{c.description}</td>
                                    <td data-label="Probability">{c.method.label()}</td>
                                    <td data-label="Stages">{c.stages}</td>
                                    <td data-label="Open">{c.open_count}</td>
                                    <td data-label="Estimated value" class="num">{crate::opportunities::money(c.estimated_value)}</td>
                                    <td data-label="Calculated value" class="num">{crate::opportunities::money(c.calculated_value)}</td>
                                    <td data-label="Status">{if c.blocked { "Blocked" } else { "Active" }}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <section class="card" aria-labelledby="new-cycle-heading">
                    <h2 id="new-cycle-heading">"New sales cycle"</h2>
                    <ActionForm action=create attr:class="form-grid">
                        <div class="field">
                            <label for="cycle-code">"Code"</label>
                            <input id="cycle-code" name="code" required maxlength="20" aria-invalid=invalid(error, "code")/>
                            <FieldMessage error=error field="code"/>
                        </div>
                        <div class="field">
                            <label for="cycle-description">"Description"</label>
                            <input id="cycle-description" name="description" maxlength="100" aria-invalid=invalid(error, "description")/>
                            <FieldMessage error=error field="description"/>
                        </div>
                        <div class="field">
                            <label for="cycle-method">"Probability calculation"</label>
                            <MethodSelect id="cycle-method" selected=ProbabilityMethod::Multiply/>
                            <FieldMessage error=error field="method"/>
                        </div>
                        <FormMessage error=error/>
                        <div class="form-actions">
                            <button class="button" type="submit">"Create sales cycle"</button>
                        </div>
                    </ActionForm>
                </section>
            }))}
        </Transition>
    }
}

#[component]
pub fn CyclePage() -> impl IntoView {
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    let update = ServerAction::<UpdateCycle>::new();
    let delete = ServerAction::<DeleteCycle>::new();
    let save = ServerAction::<SaveStage>::new();
    let moved = ServerAction::<MoveStage>::new();
    let remove = ServerAction::<DeleteStage>::new();
    let changes = [
        successes(update),
        successes(save),
        successes(moved),
        successes(remove),
    ];
    let cycle = Resource::new_blocking(
        move || (code(), changes.map(|c| c.get())),
        |(code, _)| get_cycle(code),
    );
    let update_error = action_error(update);
    let save_error = action_error(save);
    let (move_error, remove_error, delete_error) = (
        action_error(moved),
        action_error(remove),
        action_error(delete),
    );
    let row_error = Signal::derive(move || {
        move_error
            .get()
            .or_else(|| remove_error.get())
            .or_else(|| delete_error.get())
    });
    let saved = move || matches!(update.value().get(), Some(Ok(())));

    view! {
        <Title text="Sales cycle · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || cycle.get().map(|r| loaded(r, |c: CycleDetail| {
                let stage_count = c.stages.len();
                let next_number = c.stages.iter().map(|s| s.stage).max().unwrap_or(0) + 1;
                let activities = c.activities.clone();
                let cycle_code = c.code.clone();
                let (code_update, code_add, code_delete) = (c.code.clone(), c.code.clone(), c.code.clone());
                let delete_label = format!("Delete sales cycle {}", c.code);
                let title = format!("{} · {}", c.code, c.description);
                let description = c.description.clone();
                view! {
                    <p class="breadcrumb"><a href="/setup/cycles">"Sales cycles"</a></p>
                    <h1>{title}</h1>
                    <section class="card" aria-labelledby="cycle-heading">
                        <h2 id="cycle-heading">"Cycle"</h2>
                        <ActionForm action=update attr:class="form-grid">
                            <input type="hidden" name="code" value=code_update/>
                            <input type="hidden" name="version" value=c.version.to_string()/>
                            <div class="field">
                                <label for="edit-description">"Description"</label>
                                <input id="edit-description" name="description" maxlength="100" value=description
                                    aria-invalid=invalid(update_error, "description")/>
                                <FieldMessage error=update_error field="description"/>
                            </div>
                            <div class="field">
                                <label for="edit-method">"Probability calculation"</label>
                                <MethodSelect id="edit-method" selected=c.method/>
                            </div>
                            <div class="field checkbox">
                                <input id="edit-blocked" name="blocked" type="checkbox" checked=c.blocked/>
                                <label for="edit-blocked">"Blocked (no new opportunities)"</label>
                            </div>
                            <FormMessage error=update_error/>
                            <Show when=saved><p class="form-ok" role="status">"Saved."</p></Show>
                            <div class="form-actions">
                                <button class="button" type="submit">"Save cycle"</button>
                            </div>
                        </ActionForm>
                    </section>

                    <h2>"Stages"</h2>
                    <FormMessage error=row_error/>
                    {if c.stages.is_empty() {
                        view! { <p class="card empty-state">"No stages yet. Add the first stage below."</p> }.into_any()
                    } else {
                        view! {
                            <ol class="stage-list" aria-label="Stages in order">
                                {c.stages.into_iter().enumerate().map(|(i, s)| view! {
                                    <StageItem stage=s first={i == 0} last={i + 1 == stage_count} cycle_code=cycle_code.clone()
                                        activities=activities.clone() save=save moved=moved remove=remove/>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                    <section class="card" aria-labelledby="new-stage-heading">
                        <h2 id="new-stage-heading">"Add a stage"</h2>
                        <ActionForm action=save attr:class="form-grid">
                            <input type="hidden" name="cycle_code" value=code_add/>
                            <StageFields prefix="new" stage=None next_number=next_number activities=c.activities.clone() error=save_error/>
                            <FormMessage error=save_error/>
                            <div class="form-actions">
                                <button class="button" type="submit">"Add stage"</button>
                            </div>
                        </ActionForm>
                    </section>
                    <section class="card danger-zone" aria-labelledby="delete-heading">
                        <h2 id="delete-heading">"Delete this cycle"</h2>
                        <p class="muted">"Only possible while no opportunity has used it. Otherwise block it."</p>
                        <ActionForm action=delete>
                            <input type="hidden" name="code" value=code_delete/>
                            <button class="button danger" type="submit">{delete_label}</button>
                        </ActionForm>
                    </section>
                }
            }))}
        </Transition>
    }
}

#[component]
fn StageItem(
    stage: StageRow,
    first: bool,
    last: bool,
    cycle_code: String,
    activities: Vec<(i64, String)>,
    save: ServerAction<SaveStage>,
    moved: ServerAction<MoveStage>,
    remove: ServerAction<DeleteStage>,
) -> impl IntoView {
    let name = format!("{} {}", stage.stage, stage.description);
    let id = stage.id.to_string();
    let error = action_error(save);
    let mut flags = Vec::new();
    if stage.quote_required {
        flags.push("Quote required");
    }
    if stage.allow_skip {
        flags.push("Can be skipped");
    }
    let details = format!(
        "Completed {} · Chances {}{}{}",
        pct(stage.completed),
        pct(stage.chances),
        if stage.date_formula.is_empty() {
            String::new()
        } else {
            format!(" · Closing date {}", stage.date_formula)
        },
        stage
            .activity_code
            .as_ref()
            .map(|a| format!(" · Activity {a}"))
            .unwrap_or_default(),
    );
    let (id_up, id_down, id_delete, id_edit) = (id.clone(), id.clone(), id.clone(), id.clone());
    let (up_label, down_label, delete_label) = (
        format!("Move {name} up"),
        format!("Move {name} down"),
        format!("Delete stage {name}"),
    );
    let (edit_summary, save_label) = (format!("Edit stage {name}"), format!("Save stage {name}"));
    let prefix = format!("stage-{id}");
    view! {
        <li class="card stage">
            <div class="stage-head">
                <span class="stage-number" aria-hidden="true">{stage.stage}</span>
                <div class="stage-text">
                    <strong>{stage.description.clone()}</strong>
                    <span class="muted">{details}</span>
                    {(!flags.is_empty()).then(|| view! { <span class="badges">{flags.join(" · ")}</span> })}
                    <span class="muted stage-statistics">{stage_statistics(&stage.statistics)}</span>
                </div>
                <div class="stage-actions">
                    <ActionForm action=moved attr:class="inline-form">
                        <input type="hidden" name="id" value=id_up/>
                        <input type="hidden" name="direction" value="up"/>
                        <button class="button secondary small" type="submit" disabled=first aria-label=up_label>"↑"</button>
                    </ActionForm>
                    <ActionForm action=moved attr:class="inline-form">
                        <input type="hidden" name="id" value=id_down/>
                        <input type="hidden" name="direction" value="down"/>
                        <button class="button secondary small" type="submit" disabled=last aria-label=down_label>"↓"</button>
                    </ActionForm>
                    <ActionForm action=remove attr:class="inline-form">
                        <input type="hidden" name="id" value=id_delete/>
                        <button class="button secondary small" type="submit" aria-label=delete_label>"Delete"</button>
                    </ActionForm>
                </div>
            </div>
            <details>
                <summary>{edit_summary}</summary>
                <ActionForm action=save attr:class="form-grid">
                    <input type="hidden" name="cycle_code" value=cycle_code/>
                    <input type="hidden" name="id" value=id_edit/>
                    <StageFields prefix=prefix stage=Some(stage.clone()) next_number=stage.stage activities=activities error=error/>
                    <div class="form-actions">
                        <button class="button" type="submit">{save_label}</button>
                    </div>
                </ActionForm>
            </details>
        </li>
    }
}

/// The fields of a stage, for adding (empty) and editing (filled in).
#[component]
fn StageFields(
    #[prop(into)] prefix: String,
    stage: Option<StageRow>,
    next_number: i32,
    activities: Vec<(i64, String)>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let id = |f: &str| format!("{prefix}-{f}");
    let value = |f: fn(&StageRow) -> String, default: &str| {
        stage.as_ref().map(f).unwrap_or_else(|| default.to_owned())
    };
    let description = value(|s| s.description.clone(), "");
    let completed = value(|s| s.completed.to_string(), "0");
    let chances = value(|s| s.chances.to_string(), "0");
    let formula = value(|s| s.date_formula.clone(), "");
    let comment = value(|s| s.comment.clone(), "");
    let activity = stage.as_ref().and_then(|s| s.activity_id);
    let quote_required = stage.as_ref().is_some_and(|s| s.quote_required);
    let allow_skip = stage.as_ref().is_some_and(|s| s.allow_skip);
    view! {
        <div class="field">
            <label for=id("stage")>"Stage no."</label>
            <input id=id("stage") name="stage" inputmode="numeric" required value=next_number.to_string()
                aria-invalid=invalid(error, "stage")/>
            <FieldMessage error=error field="stage"/>
        </div>
        <div class="field">
            <label for=id("description")>"Description"</label>
            <input id=id("description") name="description" required maxlength="100"
                value=description aria-invalid=invalid(error, "description")/>
            <FieldMessage error=error field="description"/>
        </div>
        <div class="field">
            <label for=id("completed")>"Completed %"</label>
            <input id=id("completed") name="completed" inputmode="decimal" value=completed
                aria-invalid=invalid(error, "completed")/>
            <FieldMessage error=error field="completed"/>
        </div>
        <div class="field">
            <label for=id("chances")>"Chances of success %"</label>
            <input id=id("chances") name="chances" inputmode="decimal" value=chances
                aria-invalid=invalid(error, "chances")/>
            <FieldMessage error=error field="chances"/>
        </div>
        <div class="field">
            <label for=id("activity")>"Activity"</label>
            <select id=id("activity") name="activity_id">
                <option value="">"None"</option>
                {activities.into_iter().map(|(a, label)| view! {
                    <option value=a.to_string() selected={Some(a) == activity}>{label}</option>
                }).collect_view()}
            </select>
            <FieldMessage error=error field="activity_id"/>
        </div>
        <div class="field">
            <label for=id("formula")>"Closing date formula"</label>
            <input id=id("formula") name="date_formula" maxlength="50" placeholder="e.g. 2W or CM+1D"
                value=formula aria-invalid=invalid(error, "date_formula")/>
            <FieldMessage error=error field="date_formula"/>
        </div>
        <div class="field checkbox">
            <input id=id("quote") name="quote_required" type="checkbox" checked=quote_required/>
            <label for=id("quote")>"Quote required"</label>
        </div>
        <div class="field checkbox">
            <input id=id("skip") name="allow_skip" type="checkbox" checked=allow_skip/>
            <label for=id("skip")>"Allow skip"</label>
        </div>
        <div class="field">
            <label for=id("comment")>"Comment"</label>
            <input id=id("comment") name="comment" maxlength="500" value=comment/>
        </div>
    }
}

#[component]
pub fn CloseCodesPage() -> impl IntoView {
    let create = ServerAction::<CreateCloseCode>::new();
    let remove = ServerAction::<DeleteCloseCode>::new();
    let error = action_error(create);
    let remove_error = action_error(remove);
    let changes = [successes(create), successes(remove)];
    let codes = Resource::new_blocking(move || changes.map(|c| c.get()), |_| list_close_codes());
    view! {
        <Title text="Close codes · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading close codes…"</p> }>
            {move || codes.get().map(|r| loaded(r, |codes: Vec<CloseCodeRow>| view! {
                <h1>"Close codes"</h1>
                <SetupTabs/>
                <FormMessage error=remove_error/>
                <div class="table-wrap">
                    <table class="table">
                        <thead><tr>
                            <th scope="col">"Code"</th><th scope="col">"Description"</th><th scope="col">"Type"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {codes.into_iter().map(|c| view! {
                                <tr>
                                    <td data-label="Code">{c.code.clone()}</td>
                                    <td data-label="Description">{c.description}</td>
                                    <td data-label="Type">{c.outcome.label()}</td>
                                    <td>
                                        <ActionForm action=remove attr:class="inline-form">
                                            <input type="hidden" name="id" value=c.id.to_string()/>
                                            <button class="button secondary small" type="submit">{format!("Delete {}", c.code)}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <section class="card" aria-labelledby="new-code-heading">
                    <h2 id="new-code-heading">"New close code"</h2>
                    <ActionForm action=create attr:class="form-grid">
                        <div class="field">
                            <label for="close-code">"Code"</label>
                            <input id="close-code" name="code" required maxlength="20" aria-invalid=invalid(error, "code")/>
                            <FieldMessage error=error field="code"/>
                        </div>
                        <div class="field">
                            <label for="close-description">"Description"</label>
                            <input id="close-description" name="description" maxlength="100"/>
                            <FieldMessage error=error field="description"/>
                        </div>
                        <div class="field">
                            <label for="close-outcome">"Type"</label>
                            <select id="close-outcome" name="outcome">
                                <option value="won">"Won"</option>
                                <option value="lost">"Lost"</option>
                            </select>
                        </div>
                        <FormMessage error=error/>
                        <div class="form-actions"><button class="button" type="submit">"Add close code"</button></div>
                    </ActionForm>
                </section>
            }))}
        </Transition>
    }
}

#[component]
pub fn ActivitiesPage() -> impl IntoView {
    let create = ServerAction::<CreateActivity>::new();
    let remove = ServerAction::<DeleteActivity>::new();
    let add = ServerAction::<AddStep>::new();
    let drop_step = ServerAction::<DeleteStep>::new();
    let error = action_error(create);
    let step_error = action_error(add);
    let (remove_error, drop_error) = (action_error(remove), action_error(drop_step));
    let row_error = Signal::derive(move || remove_error.get().or_else(|| drop_error.get()));
    let changes = [
        successes(create),
        successes(remove),
        successes(add),
        successes(drop_step),
    ];
    let activities =
        Resource::new_blocking(move || changes.map(|c| c.get()), |_| list_activities());
    view! {
        <Title text="Activities · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading activities…"</p> }>
            {move || activities.get().map(|r| loaded(r, |list: Vec<ActivityRow>| view! {
                <h1>"Activities"</h1>
                <SetupTabs/>
                <p class="lead">"When an opportunity enters a stage that names an activity, its steps become tasks for the salesperson."</p>
                <FormMessage error=row_error/>
                {list.into_iter().map(|a| view! { <ActivityCard activity=a add=add remove=remove drop_step=drop_step step_error=step_error/> }).collect_view()}
                <section class="card" aria-labelledby="new-activity-heading">
                    <h2 id="new-activity-heading">"New activity"</h2>
                    <ActionForm action=create attr:class="form-grid">
                        <div class="field">
                            <label for="activity-code">"Code"</label>
                            <input id="activity-code" name="code" required maxlength="20" aria-invalid=invalid(error, "code")/>
                            <FieldMessage error=error field="code"/>
                        </div>
                        <div class="field">
                            <label for="activity-description">"Description"</label>
                            <input id="activity-description" name="description" maxlength="100"/>
                        </div>
                        <FormMessage error=error/>
                        <div class="form-actions"><button class="button" type="submit">"Add activity"</button></div>
                    </ActionForm>
                </section>
            }))}
        </Transition>
    }
}

#[component]
fn ActivityCard(
    activity: ActivityRow,
    add: ServerAction<AddStep>,
    remove: ServerAction<DeleteActivity>,
    drop_step: ServerAction<DeleteStep>,
    step_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let a = activity;
    let aid = a.id.to_string();
    let steps = if a.steps.is_empty() {
        view! { <p class="muted">"No steps yet."</p> }.into_any()
    } else {
        view! {
            <ol class="steps-list">
                {a.steps.into_iter().map(|s| {
                    let due = if s.date_formula.is_empty() {
                        "due the day the stage is entered".to_owned()
                    } else {
                        format!("due {}", s.date_formula)
                    };
                    view! {
                        <li>
                            <span>{format!("{}: {} ({} priority, {due})", step_kind_label(&s.kind), s.description, s.priority)}</span>
                            <ActionForm action=drop_step attr:class="inline-form">
                                <input type="hidden" name="id" value=s.id.to_string()/>
                                <button class="button secondary small" type="submit" aria-label=format!("Delete step {}", s.description)>"Delete"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ol>
        }
        .into_any()
    };
    let (region, title, add_summary, delete_label) = (
        format!("Activity {}", a.code),
        format!("{} · {}", a.code, a.description),
        format!("Add a step to {}", a.code),
        format!("Delete activity {}", a.code),
    );
    let (aid_add, aid_delete) = (aid.clone(), aid.clone());
    let field = move |name: &str| format!("{name}-{aid}");
    view! {
        <section class="card activity" aria-label=region>
            <h2>{title}</h2>
            <p class="muted">{format!("Used by {} stage(s).", a.used_by)}</p>
            {steps}
            <details>
                <summary>{add_summary}</summary>
                <ActionForm action=add attr:class="form-grid">
                    <input type="hidden" name="activity_id" value=aid_add/>
                    <div class="field">
                        <label for=field("kind")>"Type"</label>
                        <select id=field("kind") name="kind">
                            <option value="task">"Task"</option>
                            <option value="phone_call">"Phone call"</option>
                            <option value="meeting">"Meeting"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for=field("step-description")>"Description"</label>
                        <input id=field("step-description") name="description" required maxlength="100"/>
                        <FieldMessage error=step_error field="description"/>
                    </div>
                    <div class="field">
                        <label for=field("priority")>"Priority"</label>
                        <select id=field("priority") name="priority">
                            <option value="low">"Low"</option>
                            <option value="normal" selected=true>"Normal"</option>
                            <option value="high">"High"</option>
                        </select>
                    </div>
                    <div class="field">
                        <label for=field("step-formula")>"Due date formula"</label>
                        <input id=field("step-formula") name="date_formula" maxlength="50" placeholder="e.g. 2D"/>
                        <FieldMessage error=step_error field="date_formula"/>
                    </div>
                    <div class="form-actions"><button class="button" type="submit">"Add step"</button></div>
                </ActionForm>
            </details>
            <ActionForm action=remove attr:class="inline-form">
                <input type="hidden" name="id" value=aid_delete/>
                <button class="button secondary small" type="submit">{delete_label}</button>
            </ActionForm>
        </section>
    }
}

/// "3 open · 12,000.00 estimated · 1,800.00 calculated · 4.5 days on average".
fn stage_statistics(s: &StageStatistics) -> String {
    let money = crate::opportunities::money;
    let average = match s.average_days {
        Some(days) => format!("{} days on average", days.normalize()),
        None => "no average yet".into(),
    };
    format!(
        "{} open · {} estimated · {} calculated · {average}",
        s.open_count,
        money(s.estimated_value),
        money(s.calculated_value)
    )
}

//! The opportunity card: the facts, the active stage as a step indicator, the entries as a
//! timeline, tasks and the quote, and the Update and Close dialogs.
//!
//! The dialogs run the same `domain::entries` functions as the server on the card's copy of the
//! stages and state: they offer only the moves the rules allow, say why the others are not
//! available, and pre-fill what the server would default to.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{
    EntryRow, OpportunityDetail, QuoteView, STALE, TaskRow,
    api::{
        AddQuoteLine, CloseOpportunity, EditOpportunity, RemoveQuoteLine, SetTaskStatus,
        UpdateOpportunity, get_opportunity,
    },
    load_error_text, money,
    pages::status_badge,
    percent,
};
use crate::{
    domain::entries::{
        Action, Outcome, Refusal, Status, allowed_targets, check_action, close_defaults, prefill,
    },
    error::AppError,
    ui::{FieldMessage, FormMessage, action_error, invalid},
};

/// Counts the results that make the card reload: successes, and "changed by someone else" (the
/// user then sees the fresh state next to the message).
fn reloads<I, O>(action: ServerAction<I>) -> Signal<usize>
where
    I: leptos::server_fn::ServerFn<Output = O, Error = AppError> + Clone + Send + Sync + 'static,
    O: Clone + Send + Sync + 'static,
{
    let count = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(
            action.value().get(),
            Some(Ok(_)) | Some(Err(AppError::Conflict(_)))
        ) {
            count.update(|c| *c += 1);
        }
    });
    count.into()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialog {
    None,
    Update,
    Close,
}

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<UpdateOpportunity>,
    close: ServerAction<CloseOpportunity>,
    edit: ServerAction<EditOpportunity>,
    add_line: ServerAction<AddQuoteLine>,
    remove_line: ServerAction<RemoveQuoteLine>,
    task_status: ServerAction<SetTaskStatus>,
    dialog: RwSignal<Dialog>,
}

#[component]
pub fn OpportunityPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").unwrap_or_default()));
    let actions = Actions {
        update: ServerAction::new(),
        close: ServerAction::new(),
        edit: ServerAction::new(),
        add_line: ServerAction::new(),
        remove_line: ServerAction::new(),
        task_status: ServerAction::new(),
        dialog: RwSignal::new(Dialog::None),
    };
    let counters = [
        reloads(actions.update),
        reloads(actions.close),
        reloads(actions.edit),
        reloads(actions.add_line),
        reloads(actions.remove_line),
        reloads(actions.task_status),
    ];
    let changes = Memo::new(move |_| counters.iter().map(|c| c.get()).sum::<usize>());
    // A successful move or close closes its dialog.
    Effect::new(move |_| {
        if matches!(actions.update.value().get(), Some(Ok(_)))
            || matches!(actions.close.value().get(), Some(Ok(_)))
        {
            actions.dialog.set(Dialog::None);
        }
    });
    // Blocking: the status (404) and the title are set before the page is sent.
    let detail = Resource::new_blocking(
        move || (id.get(), changes.get()),
        |(id, _)| get_opportunity(Some(id)),
    );
    // Live: someone else's change to this opportunity shows at once, unless the user is in the
    // middle of something here (a dialog, a field): then a note offers the latest instead.
    let changed_by = RwSignal::new(None::<String>);
    let me = crate::layout::use_me();
    crate::live::on_live(move |event| match event {
        crate::live::LiveEvent::Change(c) if c.id.to_string() == id.get_untracked() => {
            if c.by_id.is_some()
                && c.by_id == me.get_untracked().map(|u| u.id)
                && c.kind != crate::live::ChangeKind::Task
            {
                return; // this tab's own change reloads through its action
            }
            if actions.dialog.get_untracked() != Dialog::None || crate::live::typing() {
                changed_by.set(Some(c.by.clone().unwrap_or_else(|| "Someone".into())));
            } else {
                detail.refetch();
            }
        }
        crate::live::LiveEvent::Resync => detail.refetch(),
        _ => {}
    });

    view! {
        {move || changed_by.get().map(|who| view! {
            <p class="live-note" role="status">
                {format!("{who} changed this opportunity. ")}
                <button type="button" class="link-button" on:click=move |_| {
                    changed_by.set(None);
                    actions.dialog.set(Dialog::None);
                    detail.refetch();
                }>"Show the latest"</button>
            </p>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading opportunity…"</p> }>
            {move || detail.get().map(|result| match result {
                Err(e) => view! {
                    <Title text="Opportunity not found · Pipeline"/>
                    <section class="card empty-state">
                        <h1>"Opportunity not found"</h1>
                        <p>{load_error_text(&e)}</p>
                        <p><a href="/opportunities">"Back to opportunities"</a></p>
                    </section>
                }.into_any(),
                Ok(d) => card(d, actions),
            })}
        </Transition>
    }
}

fn card(d: OpportunityDetail, actions: Actions) -> AnyView {
    let title = format!("{} {} · Opportunities · Pipeline", d.no, d.description);
    let detail = StoredValue::new(d.clone());
    let contact_href = format!("/contacts/{}", d.contact_id);
    let company = d.company_name.clone().unwrap_or_else(|| "—".into());
    let closing = d
        .estimated_closing_date
        .map(|c| c.to_string())
        .unwrap_or_else(|| "—".into());
    let closed_line = d.date_closed.map(|date| {
        let code = d.close_code.clone().unwrap_or_default();
        format!(
            "Closed {} on {date} ({code})",
            d.status.label().to_lowercase()
        )
    });
    let can_change = d.can_change;
    let stale = move || {
        [
            actions.update.value().get(),
            actions.close.value().get(),
            actions.edit.value().get(),
            actions.add_line.value().get(),
        ]
        .into_iter()
        .any(|v| matches!(v, Some(Err(AppError::Conflict(_)))))
    };
    let update_error = action_error(actions.update);
    let close_error = action_error(actions.close);

    view! {
        <Title text=title/>
        <p class="breadcrumb"><a href="/opportunities">"Opportunities"</a></p>
        <header class="opp-head">
            <p class="muted opp-meta">{d.no.clone()}" · "{d.cycle_code.clone()}" · "{d.priority.label()}" priority"</p>
            <h1>{d.description.clone()}</h1>
            <p class="opp-status-line">{status_badge(d.status)}{closed_line.map(|l| view! { <span class="muted">{l}</span> })}</p>
        </header>
        <Show when=stale>
            <p class="form-error" role="alert">{STALE}</p>
        </Show>
        {step_indicator(&d)}
        {can_change.then(|| view! {
            <div class="opp-actions">
                <button class="button" type="button" on:click=move |_| { actions.update.clear(); actions.dialog.set(Dialog::Update) }>
                    {if d.status == Status::NotStarted { "Start…" } else { "Update stage…" }}
                </button>
                <button class="button secondary" type="button" on:click=move |_| { actions.close.clear(); actions.dialog.set(Dialog::Close) }>
                    "Close as won or lost…"
                </button>
            </div>
        })}
        <Show when=move || actions.dialog.get() == Dialog::Update>
            <UpdateDialog detail=detail actions=actions error=update_error/>
        </Show>
        <Show when=move || actions.dialog.get() == Dialog::Close>
            <CloseDialog detail=detail actions=actions error=close_error/>
        </Show>
        <div class="opp-grid">
            <section class="card" aria-labelledby="figures-heading">
                <h2 id="figures-heading">"Figures"</h2>
                <dl class="facts figures">
                    <div><dt>"Estimated value"</dt><dd data-fact="estimated">{money(d.estimated_value)}</dd></div>
                    <div><dt>"Chances of success"</dt><dd data-fact="chances">{percent(d.chances)}</dd></div>
                    <div><dt>"Completed"</dt><dd data-fact="completed">{percent(d.completed)}</dd></div>
                    <div><dt>"Probability"</dt><dd data-fact="probability">{percent(d.probability)}</dd></div>
                    <div><dt>"Calculated current value"</dt><dd data-fact="calculated">{money(d.calculated_value)}</dd></div>
                    <div><dt>"Estimated closing date"</dt><dd data-fact="closing">{closing}</dd></div>
                </dl>
            </section>
            <section class="card" aria-labelledby="details-heading">
                <h2 id="details-heading">"Details"</h2>
                <dl class="facts">
                    <div><dt>"Contact"</dt><dd><a href=contact_href>{d.contact_name.clone()}</a></dd></div>
                    <div><dt>"Company"</dt><dd>{company}</dd></div>
                    <div><dt>"Salesperson"</dt><dd>{d.salesperson_name.clone()}</dd></div>
                    <div><dt>"Sales cycle"</dt><dd>{format!("{} ({})", d.cycle_code, d.method.label())}</dd></div>
                    <div><dt>"Created"</dt><dd>{d.creation_date.to_string()}</dd></div>
                    <div><dt>"Days open"</dt><dd>{d.days_open.to_string()}</dd></div>
                    <div><dt>"Entries"</dt><dd>{d.entries.len().to_string()}</dd></div>
                </dl>
            </section>
        </div>
        {timeline(&d.entries)}
        {tasks_section(&d, actions)}
        {quote_section(&d, actions)}
        {can_change.then(|| edit_section(&d, actions))}
    }
    .into_any()
}

/// The cycle's stages as steps: done, current, to come.
fn step_indicator(d: &OpportunityDetail) -> impl IntoView + use<> {
    let current = d.current_stage_id;
    let current_number = d
        .stages
        .iter()
        .find(|s| Some(s.id) == current)
        .map(|s| s.number);
    let steps = d
        .stages
        .iter()
        .map(|s| {
            let state = match current_number {
                Some(n) if s.number < n => "done",
                Some(n) if s.number == n => "current",
                _ => "todo",
            };
            let aria_current = (state == "current").then_some("step");
            let flags = [(s.quote_required, "quote required"), (s.allow_skip, "may be skipped")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, label)| label)
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <li class=format!("step step-{state}") aria-current=aria_current>
                    <span class="step-no">{s.number}</span>
                    <span class="step-name">{s.name()}</span>
                    {(!flags.is_empty()).then(|| view! { <span class="step-flags muted">{flags}</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="stage-steps card" aria-label="Sales cycle stages">
            <ol>{steps}</ol>
        </nav>
    }
}

fn timeline(entries: &[EntryRow]) -> impl IntoView + use<> {
    let items = if entries.is_empty() {
        view! { <p class="muted">"No entries yet: the opportunity has not started."</p> }.into_any()
    } else {
        let rows = entries
            .iter()
            .cloned()
            .map(|e| {
                let stage = e.stage.clone().unwrap_or_else(|| "—".into());
                let by = e.by.clone().unwrap_or_else(|| "—".into());
                let days = if e.days_open == 1 { "1 day".to_owned() } else { format!("{} days", e.days_open) };
                view! {
                    <li class="entry" class:entry-active=e.active data-entry=e.entry_no>
                        <div class="entry-head">
                            <span class="entry-action">{e.action_taken.label()}</span>
                            <span class="entry-stage">{stage}</span>
                            {e.active.then(|| view! { <span class="badge">"Active"</span> })}
                            <span class="muted entry-date">{e.date_of_change.to_string()}" · "{days}" · by "{by}</span>
                        </div>
                        <dl class="entry-figures">
                            <div><dt>"Estimated"</dt><dd>{money(e.estimated_value)}</dd></div>
                            <div><dt>"Chances"</dt><dd>{percent(e.chances)}</dd></div>
                            <div><dt>"Completed"</dt><dd>{percent(e.completed)}</dd></div>
                            <div><dt>"Probability"</dt><dd>{percent(e.probability)}</dd></div>
                            <div><dt>"Calculated"</dt><dd>{money(e.calculated_value)}</dd></div>
                            <div><dt>"Closing"</dt><dd>{e.estimated_closing_date.to_string()}</dd></div>
                            {e.close_code.clone().map(|c| view! { <div><dt>"Close code"</dt><dd>{c}</dd></div> })}
                        </dl>
                    </li>
                }
            })
            .collect_view();
        view! { <ol class="timeline" aria-label="Entries, newest first">{rows}</ol> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"History"</h2>
            {items}
        </section>
    }
}

fn task_kind(kind: &str) -> &'static str {
    match kind {
        "meeting" => "Meeting",
        "phone_call" => "Phone call",
        _ => "Task",
    }
}

fn tasks_section(d: &OpportunityDetail, actions: Actions) -> impl IntoView + use<> {
    let today = d.today;
    let list = if d.tasks.is_empty() {
        view! { <p class="muted">"No tasks. Stages with an activity create them when the opportunity enters the stage."</p> }.into_any()
    } else {
        let rows = d
            .tasks
            .iter()
            .cloned()
            .map(|t| task_item(t, today, actions, None))
            .collect_view();
        view! { <ul class="task-list">{rows}</ul> }.into_any()
    };
    view! {
        <section class="card" aria-labelledby="tasks-heading">
            <h2 id="tasks-heading">"Tasks"</h2>
            {list}
        </section>
    }
}

/// One task with its buttons; `context` (the opportunity, the contact) on the My tasks page.
pub fn task_item(
    t: TaskRow,
    today: chrono::NaiveDate,
    actions_: impl TaskActions,
    context: Option<AnyView>,
) -> impl IntoView {
    let overdue = t.status == "open" && t.due_date < today;
    let status_label = match t.status.as_str() {
        "done" => "Done",
        "cancelled" => "Cancelled",
        _ if overdue => "Overdue",
        _ => "Open",
    };
    let action = actions_.task_status();
    let buttons: Vec<(&'static str, &'static str)> = match t.status.as_str() {
        "open" => vec![("done", "Complete"), ("cancelled", "Cancel")],
        _ => vec![("open", "Reopen")],
    };
    let (id, version) = (t.id.to_string(), t.version.to_string());
    view! {
        <li class="task" class:task-overdue=overdue class:task-closed=t.status != "open">
            <div class="task-main">
                <span class="task-kind">{task_kind(&t.kind)}</span>
                <span class="task-description">{t.description.clone()}</span>
                <span class="muted">"Due "{t.due_date.to_string()}" · "{t.priority.label()}" priority"</span>
                <span class="badge task-status">{status_label}</span>
                {context.map(|c| view! { <span class="task-context">{c}</span> })}
            </div>
            <div class="task-buttons">
                {buttons.into_iter().map(|(status, label)| {
                    let (id, version) = (id.clone(), version.clone());
                    view! {
                        <ActionForm action=action attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="version" value=version/>
                            <input type="hidden" name="status" value=status/>
                            <button class="button secondary small" type="submit">{label}</button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
        </li>
    }
}

/// Where a task list finds its status action (the card's, or the My tasks page's).
pub trait TaskActions {
    fn task_status(&self) -> ServerAction<SetTaskStatus>;
}

impl TaskActions for Actions {
    fn task_status(&self) -> ServerAction<SetTaskStatus> {
        self.task_status
    }
}

impl TaskActions for ServerAction<SetTaskStatus> {
    fn task_status(&self) -> ServerAction<SetTaskStatus> {
        *self
    }
}

fn quote_section(d: &OpportunityDetail, actions: Actions) -> impl IntoView + use<> {
    let error = action_error(actions.add_line);
    let body = match d.quote.clone() {
        None => view! { <p class="muted">"No quote yet."</p> }.into_any(),
        Some(q) => quote_table(q, d.id, d.version, d.can_change, actions).into_any(),
    };
    let (id, version) = (d.id.to_string(), d.version.to_string());
    let add = d.can_change.then(|| view! {
        <details class="quote-add" open=move || error.get().is_some()>
            <summary>"Add a line"</summary>
            <ActionForm action=actions.add_line attr:class="form-grid quote-line-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <div class="field field-wide">
                    <label for="line-description">"Description"</label>
                    <input id="line-description" name="description" required maxlength="100" autocomplete="off"
                        aria-invalid=invalid(error, "description") aria-describedby="description-error"/>
                    <FieldMessage error=error field="description"/>
                </div>
                <div class="field">
                    <label for="line-quantity">"Quantity"</label>
                    <input id="line-quantity" name="quantity" inputmode="decimal" value="1" autocomplete="off"
                        aria-invalid=invalid(error, "quantity") aria-describedby="quantity-error"/>
                    <FieldMessage error=error field="quantity"/>
                </div>
                <div class="field">
                    <label for="line-price">"Unit price"</label>
                    <input id="line-price" name="unit_price" inputmode="decimal" autocomplete="off"
                        aria-invalid=invalid(error, "unit_price") aria-describedby="unit_price-error"/>
                    <FieldMessage error=error field="unit_price"/>
                </div>
                <div class="field">
                    <label for="line-discount">"Line discount %"</label>
                    <input id="line-discount" name="discount" inputmode="decimal" value="0" autocomplete="off"
                        aria-invalid=invalid(error, "discount") aria-describedby="discount-error"/>
                    <FieldMessage error=error field="discount"/>
                </div>
                <FormMessage error=error/>
                <div class="form-actions">
                    <button class="button" type="submit">"Add line"</button>
                </div>
            </ActionForm>
        </details>
    });
    view! {
        <section class="card" aria-labelledby="quote-heading">
            <h2 id="quote-heading">"Quote"</h2>
            {body}
            {add}
        </section>
    }
}

fn quote_table(
    q: QuoteView,
    id: i64,
    version: i32,
    can_change: bool,
    actions: Actions,
) -> impl IntoView {
    let rows = q
        .lines
        .into_iter()
        .map(|l| {
            let remove = can_change.then(|| {
                view! {
                    <ActionForm action=actions.remove_line attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="version" value=version.to_string()/>
                        <input type="hidden" name="line" value=l.id.to_string()/>
                        <button class="button secondary small" type="submit" aria-label=format!("Remove line {}", l.line_no)>"Remove"</button>
                    </ActionForm>
                }
            });
            view! {
                <tr>
                    <td data-label="Description">{l.line.description.clone()}</td>
                    <td class="num" data-label="Quantity">{l.line.quantity.normalize().to_string()}</td>
                    <td class="num" data-label="Unit price">{money(l.line.unit_price)}</td>
                    <td class="num" data-label="Discount">{percent(l.line.discount)}</td>
                    <td class="num" data-label="Amount">{money(l.amount)}</td>
                    <td>{remove}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted">{q.no.clone()}" · "{q.date.to_string()}</p>
        <div class="table-wrap">
            <table class="table quote-table">
                <caption class="sr-only">"Quote lines"</caption>
                <thead><tr>
                    <th scope="col">"Description"</th>
                    <th scope="col" class="num">"Quantity"</th>
                    <th scope="col" class="num">"Unit price"</th>
                    <th scope="col" class="num">"Discount"</th>
                    <th scope="col" class="num">"Amount"</th>
                    <th scope="col"><span class="sr-only">"Remove"</span></th>
                </tr></thead>
                <tbody>{rows}</tbody>
                <tfoot><tr>
                    <th scope="row" colspan="4">"Total"</th>
                    <td class="num" data-quote-total="">{money(q.total)}</td>
                    <td></td>
                </tr></tfoot>
            </table>
        </div>
    }
}

fn edit_section(d: &OpportunityDetail, actions: Actions) -> impl IntoView + use<> {
    let error = action_error(actions.edit);
    let (id, version) = (d.id.to_string(), d.version.to_string());
    let current = d.priority;
    let description = d.description.clone();
    view! {
        <details class="card edit-card" open=move || error.get().is_some()>
            <summary>"Edit description and priority"</summary>
            <ActionForm action=actions.edit attr:class="form-grid">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <div class="field field-wide">
                    <label for="edit-description">"Description"</label>
                    <input id="edit-description" name="description" required maxlength="100" value=description
                        aria-invalid=invalid(error, "description") aria-describedby="description-error"/>
                    <FieldMessage error=error field="description"/>
                </div>
                <div class="field">
                    <label for="edit-priority">"Priority"</label>
                    <select id="edit-priority" name="priority">
                        {super::Priority::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=p == current>{p.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <FormMessage error=error/>
                <div class="form-actions"><button class="button" type="submit">"Save"</button></div>
            </ActionForm>
        </details>
    }
}

// ---- Update dialog ---------------------------------------------------------------------------

/// A modal over the card; Escape or Cancel closes it.
#[component]
fn Modal(title: &'static str, dialog: RwSignal<Dialog>, children: Children) -> impl IntoView {
    let heading_id = format!("dialog-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = heading_id.clone();
    // Escape closes it wherever the focus is; the dialog takes the focus when it opens, so the
    // keyboard and screen readers start inside it.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            dialog.set(Dialog::None);
        }
    });
    on_cleanup(move || escape.remove());
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = node.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="modal-backdrop" on:click=move |_| dialog.set(Dialog::None)></div>
        <div class="modal card" role="dialog" aria-modal="true" aria-labelledby=labelled_by tabindex="-1" node_ref=node>
            <h2 id=heading_id>{title}</h2>
            {children()}
        </div>
    }
}

#[component]
fn UpdateDialog(
    detail: StoredValue<OpportunityDetail>,
    actions: Actions,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let d = detail.get_value();
    // The default: the natural next move (First, else Next, else the first one available).
    let preferred = [Action::First, Action::Next]
        .into_iter()
        .find(|a| check_action(&d.stages, &d.state, *a).is_ok())
        .or_else(|| {
            Action::ALL
                .into_iter()
                .find(|a| check_action(&d.stages, &d.state, *a).is_ok())
        })
        .unwrap_or(Action::Update);
    let action = RwSignal::new(preferred);
    let target = RwSignal::new(None::<i64>);
    let choices = Action::ALL
        .into_iter()
        .filter(|a| !(d.state.active.is_some() && *a == Action::First) && !(d.state.active.is_none() && *a != Action::First))
        .map(|a| {
            let why: Option<Refusal> = check_action(&d.stages, &d.state, a).err();
            let input_id = format!("action-{}", a.label().to_lowercase());
            let label_for = input_id.clone();
            let disabled = why.is_some();
            let why_id = format!("{input_id}-why");
            let described_by = why.is_some().then(|| why_id.clone());
            view! {
                <div class="choice action-choice" class:disabled=disabled>
                    <input type="radio" id=input_id name="action" value=a.label() disabled=disabled
                        aria-describedby=described_by
                        checked=move || action.get() == a
                        on:change=move |_| { action.set(a); target.set(None); }/>
                    <label class="action-name" for=label_for>{a.label()}</label>
                    {why.map(|w| view! { <span class="action-why muted" id=why_id>{w.to_string()}</span> })}
                </div>
            }
        })
        .collect_view();
    let (id, version) = (d.id.to_string(), d.version.to_string());

    view! {
        <Modal title="Update opportunity" dialog=actions.dialog>
            <ActionForm action=actions.update attr:class="form-grid update-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <fieldset class="field field-wide">
                    <legend>"What to do"</legend>
                    <div class="action-choices">{choices}</div>
                    <FieldMessage error=error field="action"/>
                </fieldset>
                {move || update_fields(detail, action.get(), target, error)}
                <FormMessage error=error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || actions.update.pending().get()>
                        {move || if actions.update.pending().get() { "Saving…" } else { "Record the change" }}
                    </button>
                    <button class="button secondary" type="button" on:click=move |_| actions.dialog.set(Dialog::None)>"Cancel"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

/// The fields for one action, pre-filled as the server would default them.
fn update_fields(
    detail: StoredValue<OpportunityDetail>,
    action: Action,
    target: RwSignal<Option<i64>>,
    error: Signal<Option<AppError>>,
) -> AnyView {
    let d = detail.get_value();
    let candidates: Vec<(i64, String)> = allowed_targets(&d.stages, &d.state, action)
        .into_iter()
        .map(|s| (s.id, format!("{} {}", s.number, s.name())))
        .collect();
    let stage_field = if candidates.len() > 1 {
        let current = prefill(&d.stages, &d.state, action, target.get_untracked(), d.today)
            .ok()
            .map(|p| p.target_stage_id);
        view! {
            <div class="field field-wide">
                <label for="update-target">"Stage"</label>
                <select id="update-target" name="target_stage" aria-invalid=invalid(error, "target_stage") aria-describedby="target_stage-error"
                    on:change=move |ev| target.set(event_target_value(&ev).parse().ok())>
                    {candidates.into_iter().map(|(id, label)| view! {
                        <option value=id.to_string() selected=current == Some(id)>{label}</option>
                    }).collect_view()}
                </select>
                <FieldMessage error=error field="target_stage"/>
            </div>
        }
        .into_any()
    } else {
        let label = candidates
            .first()
            .map(|(_, l)| l.clone())
            .unwrap_or_default();
        let id = candidates
            .first()
            .map(|(id, _)| id.to_string())
            .unwrap_or_default();
        view! {
            <input type="hidden" name="target_stage" value=id/>
            <p class="field-wide update-target">"Stage: "<strong>{label}</strong></p>
            <FieldMessage error=error field="target_stage"/>
        }
        .into_any()
    };
    let fields = move || {
        let d = detail.get_value();
        let Ok(p) = prefill(&d.stages, &d.state, action, target.get(), d.today) else {
            return view! { {stage_field_placeholder()} }.into_any();
        };
        // First has no previous entry: it starts from what was typed at creation.
        let value = p
            .estimated_value
            .or((!d.estimated_value.is_zero()).then_some(d.estimated_value))
            .map(|v| v.to_string())
            .unwrap_or_default();
        let closing = p
            .estimated_closing_date
            .or(d.estimated_closing_date)
            .map(|c| c.to_string())
            .unwrap_or_default();
        let stage_chances = p.chances.normalize().to_string();
        let quote_hint = d
            .quote
            .as_ref()
            .filter(|q| !q.lines.is_empty())
            .map(|q| format!("Quote {} total: {}", q.no, money(q.total)));
        let has_open_tasks = d.tasks.iter().any(|t| t.status == "open");
        view! {
            <p class="field-wide muted">"Will be recorded as "<strong>{p.action_taken.label()}</strong>"."</p>
            <div class="field">
                <label for="update-date">"Date of change"</label>
                <input id="update-date" name="date_of_change" type="date" value=p.date_of_change.to_string()
                    aria-invalid=invalid(error, "date_of_change") aria-describedby="date_of_change-error"/>
                <FieldMessage error=error field="date_of_change"/>
            </div>
            <div class="field">
                <label for="update-value">"Estimated value"</label>
                <input id="update-value" name="estimated_value" inputmode="decimal" value=value autocomplete="off"
                    aria-invalid=invalid(error, "estimated_value") aria-describedby="estimated_value-error update-value-hint"/>
                {quote_hint.map(|h| view! { <p class="hint" id="update-value-hint">{h}</p> })}
                <FieldMessage error=error field="estimated_value"/>
            </div>
            <div class="field">
                <label for="update-chances">"Chances of success %"</label>
                <input id="update-chances" name="chances" inputmode="decimal" value=stage_chances.clone() autocomplete="off"
                    disabled=!p.chances_editable
                    aria-invalid=invalid(error, "chances") aria-describedby="chances-error update-chances-hint"/>
                {(!p.chances_editable).then(|| view! {
                    <p class="hint" id="update-chances-hint">{format!("{} uses the stage's chances ({stage_chances} %).", action.label())}</p>
                })}
                <FieldMessage error=error field="chances"/>
            </div>
            <div class="field">
                <label for="update-closing">"Estimated closing date"</label>
                <input id="update-closing" name="estimated_closing_date" type="date" value=closing
                    aria-invalid=invalid(error, "estimated_closing_date") aria-describedby="estimated_closing_date-error update-closing-hint"/>
                <p class="hint" id="update-closing-hint">"Empty or the date of change: the stage's date formula sets it."</p>
                <FieldMessage error=error field="estimated_closing_date"/>
            </div>
            {has_open_tasks.then(|| view! {
                <label class="choice field-wide" for="update-cancel-tasks">
                    <input id="update-cancel-tasks" type="checkbox" name="cancel_open_tasks" value="on"/>
                    "Cancel the open tasks of the previous stage"
                </label>
            })}
        }
        .into_any()
    };
    view! { {stage_field}{fields} }.into_any()
}

fn stage_field_placeholder() -> impl IntoView {
    view! { <p class="field-wide muted">"Choose a stage."</p> }
}

// ---- Close dialog ----------------------------------------------------------------------------

#[component]
fn CloseDialog(
    detail: StoredValue<OpportunityDetail>,
    actions: Actions,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let d = detail.get_value();
    let outcome = RwSignal::new(Outcome::Won);
    let defaults = close_defaults(&d.state, d.today);
    let (id, version) = (d.id.to_string(), d.version.to_string());
    let codes = StoredValue::new(d.close_codes.clone());
    let has_open_tasks = d.tasks.iter().any(|t| t.status == "open");
    let amount = if defaults.amount_won.is_zero() {
        String::new()
    } else {
        defaults.amount_won.to_string()
    };
    let amount_hint = if d.state.has_quote {
        "The quote's total."
    } else {
        "The estimated value."
    };
    view! {
        <Modal title="Close opportunity" dialog=actions.dialog>
            <ActionForm action=actions.close attr:class="form-grid close-form">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <fieldset class="field field-wide">
                    <legend>"Outcome"</legend>
                    <div class="choice-row">
                        <label class="choice" for="close-won">
                            <input type="radio" id="close-won" name="outcome" value="won" checked=true on:change=move |_| outcome.set(Outcome::Won)/>
                            "Won"
                        </label>
                        <label class="choice" for="close-lost">
                            <input type="radio" id="close-lost" name="outcome" value="lost" on:change=move |_| outcome.set(Outcome::Lost)/>
                            "Lost"
                        </label>
                    </div>
                </fieldset>
                <div class="field">
                    <label for="close-code">"Close code"</label>
                    <select id="close-code" name="close_code" aria-invalid=invalid(error, "close_code") aria-describedby="close_code-error">
                        <option value="">"Choose a reason"</option>
                        {move || {
                            let won = outcome.get() == Outcome::Won;
                            codes.get_value().into_iter().filter(|c| c.won == won).map(|c| view! {
                                <option value=c.code.clone()>{format!("{} – {}", c.code, c.description)}</option>
                            }).collect_view()
                        }}
                    </select>
                    <FieldMessage error=error field="close_code"/>
                </div>
                <div class="field">
                    <label for="close-date">"Closing date"</label>
                    <input id="close-date" name="date" type="date" value=defaults.date.to_string()
                        aria-invalid=invalid(error, "date") aria-describedby="date-error"/>
                    <FieldMessage error=error field="date"/>
                </div>
                <Show when=move || outcome.get() == Outcome::Won>
                    <div class="field">
                        <label for="close-amount">"Amount won"</label>
                        <input id="close-amount" name="amount_won" inputmode="decimal" value=amount.clone() autocomplete="off"
                            aria-invalid=invalid(error, "amount_won") aria-describedby="amount_won-error close-amount-hint"/>
                        <p class="hint" id="close-amount-hint">{amount_hint}</p>
                        <FieldMessage error=error field="amount_won"/>
                    </div>
                </Show>
                {has_open_tasks.then(|| view! {
                    <label class="choice field-wide" for="close-cancel-tasks">
                        <input id="close-cancel-tasks" type="checkbox" name="cancel_open_tasks" value="on"/>
                        "Cancel the open tasks"
                    </label>
                })}
                <FormMessage error=error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || actions.close.pending().get()>
                        {move || if actions.close.pending().get() { "Closing…" } else { "Close opportunity" }}
                    </button>
                    <button class="button secondary" type="button" on:click=move |_| actions.dialog.set(Dialog::None)>"Cancel"</button>
                </div>
            </ActionForm>
        </Modal>
    }
}

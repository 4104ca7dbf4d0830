//! Setup › Salespeople and Setup › Teams: the sales organisation that scopes everything else.
//! Admins add, edit, block and delete salespeople, and group them into teams with managers; the
//! team memberships edited here are what `auth::access::resolve` turns into managers' scopes.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;
pub mod rules;

use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    auth::Role,
    error::AppError,
    setup::SetupTabs,
    ui::{FieldMessage, Forbidden, FormMessage, action_error, invalid},
};
use api::{
    AddTeamManager, AddTeamMember, CreateSalesperson, CreateTeam, DeleteSalesperson, DeleteTeam,
    RemoveTeamManager, RemoveTeamMember, SetSalespersonBlocked, UpdateSalesperson, UpdateTeam,
    list_salespeople, list_teams,
};

const SALESPEOPLE_PATH: &str = "/setup/salespeople";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalespersonRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub commission: Decimal,
    pub blocked: bool,
    /// For the edit form: a save names the version it started from.
    pub version: i32,
    /// Codes of the teams the salesperson belongs to.
    pub teams: Vec<String>,
    /// "Name (email)" of the user account linked to this salesperson, if any.
    pub linked_user: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalespeopleOverview {
    pub salespeople: Vec<SalespersonRow>,
}

/// A salesperson as a team lists them (and as the add-member select offers them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub blocked: bool,
}

/// A user as a team lists its managers (and as the add-manager select offers them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamManager {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCard {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub version: i32,
    pub members: Vec<TeamMember>,
    pub managers: Vec<TeamManager>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsOverview {
    pub teams: Vec<TeamCard>,
    /// Every salesperson, for the add-member selects.
    pub salespeople: Vec<TeamMember>,
    /// Active users with the Manager or Admin role, for the add-manager selects.
    pub manager_candidates: Vec<TeamManager>,
}

// ---- Shared page plumbing ----

/// The outcome of the last change on a page, shown in the message bar.
type Outcome = Option<Result<String, AppError>>;

/// Follows an action: when it finishes, reloads the page's data — unless the form was refused
/// for bad input, so that what the user typed stays in place next to the messages — and puts the
/// outcome in the message bar (errors only when the form does not show them itself).
fn follow<S>(
    action: ServerAction<S>,
    reload: RwSignal<u32>,
    outcome: RwSignal<Outcome>,
    errors_in_bar: bool,
) where
    S: leptos::server_fn::ServerFn<Output = String, Error = AppError>
        + Clone
        + Send
        + Sync
        + 'static,
{
    Effect::new(move |_| {
        let Some(result) = action.value().get() else {
            return;
        };
        if !matches!(result, Err(AppError::Validation(_))) {
            reload.update(|n| *n += 1);
        }
        outcome.set(match result {
            Ok(message) => Some(Ok(message)),
            Err(e) if errors_in_bar => Some(Err(e)),
            Err(_) => None,
        });
    });
}

/// The message bar: fixed at the bottom of the screen, so the result of a button far down a
/// long list on a phone is seen without scrolling. The live region is always present, so screen
/// readers announce what appears in it.
#[component]
fn MessageBar(outcome: RwSignal<Outcome>) -> impl IntoView {
    view! {
        <div class="message-bar" role="status" aria-live="polite">
            {move || outcome.get().map(|result| {
                let (text, failed) = match result {
                    Ok(text) => (text, false),
                    Err(e) => (e.to_string(), true),
                };
                view! {
                    <div class="message" class:message-error=failed>
                        <p>{text}</p>
                        <button class="button secondary small" type="button" on:click=move |_| outcome.set(None)>
                            "Dismiss"
                        </button>
                    </div>
                }
            })}
        </div>
    }
}

/// What a page shows instead of its content when loading it failed.
fn load_failure(title: &'static str, e: AppError) -> impl IntoView {
    match e {
        AppError::Forbidden | AppError::Unauthorized => Either::Left(view! { <Forbidden/> }),
        e => Either::Right(view! {
            <h1>{title}</h1>
            <p class="form-error" role="alert">{e.to_string()}</p>
        }),
    }
}

// ---- Setup › Salespeople ----

#[component]
pub fn SalespeoplePage() -> impl IntoView {
    let create = ServerAction::<CreateSalesperson>::new();
    let update = ServerAction::<UpdateSalesperson>::new();
    let set_blocked = ServerAction::<SetSalespersonBlocked>::new();
    let delete = ServerAction::<DeleteSalesperson>::new();
    let reload = RwSignal::new(0u32);
    let outcome = RwSignal::new(None);
    follow(create, reload, outcome, false);
    follow(update, reload, outcome, false);
    follow(set_blocked, reload, outcome, true);
    follow(delete, reload, outcome, false);
    // Blocking: the server waits for it before sending the first byte, so a refusal can still
    // set the page's status to 403.
    let overview = Resource::new_blocking(move || reload.get(), |_| list_salespeople());

    // The edit panel is addressed by the URL (`?edit=<id>`), so "Edit" is a plain link that works
    // before the app is interactive, and the browser's Back button closes the panel.
    let query = use_query_map();
    let editing = Memo::new(move |_| {
        query
            .read()
            .get("edit")
            .and_then(|id| id.parse::<i64>().ok())
    });
    let navigate = use_navigate();
    let close_after_save = navigate.clone();
    Effect::new(move |_| {
        if matches!(update.value().get(), Some(Ok(_))) {
            close_after_save(SALESPEOPLE_PATH, Default::default());
        }
    });
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(_))) {
            navigate(SALESPEOPLE_PATH, Default::default());
        }
    });
    // Messages of an earlier edit do not belong on the next one.
    Effect::watch(
        move || editing.get(),
        move |_, _, _| {
            update.value().set(None);
            delete.value().set(None);
        },
        false,
    );

    view! {
        <Title text="Salespeople · Setup · Pipeline"/>
        <div class="people-page">
            <Transition fallback=|| view! { <p class="muted">"Loading salespeople…"</p> }>
                {move || overview.get().map(|result| match result {
                    Err(e) => Either::Left(load_failure("Salespeople", e)),
                    Ok(o) => Either::Right(salespeople_view(o, editing, create, update, set_blocked, delete)),
                })}
            </Transition>
            <MessageBar outcome/>
        </div>
    }
}

fn salespeople_view(
    o: SalespeopleOverview,
    editing: Memo<Option<i64>>,
    create: ServerAction<CreateSalesperson>,
    update: ServerAction<UpdateSalesperson>,
    set_blocked: ServerAction<SetSalespersonBlocked>,
    delete: ServerAction<DeleteSalesperson>,
) -> AnyView {
    let create_error = action_error(create);
    let rows = o.salespeople;
    let for_edit = rows.clone();
    let count = rows.len();
    view! {
        <h1>"Salespeople"</h1>
        <SetupTabs/>
        <p class="lead">
            "The people who sell: their codes go on contacts and opportunities. "
            "A blocked salesperson keeps everything they have but cannot be given new opportunities."
        </p>
        {move || editing.get().map(|id| match for_edit.iter().find(|s| s.id == id) {
            Some(s) => Either::Left(view! { <EditSalesperson s=s.clone() update delete/> }),
            None => Either::Right(view! {
                <section class="card edit-panel">
                    <p>"This salesperson does not exist (any more)."</p>
                    <a class="button secondary" href=SALESPEOPLE_PATH>"Back to the list"</a>
                </section>
            }),
        })}
        {if rows.is_empty() {
            Either::Left(view! {
                <section class="card empty-state">
                    <p>"No salespeople yet. Add the first one below."</p>
                </section>
            })
        } else {
            Either::Right(view! {
                <div class="table-wrap">
                    <table class="table">
                        <caption class="sr-only">{format!("{count} salespeople")}</caption>
                        <thead><tr>
                            <th scope="col">"Code"</th><th scope="col">"Name"</th><th scope="col">"Email"</th>
                            <th scope="col">"Phone"</th><th scope="col" class="num">"Commission %"</th>
                            <th scope="col">"Status"</th><th scope="col">"Teams"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|s| salesperson_row(s, set_blocked)).collect_view()}
                        </tbody>
                    </table>
                </div>
            })
        }}
        <section class="card" aria-labelledby="new-salesperson-heading">
            <h2 id="new-salesperson-heading">"Add a salesperson"</h2>
            <ActionForm action=create attr:class="form-grid">
                <SalespersonInputs prefix="new" error=create_error/>
                <FormMessage error=create_error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Add salesperson"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

fn salesperson_row(s: SalespersonRow, set_blocked: ServerAction<SetSalespersonBlocked>) -> AnyView {
    let who = format!("{} ({})", s.name, s.code);
    let (verb, next) = if s.blocked {
        ("Unblock", "false")
    } else {
        ("Block", "true")
    };
    let email = (!s.email.is_empty()).then(|| {
        let href = format!("mailto:{}", s.email);
        view! { <a href=href>{s.email.clone()}</a> }
    });
    let phone = (!s.phone.is_empty()).then(|| {
        let href = format!("tel:{}", s.phone.replace(' ', ""));
        view! { <a href=href>{s.phone.clone()}</a> }
    });
    let teams = if s.teams.is_empty() {
        "—".to_owned()
    } else {
        s.teams.join(", ")
    };
    let edit_href = format!("{SALESPEOPLE_PATH}?edit={}", s.id);
    let edit_label = format!("Edit {who}");
    let toggle_label = format!("{verb} {who}");
    let id = s.id.to_string();
    view! {
        <tr class:inactive=s.blocked>
            <td data-label="Code"><span class="code">{s.code.clone()}</span></td>
            <td data-label="Name">{s.name.clone()}</td>
            <td data-label="Email">{email.map(Either::Left).unwrap_or(Either::Right("—"))}</td>
            <td data-label="Phone">{phone.map(Either::Left).unwrap_or(Either::Right("—"))}</td>
            <td data-label="Commission %" class="num">{rules::format_pct(s.commission)}</td>
            <td data-label="Status">
                {if s.blocked {
                    Either::Left(view! { <span class="badge badge-blocked">"Blocked"</span> })
                } else {
                    Either::Right("Active")
                }}
            </td>
            <td data-label="Teams">{teams}</td>
            <td class="row-actions">
                <a class="button secondary small" href=edit_href aria-label=edit_label>"Edit"</a>
                <ActionForm action=set_blocked attr:class="inline-form">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="blocked" value=next/>
                    <button class="button secondary small" type="submit" aria-label=toggle_label>{verb}</button>
                </ActionForm>
            </td>
        </tr>
    }
    .into_any()
}

/// The fields of the add and edit forms; `prefix` keeps their ids apart.
#[component]
fn SalespersonInputs(
    prefix: &'static str,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional)] values: Option<SalespersonRow>,
) -> impl IntoView {
    let commission = values
        .as_ref()
        .map(|v| rules::format_pct(v.commission))
        .unwrap_or_default();
    let v = values.unwrap_or_default();
    let id = move |field: &str| format!("{prefix}-{field}");
    view! {
        <div class="field">
            <label for=id("code")>"Code"</label>
            <input id=id("code") name="code" class="code-input" required maxlength=rules::MAX_CODE.to_string()
                autocomplete="off" autocapitalize="characters" spellcheck="false" value=v.code
                aria-describedby=id("code-hint") aria-invalid=invalid(error, "code")/>
            <p class="hint" id=id("code-hint")>"Up to 20 characters, stored in capitals. Must be unique."</p>
            <FieldMessage error field="code"/>
        </div>
        <div class="field">
            <label for=id("name")>"Name"</label>
            <input id=id("name") name="name" required maxlength=rules::MAX_NAME.to_string() autocomplete="off"
                value=v.name aria-invalid=invalid(error, "name")/>
            <FieldMessage error field="name"/>
        </div>
        <div class="field">
            <label for=id("email")>"Email"</label>
            <input id=id("email") name="email" type="email" maxlength="254" autocomplete="off" value=v.email
                aria-invalid=invalid(error, "email")/>
            <FieldMessage error field="email"/>
        </div>
        <div class="field">
            <label for=id("phone")>"Phone"</label>
            <input id=id("phone") name="phone" type="tel" maxlength=rules::MAX_PHONE.to_string() autocomplete="off"
                value=v.phone aria-invalid=invalid(error, "phone")/>
            <FieldMessage error field="phone"/>
        </div>
        <div class="field">
            <label for=id("commission")>"Commission %"</label>
            <input id=id("commission") name="commission" inputmode="decimal" autocomplete="off" placeholder="0.00"
                value=commission aria-describedby=id("commission-hint") aria-invalid=invalid(error, "commission")/>
            <p class="hint" id=id("commission-hint")>"From 0 to 100, with up to 2 decimals."</p>
            <FieldMessage error field="commission"/>
        </div>
    }
    .into_any()
}

#[component]
fn EditSalesperson(
    s: SalespersonRow,
    update: ServerAction<UpdateSalesperson>,
    delete: ServerAction<DeleteSalesperson>,
) -> impl IntoView {
    let error = action_error(update);
    let delete_error = action_error(delete);
    let title = format!("Edit {} ({})", s.name, s.code);
    let linked = s.linked_user.clone();
    let (id, version) = (s.id.to_string(), s.version.to_string());
    let delete_id = id.clone();
    let delete_label = format!("Delete salesperson {}", s.code);
    view! {
        <section class="card edit-panel" aria-labelledby="edit-salesperson-heading">
            <h2 id="edit-salesperson-heading">{title}</h2>
            <ActionForm action=update attr:class="form-grid">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version/>
                <SalespersonInputs prefix="edit" error values=s/>
                <FormMessage error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || update.pending().get()>"Save changes"</button>
                    <a class="button secondary" href=SALESPEOPLE_PATH>"Cancel"</a>
                </div>
            </ActionForm>
            <div class="danger-zone">
                {match linked {
                    Some(user) => Either::Left(view! {
                        <p class="hint">
                            {format!("Linked to the user account {user}. A linked salesperson cannot be deleted; block them instead.")}
                        </p>
                    }),
                    None => Either::Right(view! {
                        <ActionForm action=delete attr:class="inline-form">
                            <input type="hidden" name="id" value=delete_id/>
                            <button class="button danger" type="submit" disabled=move || delete.pending().get()>
                                {delete_label}
                            </button>
                        </ActionForm>
                        <p class="hint">"Only a salesperson nothing refers to can be deleted. Team memberships go with them."</p>
                    }),
                }}
                <FormMessage error=delete_error/>
            </div>
        </section>
    }
    .into_any()
}

// ---- Setup › Teams ----

/// The per-team actions, shared by every team card on the page.
#[derive(Clone, Copy)]
struct TeamActions {
    update: ServerAction<UpdateTeam>,
    delete: ServerAction<DeleteTeam>,
    add_member: ServerAction<AddTeamMember>,
    remove_member: ServerAction<RemoveTeamMember>,
    add_manager: ServerAction<AddTeamManager>,
    remove_manager: ServerAction<RemoveTeamManager>,
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let actions = TeamActions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
        add_member: ServerAction::new(),
        remove_member: ServerAction::new(),
        add_manager: ServerAction::new(),
        remove_manager: ServerAction::new(),
    };
    let reload = RwSignal::new(0u32);
    let outcome = RwSignal::new(None);
    follow(create, reload, outcome, false);
    follow(actions.update, reload, outcome, true);
    follow(actions.delete, reload, outcome, true);
    follow(actions.add_member, reload, outcome, true);
    follow(actions.remove_member, reload, outcome, true);
    follow(actions.add_manager, reload, outcome, true);
    follow(actions.remove_manager, reload, outcome, true);
    // Blocking: the server waits for it before sending the first byte, so a refusal can still
    // set the page's status to 403.
    let overview = Resource::new_blocking(move || reload.get(), |_| list_teams());

    view! {
        <Title text="Teams · Setup · Pipeline"/>
        <div class="people-page">
            <Transition fallback=|| view! { <p class="muted">"Loading teams…"</p> }>
                {move || overview.get().map(|result| match result {
                    Err(e) => Either::Left(load_failure("Teams", e)),
                    Ok(o) => Either::Right(teams_view(o, create, actions)),
                })}
            </Transition>
            <MessageBar outcome/>
        </div>
    }
}

fn teams_view(o: TeamsOverview, create: ServerAction<CreateTeam>, actions: TeamActions) -> AnyView {
    let create_error = action_error(create);
    let without_manager = o.teams.iter().filter(|t| t.managers.is_empty()).count();
    let summary = match (o.teams.len(), without_manager) {
        (0, _) => None,
        (1, 0) => Some("1 team.".to_owned()),
        (n, 0) => Some(format!("{n} teams.")),
        (n, 1) => Some(format!(
            "{n} {} — 1 without a manager.",
            if n == 1 { "team" } else { "teams" }
        )),
        (n, w) => Some(format!("{n} teams — {w} without a manager.")),
    };
    let cards = if o.teams.is_empty() {
        Either::Left(view! {
            <section class="card empty-state">
                <p>"No teams yet. Add the first one below, then give it members and a manager."</p>
            </section>
        })
    } else {
        let TeamsOverview {
            teams,
            salespeople,
            manager_candidates,
        } = o;
        Either::Right(
            teams
                .into_iter()
                .map(|t| team_card(t, &salespeople, &manager_candidates, actions))
                .collect_view(),
        )
    };
    view! {
        <h1>"Teams"</h1>
        <SetupTabs/>
        <p class="lead">
            "Teams group salespeople. A team's managers see and change what its members own; "
            "members see each other's records. Every team needs at least one manager."
        </p>
        {summary.map(|s| view! { <p class="muted">{s}</p> })}
        {cards}
        <section class="card" aria-labelledby="new-team-heading">
            <h2 id="new-team-heading">"Add a team"</h2>
            <ActionForm action=create attr:class="form-grid">
                <div class="field">
                    <label for="new-team-code">"Code"</label>
                    <input id="new-team-code" name="code" class="code-input" required maxlength=rules::MAX_CODE.to_string()
                        autocomplete="off" autocapitalize="characters" spellcheck="false"
                        aria-describedby="new-team-code-hint" aria-invalid=invalid(create_error, "code")/>
                    <p class="hint" id="new-team-code-hint">"Up to 20 characters, stored in capitals. Must be unique."</p>
                    <FieldMessage error=create_error field="code"/>
                </div>
                <div class="field">
                    <label for="new-team-name">"Name"</label>
                    <input id="new-team-name" name="name" required maxlength=rules::MAX_NAME.to_string() autocomplete="off"
                        aria-invalid=invalid(create_error, "name")/>
                    <FieldMessage error=create_error field="name"/>
                </div>
                <FormMessage error=create_error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Add team"</button>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// One team: its members and managers with add and remove, and (folded away) rename and delete.
/// Every value a form uses is computed before the `view!`, since form children are closures that
/// must own what they show.
fn team_card(
    t: TeamCard,
    salespeople: &[TeamMember],
    candidates: &[TeamManager],
    a: TeamActions,
) -> AnyView {
    let heading = format!("team-{}-heading", t.id);
    let labelled_by = heading.clone();
    let team_id = t.id.to_string();
    let code = t.code.clone();
    let free_salespeople: Vec<TeamMember> = salespeople
        .iter()
        .filter(|s| !t.members.iter().any(|m| m.id == s.id))
        .cloned()
        .collect();
    let free_managers: Vec<TeamManager> = candidates
        .iter()
        .filter(|u| !t.managers.iter().any(|m| m.id == u.id))
        .cloned()
        .collect();
    let no_salespeople = salespeople.is_empty();

    let members = if t.members.is_empty() {
        Either::Left(view! { <p class="muted">"No members yet."</p> })
    } else {
        Either::Right(view! {
            <ul class="people-list">
                {t.members.iter().map(|m| {
                    let label = format!("Remove {} from {code}", m.name);
                    let (team_id, salesperson_id) = (team_id.clone(), m.id.to_string());
                    view! {
                        <li>
                            <span class="person">
                                {m.name.clone()}" "<span class="muted">{format!("({})", m.code)}</span>
                                {m.blocked.then(|| view! { " "<span class="badge badge-blocked">"Blocked"</span> })}
                            </span>
                            <ActionForm action=a.remove_member attr:class="inline-form">
                                <input type="hidden" name="team_id" value=team_id/>
                                <input type="hidden" name="salesperson_id" value=salesperson_id/>
                                <button class="button secondary small" type="submit" aria-label=label>"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };

    let add_member = if free_salespeople.is_empty() {
        Either::Left(if no_salespeople {
            Either::Left(view! {
                <p class="hint">"No salespeople yet. Add them in "<a href=SALESPEOPLE_PATH>"Setup › Salespeople"</a>" first."</p>
            })
        } else {
            Either::Right(view! { <p class="hint">"Every salesperson is in this team."</p> })
        })
    } else {
        let select_id = format!("team-{}-new-member", t.id);
        let label_for = select_id.clone();
        let (team_id, for_team, button) = (
            team_id.clone(),
            format!(" for {code}"),
            format!("Add member to {code}"),
        );
        Either::Right(view! {
            <ActionForm action=a.add_member attr:class="add-form">
                <input type="hidden" name="team_id" value=team_id/>
                <label for=label_for>"New member"<span class="sr-only">{for_team}</span></label>
                <div class="inline-form">
                    <select id=select_id name="salesperson_id" required>
                        <option value="">"Choose a salesperson…"</option>
                        {free_salespeople.into_iter().map(|s| {
                            let label = format!("{} – {}{}", s.code, s.name, if s.blocked { " (blocked)" } else { "" });
                            view! { <option value=s.id.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                    <button class="button small" type="submit" aria-label=button>"Add member"</button>
                </div>
            </ActionForm>
        })
    };

    let managers = if t.managers.is_empty() {
        Either::Left(view! { <p class="muted">"No manager yet."</p> })
    } else {
        Either::Right(view! {
            <ul class="people-list">
                {t.managers.iter().map(|m| {
                    let label = format!("Remove manager {} from {code}", m.name);
                    let (team_id, user_id) = (team_id.clone(), m.id.to_string());
                    let problem = if !m.active {
                        Some("Deactivated")
                    } else if m.role == Role::Salesperson {
                        Some("Needs the Manager role")
                    } else {
                        None
                    };
                    view! {
                        <li>
                            <span class="person">
                                {m.name.clone()}" "<span class="muted">{format!("({})", m.role.label())}</span>
                                {problem.map(|p| view! { " "<span class="badge badge-warn">{p}</span> })}
                            </span>
                            <ActionForm action=a.remove_manager attr:class="inline-form">
                                <input type="hidden" name="team_id" value=team_id/>
                                <input type="hidden" name="user_id" value=user_id/>
                                <button class="button secondary small" type="submit" aria-label=label>"Remove"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };

    let add_manager = if free_managers.is_empty() {
        Either::Left(view! {
            <p class="hint">"No other user has the Manager or Admin role. Change a role in "<a href="/setup/users">"Setup › Users"</a>"."</p>
        })
    } else {
        let select_id = format!("team-{}-new-manager", t.id);
        let label_for = select_id.clone();
        let (team_id, for_team, button) = (
            team_id.clone(),
            format!(" for {code}"),
            format!("Add manager to {code}"),
        );
        Either::Right(view! {
            <ActionForm action=a.add_manager attr:class="add-form">
                <input type="hidden" name="team_id" value=team_id/>
                <label for=label_for>"New manager"<span class="sr-only">{for_team}</span></label>
                <div class="inline-form">
                    <select id=select_id name="user_id" required>
                        <option value="">"Choose a user…"</option>
                        {free_managers.into_iter().map(|u| {
                            let label = format!("{} ({})", u.name, u.role.label());
                            view! { <option value=u.id.to_string()>{label}</option> }
                        }).collect_view()}
                    </select>
                    <button class="button small" type="submit" aria-label=button>"Add manager"</button>
                </div>
            </ActionForm>
        })
    };

    let (code_id, name_id) = (format!("team-{}-code", t.id), format!("team-{}-name", t.id));
    let (code_for, name_for) = (code_id.clone(), name_id.clone());
    let (code_value, name_value, version) = (t.code.clone(), t.name.clone(), t.version.to_string());
    let save_label = format!("Save team {code}");
    let delete_label = format!("Delete team {code}");
    let settings_label = format!("Rename or delete {code}");
    let update_team_id = team_id.clone();
    view! {
        <section class="card team-card" aria-labelledby=labelled_by>
            <div class="team-head">
                <h2 id=heading>
                    <span class="code">{t.code.clone()}</span>" – "{t.name.clone()}
                </h2>
                {t.managers.is_empty().then(|| view! { <span class="badge badge-warn">"No manager"</span> })}
            </div>
            <div class="team-columns">
                <div class="team-column">
                    <h3>{format!("Members ({})", t.members.len())}</h3>
                    {members}
                    {add_member}
                </div>
                <div class="team-column">
                    <h3>{format!("Managers ({})", t.managers.len())}</h3>
                    {managers}
                    {add_manager}
                    <p class="hint">
                        "Managers need the Manager role in Setup › Users to manage the team's salespeople; "
                        "admins see every team anyway."
                    </p>
                </div>
            </div>
            <details class="team-settings">
                <summary>{settings_label}</summary>
                <ActionForm action=a.update attr:class="form-grid">
                    <input type="hidden" name="id" value=update_team_id/>
                    <input type="hidden" name="version" value=version/>
                    <div class="field">
                        <label for=code_for>"Code"</label>
                        <input id=code_id name="code" class="code-input" required maxlength=rules::MAX_CODE.to_string()
                            autocomplete="off" autocapitalize="characters" spellcheck="false" value=code_value/>
                    </div>
                    <div class="field">
                        <label for=name_for>"Name"</label>
                        <input id=name_id name="name" required maxlength=rules::MAX_NAME.to_string() autocomplete="off"
                            value=name_value/>
                    </div>
                    <div class="form-actions">
                        <button class="button" type="submit" aria-label=save_label>"Save"</button>
                    </div>
                </ActionForm>
                <ActionForm action=a.delete attr:class="danger-zone">
                    <input type="hidden" name="id" value=team_id/>
                    <p class="hint">"Deleting the team removes its memberships and managers. The salespeople and users stay."</p>
                    <button class="button danger" type="submit">{delete_label}</button>
                </ActionForm>
            </details>
        </section>
    }
    .into_any()
}

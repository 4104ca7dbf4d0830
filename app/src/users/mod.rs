//! Setup › Users: admins create accounts, change roles, and deactivate or reactivate users.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::{
    auth::Role,
    error::AppError,
    ui::{FieldMessage, Forbidden, FormMessage, action_error, invalid, successes},
};
use api::{CreateUser, SetUserActive, SetUserRole, list_users};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserListItem {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub salesperson: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersOverview {
    pub users: Vec<UserListItem>,
    /// Salespeople not linked to a user yet, for the new-user form: (id, "CODE – Name").
    pub free_salespeople: Vec<(i64, String)>,
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let set_role = ServerAction::<SetUserRole>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let changes = [
        successes(create),
        successes(set_role),
        successes(set_active),
    ];
    let overview = Resource::new_blocking(move || changes.map(|c| c.get()), |_| list_users());
    let create_error = action_error(create);
    let me = crate::layout::use_me();
    let change_error = Signal::derive(move || {
        action_error(set_role)
            .get()
            .or_else(|| action_error(set_active).get())
    });

    view! {
        <Title text="Users · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
            {move || overview.get().map(|result| match result {
                Err(AppError::Forbidden) | Err(AppError::Unauthorized) => view! { <Forbidden/> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(o) => view! {
                    <h1>"Users"</h1>
                    <crate::setup::SetupTabs/>
                    <p class="lead">"Who can sign in, and what their role lets them do."</p>
                    <FormMessage error=change_error/>
                    <div class="table-wrap">
                        <table class="table">
                            <thead><tr>
                                <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th>
                                <th scope="col">"Salesperson"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {o.users.into_iter().map(|u| {
                                    let is_me = me.get_untracked().is_some_and(|m| m.id == u.id);
                                    user_row(u, is_me, set_role, set_active)
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    <section class="card" aria-labelledby="new-user-heading">
                        <h2 id="new-user-heading">"Add a user"</h2>
                        <ActionForm action=create attr:class="form-grid">
                            <div class="field">
                                <label for="new-display_name">"Name"</label>
                                <input id="new-display_name" name="display_name" required aria-invalid=invalid(create_error, "display_name")/>
                                <FieldMessage error=create_error field="display_name"/>
                            </div>
                            <div class="field">
                                <label for="new-email">"Email"</label>
                                <input id="new-email" name="email" type="email" required aria-invalid=invalid(create_error, "email")/>
                                <FieldMessage error=create_error field="email"/>
                            </div>
                            <div class="field">
                                <label for="new-role">"Role"</label>
                                <select id="new-role" name="role">
                                    {Role::ALL.into_iter().map(|r| view! {
                                        <option value=r.as_str() selected=r == Role::Salesperson>{r.label()}</option>
                                    }).collect_view()}
                                </select>
                                <FieldMessage error=create_error field="role"/>
                            </div>
                            <div class="field">
                                <label for="new-salesperson">"Salesperson record"</label>
                                <select id="new-salesperson" name="salesperson_id">
                                    <option value="">"None"</option>
                                    {o.free_salespeople.into_iter().map(|(id, label)| view! {
                                        <option value=id.to_string()>{label}</option>
                                    }).collect_view()}
                                </select>
                                <FieldMessage error=create_error field="salesperson_id"/>
                            </div>
                            <div class="field">
                                <label for="new-password">"Initial password"</label>
                                <input id="new-password" name="password" type="password" autocomplete="new-password" required
                                    aria-invalid=invalid(create_error, "password")/>
                                <FieldMessage error=create_error field="password"/>
                            </div>
                            <FormMessage error=create_error/>
                            <div class="form-actions">
                                <button class="button" type="submit" disabled=move || create.pending().get()>"Add user"</button>
                            </div>
                        </ActionForm>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

fn user_row(
    u: UserListItem,
    is_me: bool,
    set_role: ServerAction<SetUserRole>,
    set_active: ServerAction<SetUserActive>,
) -> impl IntoView {
    let role_id = format!("role-{}", u.id);
    let name = u.display_name.clone();
    view! {
        <tr class:inactive=!u.active>
            <td data-label="Name">{u.display_name.clone()}</td>
            <td data-label="Email">{u.email.clone()}</td>
            <td data-label="Role">
                <ActionForm action=set_role attr:class="inline-form">
                    <input type="hidden" name="user_id" value=u.id.to_string()/>
                    <label class="sr-only" for=role_id.clone()>{format!("Role of {name}")}</label>
                    <select id=role_id name="role">
                        {Role::ALL.into_iter().map(|r| view! {
                            <option value=r.as_str() selected=r == u.role>{r.label()}</option>
                        }).collect_view()}
                    </select>
                    <button class="button secondary small" type="submit" aria-label=format!("Save role of {name}")>"Save"</button>
                </ActionForm>
            </td>
            <td data-label="Salesperson">{u.salesperson.clone().unwrap_or_else(|| "—".into())}</td>
            <td data-label="Status">{if u.active { "Active" } else { "Deactivated" }}</td>
            <td>
                // Nobody deactivates themselves (the server refuses it too).
                {(!is_me).then(|| view! {
                    <ActionForm action=set_active attr:class="inline-form">
                        <input type="hidden" name="user_id" value=u.id.to_string()/>
                        <input type="hidden" name="active" value=(!u.active).to_string()/>
                        <button class="button secondary small" type="submit">
                            {format!("{} {}", if u.active { "Deactivate" } else { "Reactivate" }, u.display_name)}
                        </button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}

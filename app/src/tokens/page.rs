//! The profile's "API tokens" section: create (the secret is shown once), see when each was last
//! used, revoke. Admins also see everyone's tokens.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::{
    TokenRow,
    api::{CreateToken, RevokeToken, list_tokens},
};
use crate::ui::{FieldMessage, FormMessage, action_error, invalid, successes};

fn when(t: Option<DateTime<Utc>>, none: &'static str) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| none.to_owned())
}

#[component]
pub fn ApiTokensSection() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let changes = [successes(create), successes(revoke)];
    let tokens = Resource::new(move || changes.map(|c| c.get()), |_| list_tokens());
    let create_error = action_error(create);
    let revoke_error = action_error(revoke);
    let created = move || create.value().get().and_then(Result::ok);

    let table = move |rows: Vec<TokenRow>,
                      now: DateTime<Utc>,
                      with_owner: bool,
                      label: &'static str| {
        if rows.is_empty() {
            return view! { <p class="muted">"No tokens yet."</p> }.into_any();
        }
        view! {
            <div class="table-wrap">
                <table class="table" aria-label=label>
                    <thead><tr>
                        <th scope="col">"Name"</th>
                        {with_owner.then(|| view! { <th scope="col">"Owner"</th> })}
                        <th scope="col">"Starts with"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th>
                        <th scope="col">"Expires"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|t| {
                            let usable = t.is_usable(now);
                            let state = t.state(now);
                            let name = t.name.clone();
                            view! {
                                <tr>
                                    <td data-label="Name">{t.name.clone()}</td>
                                    {with_owner.then(|| view! { <td data-label="Owner">{t.owner.clone()}</td> })}
                                    <td data-label="Starts with"><code>{format!("{}…", t.prefix)}</code></td>
                                    <td data-label="Created">{when(Some(t.created_at), "")}</td>
                                    <td data-label="Last used">{when(t.last_used_at, "Never")}</td>
                                    <td data-label="Expires">{when(t.expires_at, "Never")}</td>
                                    <td data-label="Status"><span class=format!("badge token-{state}")>{state}</span></td>
                                    <td>
                                        {usable.then(|| view! {
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=t.id.to_string()/>
                                                <button class="button secondary small" type="submit"
                                                    aria-label=format!("Revoke token {name}")>"Revoke"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };

    view! {
        <section class="card api-tokens" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p class="muted">
                "Scripts and integrations use a token to call the "<a href="/api/docs">"Pipeline API"</a>
                " as you, with your access. Keep it secret; revoke it when it is no longer needed."
            </p>
            <ActionForm action=create attr:class="form-grid">
                <div class="field">
                    <label for="token-name">"Token name"</label>
                    <input id="token-name" name="name" required maxlength="100" placeholder="e.g. Website form"
                        aria-invalid=invalid(create_error, "name") aria-describedby="name-error"/>
                    <FieldMessage error=create_error field="name"/>
                </div>
                <div class="field">
                    <label for="token-expires">"Expires on (optional)"</label>
                    <input id="token-expires" name="expires_on" type="date"
                        aria-invalid=invalid(create_error, "expires_on") aria-describedby="expires_on-error"/>
                    <FieldMessage error=create_error field="expires_on"/>
                </div>
                <FormMessage error=create_error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Create token"</button>
                </div>
            </ActionForm>
            {move || created().map(|t| view! {
                <div class="token-secret" role="status">
                    <p><strong>{format!("Token \u{201c}{}\u{201d} created.", t.name)}</strong>
                        " Copy it now: it will not be shown again."</p>
                    <label for="token-secret">"Your new token"</label>
                    <input id="token-secret" readonly value=t.secret.clone() class="mono"
                        on:focus=|ev| { let _ = event_target::<web_sys::HtmlInputElement>(&ev).select(); }/>
                </div>
            })}
            <FormMessage error=revoke_error/>
            <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                {move || tokens.get().map(|result| match result {
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(o) => view! {
                        <h3>"Your tokens"</h3>
                        {table(o.mine, o.now, false, "Your API tokens")}
                        {o.everyone.map(|all| view! {
                            <h3>"Everyone's tokens"</h3>
                            <p class="muted">"As an admin you can revoke any token, e.g. of someone who left."</p>
                            {table(all, o.now, true, "Everyone's API tokens")}
                        })}
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

//! Sign-in, first-run and profile pages. They work before the app hydrates (plain form posts)
//! and show messages next to the fields after it does.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{ChangePassword, CreateFirstAdmin, SignIn, SignOutEverywhere};
use crate::ui::{FieldMessage, FormMessage, action_error, invalid};

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let next = move || use_query_map().read().get("next").unwrap_or_default();
    view! {
        <Title text="Sign in · Pipeline"/>
        <main class="auth-page">
            <section class="card auth-card">
                <p class="auth-brand"><span class="brand-mark" aria-hidden="true">"P"</span>"Pipeline"</p>
                <h1>"Sign in"</h1>
                <Show when=move || error.get().is_none()><crate::ui::UrlError/></Show>
                <ActionForm action=action>
                    <input type="hidden" name="next" value=next/>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                    </div>
                    <FormMessage error=error/>
                    <button class="button wide" type="submit" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

#[component]
pub fn WelcomePage() -> impl IntoView {
    let action = ServerAction::<CreateFirstAdmin>::new();
    let error = action_error(action);
    view! {
        <Title text="Welcome · Pipeline"/>
        <main class="auth-page">
            <section class="card auth-card">
                <p class="auth-brand"><span class="brand-mark" aria-hidden="true">"P"</span>"Pipeline"</p>
                <h1>"Welcome to Pipeline"</h1>
                <p class="muted">"Create the first administrator account. You can invite your team afterwards."</p>
                <Show when=move || error.get().is_none()><crate::ui::UrlError/></Show>
                <ActionForm action=action>
                    <div class="field">
                        <label for="display_name">"Your name"</label>
                        <input id="display_name" name="display_name" autocomplete="name" required
                            aria-invalid=invalid(error, "display_name") aria-describedby="display_name-error"/>
                        <FieldMessage error=error field="display_name"/>
                    </div>
                    <div class="field">
                        <label for="email">"Email"</label>
                        <input id="email" name="email" type="email" autocomplete="username" required
                            aria-invalid=invalid(error, "email") aria-describedby="email-error"/>
                        <FieldMessage error=error field="email"/>
                    </div>
                    <div class="field">
                        <label for="password">"Password"</label>
                        <input id="password" name="password" type="password" autocomplete="new-password" required
                            aria-invalid=invalid(error, "password") aria-describedby="password-error password-hint"/>
                        <p class="hint" id="password-hint">"At least 10 characters."</p>
                        <FieldMessage error=error field="password"/>
                    </div>
                    <div class="field">
                        <label for="password_confirm">"Repeat the password"</label>
                        <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required
                            aria-invalid=invalid(error, "password_confirm") aria-describedby="password_confirm-error"/>
                        <FieldMessage error=error field="password_confirm"/>
                    </div>
                    <FormMessage error=error/>
                    <button class="button wide" type="submit" disabled=move || action.pending().get()>
                        "Create admin account"
                    </button>
                </ActionForm>
            </section>
        </main>
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error = action_error(change);
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let saved = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <Title text="Profile · Pipeline"/>
        <h1>"Your profile"</h1>
        <div class="grid">
            <section class="card" aria-labelledby="password-heading">
                <h2 id="password-heading">"Change password"</h2>
                <ActionForm action=change>
                    <div class="field">
                        <label for="current_password">"Current password"</label>
                        <input id="current_password" name="current_password" type="password" autocomplete="current-password" required
                            aria-invalid=invalid(error, "current_password") aria-describedby="current_password-error"/>
                        <FieldMessage error=error field="current_password"/>
                    </div>
                    <div class="field">
                        <label for="new_password">"New password"</label>
                        <input id="new_password" name="new_password" type="password" autocomplete="new-password" required
                            aria-invalid=invalid(error, "new_password") aria-describedby="new_password-error"/>
                        <FieldMessage error=error field="new_password"/>
                    </div>
                    <div class="field">
                        <label for="new_password_confirm">"Repeat the new password"</label>
                        <input id="new_password_confirm" name="new_password_confirm" type="password" autocomplete="new-password" required
                            aria-invalid=invalid(error, "new_password_confirm") aria-describedby="new_password_confirm-error"/>
                        <FieldMessage error=error field="new_password_confirm"/>
                    </div>
                    <Show when=saved>
                        <p class="form-ok" role="status">"Password changed. Your other sessions were signed out."</p>
                    </Show>
                    <button class="button" type="submit" disabled=move || change.pending().get()>"Change password"</button>
                </ActionForm>
            </section>
            <section class="card" aria-labelledby="sessions-heading">
                <h2 id="sessions-heading">"Sessions"</h2>
                <p class="muted">"Lost a phone or used a shared computer? End every session, including this one."</p>
                <ActionForm action=everywhere>
                    <button class="button secondary" type="submit">"Sign out everywhere"</button>
                </ActionForm>
            </section>
        </div>
        <crate::tokens::ApiTokensSection/>
    }
}

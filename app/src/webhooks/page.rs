//! Setup › Webhooks: subscribe URLs to events, see every delivery attempt, retry failed ones.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    DeliveryRow, EVENTS, WebhookRow,
    api::{CreateWebhook, DeleteWebhook, RetryDelivery, SetWebhookActive, list_webhooks},
};
use crate::{
    error::AppError,
    ui::{FieldMessage, Forbidden, FormMessage, action_error, invalid, successes},
};

const BOXES: [&str; 5] = [
    "ev_created",
    "ev_moved",
    "ev_updated",
    "ev_closed",
    "ev_task",
];

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let set_active = ServerAction::<SetWebhookActive>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let retry = ServerAction::<RetryDelivery>::new();
    let changes = [
        successes(create),
        successes(set_active),
        successes(delete),
        successes(retry),
    ];
    let query = use_query_map();
    let overview = Resource::new(
        move || (changes.map(|c| c.get()), query.with(|q| q.get("log"))),
        |(_, log)| list_webhooks(log),
    );
    let create_error = action_error(create);
    let change_error = Signal::derive(move || {
        action_error(set_active)
            .get()
            .or_else(|| action_error(delete).get())
            .or_else(|| action_error(retry).get())
    });
    let created = move || create.value().get().and_then(Result::ok);

    let webhook_row = move |w: WebhookRow| {
        let events = w.events.join(", ");
        let url = w.url.clone();
        view! {
            <tr>
                <td data-label="Address"><code class="break">{w.url.clone()}</code>
                    {(!w.description.is_empty()).then(|| view! { <div class="muted">{w.description.clone()}</div> })}</td>
                <td data-label="Events">{events}</td>
                <td data-label="Deliveries">
                    {format!("{} delivered · {} pending · {} failed", w.delivered, w.pending, w.failed)}
                </td>
                <td data-label="Status">{if w.active { "Active" } else { "Paused" }}</td>
                <td class="row-actions">
                    <a href=format!("/setup/webhooks?log={}", w.id) aria-label=format!("Delivery log of {url}")>"Log"</a>
                    <ActionForm action=set_active>
                        <input type="hidden" name="id" value=w.id.to_string()/>
                        <input type="hidden" name="active" value=if w.active { "false" } else { "true" }/>
                        <button class="button secondary small" type="submit">{if w.active { "Pause" } else { "Resume" }}</button>
                    </ActionForm>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=w.id.to_string()/>
                        <button class="button secondary small" type="submit" aria-label=format!("Delete webhook {url}")>"Delete"</button>
                    </ActionForm>
                </td>
            </tr>
        }
    };

    let delivery_row = move |d: DeliveryRow| {
        let can_retry = d.status != "delivered";
        let last = d.attempts.last().cloned();
        view! {
            <tr>
                <td data-label="Event"><code>{d.event.clone()}</code><div class="muted">{format!("#{}", d.event_id)}</div></td>
                <td data-label="Written">{when(d.created_at)}</td>
                <td data-label="Status"><span class=format!("badge delivery-{}", d.status)>{d.status.clone()}</span>
                    {d.next_attempt_at.map(|t| view! { <div class="muted">{format!("next try {}", when(t))}</div> })}</td>
                <td data-label="Attempts">
                    <ol class="attempts">
                        {d.attempts.iter().map(|a| view! {
                            <li>{format!("{} — {} ({} ms)", when(a.at),
                                a.response_status.map(|s| format!("HTTP {s}")).or_else(|| a.error.clone()).unwrap_or_default(),
                                a.duration_ms)}</li>
                        }).collect_view()}
                    </ol>
                    {last.is_none().then(|| view! { <span class="muted">"Not tried yet"</span> })}
                </td>
                <td>
                    {can_retry.then(|| view! {
                        <ActionForm action=retry>
                            <input type="hidden" name="id" value=d.id.to_string()/>
                            <button class="button secondary small" type="submit">"Retry now"</button>
                        </ActionForm>
                    })}
                </td>
            </tr>
        }
    };

    view! {
        <Title text="Webhooks · Setup · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading webhooks…"</p> }>
            {move || overview.get().map(|result| match result {
                Err(AppError::Forbidden | AppError::Unauthorized) => view! { <Forbidden/> }.into_any(),
                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(o) => view! {
                    <h1>"Webhooks"</h1>
                    <crate::setup::SetupTabs/>
                    <p class="lead">
                        "Pipeline calls these addresses when opportunities change. Each call is a JSON POST signed with the webhook's secret in the "
                        <code>"Pipeline-Signature"</code>" header; failed calls are retried with growing pauses for about a day."
                    </p>
                    <FormMessage error=change_error/>
                    {if o.webhooks.is_empty() {
                        view! { <p class="muted">"No webhooks yet."</p> }.into_any()
                    } else {
                        view! {
                            <div class="table-wrap">
                                <table class="table" aria-label="Webhooks">
                                    <thead><tr><th scope="col">"Address"</th><th scope="col">"Events"</th><th scope="col">"Deliveries"</th>
                                        <th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                                    <tbody>{o.webhooks.into_iter().map(webhook_row).collect_view()}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }}
                    {o.log.map(|(w, deliveries)| view! {
                        <section class="card" aria-labelledby="log-heading">
                            <h2 id="log-heading">"Delivery log"</h2>
                            <p class="muted"><code class="break">{w.url.clone()}</code>" — the newest 50 deliveries."</p>
                            {if deliveries.is_empty() {
                                view! { <p class="muted">"Nothing sent yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="table" aria-label="Deliveries">
                                            <thead><tr><th scope="col">"Event"</th><th scope="col">"Written"</th><th scope="col">"Status"</th>
                                                <th scope="col">"Attempts"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                                            <tbody>{deliveries.into_iter().map(delivery_row).collect_view()}</tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                        </section>
                    })}
                }.into_any(),
            })}
        </Transition>
        <section class="card" aria-labelledby="new-webhook-heading">
            <h2 id="new-webhook-heading">"Add a webhook"</h2>
            <ActionForm action=create attr:class="form-grid">
                <div class="field">
                    <label for="webhook-url">"Address (URL)"</label>
                    <input id="webhook-url" name="url" type="url" required placeholder="https://example.com/hooks/pipeline"
                        aria-invalid=invalid(create_error, "url") aria-describedby="url-error"/>
                    <FieldMessage error=create_error field="url"/>
                </div>
                <div class="field">
                    <label for="webhook-description">"Description (optional)"</label>
                    <input id="webhook-description" name="description" maxlength="200" placeholder="e.g. ERP sync"/>
                    <FieldMessage error=create_error field="description"/>
                </div>
                <fieldset class="field checkbox-group">
                    <legend>"Events"</legend>
                    {EVENTS.iter().zip(BOXES).map(|((key, label), name)| view! {
                        <label class="checkbox"><input type="checkbox" name=name value="true" checked=*key != "task.created"/>
                            {*label}" "<code>{*key}</code></label>
                    }).collect_view()}
                    <FieldMessage error=create_error field="events"/>
                </fieldset>
                <FormMessage error=create_error/>
                <div class="form-actions">
                    <button class="button" type="submit" disabled=move || create.pending().get()>"Add webhook"</button>
                </div>
            </ActionForm>
            {move || created().map(|w| view! {
                <div class="token-secret" role="status">
                    <p><strong>"Webhook added."</strong>" Give this secret to the receiver to check the signatures. It will not be shown again."</p>
                    <label for="webhook-secret">"Signing secret"</label>
                    <input id="webhook-secret" readonly value=w.secret.clone()/>
                </div>
            })}
        </section>
    }
}

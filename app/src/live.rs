//! Live updates (issue 11). Every operation that changes what a board, list, card or dashboard
//! shows calls [`notify`] inside its own transaction: PostgreSQL delivers the notification at
//! commit — never for a rolled-back change — to one listener per server process, which fans it
//! out over Server-Sent Events to the signed-in viewers allowed to see that opportunity
//! (`server/src/live.rs`). A notification carries ids and the version only, never row data.
//! In the browser, [`provide_live`] keeps one `EventSource` per tab; pages register with
//! [`on_live`] and either apply a change in place (the board) or refetch what they show.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The PostgreSQL channel of the change feed.
pub const CHANNEL: &str = "pipeline_changes";

/// What happened to an opportunity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Created,
    /// A stage action: First, Next, Previous, Skip, Jump or Update.
    Updated,
    Closed,
    /// Description or priority.
    Edited,
    /// Its place in a board column.
    Reordered,
    Quote,
    Task,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Closed => "closed",
            Self::Edited => "edited",
            Self::Reordered => "reordered",
            Self::Quote => "quote",
            Self::Task => "task",
        }
    }

    /// Words for "Anna moved it" style notes.
    pub fn verb(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "moved",
            Self::Closed => "closed",
            Self::Edited => "edited",
            Self::Reordered => "reordered",
            Self::Quote => "changed the quote of",
            Self::Task => "changed a task of",
        }
    }
}

/// One change as a viewer receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub id: i64,
    /// The opportunity's version after the change: a client that already has it ignores it.
    pub version: i32,
    pub kind: ChangeKind,
    /// Who made it (display name), if a user did.
    pub by: Option<String>,
    pub by_id: Option<i64>,
    /// When the change was written (ms since 1970, the database's clock): for measuring delivery.
    #[serde(default)]
    pub at: Option<i64>,
}

/// What pages are told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveEvent {
    Change(Change),
    /// Something may have been missed (the connection came back, the server's listener
    /// reconnected, this tab was asleep): refetch what is shown.
    Resync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveStatus {
    Connecting,
    Live,
    Reconnecting,
}

/// Sends the change notification for opportunity `id` in the caller's transaction: delivered
/// when it commits, dropped when it rolls back. Reads the version and owner as they are now,
/// so call it after the change. Every change that tells the live board also writes its webhook
/// event (same transaction, same statement: `opportunities_changed`, migration 15).
#[cfg(feature = "ssr")]
pub async fn notify(
    conn: &mut sqlx::PgConnection,
    id: i64,
    kind: ChangeKind,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    notify_many(conn, &[id], kind, user_id).await
}

/// [`notify`] for many opportunities at once: one statement (a CSV import announces its rows
/// with it before it commits).
#[cfg(feature = "ssr")]
pub async fn notify_many(
    conn: &mut sqlx::PgConnection,
    ids: &[i64],
    kind: ChangeKind,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "select opportunities_changed($1, $2, $3, $4, $5)",
        ids,
        kind.as_str(),
        crate::webhooks::ops::event_of(kind),
        user_id,
        CHANNEL,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The tab's live connection, shared as context by the signed-in shell.
#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<LiveStatus>,
    /// Whether this tab has been connected before: every later connection may follow a gap.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    connected_before: StoredValue<bool>,
}

/// Creates the tab's live connection (in the browser only) and provides it as context.
pub fn provide_live() {
    let live = Live {
        status: RwSignal::new(LiveStatus::Connecting),
        connected_before: StoredValue::new(false),
    };
    provide_context(live);
    // Effects run only in the browser: the server renders "connecting".
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        client::connect(live);
    });
}

/// Calls `handler` for each live event while the calling component is mounted. In the browser
/// only: the server has no events (and the handlers are kept in the tab's single thread).
pub fn on_live(handler: impl Fn(&LiveEvent) + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let id = client::register(std::rc::Rc::new(handler));
        on_cleanup(move || client::unregister(id));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = handler;
}

/// "Live" or "Reconnecting…", for the top bar.
#[component]
pub fn LiveIndicator() -> impl IntoView {
    let status = use_context::<Live>().map(|l| l.status);
    let state = move || status.map_or(LiveStatus::Connecting, |s| s.get());
    view! {
        <span
            class="live-indicator"
            class:live=move || state() == LiveStatus::Live
            class:reconnecting=move || state() == LiveStatus::Reconnecting
            role="status"
            data-live=move || match state() {
                LiveStatus::Connecting => "connecting",
                LiveStatus::Live => "live",
                LiveStatus::Reconnecting => "reconnecting",
            }
        >
            {move || match state() {
                LiveStatus::Connecting => "Connecting…",
                LiveStatus::Live => "Live",
                LiveStatus::Reconnecting => "Reconnecting…",
            }}
        </span>
    }
}

/// Whether the user is typing in a field (a refetch now would re-render it under them).
pub fn typing() -> bool {
    #[cfg(feature = "hydrate")]
    {
        document()
            .active_element()
            .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
    }
    #[cfg(not(feature = "hydrate"))]
    false
}

/// Calls `refetch` once things have been quiet for a moment after live events, so that a burst
/// of changes costs one request. For lists, cards and the dashboard.
pub fn refetch_on_live(
    matches: impl Fn(&LiveEvent) -> bool + 'static,
    refetch: impl Fn() + Clone + 'static,
) {
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (matches, refetch);
    }
    #[cfg(feature = "hydrate")]
    refetch_on_live_in_browser(matches, refetch);
}

#[cfg(feature = "hydrate")]
fn refetch_on_live_in_browser(
    matches: impl Fn(&LiveEvent) -> bool + 'static,
    refetch: impl Fn() + Clone + 'static,
) {
    let pending = StoredValue::new_local(None::<leptos::prelude::TimeoutHandle>);
    on_live(move |event| {
        if !matches(event) {
            return;
        }
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        let refetch = refetch.clone();
        let handle =
            set_timeout_with_handle(move || refetch(), std::time::Duration::from_millis(300)).ok();
        pending.set_value(handle);
    });
    on_cleanup(move || {
        if let Some(handle) = pending.try_get_value().flatten() {
            handle.clear();
        }
    });
}

#[cfg(feature = "hydrate")]
mod client {
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{EventSource, MessageEvent};

    use std::{cell::RefCell, rc::Rc};

    use super::{Change, Live, LiveEvent, LiveStatus};

    const URL: &str = "/api/live";

    type Handler = Rc<dyn Fn(&LiveEvent)>;

    thread_local! {
        /// The mounted pages' handlers (a browser tab has one thread).
        static HANDLERS: RefCell<(u64, Vec<(u64, Handler)>)> = RefCell::new((0, Vec::new()));
    }

    pub fn register(handler: Handler) -> u64 {
        HANDLERS.with_borrow_mut(|(next, handlers)| {
            *next += 1;
            handlers.push((*next, handler));
            *next
        })
    }

    pub fn unregister(id: u64) {
        HANDLERS.with_borrow_mut(|(_, handlers)| handlers.retain(|(i, _)| *i != id));
    }

    fn emit(event: &LiveEvent) {
        // A copy: a handler may register or unregister while being called.
        let handlers: Vec<Handler> =
            HANDLERS.with_borrow(|(_, handlers)| handlers.iter().map(|(_, h)| h.clone()).collect());
        for handler in handlers {
            handler(event);
        }
    }

    pub fn connect(live: Live) {
        // A stream opened while the page is still loading would hold its load event back
        // forever: open it once the page has loaded.
        if document().ready_state() == "complete" {
            open(live);
        } else {
            let on_load = Closure::once_into_js(move || open(live));
            let _ = window().add_event_listener_with_callback("load", on_load.unchecked_ref());
        }
        // A phone that suspended the tab may have missed anything: refetch on return.
        let on_visible = Closure::<dyn Fn()>::new(move || {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                emit(&LiveEvent::Resync);
            }
        });
        let _ = document().add_event_listener_with_callback(
            "visibilitychange",
            on_visible.as_ref().unchecked_ref(),
        );
        on_visible.forget();
    }

    fn open(live: Live) {
        let Ok(source) = EventSource::new(URL) else {
            return;
        };
        let on_hello = Closure::<dyn Fn(MessageEvent)>::new(move |_| {
            live.status.set(LiveStatus::Live);
            // A reconnection may follow a gap; the first connection follows the page's own
            // fresh load.
            if live.connected_before.get_value() {
                emit(&LiveEvent::Resync);
            }
            live.connected_before.set_value(true);
        });
        let on_change = Closure::<dyn Fn(MessageEvent)>::new(move |e: MessageEvent| {
            if let Some(change) = e
                .data()
                .as_string()
                .and_then(|s| serde_json::from_str::<Change>(&s).ok())
            {
                emit(&LiveEvent::Change(change));
            }
        });
        let on_resync = Closure::<dyn Fn(MessageEvent)>::new(move |_| emit(&LiveEvent::Resync));
        let retry_source = source.clone();
        let on_error = Closure::<dyn Fn()>::new(move || {
            live.status.set(LiveStatus::Reconnecting);
            // The browser retries by itself unless the server said no (e.g. signed out): then
            // try again later with a new connection.
            if retry_source.ready_state() == EventSource::CLOSED {
                set_timeout(move || open(live), std::time::Duration::from_secs(5));
            }
        });
        let _ = source.add_event_listener_with_callback("hello", on_hello.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback("resync", on_resync.as_ref().unchecked_ref());
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_hello.forget();
        on_change.forget();
        on_resync.forget();
        on_error.forget();
    }
}

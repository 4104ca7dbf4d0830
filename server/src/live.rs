//! The live change feed, server side (issue 11): one `PgListener` per process receives the
//! notifications that operations send inside their transactions (`app::live::notify`) and fans
//! them out on a broadcast channel; `GET /api/live` streams them to a signed-in browser as
//! Server-Sent Events, **only those about opportunities the viewer may see**. Nothing is kept in
//! the process that another instance would need: every instance listens to the same database.
//!
//! Never silently stale: when the listener's connection drops (and is made again), or a slow
//! browser falls behind the channel, the browser is sent `resync` and refetches what it shows.

use std::{collections::HashMap, convert::Infallible, sync::Arc, time::Duration};

use app::{
    auth::{
        access::{Viewer, resolve},
        backend::{AuthSession, User},
    },
    live::{CHANNEL, Change, ChangeKind},
    state::AppState,
};
use axum::{
    Extension,
    extract::State,
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::{Mutex, broadcast};

/// How many changes a slow browser may fall behind before it is told to resync.
const BACKLOG: usize = 1024;
/// How often a stream re-reads the viewer's teams (access can change while a board is open).
const SCOPE_REFRESH: Duration = Duration::from_secs(60);

/// Set once the process is shutting down: every open stream ends.
static SHUTTING_DOWN: std::sync::LazyLock<tokio::sync::watch::Sender<bool>> =
    std::sync::LazyLock::new(|| tokio::sync::watch::channel(false).0);

/// Ends every open live stream (graceful shutdown waits for open connections).
pub fn shut_down() {
    SHUTTING_DOWN.send_replace(true);
}

/// One change as the listener hands it to the streams, with the owner for the access filter.
#[derive(Clone, Debug)]
pub struct Signal {
    pub change: Option<Change>,
    pub salesperson_id: i64,
}

impl Signal {
    pub fn resync() -> Self {
        Self {
            change: None,
            salesperson_id: 0,
        }
    }
}

/// The payload `app::live::notify` sends.
#[derive(Deserialize)]
struct Notice {
    id: i64,
    v: i32,
    sp: i64,
    k: ChangeKind,
    by: Option<i64>,
    #[serde(default)]
    at: Option<i64>,
}

/// The process's feed: clone it freely.
#[derive(Clone)]
pub struct Feed {
    sender: broadcast::Sender<Signal>,
    pool: PgPool,
    started: Arc<std::sync::Once>,
}

impl Feed {
    /// The feed of `pool`'s database. The listener starts with the first subscriber, on a
    /// connection of its own (not one of the pool's).
    pub fn new(pool: PgPool) -> Self {
        let (sender, _) = broadcast::channel(BACKLOG);
        Self {
            sender,
            pool,
            started: Arc::new(std::sync::Once::new()),
        }
    }

    /// The feed with its listener started at once.
    pub fn start(pool: PgPool) -> Self {
        let feed = Self::new(pool);
        feed.start_listening();
        feed
    }

    fn start_listening(&self) {
        self.started.call_once(|| {
            tokio::spawn(listen(self.pool.clone(), self.sender.clone()));
        });
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Signal> {
        let receiver = self.sender.subscribe();
        self.start_listening();
        receiver
    }
}

/// Listens for as long as the process runs; every (re)connection is followed by a resync.
async fn listen(pool: PgPool, sender: broadcast::Sender<Signal>) {
    let names = Arc::new(Mutex::new(HashMap::<i64, String>::new()));
    let mut reconnecting = false;
    loop {
        if pool.is_closed() {
            return;
        }
        // A one-connection pool of its own: the listener never takes one of the app's.
        let own = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with((*pool.connect_options()).clone());
        let mut listener = match PgListener::connect_with(&own).await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "live feed: cannot connect the listener; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(error) = listener.listen(CHANNEL).await {
            tracing::warn!(%error, "live feed: LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // After a reconnection, whatever happened while nobody listened is unknown: every
        // browser refetches.
        if reconnecting {
            let _ = sender.send(Signal::resync());
        }
        reconnecting = true;
        tracing::info!("live feed: listening");
        loop {
            let received = tokio::select! {
                received = listener.try_recv() => received,
                // The pool was closed (the process or a test is ending): stop listening.
                () = pool.close_event() => return,
            };
            match received {
                Ok(Some(notification)) => {
                    match serde_json::from_str::<Notice>(notification.payload()) {
                        Ok(notice) => {
                            let by = match notice.by {
                                Some(user) => name_of(&pool, &names, user).await,
                                None => None,
                            };
                            let change = Change {
                                id: notice.id,
                                version: notice.v,
                                kind: notice.k,
                                by,
                                by_id: notice.by,
                                at: notice.at,
                            };
                            let _ = sender.send(Signal {
                                change: Some(change),
                                salesperson_id: notice.sp,
                            });
                        }
                        Err(error) => {
                            tracing::warn!(%error, payload = notification.payload(), "live feed: unreadable notification")
                        }
                    }
                }
                Ok(None) => {
                    tracing::warn!("live feed: the listener's connection was lost; reconnecting");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "live feed: listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}

/// The display name of a user, cached for the process (names rarely change; a stale one only
/// labels a highlight).
async fn name_of(pool: &PgPool, names: &Mutex<HashMap<i64, String>>, user: i64) -> Option<String> {
    if let Some(name) = names.lock().await.get(&user) {
        return Some(name.clone());
    }
    let name: Option<String> = sqlx::query_scalar("select display_name from users where id = $1")
        .bind(user)
        .fetch_optional(pool)
        .await
        .ok()
        .flatten();
    let mut names = names.lock().await;
    if names.len() > 10_000 {
        names.clear();
    }
    if let Some(name) = &name {
        names.insert(user, name.clone());
    }
    name
}

/// `GET /api/live`: the viewer's stream. `hello` first (the browser refetches on every
/// connection), then `change` for each change the viewer may see, `resync` when something may
/// have been missed, and a comment every 15 s to keep proxies from closing it.
pub async fn stream(
    State(state): State<AppState>,
    Extension(feed): Extension<Feed>,
    auth: AuthSession,
) -> Response {
    let Some(user) = auth.user else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    let viewer = match resolve(&state.pool, user.clone()).await {
        Ok(viewer) => viewer,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let receiver = feed.subscribe();
    let events = viewer_messages(state.pool.clone(), user, viewer, receiver).map(|message| {
        Ok::<_, Infallible>(match message {
            Message::Hello => Event::default().event("hello").data("live"),
            Message::Resync => Event::default().event("resync").data("resync"),
            Message::Change(change) => Event::default()
                .event("change")
                .data(serde_json::to_string(&change).unwrap_or_default()),
        })
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// What a viewer's stream says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// First, on every connection.
    Hello,
    Change(Change),
    /// Something may have been missed: refetch.
    Resync,
}

struct StreamState {
    pool: PgPool,
    user: User,
    viewer: Viewer,
    receiver: broadcast::Receiver<Signal>,
    refreshed: tokio::time::Instant,
    greeted: bool,
    stop: tokio::sync::watch::Receiver<bool>,
}

/// The messages for one viewer: the feed filtered by what they may see (re-read every minute).
pub fn viewer_messages(
    pool: PgPool,
    user: User,
    viewer: Viewer,
    receiver: broadcast::Receiver<Signal>,
) -> impl Stream<Item = Message> {
    let start = StreamState {
        pool,
        user,
        viewer,
        receiver,
        refreshed: tokio::time::Instant::now(),
        greeted: false,
        stop: SHUTTING_DOWN.subscribe(),
    };
    stream::unfold(start, |mut s| async move {
        if !s.greeted {
            s.greeted = true;
            return Some((Message::Hello, s));
        }
        loop {
            if *s.stop.borrow() {
                return None;
            }
            let received = tokio::select! {
                received = s.receiver.recv() => received,
                _ = s.stop.changed() => return None,
            };
            let signal = match received {
                Ok(signal) => signal,
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "live feed: a viewer fell behind; resync");
                    return Some((Message::Resync, s));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            if s.refreshed.elapsed() > SCOPE_REFRESH {
                if let Ok(viewer) = resolve(&s.pool, s.user.clone()).await {
                    s.viewer = viewer;
                }
                s.refreshed = tokio::time::Instant::now();
            }
            let Some(change) = signal.change else {
                return Some((Message::Resync, s));
            };
            // A salesperson never learns that another team's opportunity exists.
            if !s.viewer.read.allows(Some(signal.salesperson_id)) {
                continue;
            }
            return Some((Message::Change(change), s));
        }
    })
}

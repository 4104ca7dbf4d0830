//! The live board (issue 11): changes made by anyone — on this server or another — arrive as
//! live events (`crate::live`); the board refetches just the changed cards and the column totals
//! (`board/changes`) and applies them in place: a card moves to its new column at its rank,
//! leaves when closed or filtered out, appears when created, and says for a few seconds who
//! changed it. Nothing is applied under a lifted card: changes wait until the drop, and a drop
//! of a card that changed meanwhile is refused by the server's version check like any conflict.

use std::{collections::HashMap, time::Duration};

use leptos::{prelude::*, task::spawn_local};

use super::{BoardChanges, BoardColumn, api};
use crate::live::{Change, ChangeKind, LiveEvent, on_live};

/// How long "Anna moved this" stays on a card.
const NOTE_FOR: Duration = Duration::from_secs(5);
/// Changes are collected this long before one refetch.
const BATCH: Duration = Duration::from_millis(80);
/// More changed cards than this at once: reload the board instead.
const MAX_CARDS: usize = 200;

#[derive(Clone, Copy)]
pub struct LiveBoard {
    columns: RwSignal<Vec<BoardColumn>>,
    dragging: Signal<bool>,
    reloads: RwSignal<u32>,
    query_text: StoredValue<String>,
    /// Card id → "Anna moved this", shown for a few seconds.
    pub notes: RwSignal<HashMap<i64, String>>,
    pending: StoredValue<Vec<Change>>,
    resync: StoredValue<bool>,
    scheduled: StoredValue<bool>,
    me: Option<i64>,
}

/// Follows the live feed for the board showing `columns`.
pub fn follow(
    columns: RwSignal<Vec<BoardColumn>>,
    dragging: Signal<bool>,
    reloads: RwSignal<u32>,
    query_text: StoredValue<String>,
    me: Option<i64>,
    recheck: Vec<Change>,
) -> LiveBoard {
    let recheck_now = !recheck.is_empty();
    let board = LiveBoard {
        columns,
        dragging,
        reloads,
        query_text,
        notes: RwSignal::new(HashMap::new()),
        pending: StoredValue::new(recheck),
        resync: StoredValue::new(false),
        scheduled: StoredValue::new(false),
        me,
    };
    on_live(move |event| {
        match event {
            LiveEvent::Resync => board.resync.set_value(true),
            // Tasks are not on the board.
            LiveEvent::Change(change) if change.kind == ChangeKind::Task => return,
            LiveEvent::Change(change) => {
                // Already shown (this tab made the change, or caught up since). A reorder keeps
                // the version: someone else's is always fetched, one's own never.
                let shown = board.columns.with_untracked(|cols| {
                    cols.iter()
                        .flat_map(|c| c.cards.iter())
                        .find(|card| card.id == change.id)
                        .map(|card| card.version)
                });
                let own = change.by_id.is_some() && change.by_id == board.me;
                let known = match change.kind {
                    ChangeKind::Reordered => own,
                    _ => shown.is_some_and(|version| version >= change.version),
                };
                if known {
                    return;
                }
                board.pending.update_value(|p| p.push(change.clone()));
            }
        }
        schedule(board, BATCH);
    });
    if recheck_now {
        schedule(board, BATCH);
    }
    board
}

fn schedule(board: LiveBoard, after: Duration) {
    if board.scheduled.get_value() {
        return;
    }
    board.scheduled.set_value(true);
    set_timeout(
        move || {
            board.scheduled.set_value(false);
            flush(board);
        },
        after,
    );
}

fn flush(board: LiveBoard) {
    if board.dragging.get_untracked() {
        schedule(board, Duration::from_millis(300));
        return;
    }
    let mut changes = std::mem::take(&mut *board.pending.write_value());
    // This tab's own move may have been answered meanwhile.
    board.columns.with_untracked(|cols| {
        changes.retain(|change| {
            change.kind == ChangeKind::Reordered
                || !cols
                    .iter()
                    .flat_map(|c| c.cards.iter())
                    .any(|card| card.id == change.id && card.version >= change.version)
        })
    });
    let mut ids: Vec<i64> = changes.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if board.resync.get_value() || ids.len() > MAX_CARDS {
        board.resync.set_value(false);
        board.reloads.update(|n| *n += 1);
        return;
    }
    if ids.is_empty() {
        return;
    }
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    spawn_local(async move {
        match api::changed_cards(Some(board.query_text.get_value()), Some(list)).await {
            // A card was lifted while the answer was on its way: try again after the drop.
            Ok(_) if board.dragging.get_untracked() => {
                board.pending.update_value(|p| p.extend(changes));
                schedule(board, Duration::from_millis(300));
            }
            Ok(fresh) => {
                apply(board.columns, fresh);
                note(board, &changes);
            }
            Err(_) => board.reloads.update(|n| *n += 1),
        }
    });
}

/// Puts each changed card where it now belongs (or takes it off) and sets every column's totals.
fn apply(columns: RwSignal<Vec<BoardColumn>>, fresh: BoardChanges) {
    columns.update(|cols| {
        // A column showing all its cards takes a card ranked after its last one; one with more
        // to show leaves it to "Show more".
        let complete: Vec<bool> = cols
            .iter()
            .map(|c| c.cards.len() as i64 >= c.count)
            .collect();
        for (id, now) in fresh.cards {
            for column in cols.iter_mut() {
                column.cards.retain(|card| card.id != id);
            }
            let Some((stage_id, card)) = now else {
                continue;
            };
            let Some(i) = cols.iter().position(|c| c.stage_id == stage_id) else {
                continue;
            };
            let column = &mut cols[i];
            match column
                .cards
                .iter()
                .position(|c| (c.rank.as_str(), c.id) > (card.rank.as_str(), card.id))
            {
                Some(at) => column.cards.insert(at, card),
                None if complete[i] => column.cards.push(card),
                None => {}
            }
        }
        for column in cols.iter_mut() {
            let totals = fresh.totals.iter().find(|t| t.stage_id == column.stage_id);
            column.count = totals.map_or(0, |t| t.count);
            column.estimated = totals.map_or_else(Default::default, |t| t.estimated);
            column.calculated = totals.map_or_else(Default::default, |t| t.calculated);
        }
    });
}

/// "Anna moved this" on the cards someone else changed, for a few seconds.
fn note(board: LiveBoard, changes: &[Change]) {
    let notes: Vec<(i64, String)> = changes
        .iter()
        .filter(|c| c.by_id.is_none() || c.by_id != board.me)
        .map(|c| {
            (
                c.id,
                format!(
                    "{} {} this",
                    c.by.as_deref().unwrap_or("Someone"),
                    c.kind.verb()
                ),
            )
        })
        .collect();
    if notes.is_empty() {
        return;
    }
    let ids: Vec<i64> = notes.iter().map(|(id, _)| *id).collect();
    board.notes.update(|n| n.extend(notes));
    set_timeout(
        move || {
            board.notes.try_update(|n| {
                for id in ids {
                    n.remove(&id);
                }
            });
        },
        NOTE_FOR,
    );
}

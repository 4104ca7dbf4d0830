//! The board page and its drag and drop.
//!
//! - Mouse: press and move a card; it lifts after a few pixels.
//! - Touch: press and hold a card (350 ms) to lift it, then move; columns scroll sideways while
//!   the finger is near an edge. A swipe without the hold scrolls as usual.
//! - Keyboard: focus a card, Space or Enter lifts it, arrows move it between columns and
//!   positions, Space or Enter drops, Escape cancels. Every step is announced (`aria-live`).
//!
//! While a card is lifted, every column is checked with the shared rules
//! (`domain::entries::{action_for_target, plan_update}`): columns it may not enter are greyed out,
//! and dropping there says why. A drop across columns is optimistic: the card and the totals move
//! at once, and go back with the server's reason if it refuses.

use std::time::Duration;

use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};
use wasm_bindgen::JsCast;

use super::{Board, BoardCard, BoardColumn, api};
use crate::{
    domain::{
        entries::{
            Action, ActiveEntry, Outcome, Refusal, UpdateRequest, action_for_target, check_action,
            close_defaults, plan_update,
        },
        rank,
    },
    error::AppError,
    opportunities::{ListQuery, Priority, api::close_opportunity, money, percent},
};

/// Where a lifted card would land: a column and a position in it, or a close zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Column { col: usize, index: usize },
    Close(Outcome),
}

#[derive(Clone, Debug, PartialEq)]
struct Drag {
    card_id: i64,
    from_col: usize,
    keyboard: bool,
    /// Pointer drags: not lifted until the pointer moved (mouse) or was held (touch).
    lifted: bool,
    pointer_id: i32,
    start: (f64, f64),
    target: Option<Target>,
}

/// Whether a card may go to each column (`None`: same column, a reorder), and why not.
#[derive(Clone, Debug, PartialEq)]
enum Verdict {
    Reorder,
    Move(Action),
    /// The move is allowed, but the card's estimated closing date has passed: the user gives a
    /// new one first (the rules refuse to carry a past date into a new entry).
    NeedsDate(Action),
    Refused(String),
}

/// A drop waiting for a new estimated closing date.
#[derive(Clone, Copy, Debug, PartialEq)]
struct PendingMove {
    card_id: i64,
    from_col: usize,
    col: usize,
    index: usize,
    action: Action,
}

#[component]
pub fn BoardPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| query_map.with(ListQuery::from_map));
    let reloads = RwSignal::new(0u32);
    // Outside the board's view, so a reload after a refused move keeps the message and the
    // screen reader announcement.
    let announcement = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    // Changes that arrive while the board is being (re)loaded may or may not be in what comes
    // back: the new board view checks them again.
    let arrived_while_loading = StoredValue::new(Vec::<crate::live::Change>::new());
    crate::live::on_live(move |event| {
        if let crate::live::LiveEvent::Change(change) = event {
            arrived_while_loading.update_value(|a| a.push(change.clone()));
        }
    });
    let board = Resource::new(
        move || (query.get(), reloads.get()),
        move |(q, _)| {
            arrived_while_loading.update_value(Vec::clear);
            api::get_board(Some(q.encoded()))
        },
    );
    view! {
        <Title text="Board · Pipeline"/>
        <Transition fallback=|| view! { <p class="muted">"Loading the board…"</p> }>
            {move || board.get().map(|result| match result {
                Err(e) => view! {
                    <h1>"Board"</h1>
                    <p class="form-error" role="alert">{e.to_string()}</p>
                }.into_any(),
                Ok(b) => view! {
                    <BoardView board=b query=query.get_untracked() reloads=reloads announcement=announcement message=message
                        recheck=arrived_while_loading.try_update_value(std::mem::take).unwrap_or_default()/>
                }.into_any(),
            })}
        </Transition>
    }
}

fn filters(b: &Board, query: &ListQuery) -> impl IntoView + use<> {
    let mine = b.own_salesperson.map(|id| ListQuery {
        salesperson: Some(id),
        page: 1,
        ..query.clone()
    });
    let everyone = ListQuery {
        salesperson: None,
        page: 1,
        ..query.clone()
    };
    let mine_link = mine.map(|q| {
        let active = query.salesperson == q.salesperson;
        let href = q.href().replacen("/opportunities", "/board", 1);
        view! { <a class="button secondary small" href=href aria-current=active.then_some("true")>"My opportunities"</a> }
    });
    let everyone_href = everyone.href().replacen("/opportunities", "/board", 1);
    let from = query
        .closing_from
        .map(|d| d.to_string())
        .unwrap_or_default();
    let to = query.closing_to.map(|d| d.to_string()).unwrap_or_default();
    let cycle = b.cycle_id;
    let salesperson = query.salesperson.map(|s| s.to_string()).unwrap_or_default();
    let team = query.team.map(|s| s.to_string()).unwrap_or_default();
    let (search, priority, cycles) = (query.search.clone(), query.priority, b.cycles.clone());
    view! {
        <div class="board-quick">
            {mine_link}
            <a class="button secondary small" href=everyone_href>"Everyone"</a>
        </div>
        <details class="board-filters card">
            <summary>"Filters"</summary>
            <Form method="get" action="/board" attr:class="opportunity-filters" attr:role="search" attr:aria-label="Filter the board">
                <div class="field filter-search">
                    <label for="board-q">"Search"</label>
                    <input id="board-q" name="q" type="search" maxlength="100" value=search/>
                </div>
                <div class="field">
                    <label for="board-cycle">"Sales cycle"</label>
                    <select id="board-cycle" name="cycle">
                        {cycles.into_iter().map(|c| view! {
                            <option value=c.id.to_string() selected=c.id == cycle>{c.label}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="board-priority">"Priority"</label>
                    <select id="board-priority" name="priority">
                        <option value="" selected=priority.is_none()>"Any"</option>
                        {Priority::ALL.into_iter().map(|p| view! {
                            <option value=p.as_str() selected=priority == Some(p)>{p.label()}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="board-from">"Closing from"</label>
                    <input id="board-from" name="from" type="date" value=from/>
                </div>
                <div class="field">
                    <label for="board-to">"Closing to"</label>
                    <input id="board-to" name="to" type="date" value=to/>
                </div>
                <input type="hidden" name="salesperson" value=salesperson/>
                <input type="hidden" name="team" value=team/>
                <div class="form-actions">
                    <button class="button" type="submit">"Apply"</button>
                    <a href="/board">"Reset"</a>
                </div>
            </Form>
        </details>
    }
}

#[component]
fn BoardView(
    board: Board,
    query: ListQuery,
    reloads: RwSignal<u32>,
    announcement: RwSignal<String>,
    message: RwSignal<Option<String>>,
    /// Live changes that arrived while this board was loading.
    recheck: Vec<crate::live::Change>,
) -> impl IntoView {
    let stages = StoredValue::new(board.stages.clone());
    let meta = StoredValue::new((board.method, board.today, board.close_codes.clone()));
    let columns = RwSignal::new(board.columns.clone());
    let drag = RwSignal::new(None::<Drag>);
    let pointer = RwSignal::new((0.0f64, 0.0f64));
    let closing = RwSignal::new(None::<(i64, Outcome)>);
    let dating = RwSignal::new(None::<PendingMove>);
    let busy = RwSignal::new(false);
    let query_text = StoredValue::new(query.encoded());
    let hold = StoredValue::new_local(None::<TimeoutHandle>);
    let strip = NodeRef::<leptos::html::Div>::new();
    let column_count = board.columns.len();
    let me = crate::layout::use_me().get_untracked().map(|u| u.id);
    let live = super::live::follow(
        columns,
        Signal::derive(move || drag.with(|d| d.is_some())),
        reloads,
        query_text,
        me,
        recheck,
    );
    let notes = live.notes;

    let card_of = move |id: i64| {
        columns.with_untracked(|cols| {
            cols.iter()
                .flat_map(|c| c.cards.iter())
                .find(|c| c.id == id)
                .cloned()
        })
    };

    // What dropping `card` on column `col` would do.
    let verdict = move |card: &BoardCard, from_col: usize, col: usize| -> Verdict {
        if !card.can_move {
            return Verdict::Refused("You can look at this opportunity but not move it.".into());
        }
        if col == from_col {
            return Verdict::Reorder;
        }
        let Some(stage_id) = columns.with_untracked(|cols| cols.get(col).and_then(|c| c.stage_id))
        else {
            return Verdict::Refused("An opportunity cannot go back to Not started.".into());
        };
        let (method, today, _) = meta.get_value();
        stages.with_value(
            |stages| match action_for_target(stages, &card.state, stage_id) {
                None => {
                    // Say why in the rule's own words: the action the direction would need.
                    let forward = stages.iter().position(|s| s.id == stage_id)
                        > card
                            .state
                            .active
                            .as_ref()
                            .and_then(|a| stages.iter().position(|s| Some(s.id) == a.stage_id));
                    let action = if card.state.active.is_none() {
                        Action::First
                    } else if forward {
                        Action::Skip
                    } else {
                        Action::Jump
                    };
                    let mut request = UpdateRequest::new(action);
                    request.target_stage_id = Some(stage_id);
                    match check_action(stages, &card.state, action)
                        .err()
                        .map(|r| r.to_string())
                        .or_else(|| {
                            plan_update(stages, method, &card.state, &request, today)
                                .err()
                                .map(|r| r.to_string())
                        }) {
                        Some(why) => Verdict::Refused(why),
                        None => Verdict::Refused("This stage cannot be reached from here.".into()),
                    }
                }
                Some(action) => {
                    let mut request = UpdateRequest::new(action);
                    request.target_stage_id = Some(stage_id);
                    match plan_update(stages, method, &card.state, &request, today) {
                        Ok(_) => Verdict::Move(action),
                        Err(Refusal::ClosingDateBeforeChange { .. }) => Verdict::NeedsDate(action),
                        Err(refusal) => Verdict::Refused(refusal.to_string()),
                    }
                }
            },
        )
    };
    let droppable = move |col: usize| {
        drag.with(|d| match d {
            Some(d) if d.lifted => card_of(d.card_id).is_some_and(|card| {
                !matches!(verdict(&card, d.from_col, col), Verdict::Refused(_))
            }),
            _ => true,
        })
    };
    let column_title = move |col: usize| {
        columns.with_untracked(|cols| cols.get(col).map(|c| c.title.clone()).unwrap_or_default())
    };

    // The rank for a card placed at `index` of column `col` (the card itself left out).
    let rank_at = move |card_id: i64, col: usize, index: usize| -> Option<String> {
        columns.with_untracked(|cols| {
            let others: Vec<&BoardCard> = cols
                .get(col)?
                .cards
                .iter()
                .filter(|c| c.id != card_id)
                .collect();
            let before = index
                .checked_sub(1)
                .and_then(|i| others.get(i))
                .map(|c| c.rank.as_str());
            let after = others.get(index).map(|c| c.rank.as_str());
            rank::between(before, after)
        })
    };

    // A drop across columns (or a pending one, once given a new closing date).
    let apply_move = move |card_id: i64,
                           from_col: usize,
                           col: usize,
                           index: usize,
                           action: Action,
                           closing_date: Option<chrono::NaiveDate>| {
        let Some(card) = card_of(card_id) else { return };
        let stage_id = columns.with_untracked(|cols| cols[col].stage_id);
        let (method, today, _) = meta.get_value();
        let mut request = UpdateRequest::new(action);
        request.target_stage_id = stage_id;
        request.estimated_closing_date = closing_date;
        let Ok(plan) = stages.with_value(|s| plan_update(s, method, &card.state, &request, today))
        else {
            return;
        };
        let new_rank = rank_at(card_id, col, index);
        let previous = columns.get_untracked();
        let entry = plan.entry.clone();
        // Optimistic: the card, its figures and both columns' totals change at once.
        columns.update(|cols| {
            cols[from_col].count -= 1;
            cols[from_col].estimated -= card.estimated_value;
            cols[from_col].calculated -= card.calculated_value;
            cols[col].count += 1;
            cols[col].estimated += entry.estimated_value;
            cols[col].calculated += entry.calculated_current_value;
            place(cols, card_id, from_col, col, index, |c| {
                c.probability = entry.probability;
                c.calculated_value = entry.calculated_current_value;
                c.estimated_value = entry.estimated_value;
                c.estimated_closing_date = Some(entry.estimated_closing_date);
                c.days_in_stage = 0;
                if let Some(r) = &new_rank {
                    c.rank = r.clone();
                }
            });
        });
        let title = column_title(col);
        announcement.set(format!(
            "{} moved to {title} ({}).",
            card.no,
            plan.entry.action_taken.label()
        ));
        busy.set(true);
        spawn_local(async move {
            let result = api::move_card(
                Some(card_id.to_string()),
                Some(card.version.to_string()),
                Some(action.label().to_owned()),
                stage_id.map(|s| s.to_string()),
                new_rank,
                closing_date.map(|d| d.to_string()),
            )
            .await;
            busy.set(false);
            match result {
                // The card now carries the entry the server recorded (the same plan),
                // so the next move is checked against it; the board is not reloaded,
                // which keeps the scroll position and the focus.
                Ok(saved) => columns.update(|cols| {
                    if let Some(c) = cols
                        .iter_mut()
                        .flat_map(|c| c.cards.iter_mut())
                        .find(|c| c.id == card_id)
                    {
                        c.version = saved.version;
                        c.state.active = Some(ActiveEntry {
                            entry_no: entry.entry_no,
                            stage_id: entry.stage_id,
                            date_of_change: entry.date_of_change,
                            estimated_value: entry.estimated_value,
                            estimated_closing_date: Some(entry.estimated_closing_date),
                            chances: entry.chances,
                        });
                    }
                }),
                Err(e) => {
                    columns.set(previous);
                    let why = match &e {
                        AppError::Validation(fields) => fields
                            .values()
                            .next()
                            .cloned()
                            .unwrap_or_else(|| e.to_string()),
                        other => other.to_string(),
                    };
                    announcement.set(format!(
                        "{} went back to {}. {why}",
                        card.no,
                        column_title(from_col)
                    ));
                    message.set(Some(why));
                    if matches!(e, AppError::Conflict(_)) {
                        reloads.update(|n| *n += 1);
                    }
                }
            }
        });
    };

    let drop = move |card_id: i64, from_col: usize, target: Target| {
        let Some(card) = card_of(card_id) else { return };
        let (col, index) = match target {
            Target::Close(outcome) => {
                if card.can_move {
                    closing.set(Some((card_id, outcome)));
                } else {
                    message.set(Some(
                        "You can look at this opportunity but not close it.".into(),
                    ));
                }
                return;
            }
            Target::Column { col, index } => (col, index),
        };
        match verdict(&card, from_col, col) {
            Verdict::Refused(why) => {
                message.set(Some(why.clone()));
                announcement.set(format!("Not moved. {why}"));
            }
            Verdict::Reorder => {
                let Some(new_rank) = rank_at(card_id, col, index) else {
                    return;
                };
                if new_rank == card.rank {
                    return;
                }
                let previous = columns.get_untracked();
                columns.update(|cols| {
                    place(cols, card_id, from_col, col, index, |c| {
                        c.rank = new_rank.clone()
                    })
                });
                announcement.set(format!(
                    "{} moved to position {} in {}.",
                    card.no,
                    index + 1,
                    column_title(col)
                ));
                spawn_local(async move {
                    if let Err(e) =
                        api::reorder_card(Some(card_id.to_string()), Some(new_rank)).await
                    {
                        columns.set(previous);
                        message.set(Some(e.to_string()));
                    }
                });
            }
            Verdict::Move(action) => apply_move(card_id, from_col, col, index, action, None),
            Verdict::NeedsDate(action) => {
                announcement.set(format!(
                    "The estimated closing date of {} has passed: give a new one to move it.",
                    card.no
                ));
                dating.set(Some(PendingMove {
                    card_id,
                    from_col,
                    col,
                    index,
                    action,
                }));
            }
        }
    };

    // Pointer drags: the window follows the pointer once a card is pressed.
    let target_at = move |x: f64, y: f64| -> Option<Target> {
        let element = document().element_from_point(x as f32, y as f32)?;
        if let Ok(Some(zone)) = element.closest("[data-close]") {
            return Some(Target::Close(
                if zone.get_attribute("data-close").as_deref() == Some("won") {
                    Outcome::Won
                } else {
                    Outcome::Lost
                },
            ));
        }
        let column = element.closest("[data-col]").ok()??;
        let col: usize = column.get_attribute("data-col")?.parse().ok()?;
        let dragged = drag.with_untracked(|d| d.as_ref().map(|d| d.card_id));
        let cards = column.query_selector_all("[data-card]").ok()?;
        let mut index = 0;
        for i in 0..cards.length() {
            let Some(el) = cards
                .get(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            if el.get_attribute("data-card").and_then(|v| v.parse().ok()) == dragged {
                continue;
            }
            let r = el.get_bounding_client_rect();
            if y > r.top() + r.height() / 2.0 {
                index += 1;
            }
        }
        Some(Target::Column { col, index })
    };
    // While a lifted card rests near the strip's left or right edge, the columns keep scrolling
    // under it (a finger cannot "move" to scroll further), and the target follows.
    let auto_scroll = StoredValue::new_local(None::<IntervalHandle>);
    // Effects run in the browser only: no timer while rendering on the server.
    Effect::new(move |started: Option<()>| {
        if started.is_some() {
            return;
        }
        let handle = set_interval_with_handle(
            move || {
                let Some((x, y)) = drag.with_untracked(|d| {
                    d.as_ref()
                        .filter(|d| d.lifted && !d.keyboard)
                        .map(|_| pointer.get_untracked())
                }) else {
                    return;
                };
                let Some(strip) = strip.get_untracked() else {
                    return;
                };
                let r = strip.get_bounding_client_rect();
                let edge = 40.0;
                let step = if x < r.left() + edge {
                    -18
                } else if x > r.right() - edge {
                    18
                } else {
                    return;
                };
                strip.set_scroll_left(strip.scroll_left() + step);
                let target = target_at(x, y);
                drag.update(|d| {
                    if let Some(d) = d {
                        d.target = target
                    }
                });
            },
            Duration::from_millis(30),
        )
        .ok();
        auto_scroll.set_value(handle);
    });
    let move_handle = window_event_listener(leptos::ev::pointermove, move |ev| {
        let Some(d) = drag.get_untracked() else {
            return;
        };
        if d.keyboard || ev.pointer_id() != d.pointer_id {
            return;
        }
        let (x, y) = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let moved = ((x - d.start.0).powi(2) + (y - d.start.1).powi(2)).sqrt();
        if !d.lifted {
            if ev.pointer_type() == "touch" {
                // Moved before the hold: a scroll, not a drag.
                if moved > 8.0 {
                    hold.update_value(|h| {
                        if let Some(h) = h.take() {
                            h.clear()
                        }
                    });
                    drag.set(None);
                }
                return;
            }
            if moved < 5.0 {
                return;
            }
            drag.update(|d| {
                if let Some(d) = d {
                    d.lifted = true
                }
            });
        }
        ev.prevent_default();
        pointer.set((x, y));
        let target = target_at(x, y);
        drag.update(|d| {
            if let Some(d) = d {
                d.target = target
            }
        });
    });
    let up_handle = window_event_listener(leptos::ev::pointerup, move |ev| {
        hold.update_value(|h| {
            if let Some(h) = h.take() {
                h.clear()
            }
        });
        let Some(d) = drag.get_untracked() else {
            return;
        };
        if d.keyboard || ev.pointer_id() != d.pointer_id {
            return;
        }
        drag.set(None);
        if d.lifted {
            // A drag is not a click: the card's link must not open.
            suppress_click();
            if let Some(target) = d.target {
                drop(d.card_id, d.from_col, target);
            }
        }
    });
    let cancel_handle = window_event_listener(leptos::ev::pointercancel, move |_| {
        hold.update_value(|h| {
            if let Some(h) = h.take() {
                h.clear()
            }
        });
        if drag.with_untracked(|d| d.as_ref().is_some_and(|d| !d.keyboard)) {
            drag.set(None);
        }
    });
    on_cleanup(move || {
        if let Some(ticker) = auto_scroll.try_update_value(Option::take).flatten() {
            ticker.clear();
        }
        move_handle.remove();
        up_handle.remove();
        cancel_handle.remove();
    });
    // While a finger holds a lifted card the page must not scroll: a non-passive listener.
    Effect::new(move |_| {
        let Some(strip) = strip.get() else { return };
        let listener = wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::TouchEvent)>::new(
            move |ev: web_sys::TouchEvent| {
                if drag.with_untracked(|d| d.as_ref().is_some_and(|d| d.lifted && !d.keyboard)) {
                    ev.prevent_default();
                }
            },
        );
        let options = web_sys::AddEventListenerOptions::new();
        options.set_passive(false);
        let _ = strip.add_event_listener_with_callback_and_add_event_listener_options(
            "touchmove",
            listener.as_ref().unchecked_ref(),
            &options,
        );
        // Lives as long as the page's strip element.
        listener.forget();
    });

    let on_pointer_down = move |ev: leptos::ev::PointerEvent, card_id: i64, col: usize| {
        if ev.button() != 0 || busy.get_untracked() {
            return;
        }
        let touch = ev.pointer_type() == "touch";
        let start = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        message.set(None);
        drag.set(Some(Drag {
            card_id,
            from_col: col,
            keyboard: false,
            lifted: false,
            pointer_id: ev.pointer_id(),
            start,
            target: None,
        }));
        pointer.set(start);
        if touch {
            let handle = set_timeout_with_handle(
                move || {
                    drag.update(|d| {
                        if let Some(d) = d.as_mut().filter(|d| d.card_id == card_id && !d.lifted) {
                            d.lifted = true;
                            d.target = Some(Target::Column { col, index: 0 });
                        }
                    });
                    if let Some(nav) = web_sys::window().map(|w| w.navigator()) {
                        let _ = nav.vibrate_with_duration(20);
                    }
                },
                Duration::from_millis(350),
            )
            .ok();
            hold.set_value(handle);
        }
    };

    // Keyboard: Space/Enter lifts and drops, arrows move, Escape cancels.
    let on_key = move |ev: leptos::ev::KeyboardEvent, card_id: i64, col: usize| {
        let key = ev.key();
        let lifted = drag.with_untracked(|d| {
            d.as_ref()
                .is_some_and(|d| d.keyboard && d.card_id == card_id)
        });
        let Some(card) = card_of(card_id) else { return };
        let count_in = |c: usize| {
            columns.with_untracked(|cols| {
                cols.get(c)
                    .map_or(0, |c| c.cards.iter().filter(|x| x.id != card_id).count())
            })
        };
        match key.as_str() {
            " " | "Enter" if !lifted => {
                ev.prevent_default();
                let index = columns.with_untracked(|cols| {
                    cols[col]
                        .cards
                        .iter()
                        .position(|c| c.id == card_id)
                        .unwrap_or(0)
                });
                message.set(None);
                drag.set(Some(Drag {
                    card_id,
                    from_col: col,
                    keyboard: true,
                    lifted: true,
                    pointer_id: -1,
                    start: (0.0, 0.0),
                    target: Some(Target::Column { col, index }),
                }));
                announcement.set(format!(
                    "Lifted {} {}, in {} at position {}. Use the arrow keys to move, Space to drop, Escape to cancel.",
                    card.no, card.description, column_title(col), index + 1
                ));
            }
            " " | "Enter" => {
                ev.prevent_default();
                let d = drag.get_untracked();
                drag.set(None);
                if let Some(Drag {
                    target: Some(target),
                    from_col,
                    ..
                }) = d
                {
                    drop(card_id, from_col, target);
                    // The columns were redrawn: keep the keyboard on the card that moved — unless
                    // the drop opened a dialog, which takes the focus (and gives it back).
                    if dating.with_untracked(Option::is_none)
                        && closing.with_untracked(Option::is_none)
                    {
                        request_animation_frame(move || focus_card(card_id));
                    }
                }
            }
            "Escape" if lifted => {
                ev.prevent_default();
                drag.set(None);
                announcement.set(format!("{} stays in {}.", card.no, column_title(col)));
            }
            "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" if lifted => {
                ev.prevent_default();
                let Some(Drag {
                    target, from_col, ..
                }) = drag.get_untracked()
                else {
                    return;
                };
                // Past the last column come the Won and Lost zones.
                let (mut c, mut i) = match target {
                    Some(Target::Column { col, index }) => (col, index),
                    Some(Target::Close(Outcome::Won)) => (column_count, 0),
                    Some(Target::Close(Outcome::Lost)) => (column_count + 1, 0),
                    None => (from_col, 0),
                };
                match key.as_str() {
                    "ArrowLeft" => c = c.saturating_sub(1),
                    "ArrowRight" => c = (c + 1).min(column_count + 1),
                    "ArrowUp" => i = i.saturating_sub(1),
                    _ => i += 1,
                }
                if key == "ArrowLeft" || key == "ArrowRight" {
                    i = 0;
                }
                if c >= column_count {
                    let outcome = if c == column_count {
                        Outcome::Won
                    } else {
                        Outcome::Lost
                    };
                    drag.update(|d| {
                        if let Some(d) = d {
                            d.target = Some(Target::Close(outcome))
                        }
                    });
                    announcement.set(format!(
                        "Over {}: drop to close the opportunity as {}.",
                        outcome.label(),
                        outcome.label().to_lowercase()
                    ));
                    return;
                }
                i = i.min(count_in(c));
                drag.update(|d| {
                    if let Some(d) = d {
                        d.target = Some(Target::Column { col: c, index: i })
                    }
                });
                let state = match verdict(&card, from_col, c) {
                    Verdict::Refused(why) => format!(" Not allowed: {why}"),
                    Verdict::NeedsDate(_) => {
                        " Its estimated closing date has passed: a new one will be asked.".into()
                    }
                    _ => String::new(),
                };
                announcement.set(format!(
                    "Over {}, position {} of {}.{state}",
                    column_title(c),
                    i + 1,
                    count_in(c) + 1
                ));
                scroll_column_into_view(c);
            }
            _ => {}
        }
    };

    let ghost = move || {
        drag.get()
            .filter(|d| d.lifted && !d.keyboard)
            .and_then(|d| card_of(d.card_id))
            .map(|card| {
                // Set through the CSSOM (`style:`), which the CSP allows, not as a style attribute.
                let transform = move || {
                    let (x, y) = pointer.get();
                    format!("translate({}px, {}px)", x - 40.0, y - 20.0)
                };
                view! {
                    <div class="board-ghost" style:transform=transform aria-hidden="true">
                        <strong>{card.description.clone()}</strong>
                        <span>{money(card.estimated_value)}</span>
                    </div>
                }
            })
    };

    let column_views = move || {
        columns
            .get()
            .into_iter()
            .enumerate()
            // "Not started" only while it has cards: nothing can be dropped on it.
            .filter(|(_, column)| column.stage_id.is_some() || column.count > 0)
            .map(|(col, column)| {
                column_view(
                    col,
                    column,
                    drag,
                    droppable,
                    on_pointer_down,
                    on_key,
                    columns,
                    query_text,
                    meta.get_value().1,
                    notes,
                )
            })
            .collect_view()
    };
    let picker = move || {
        columns
            .get()
            .into_iter()
            .enumerate()
            .filter(|(_, c)| c.stage_id.is_some() || c.count > 0)
            .map(|(i, c)| view! { <option value=i.to_string()>{format!("{} ({})", c.title, c.count)}</option> })
            .collect_view()
    };
    let close_zone = move |outcome: Outcome| {
        let over = move || {
            drag.with(|d| {
                d.as_ref()
                    .is_some_and(|d| d.lifted && d.target == Some(Target::Close(outcome)))
            })
        };
        let (label, key) = match outcome {
            Outcome::Won => ("Won", "won"),
            Outcome::Lost => ("Lost", "lost"),
        };
        view! {
            <div class=format!("close-zone close-zone-{key}") data-close=key class:drop-over=over>
                {format!("Drop here: {label}")}
            </div>
        }
    };

    // Type-erased in parts: the whole board as one view type is too deep for the compiler in
    // the wasm release build.
    let head = view! {
        <div class="page-head board-head">
            <h1>{format!("Board · {}", board.cycle_code)}</h1>
            <div class="page-head-actions">
                <label class="sr-only" for="board-column-picker">"Go to column"</label>
                <select id="board-column-picker" class="column-picker" on:change=move |ev| {
                    if let Ok(i) = event_target_value(&ev).parse::<usize>() { scroll_column_into_view(i) }
                }>{picker}</select>
                <a class="button" href="/opportunities/new">"New opportunity"</a>
            </div>
        </div>
        {filters(&board, &query)}
    }
    .into_any();
    view! {
        {head}
        <p class="sr-only" aria-live="assertive" role="status">{move || announcement.get()}</p>
        {move || message.get().map(|m| view! {
            <p class="form-error board-message" role="alert">{m}
                <button type="button" class="link-button" on:click=move |_| message.set(None)>"Dismiss"</button>
            </p>
        })}
        <p class="muted board-help">"Drag a card to another stage, or focus it and press Space. On a phone, press and hold a card to lift it."</p>
        // Focusable so the sideways scrolling works from the keyboard even without cards.
        <div class="board-strip" node_ref=strip role="region" aria-label="Stages" tabindex="0" class:dragging=move || drag.with(|d| d.as_ref().is_some_and(|d| d.lifted))>
            {column_views}
        </div>
        // Closing is a drop too: the two zones appear at the bottom of the screen while a card is lifted.
        <Show when=move || drag.with(|d| d.as_ref().is_some_and(|d| d.lifted))>
            <div class="close-bar">{close_zone(Outcome::Won)}{close_zone(Outcome::Lost)}</div>
        </Show>
        {ghost}
        {move || closing.get().and_then(|(id, outcome)| card_of(id).map(|card| view! {
            <CloseCardDialog card=card outcome=outcome closing=closing reloads=reloads close_codes=meta.get_value().2 today=meta.get_value().1/>
        }))}
        {move || dating.get().and_then(|pending| card_of(pending.card_id).map(|card| {
            let on_date = Callback::new(move |date: chrono::NaiveDate| {
                apply_move(pending.card_id, pending.from_col, pending.col, pending.index, pending.action, Some(date))
            });
            view! {
                <NewClosingDateDialog card=card stage=column_title(pending.col) today=meta.get_value().1 dating=dating
                    announcement=announcement on_date=on_date/>
            }
        }))}
    }
}

/// Moves a card within `cols` to `index` of column `to` (the card itself not counted), editing it.
fn place(
    cols: &mut [BoardColumn],
    card_id: i64,
    from: usize,
    to: usize,
    index: usize,
    edit: impl FnOnce(&mut BoardCard),
) {
    let Some(pos) = cols[from].cards.iter().position(|c| c.id == card_id) else {
        return;
    };
    let mut card = cols[from].cards.remove(pos);
    edit(&mut card);
    let index = index.min(cols[to].cards.len());
    cols[to].cards.insert(index, card);
}

fn suppress_click() {
    // The click that ends a drag lands on the card; swallow exactly that one.
    let handler = wasm_bindgen::closure::Closure::once_into_js(|ev: web_sys::MouseEvent| {
        ev.prevent_default();
        ev.stop_propagation();
    });
    if let Some(window) = web_sys::window() {
        let options = web_sys::AddEventListenerOptions::new();
        options.set_capture(true);
        options.set_once(true);
        let _ = window.add_event_listener_with_callback_and_add_event_listener_options(
            "click",
            handler.unchecked_ref(),
            &options,
        );
        // If no click follows (touch), drop the trap on the next tick.
        let handler = handler.clone();
        let _ = set_timeout_with_handle(
            move || {
                if let Some(window) = web_sys::window() {
                    let _ = window.remove_event_listener_with_callback_and_bool(
                        "click",
                        handler.unchecked_ref(),
                        true,
                    );
                }
            },
            Duration::from_millis(50),
        );
    }
}

fn focus_card(card_id: i64) {
    if let Ok(Some(el)) = document().query_selector(&format!("[data-card=\"{card_id}\"]"))
        && let Ok(el) = el.dyn_into::<web_sys::HtmlElement>()
    {
        let _ = el.focus();
    }
}

fn scroll_column_into_view(col: usize) {
    if let Ok(Some(el)) = document().query_selector(&format!("[data-col=\"{col}\"]")) {
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_behavior(web_sys::ScrollBehavior::Smooth);
        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
        options.set_inline(web_sys::ScrollLogicalPosition::Start);
        el.scroll_into_view_with_scroll_into_view_options(&options);
    }
}

#[allow(clippy::too_many_arguments)] // one column's view and the board's shared handlers
fn column_view(
    col: usize,
    column: BoardColumn,
    drag: RwSignal<Option<Drag>>,
    droppable: impl Fn(usize) -> bool + Copy + Send + Sync + 'static,
    on_pointer_down: impl Fn(leptos::ev::PointerEvent, i64, usize) + Copy + Send + Sync + 'static,
    on_key: impl Fn(leptos::ev::KeyboardEvent, i64, usize) + Copy + Send + Sync + 'static,
    columns: RwSignal<Vec<BoardColumn>>,
    query_text: StoredValue<String>,
    today: chrono::NaiveDate,
    notes: RwSignal<std::collections::HashMap<i64, String>>,
) -> impl IntoView {
    let heading_id = format!("column-{col}-heading");
    let labelled_by = heading_id.clone();
    let over = move || {
        drag.with(|d| {
            d.as_ref().is_some_and(|d| {
                d.lifted && matches!(d.target, Some(Target::Column { col: c, .. }) if c == col)
            })
        })
    };
    let blocked = move || !droppable(col);
    let more = column.has_more();
    let stage = column.stage_id;
    let load_more = move |_| {
        let last =
            columns.with_untracked(|cols| cols[col].cards.last().map(|c| (c.rank.clone(), c.id)));
        let Some((after_rank, after_id)) = last else {
            return;
        };
        spawn_local(async move {
            if let Ok(cards) = api::more_cards(
                Some(query_text.get_value()),
                stage.map(|s| s.to_string()),
                Some(after_rank),
                Some(after_id.to_string()),
            )
            .await
            {
                columns.update(|cols| cols[col].cards.extend(cards));
            }
        });
    };
    let insert_marker = move |index: usize| {
        move || {
            drag.with(|d| {
                d.as_ref()
                    .is_some_and(|d| d.lifted && d.target == Some(Target::Column { col, index }))
            })
        }
    };
    let count = column.cards.len();
    let cards = column
        .cards
        .into_iter()
        .enumerate()
        .map(|(i, card)| {
            card_view(
                card,
                col,
                drag,
                on_pointer_down,
                on_key,
                insert_marker(i),
                today,
                notes,
            )
        })
        .collect_view();
    let end_marker = insert_marker(count);
    view! {
        <section class="board-column" data-col=col aria-labelledby=labelled_by class:drop-over=over class:no-drop=blocked>
            <header class="column-head">
                <h2 id=heading_id>{column.title.clone()}</h2>
                <dl class="column-totals">
                    <div><dt>"Cards"</dt><dd data-column-count="">{column.count}</dd></div>
                    <div><dt>"Estimated"</dt><dd data-column-estimated="">{money(column.estimated)}</dd></div>
                    <div><dt>"Weighted"</dt><dd data-column-calculated="">{money(column.calculated)}</dd></div>
                </dl>
            </header>
            <ol class="column-cards">
                {cards}
                <li class="insert-end" class:insert-here=end_marker aria-hidden="true"></li>
            </ol>
            {more.then(|| view! { <button class="button secondary small more-cards" type="button" on:click=load_more>"Show more"</button> })}
        </section>
    }
}

#[allow(clippy::too_many_arguments)]
fn card_view(
    card: BoardCard,
    col: usize,
    drag: RwSignal<Option<Drag>>,
    on_pointer_down: impl Fn(leptos::ev::PointerEvent, i64, usize) + Copy + Send + Sync + 'static,
    on_key: impl Fn(leptos::ev::KeyboardEvent, i64, usize) + Copy + Send + Sync + 'static,
    insert_here: impl Fn() -> bool + Send + Sync + 'static,
    today: chrono::NaiveDate,
    notes: RwSignal<std::collections::HashMap<i64, String>>,
) -> impl IntoView {
    let id = card.id;
    let note = move || notes.with(|n| n.get(&id).cloned());
    let lifted = move || drag.with(|d| d.as_ref().is_some_and(|d| d.lifted && d.card_id == id));
    let overdue = card.estimated_closing_date.is_some_and(|d| d < today);
    let closing = card
        .estimated_closing_date
        .map(|d| d.to_string())
        .unwrap_or_else(|| "—".into());
    let contact = match &card.company {
        Some(company) if company != &card.contact => format!("{} · {company}", card.contact),
        _ => card.contact.clone(),
    };
    let days = if card.days_in_stage == 1 {
        "1 day in stage".to_owned()
    } else {
        format!("{} days in stage", card.days_in_stage)
    };
    let label = format!(
        "{} {}, {}, {}",
        card.no,
        card.description,
        money(card.estimated_value),
        percent(card.probability)
    );
    let priority_class = format!("priority priority-{}", card.priority.as_str());
    view! {
        <li class="board-card" class:lifted=lifted class:insert-here=insert_here class:locked=!card.can_move
            class:just-changed=move || note().is_some()
            data-card=id tabindex="0" aria-label=label aria-roledescription="draggable card"
            on:pointerdown=move |ev| on_pointer_down(ev, id, col)
            on:keydown=move |ev| on_key(ev, id, col)>
            <a class="card-title" href=format!("/opportunities/{id}") draggable="false" tabindex="-1">{card.description.clone()}</a>
            <span class="card-contact muted">{contact}</span>
            <span class="card-figures">
                <strong>{money(card.estimated_value)}</strong>
                <span>{percent(card.probability)}</span>
                <span class="card-closing" class:overdue=overdue title="Estimated closing date">{closing}</span>
            </span>
            <span class="card-meta">
                <span class=priority_class>{card.priority.label()}</span>
                <span class="card-days muted">{days}</span>
                <span class="initials" title=card.salesperson.clone()>{card.initials()}</span>
            </span>
            {move || note().map(|text| view! { <span class="card-note" data-note="">{text}</span> })}
        </li>
    }
    .into_any()
}

/// Asked when a card whose estimated closing date has passed is dropped on another stage: the
/// new date goes with the move (the rules never carry a past date into a new entry).
#[component]
fn NewClosingDateDialog(
    card: BoardCard,
    stage: String,
    today: chrono::NaiveDate,
    dating: RwSignal<Option<PendingMove>>,
    announcement: RwSignal<String>,
    on_date: Callback<chrono::NaiveDate>,
) -> impl IntoView {
    let date = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();
    // Focus the date at once (autofocus works only once per page).
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    let no = StoredValue::new(card.no.clone());
    let card_id = card.id;
    let cancel = move || {
        dating.set(None);
        announcement.set(format!("{} not moved.", no.get_value()));
        request_animation_frame(move || focus_card(card_id));
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match date.get_untracked().trim().parse::<chrono::NaiveDate>() {
            Ok(d) if d < today => error.set(Some("The new date cannot be before today.".into())),
            Ok(d) => {
                dating.set(None);
                on_date.run(d);
                request_animation_frame(move || focus_card(card_id));
            }
            Err(_) => error.set(Some("Enter the new estimated closing date.".into())),
        }
    };
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            cancel();
        }
    });
    on_cleanup(move || escape.remove());
    let passed = card
        .estimated_closing_date
        .map(|d| d.format("%-d %b %Y").to_string())
        .unwrap_or_default();
    view! {
        <div class="modal-backdrop" on:click=move |_| cancel()></div>
        <div class="modal card" role="dialog" aria-modal="true" aria-labelledby="closing-date-heading">
            <h2 id="closing-date-heading">"New estimated closing date"</h2>
            <p>{format!("{} {}", card.no, card.description)}</p>
            <p class="muted">{format!("Its estimated closing date ({passed}) has passed. Give a new one to move it to {stage}.")}</p>
            // Our own messages rather than the browser's (the same words on every browser).
            <form class="form-grid" novalidate on:submit=submit>
                <div class="field">
                    <label for="board-new-closing">"Estimated closing date"</label>
                    <input id="board-new-closing" node_ref=input type="date" required min=today.to_string()
                        prop:value=move || date.get() on:input=move |ev| {
                            date.set(event_target_value(&ev));
                            error.set(None);
                        }/>
                </div>
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button class="button" type="submit">"Move"</button>
                    <button class="button secondary" type="button" on:click=move |_| cancel()>"Cancel"</button>
                </div>
            </form>
        </div>
    }
}

/// The close dialog for a card dropped on Won or Lost: the close code is required.
#[component]
fn CloseCardDialog(
    card: BoardCard,
    outcome: Outcome,
    closing: RwSignal<Option<(i64, Outcome)>>,
    reloads: RwSignal<u32>,
    close_codes: Vec<crate::opportunities::CloseCodeChoice>,
    today: chrono::NaiveDate,
) -> impl IntoView {
    let defaults = close_defaults(&card.state, today);
    let code = RwSignal::new(String::new());
    let amount = RwSignal::new(if defaults.amount_won.is_zero() {
        String::new()
    } else {
        defaults.amount_won.to_string()
    });
    let error = RwSignal::new(None::<String>);
    let won = outcome == Outcome::Won;
    let codes = close_codes
        .into_iter()
        .filter(|c| c.won == won)
        .collect::<Vec<_>>();
    let (id, version) = (card.id, card.version);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let outcome_text = if won { "won" } else { "lost" };
        spawn_local(async move {
            let result = close_opportunity(
                Some(id.to_string()),
                Some(version.to_string()),
                Some(outcome_text.into()),
                Some(code.get_untracked()),
                Some(defaults.date.to_string()),
                won.then(|| amount.get_untracked()),
                None,
            )
            .await;
            match result {
                Ok(_) => {
                    closing.set(None);
                    reloads.update(|n| *n += 1);
                }
                Err(AppError::Validation(fields)) => error.set(fields.values().next().cloned()),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            closing.set(None);
        }
    });
    on_cleanup(move || escape.remove());
    let title = if won { "Close as won" } else { "Close as lost" };
    view! {
        <div class="modal-backdrop" on:click=move |_| closing.set(None)></div>
        <div class="modal card" role="dialog" aria-modal="true" aria-labelledby="close-card-heading">
            <h2 id="close-card-heading">{title}</h2>
            <p class="muted">{format!("{} {}", card.no, card.description)}</p>
            <form class="form-grid" on:submit=submit>
                <div class="field">
                    <label for="board-close-code">"Close code"</label>
                    <select id="board-close-code" required on:change=move |ev| code.set(event_target_value(&ev))>
                        <option value="">"Choose a reason"</option>
                        {codes.into_iter().map(|c| view! { <option value=c.code.clone()>{format!("{} – {}", c.code, c.description)}</option> }).collect_view()}
                    </select>
                </div>
                {won.then(|| view! {
                    <div class="field">
                        <label for="board-close-amount">"Amount won"</label>
                        <input id="board-close-amount" inputmode="decimal" prop:value=move || amount.get()
                            on:input=move |ev| amount.set(event_target_value(&ev))/>
                    </div>
                })}
                {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
                <div class="form-actions">
                    <button class="button" type="submit">{title}</button>
                    <button class="button secondary" type="button" on:click=move |_| closing.set(None)>"Cancel"</button>
                </div>
            </form>
        </div>
    }
}

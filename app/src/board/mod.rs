//! The pipeline board: one column per stage of a sales cycle, cards dragged between them with
//! the mouse, a finger or the keyboard. A drop is an update through the same operation as the
//! card's dialog (`opportunities::ops::update`), so the board and the dialog cannot disagree.

pub mod api;
mod live;
#[cfg(feature = "ssr")]
pub mod ops;
mod page;

use chrono::NaiveDate;
pub use page::BoardPage;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    domain::entries::{OpportunityState, ProbabilityMethod, StageRule},
    opportunities::{Choice, CloseCodeChoice, Priority},
};

/// Cards each column sends at first and per "show more".
pub const COLUMN_PAGE: i64 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardCard {
    pub id: i64,
    pub version: i32,
    pub no: String,
    pub description: String,
    pub contact: String,
    pub company: Option<String>,
    pub estimated_value: Decimal,
    pub probability: Decimal,
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
    pub priority: Priority,
    pub salesperson: String,
    /// Days since the current stage was entered (the active entry's date of change).
    pub days_in_stage: i64,
    pub rank: String,
    /// What the move rules look at (shared with the server).
    pub state: OpportunityState,
    /// The viewer may move it (it is in their write scope).
    pub can_move: bool,
}

impl BoardCard {
    /// "Olive Pike" -> "OP".
    pub fn initials(&self) -> String {
        self.salesperson
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .take(2)
            .collect::<String>()
            .to_uppercase()
    }
}

/// One column: a stage, or the opportunities not started yet (`stage_id = None`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardColumn {
    pub stage_id: Option<i64>,
    pub title: String,
    /// Totals over every matching card, not only the ones sent.
    pub count: i64,
    pub estimated: Decimal,
    pub calculated: Decimal,
    pub cards: Vec<BoardCard>,
}

impl BoardColumn {
    pub fn has_more(&self) -> bool {
        (self.cards.len() as i64) < self.count
    }
}

/// A column's totals over every matching card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnTotals {
    pub stage_id: Option<i64>,
    pub count: i64,
    pub estimated: Decimal,
    pub calculated: Decimal,
}

/// The live board's refetch after changes (see `ops::changes`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardChanges {
    /// Each changed card: its column's stage and the card if it belongs on this board now;
    /// `None` when it left (closed, filtered out, another cycle, out of reach).
    pub cards: Vec<(i64, Option<(Option<i64>, BoardCard)>)>,
    pub totals: Vec<ColumnTotals>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    pub cycle_id: i64,
    pub cycle_code: String,
    pub method: ProbabilityMethod,
    pub cycles: Vec<Choice>,
    pub stages: Vec<StageRule>,
    pub columns: Vec<BoardColumn>,
    pub close_codes: Vec<CloseCodeChoice>,
    /// The viewer's own salesperson, for "My opportunities".
    pub own_salesperson: Option<i64>,
    pub today: NaiveDate,
}

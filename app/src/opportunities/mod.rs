//! Opportunities: create from a contact, move through the sales cycle, close won or lost, with
//! the entries as history, the tasks the stages create and a quote.
//!
//! The rules are `crate::domain::entries` (moves, closing) and `crate::domain::quotes`; the
//! types here carry what the pages show. The card sends the cycle's stages and the opportunity's
//! state to the browser, so the update dialog offers exactly the moves the server will accept.

pub mod api;
mod card;
#[cfg(feature = "ssr")]
pub mod ops;
mod pages;
pub mod statistics;

pub use card::{OpportunityPage, task_item};
use chrono::NaiveDate;
pub use pages::{NewOpportunityPage, OpportunitiesPage, mini_row as pages_row};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{
    contacts::url_encode,
    domain::{
        entries::{ActionTaken, OpportunityState, ProbabilityMethod, StageRule, Status},
        quotes::QuoteLine,
    },
    error::AppError,
};

/// Rows per page of the opportunity list.
pub const PAGE_SIZE: i64 = 25;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    pub const ALL: [Self; 3] = [Self::Low, Self::Normal, Self::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "Low",
            Self::Normal => "Normal",
            Self::High => "High",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// The column's CHECK allows only the three values.
    pub fn from_db(s: &str) -> Self {
        Self::parse(s).unwrap_or_default()
    }
}

pub fn status_as_str(status: Status) -> &'static str {
    match status {
        Status::NotStarted => "not_started",
        Status::InProgress => "in_progress",
        Status::Won => "won",
        Status::Lost => "lost",
    }
}

pub fn parse_status(s: &str) -> Option<Status> {
    [
        Status::NotStarted,
        Status::InProgress,
        Status::Won,
        Status::Lost,
    ]
    .into_iter()
    .find(|status| status_as_str(*status) == s.trim())
}

pub fn action_taken_as_str(action: ActionTaken) -> &'static str {
    match action {
        ActionTaken::First => "first",
        ActionTaken::Next => "next",
        ActionTaken::Previous => "previous",
        ActionTaken::Jumped => "jumped",
        ActionTaken::Updated => "updated",
        ActionTaken::Won => "won",
        ActionTaken::Lost => "lost",
    }
}

pub fn parse_action_taken(s: &str) -> Option<ActionTaken> {
    ActionTaken::ALL
        .into_iter()
        .find(|a| action_taken_as_str(*a) == s)
}

/// 1234.5 -> "1,234.50": amounts are shown with two decimals and thousands separators.
pub fn money(value: Decimal) -> String {
    let value = crate::domain::entries::round2(value);
    let text = format!("{:.2}", value.abs());
    let (whole, cents) = text.split_once('.').unwrap_or((&text, "00"));
    let whole = crate::contacts::thousands(whole.parse::<i64>().unwrap_or(0));
    let sign = if value.is_sign_negative() && !value.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{whole}.{cents}")
}

/// 12.5 -> "12.5 %", 40 -> "40 %".
pub fn percent(value: Decimal) -> String {
    format!("{} %", value.normalize())
}

/// One row of the opportunity list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityListItem {
    pub id: i64,
    pub no: String,
    pub description: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub salesperson_name: String,
    pub cycle_code: String,
    pub stage: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub estimated_value: Decimal,
    pub probability: Decimal,
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
}

/// One page of the list, with the totals of everything the filter matches (not just the page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityList {
    pub items: Vec<OpportunityListItem>,
    pub total: i64,
    pub page: i64,
    pub sum_estimated: Decimal,
    pub sum_calculated: Decimal,
}

impl OpportunityList {
    pub fn last_page(&self) -> i64 {
        last_page(self.total)
    }
}

pub fn last_page(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Closing,
    Value,
    No,
    Created,
}

impl SortKey {
    pub const ALL: [Self; 4] = [Self::Closing, Self::Value, Self::No, Self::Created];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closing => "closing",
            Self::Value => "value",
            Self::No => "no",
            Self::Created => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Closing => "Estimated closing date",
            Self::Value => "Estimated value",
            Self::No => "No.",
            Self::Created => "Date created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// The list's URL query, read leniently: a hand-edited address falls back to defaults. The
/// status filter defaults to "open" (not started and in progress), as a sales list should.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub search: String,
    /// "open" (default), "all", or one status.
    pub status: StatusFilter,
    pub cycle: Option<i64>,
    pub stage: Option<i64>,
    pub salesperson: Option<i64>,
    pub team: Option<i64>,
    pub priority: Option<Priority>,
    pub closing_from: Option<NaiveDate>,
    pub closing_to: Option<NaiveDate>,
    /// The dashboard's links: exactly the opportunities behind one of its numbers.
    pub more: MoreFilters,
    pub sort: SortKey,
    pub descending: bool,
    pub page: i64,
}

/// Filters with no control of their own on the list: they arrive in the dashboard's links and
/// are shown above the list with a way to remove them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoreFilters {
    /// Closed (won or lost) on or after / on or before.
    pub closed_from: Option<NaiveDate>,
    pub closed_to: Option<NaiveDate>,
    /// Created on or after / on or before.
    pub created_from: Option<NaiveDate>,
    pub created_to: Option<NaiveDate>,
    /// Reached this stage number of its cycle or a later one (the funnel's definition).
    pub reached: Option<i32>,
    /// Has left this stage at least once (an inactive entry at it: time in stage).
    pub left_stage: Option<i64>,
}

impl MoreFilters {
    const DATES: [&'static str; 4] = ["closed_from", "closed_to", "created_from", "created_to"];

    fn parse(get: &impl Fn(&str) -> Option<String>) -> Self {
        let date = |name: &str| date_param(get(name).as_deref());
        Self {
            closed_from: date("closed_from"),
            closed_to: date("closed_to"),
            created_from: date("created_from"),
            created_to: date("created_to"),
            reached: get("reached")
                .and_then(|n| n.trim().parse().ok())
                .filter(|n: &i32| *n > 0),
            left_stage: id_param(get("left_stage").as_deref()),
        }
    }

    fn dates(&self) -> [Option<NaiveDate>; 4] {
        [
            self.closed_from,
            self.closed_to,
            self.created_from,
            self.created_to,
        ]
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut parts: Vec<(&'static str, String)> = Self::DATES
            .into_iter()
            .zip(self.dates())
            .filter_map(|(name, d)| Some((name, d?.to_string())))
            .collect();
        if let Some(n) = self.reached {
            parts.push(("reached", n.to_string()));
        }
        if let Some(id) = self.left_stage {
            parts.push(("left_stage", id.to_string()));
        }
        parts
    }

    /// In words, for the line above the list; `None` when none is set.
    pub fn describe(&self, stage_name: impl Fn(i64) -> Option<String>) -> Option<String> {
        let range = |what: &str, from: Option<NaiveDate>, to: Option<NaiveDate>| match (from, to) {
            (Some(from), Some(to)) => Some(format!("{what} {from} – {to}")),
            (Some(from), None) => Some(format!("{what} on or after {from}")),
            (None, Some(to)) => Some(format!("{what} on or before {to}")),
            (None, None) => None,
        };
        let parts: Vec<String> = [
            range("closed", self.closed_from, self.closed_to),
            range("created", self.created_from, self.created_to),
            self.reached.map(|n| format!("reached stage {n} or later")),
            self.left_stage.map(|id| {
                format!(
                    "left stage {}",
                    stage_name(id).unwrap_or_else(|| id.to_string())
                )
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusFilter {
    #[default]
    Open,
    All,
    Only(Status),
}

impl StatusFilter {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::All => "all",
            Self::Only(status) => status_as_str(status),
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "open" => Some(Self::Open),
            "all" => Some(Self::All),
            other => parse_status(other).map(Self::Only),
        }
    }

    pub const CHOICES: [(Self, &'static str); 6] = [
        (Self::Open, "Open"),
        (Self::Only(Status::NotStarted), "Not Started"),
        (Self::Only(Status::InProgress), "In Progress"),
        (Self::Only(Status::Won), "Won"),
        (Self::Only(Status::Lost), "Lost"),
        (Self::All, "All"),
    ];
}

pub const MAX_SEARCH: usize = 100;

fn id_param(s: Option<&str>) -> Option<i64> {
    s.and_then(|s| s.trim().parse().ok()).filter(|id| *id > 0)
}

fn date_param(s: Option<&str>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
}

impl ListQuery {
    /// Reads the list's parameters by name (as in the address).
    pub fn parse(get: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            search: get("q")
                .unwrap_or_default()
                .trim()
                .chars()
                .take(MAX_SEARCH)
                .collect(),
            status: get("status")
                .as_deref()
                .and_then(StatusFilter::parse)
                .unwrap_or_default(),
            cycle: id_param(get("cycle").as_deref()),
            stage: id_param(get("stage").as_deref()),
            salesperson: id_param(get("salesperson").as_deref()),
            team: id_param(get("team").as_deref()),
            priority: get("priority").as_deref().and_then(Priority::parse),
            closing_from: date_param(get("from").as_deref()),
            closing_to: date_param(get("to").as_deref()),
            more: MoreFilters::parse(&get),
            sort: get("sort")
                .as_deref()
                .and_then(SortKey::parse)
                .unwrap_or_default(),
            descending: get("dir").as_deref().map(str::trim) == Some("desc"),
            page: get("page")
                .and_then(|p| p.trim().parse::<i64>().ok())
                .unwrap_or(1)
                .clamp(1, 1_000_000),
        }
    }

    pub fn from_map(map: &leptos_router::params::ParamsMap) -> Self {
        Self::parse(|name| map.get(name))
    }

    /// The parameters as (name, value) pairs, defaults left out: for links and for the server
    /// function call (which takes the same names).
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut parts = Vec::new();
        if !self.search.is_empty() {
            parts.push(("q", self.search.clone()));
        }
        if self.status != StatusFilter::Open {
            parts.push(("status", self.status.as_str().to_owned()));
        }
        let ids = [
            ("cycle", self.cycle),
            ("stage", self.stage),
            ("salesperson", self.salesperson),
            ("team", self.team),
        ];
        for (name, id) in ids {
            if let Some(id) = id {
                parts.push((name, id.to_string()));
            }
        }
        if let Some(priority) = self.priority {
            parts.push(("priority", priority.as_str().to_owned()));
        }
        if let Some(from) = self.closing_from {
            parts.push(("from", from.to_string()));
        }
        if let Some(to) = self.closing_to {
            parts.push(("to", to.to_string()));
        }
        parts.extend(self.more.pairs());
        if self.sort != SortKey::default() {
            parts.push(("sort", self.sort.as_str().to_owned()));
        }
        if self.descending {
            parts.push(("dir", "desc".into()));
        }
        if self.page > 1 {
            parts.push(("page", self.page.to_string()));
        }
        parts
    }

    /// The whole query as one string for the server function (`a=1&b=2`).
    pub fn encoded(&self) -> String {
        self.pairs()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", url_encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Reads what [`ListQuery::encoded`] wrote.
    pub fn decode(encoded: &str) -> Self {
        let pairs: Vec<(String, String)> = encoded
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_owned(), url_decode(v)))
            .collect();
        Self::parse(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    pub fn href(&self) -> String {
        match self.encoded() {
            e if e.is_empty() => "/opportunities".into(),
            e => format!("/opportunities?{e}"),
        }
    }

    pub fn with_page(&self, page: i64) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    pub fn sorted_by(&self, key: SortKey) -> Self {
        let descending = self.sort == key && !self.descending;
        Self {
            sort: key,
            descending,
            page: 1,
            ..self.clone()
        }
    }

    pub fn is_filtered(&self) -> bool {
        let default = Self {
            page: self.page,
            sort: self.sort,
            descending: self.descending,
            ..Self::default()
        };
        *self != default
    }
}

fn url_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some([b'%', hi, lo]) => hex(*hi).zip(hex(*lo)).map(|(hi, lo)| hi * 16 + lo),
            _ => None,
        };
        match (escaped, bytes[i]) {
            (Some(b), _) => {
                out.push(b);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Choices for the list's filters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterOptions {
    pub cycles: Vec<Choice>,
    /// Stages with their cycle's code in the label.
    pub stages: Vec<Choice>,
    pub salespeople: Vec<Choice>,
    pub teams: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub id: i64,
    pub label: String,
}

/// What the new-opportunity form offers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOptions {
    /// Cycles that are not blocked.
    pub cycles: Vec<Choice>,
    /// Salespeople the viewer may give an opportunity to (not blocked, in the write scope).
    pub salespeople: Vec<Choice>,
    /// Preselected: the contact's salesperson (if assignable), else the viewer's own.
    pub default_salesperson: Option<i64>,
    /// The contact picked by `?contact=`, if readable.
    pub contact: Option<ContactChoice>,
    pub today: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactChoice {
    pub id: i64,
    pub label: String,
    pub salesperson_id: Option<i64>,
}

/// One entry on the card's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryRow {
    pub entry_no: i32,
    pub action_taken: ActionTaken,
    pub stage: Option<String>,
    pub date_of_change: NaiveDate,
    pub days_open: i32,
    pub active: bool,
    pub estimated_value: Decimal,
    pub chances: Decimal,
    pub completed: Decimal,
    pub probability: Decimal,
    pub calculated_value: Decimal,
    pub estimated_closing_date: NaiveDate,
    pub close_code: Option<String>,
    pub by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: i64,
    pub kind: String,
    pub description: String,
    pub priority: Priority,
    pub due_date: NaiveDate,
    pub status: String,
    pub version: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteView {
    pub no: String,
    pub date: NaiveDate,
    pub lines: Vec<QuoteLineRow>,
    pub total: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLineRow {
    pub id: i64,
    pub line_no: i32,
    pub line: QuoteLine,
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseCodeChoice {
    pub code: String,
    pub description: String,
    pub won: bool,
}

/// Everything the opportunity card shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpportunityDetail {
    pub id: i64,
    pub no: String,
    pub description: String,
    pub contact_id: i64,
    pub contact_name: String,
    pub company_name: Option<String>,
    pub salesperson_name: String,
    pub cycle_code: String,
    pub cycle_description: String,
    pub method: ProbabilityMethod,
    pub creation_date: NaiveDate,
    pub priority: Priority,
    pub status: Status,
    pub date_closed: Option<NaiveDate>,
    pub close_code: Option<String>,
    pub current_stage_id: Option<i64>,
    pub estimated_value: Decimal,
    pub chances: Decimal,
    pub completed: Decimal,
    pub probability: Decimal,
    pub calculated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
    pub version: i32,
    /// The cycle's stages, for the step indicator and the update dialog's rules.
    pub stages: Vec<StageRule>,
    /// What the rules look at, as the server sees it now.
    pub state: OpportunityState,
    /// Newest first.
    pub entries: Vec<EntryRow>,
    pub tasks: Vec<TaskRow>,
    pub quote: Option<QuoteView>,
    pub close_codes: Vec<CloseCodeChoice>,
    /// The viewer may update, close and edit it (it is in their write scope and not closed).
    pub can_change: bool,
    /// Days open so far: today (or the date closed) − the creation date.
    pub days_open: i64,
    /// The server's today, so the dialog's defaults match what the server will record.
    pub today: NaiveDate,
}

/// What a successful change answers: the card reloads when it sees a new version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: i64,
    pub version: i32,
}

/// The message of a failed load, for a page that shows no form.
pub fn load_error_text(e: &AppError) -> String {
    match e {
        AppError::NotFound => {
            "This opportunity does not exist or you do not have access to it.".into()
        }
        other => other.to_string(),
    }
}

/// The text a refused change shows when someone else changed the opportunity first.
pub const STALE: &str = "This opportunity was changed by someone else. The latest version is shown; check it and try again.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals_and_thousands() {
        let cases = [
            ("0", "0.00"),
            ("1234.5", "1,234.50"),
            ("1234567.891", "1,234,567.89"),
            ("0.005", "0.01"),
            ("-12.5", "-12.50"),
        ];
        for (value, shown) in cases {
            assert_eq!(money(value.parse().unwrap()), shown, "{value}");
        }
    }

    #[test]
    fn the_list_query_round_trips_through_its_address() {
        let query = ListQuery {
            search: "Acme & Co".into(),
            status: StatusFilter::Only(Status::Won),
            cycle: Some(3),
            stage: Some(7),
            salesperson: Some(2),
            team: None,
            priority: Some(Priority::High),
            closing_from: NaiveDate::from_ymd_opt(2026, 1, 1),
            closing_to: NaiveDate::from_ymd_opt(2026, 12, 31),
            more: MoreFilters {
                closed_from: NaiveDate::from_ymd_opt(2026, 2, 1),
                closed_to: NaiveDate::from_ymd_opt(2026, 2, 28),
                created_from: NaiveDate::from_ymd_opt(2025, 1, 1),
                created_to: None,
                reached: Some(3),
                left_stage: Some(9),
            },
            sort: SortKey::Value,
            descending: true,
            page: 3,
        };
        assert_eq!(ListQuery::decode(&query.encoded()), query);
        assert_eq!(ListQuery::default().with_page(1).href(), "/opportunities");
        assert!(
            !ListQuery {
                page: 1,
                ..Default::default()
            }
            .is_filtered()
        );
        assert!(query.is_filtered());
        assert!(
            ListQuery {
                more: MoreFilters {
                    reached: Some(1),
                    ..Default::default()
                },
                ..Default::default()
            }
            .is_filtered()
        );
        assert_eq!(
            query
                .more
                .describe(|id| (id == 9).then(|| "Proposal".to_owned()))
                .as_deref(),
            Some(
                "closed 2026-02-01 – 2026-02-28 · created on or after 2025-01-01 · reached stage 3 or later · left stage Proposal"
            )
        );
        assert_eq!(MoreFilters::default().describe(|_| None), None);
        // Nonsense in the address is dropped, not an error.
        let odd = ListQuery::decode("reached=-2&left_stage=x&closed_from=2026-13-01");
        assert_eq!(odd.more, MoreFilters::default());
    }

    #[test]
    fn a_hand_edited_address_falls_back_to_defaults() {
        let query =
            ListQuery::decode("status=bogus&cycle=-1&from=2026-13-01&page=0&sort=zzz&q=%E2%82%AC");
        assert_eq!(query.status, StatusFilter::Open);
        assert_eq!(query.cycle, None);
        assert_eq!(query.closing_from, None);
        assert_eq!(query.page, 1);
        assert_eq!(query.sort, SortKey::Closing);
        assert_eq!(query.search, "€");
    }
}

//! Opportunity entries (DOMAIN.md "Updating" and "Closing"): which stage moves are allowed, and
//! the exact entry that an update or a close appends. Pure: the caller loads the cycle's stages
//! and the opportunity's state, passes "today", and writes the returned [`UpdatePlan`] in one
//! transaction. The board, the dialog and the server all call these same functions, so what the
//! browser greys out is what the server refuses.

use std::cmp::max;
use std::fmt;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::domain::date_formula::DateFormula;

/// The largest amount the database stores (`numeric(18,2)`). Larger inputs are refused rather
/// than left to overflow a multiplication or fail the insert.
pub const MAX_STORED_AMOUNT: Decimal = Decimal::from_parts(2_808_348_671, 232_830_643, 0, false, 2);

/// Rounds to 2 decimal places, half away from zero: how amounts and percentages are stored and
/// shown. Intermediate results stay exact; only stored figures go through this.
pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Whole days from one date of change to the next; never negative.
pub fn days_open(from: NaiveDate, to: NaiveDate) -> i32 {
    let days = to.signed_duration_since(from).num_days().max(0);
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// How a sales cycle turns chances of success % and completed % into probability %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ProbabilityMethod {
    #[default]
    Multiply,
    Add,
    ChancesOfSuccess,
    Completed,
}

impl ProbabilityMethod {
    pub const ALL: [Self; 4] = [
        Self::Multiply,
        Self::Add,
        Self::ChancesOfSuccess,
        Self::Completed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Multiply => "Multiply",
            Self::Add => "Add",
            Self::ChancesOfSuccess => "Chances of Success %",
            Self::Completed => "Completed %",
        }
    }

    /// Probability % by this method, exact (not rounded). Inputs are percentages 0–100.
    pub fn probability(self, chances: Decimal, completed: Decimal) -> Decimal {
        match self {
            Self::Multiply => chances * completed / Decimal::ONE_HUNDRED,
            Self::Add => (chances + completed) / Decimal::TWO,
            Self::ChancesOfSuccess => chances,
            Self::Completed => completed,
        }
    }
}

impl fmt::Display for ProbabilityMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One stage of the opportunity's sales cycle, as stored. Pass all of the cycle's stages in any
/// order: they are processed by ascending `number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageRule {
    pub id: i64,
    pub number: i32,
    pub description: String,
    pub completed: Decimal,
    pub chances: Decimal,
    pub allow_skip: bool,
    pub quote_required: bool,
    pub date_formula: Option<DateFormula>,
    pub activity_code: Option<String>,
}

impl StageRule {
    /// How messages name the stage: its description, or its number when that is blank.
    pub fn name(&self) -> String {
        match self.description.trim() {
            "" => format!("stage {}", self.number),
            description => description.to_owned(),
        }
    }

    /// The activity whose tasks entering this stage creates; a blank code counts as none.
    fn activity(&self) -> Option<&str> {
        self.activity_code
            .as_deref()
            .map(str::trim)
            .filter(|code| !code.is_empty())
    }

    /// The estimated closing date this stage proposes for a change on `date_of_change`.
    fn closing_date_from(&self, date_of_change: NaiveDate) -> NaiveDate {
        match &self.date_formula {
            Some(formula) if !formula.is_empty() => formula.apply(date_of_change),
            _ => date_of_change,
        }
    }
}

/// What the user asks for in the Update Opportunity dialog (or by dropping a card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    First,
    Next,
    Previous,
    Skip,
    Jump,
    Update,
}

impl Action {
    /// In the order the dialog lists them.
    pub const ALL: [Self; 6] = [
        Self::First,
        Self::Next,
        Self::Previous,
        Self::Skip,
        Self::Jump,
        Self::Update,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::First => "First",
            Self::Next => "Next",
            Self::Previous => "Previous",
            Self::Skip => "Skip",
            Self::Jump => "Jump",
            Self::Update => "Update",
        }
    }

    /// Moves that need a quote when the target stage requires one.
    fn is_forward(self) -> bool {
        matches!(self, Self::First | Self::Next | Self::Skip)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What an entry records as having happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionTaken {
    First,
    Next,
    Previous,
    Jumped,
    Updated,
    Won,
    Lost,
}

impl ActionTaken {
    pub const ALL: [Self; 7] = [
        Self::First,
        Self::Next,
        Self::Previous,
        Self::Jumped,
        Self::Updated,
        Self::Won,
        Self::Lost,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::First => "First",
            Self::Next => "Next",
            Self::Previous => "Previous",
            Self::Jumped => "Jumped",
            Self::Updated => "Updated",
            Self::Won => "Won",
            Self::Lost => "Lost",
        }
    }
}

impl fmt::Display for ActionTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How an opportunity ends, and the type of a close code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    Won,
    Lost,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Won => "Won",
            Self::Lost => "Lost",
        }
    }

    fn lowercase(self) -> &'static str {
        match self {
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// An opportunity's status: derived from its entries, never typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    NotStarted,
    InProgress,
    Won,
    Lost,
}

impl Status {
    /// The status given the action taken of the active entry (`None`: no entries yet).
    pub fn from_active_entry(action_taken: Option<ActionTaken>) -> Self {
        match action_taken {
            None => Self::NotStarted,
            Some(ActionTaken::Won) => Self::Won,
            Some(ActionTaken::Lost) => Self::Lost,
            Some(
                ActionTaken::First
                | ActionTaken::Next
                | ActionTaken::Previous
                | ActionTaken::Jumped
                | ActionTaken::Updated,
            ) => Self::InProgress,
        }
    }

    pub fn is_closed(self) -> bool {
        matches!(self, Self::Won | Self::Lost)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotStarted => "Not Started",
            Self::InProgress => "In Progress",
            Self::Won => "Won",
            Self::Lost => "Lost",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What the caller knows of the opportunity's active entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveEntry {
    pub entry_no: i32,
    /// `None` only for the final entry of an opportunity closed before it started.
    pub stage_id: Option<i64>,
    pub date_of_change: NaiveDate,
    pub estimated_value: Decimal,
    pub estimated_closing_date: Option<NaiveDate>,
    /// Informational: DOMAIN.md pre-fills chances from the target stage, even for Update.
    pub chances: Decimal,
}

/// Everything about the opportunity that the rules look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OpportunityState {
    pub closed: bool,
    /// The opportunity's sales cycle is blocked.
    pub cycle_blocked: bool,
    pub has_quote: bool,
    /// The attached quote's total; only looked at when `has_quote`.
    pub quote_total: Option<Decimal>,
    /// `None`: Not Started.
    pub active: Option<ActiveEntry>,
}

/// An update as submitted. `None` means "not changed": the pre-fill applies (see [`prefill`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateRequest {
    pub action: Action,
    /// Needed for Skip and Jump when they have more than one candidate; for the other actions
    /// the stage is implied and, if given, must be that stage.
    pub target_stage_id: Option<i64>,
    /// Default: today, or the previous change's date if that is later.
    pub date_of_change: Option<NaiveDate>,
    /// Default: the previous entry's; First has no default.
    pub estimated_value: Option<Decimal>,
    /// Default: the target stage's.
    pub chances: Option<Decimal>,
    /// Default: the previous entry's. Empty, or equal to the date of change, means "from the
    /// stage's date formula".
    pub estimated_closing_date: Option<NaiveDate>,
}

impl UpdateRequest {
    /// A request for `action` that changes nothing but the stage.
    pub fn new(action: Action) -> Self {
        Self {
            action,
            target_stage_id: None,
            date_of_change: None,
            estimated_value: None,
            chances: None,
            estimated_closing_date: None,
        }
    }
}

/// A close as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseRequest {
    pub outcome: Outcome,
    pub close_code: String,
    /// The type of `close_code` as stored.
    pub close_code_outcome: Outcome,
    /// Default: today, or the last change's date if that is later.
    pub date: Option<NaiveDate>,
    /// Won only (ignored for Lost). Default: see [`close_defaults`].
    pub amount_won: Option<Decimal>,
}

/// The previously active entry: set active = false and days open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deactivation {
    pub entry_no: i32,
    pub days_open: i32,
}

/// The close data carried by a final entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closing {
    pub outcome: Outcome,
    pub close_code: String,
    pub date_closed: NaiveDate,
}

/// The entry to append; it is the opportunity's only active entry. Amounts and percentages are
/// already rounded to 2 places, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEntry {
    pub entry_no: i32,
    /// `None` only when closing an opportunity that never started.
    pub stage_id: Option<i64>,
    pub previous_stage_id: Option<i64>,
    pub action_taken: ActionTaken,
    pub date_of_change: NaiveDate,
    pub estimated_value: Decimal,
    pub chances: Decimal,
    pub completed: Decimal,
    pub probability: Decimal,
    pub calculated_current_value: Decimal,
    pub estimated_closing_date: NaiveDate,
    /// Set by closing only.
    pub close: Option<Closing>,
}

/// What to write, in one transaction: deactivate the old entry, insert the new one, set the
/// opportunity's status (and, when closing, closed = true and its date closed), create tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePlan {
    pub deactivate: Option<Deactivation>,
    pub entry: NewEntry,
    /// Create the tasks of this activity (the target stage's), due from the date of change.
    pub create_tasks_of: Option<String>,
    /// The opportunity's status once the plan is written.
    pub status: Status,
}

/// What the update dialog shows before the user edits anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefill {
    pub target_stage_id: i64,
    /// What will be recorded for this target (Skip to the next stage records Next, …).
    pub action_taken: ActionTaken,
    pub date_of_change: NaiveDate,
    /// `None` for First: there is no previous value and no default.
    pub estimated_value: Option<Decimal>,
    pub chances: Decimal,
    /// False when the stage's chances will be used whatever is typed (Skip and Jump into a stage
    /// with non-zero chances).
    pub chances_editable: bool,
    pub estimated_closing_date: Option<NaiveDate>,
}

/// What the close dialog shows before the user edits anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseDefaults {
    pub date: NaiveDate,
    /// For Won: the quote's total when a quote is attached, else the estimated value (0 for an
    /// opportunity that never started).
    pub amount_won: Decimal,
}

/// Why an action is refused, in words a salesperson understands. A refused action changes
/// nothing. [`Refusal::field`] names the form field the message belongs next to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("This opportunity is closed and can no longer be updated.")]
    Closed,
    #[error("The sales cycle is blocked: new opportunities cannot start in it.")]
    CycleBlocked,
    #[error("The sales cycle has no stages yet.")]
    NoStages,
    #[error("Already started: use Next, Previous, Skip, Jump or Update.")]
    AlreadyStarted,
    #[error("Start the opportunity first (First).")]
    NotStarted,
    #[error("The opportunity's current stage is no longer part of its sales cycle.")]
    CurrentStageMissing,
    #[error("There is no higher stage.")]
    NoHigherStage,
    #[error("There is no lower stage.")]
    NoLowerStage,
    #[error("The next stage, {stage}, cannot be skipped.")]
    NextStageNotSkippable { stage: String },
    #[error("{stage} cannot be reached by skipping: {blocking} does not allow skip.")]
    SkipBlocked { stage: String, blocking: String },
    #[error("Skip moves forward only: {stage} is not after the current stage.")]
    SkipNotForward { stage: String },
    #[error("Jump moves back only: {stage} is not before the current stage.")]
    JumpNotBackward { stage: String },
    #[error("{action} can only go to {expected}, not to {stage}.")]
    WrongTarget {
        action: Action,
        expected: String,
        stage: String,
    },
    #[error("That stage is not part of this opportunity's sales cycle.")]
    UnknownStage,
    #[error("Choose the stage to move to.")]
    ChooseStage,
    #[error("Attach a quote before moving to {stage}.")]
    QuoteRequired { stage: String },
    #[error("Enter an estimated value greater than 0.")]
    EstimatedValueNotPositive,
    #[error("The estimated value is too large.")]
    EstimatedValueTooLarge,
    #[error("Enter chances of success greater than 0 %.")]
    ChancesNotPositive,
    #[error("Chances of success must be between 0 and 100 %.")]
    ChancesOutOfRange,
    #[error("The estimated closing date cannot be before the date of change ({date_of_change}).")]
    ClosingDateBeforeChange { date_of_change: NaiveDate },
    #[error("The date of change cannot be before the last change on {last_change}.")]
    DateOfChangeBeforeLast { last_change: NaiveDate },
    #[error("Choose a close code for a {} opportunity.", .outcome.lowercase())]
    CloseCodeMissing { outcome: Outcome },
    #[error("{code} is a {code_outcome} code; choose a {outcome} code.")]
    CloseCodeWrongType {
        code: String,
        code_outcome: Outcome,
        outcome: Outcome,
    },
    #[error("Enter the amount won (greater than 0).")]
    AmountWonNotPositive,
    #[error("The amount won is too large.")]
    AmountWonTooLarge,
    #[error("The closing date cannot be before the last change on {last_change}.")]
    ClosingBeforeLastChange { last_change: NaiveDate },
}

impl Refusal {
    /// The request field this refusal is about, named as in [`UpdateRequest`] / [`CloseRequest`]
    /// (`"target_stage"` for the stage choice, `"date"` for the closing date); `None` when it is
    /// about the opportunity as a whole.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Closed
            | Self::CycleBlocked
            | Self::NoStages
            | Self::AlreadyStarted
            | Self::NotStarted
            | Self::CurrentStageMissing
            | Self::NoHigherStage
            | Self::NoLowerStage
            | Self::NextStageNotSkippable { .. }
            | Self::QuoteRequired { .. } => None,
            Self::SkipBlocked { .. }
            | Self::SkipNotForward { .. }
            | Self::JumpNotBackward { .. }
            | Self::WrongTarget { .. }
            | Self::UnknownStage
            | Self::ChooseStage => Some("target_stage"),
            Self::EstimatedValueNotPositive | Self::EstimatedValueTooLarge => {
                Some("estimated_value")
            }
            Self::ChancesNotPositive | Self::ChancesOutOfRange => Some("chances"),
            Self::ClosingDateBeforeChange { .. } => Some("estimated_closing_date"),
            Self::DateOfChangeBeforeLast { .. } => Some("date_of_change"),
            Self::CloseCodeMissing { .. } | Self::CloseCodeWrongType { .. } => Some("close_code"),
            Self::AmountWonNotPositive | Self::AmountWonTooLarge => Some("amount_won"),
            Self::ClosingBeforeLastChange { .. } => Some("date"),
        }
    }
}

/// The cycle's stages in processing order (ascending number; id breaks ties deterministically).
fn ordered(stages: &[StageRule]) -> Vec<&StageRule> {
    let mut cycle: Vec<&StageRule> = stages.iter().collect();
    cycle.sort_by_key(|stage| (stage.number, stage.id));
    cycle
}

/// Index in `cycle` of the active entry's stage.
fn current_index(cycle: &[&StageRule], active: &ActiveEntry) -> Result<usize, Refusal> {
    active
        .stage_id
        .and_then(|id| cycle.iter().position(|stage| stage.id == id))
        .ok_or(Refusal::CurrentStageMissing)
}

/// Skip candidates from `current`: the next stage (which must allow skip) up to and including
/// the first stage that does not allow skip.
fn skip_candidates<'a>(
    cycle: &[&'a StageRule],
    current: usize,
) -> Result<Vec<&'a StageRule>, Refusal> {
    let later = &cycle[current + 1..];
    let Some(next) = later.first() else {
        return Err(Refusal::NoHigherStage);
    };
    if !next.allow_skip {
        return Err(Refusal::NextStageNotSkippable { stage: next.name() });
    }
    let mut candidates = Vec::new();
    for stage in later {
        candidates.push(*stage);
        if !stage.allow_skip {
            break;
        }
    }
    Ok(candidates)
}

/// The stages `action` may reach, ascending by number, or why the action is not available at
/// all. Structural only: the quote requirement and the figures are checked by [`plan_update`],
/// so that a drop onto a quote-required stage explains itself instead of being greyed out.
pub fn check_action<'a>(
    stages: &'a [StageRule],
    state: &OpportunityState,
    action: Action,
) -> Result<Vec<&'a StageRule>, Refusal> {
    if state.closed {
        return Err(Refusal::Closed);
    }
    let cycle = ordered(stages);
    let Some(active) = &state.active else {
        return match action {
            Action::First if state.cycle_blocked => Err(Refusal::CycleBlocked),
            Action::First => cycle
                .first()
                .map(|lowest| vec![*lowest])
                .ok_or(Refusal::NoStages),
            Action::Next | Action::Previous | Action::Skip | Action::Jump | Action::Update => {
                Err(Refusal::NotStarted)
            }
        };
    };
    // Before looking for the current stage: an odd current stage must not hide this answer.
    if action == Action::First {
        return Err(Refusal::AlreadyStarted);
    }
    let current = current_index(&cycle, active)?;
    match action {
        Action::First => Err(Refusal::AlreadyStarted),
        Action::Next => cycle
            .get(current + 1)
            .map(|next| vec![*next])
            .ok_or(Refusal::NoHigherStage),
        Action::Previous if current == 0 => Err(Refusal::NoLowerStage),
        Action::Previous => Ok(vec![cycle[current - 1]]),
        Action::Skip => skip_candidates(&cycle, current),
        Action::Jump if current == 0 => Err(Refusal::NoLowerStage),
        Action::Jump => Ok(cycle[..current].to_vec()),
        Action::Update => Ok(vec![cycle[current]]),
    }
}

/// The stages `action` may reach, ascending by number; empty when the action is not available.
/// The board greys out every other drop target; [`check_action`] says why one is empty.
pub fn allowed_targets<'a>(
    stages: &'a [StageRule],
    state: &OpportunityState,
    action: Action,
) -> Vec<&'a StageRule> {
    check_action(stages, state, action).unwrap_or_default()
}

/// The actions the dialog offers, in [`Action::ALL`] order.
pub fn available_actions(stages: &[StageRule], state: &OpportunityState) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|action| check_action(stages, state, *action).is_ok())
        .collect()
}

/// The action a drop of the card onto `target_stage_id` asks for: the next higher stage → Next
/// (preferred over Skip, which could reach it too), the next lower → Previous (preferred over
/// Jump), a further higher stage reachable by Skip → Skip, a further lower stage → Jump; on a
/// Not Started card, the lowest stage → First. The same stage (reordering within a column is not
/// an entry), an unreachable stage and a closed opportunity give `None`.
pub fn action_for_target(
    stages: &[StageRule],
    state: &OpportunityState,
    target_stage_id: i64,
) -> Option<Action> {
    // Checked in order of preference: Next before Skip, Previous before Jump.
    [
        Action::First,
        Action::Next,
        Action::Previous,
        Action::Skip,
        Action::Jump,
    ]
    .into_iter()
    .find(|action| {
        allowed_targets(stages, state, *action)
            .iter()
            .any(|stage| stage.id == target_stage_id)
    })
}

/// A resolved move: where to, and how it is recorded.
struct Move<'a> {
    target: &'a StageRule,
    current: Option<&'a StageRule>,
    action_taken: ActionTaken,
}

fn resolve_move<'a>(
    stages: &'a [StageRule],
    state: &OpportunityState,
    action: Action,
    target_stage_id: Option<i64>,
    default_when_several: bool,
) -> Result<Move<'a>, Refusal> {
    let candidates = check_action(stages, state, action)?;
    let cycle = ordered(stages);
    // check_action succeeded, so the current stage (if started) is in the cycle.
    let current = match &state.active {
        Some(active) => Some(current_index(&cycle, active)?),
        None => None,
    };
    let target = match target_stage_id {
        Some(id) => match candidates.iter().find(|stage| stage.id == id) {
            Some(stage) => *stage,
            None => return Err(unreachable_target(&cycle, current, action, &candidates, id)),
        },
        None => match candidates.as_slice() {
            [only] => *only,
            // BC's defaults: Skip offers the next stage first, Jump the nearest lower stage.
            [first, ..] if default_when_several && action == Action::Skip => *first,
            [.., last] if default_when_several => *last,
            _ => return Err(Refusal::ChooseStage),
        },
    };
    let target_index = cycle.iter().position(|stage| stage.id == target.id);
    let next_index = current.map(|index| index + 1);
    let previous_index = current.and_then(|index| index.checked_sub(1));
    let action_taken = match action {
        Action::First => ActionTaken::First,
        Action::Next => ActionTaken::Next,
        Action::Previous => ActionTaken::Previous,
        Action::Update => ActionTaken::Updated,
        Action::Skip if target_index == next_index => ActionTaken::Next,
        Action::Jump if target_index == previous_index => ActionTaken::Previous,
        Action::Skip | Action::Jump => ActionTaken::Jumped,
    };
    Ok(Move {
        target,
        current: current.map(|index| cycle[index]),
        action_taken,
    })
}

/// Why `id` is not among `action`'s candidates.
fn unreachable_target(
    cycle: &[&StageRule],
    current: Option<usize>,
    action: Action,
    candidates: &[&StageRule],
    id: i64,
) -> Refusal {
    let Some(wanted) = cycle.iter().position(|stage| stage.id == id) else {
        return Refusal::UnknownStage;
    };
    let stage = cycle[wanted].name();
    match (action, current, candidates.last()) {
        (Action::Skip, Some(current), _) if wanted <= current => Refusal::SkipNotForward { stage },
        (Action::Skip, _, Some(blocking)) => Refusal::SkipBlocked {
            stage,
            blocking: blocking.name(),
        },
        (Action::Jump, _, _) => Refusal::JumpNotBackward { stage },
        (_, _, Some(expected)) => Refusal::WrongTarget {
            action,
            expected: expected.name(),
            stage,
        },
        // check_action never returns an empty candidate list with Ok.
        (_, _, None) => Refusal::UnknownStage,
    }
}

/// Skip and Jump take the stage's chances whenever the stage has some.
fn stage_chances_forced(action: Action, stage_chances: Decimal) -> bool {
    matches!(action, Action::Skip | Action::Jump) && !stage_chances.is_zero()
}

/// Chances of success for the new entry (DOMAIN.md step 2), not yet range-checked.
fn resolve_chances(action: Action, stage_chances: Decimal, typed: Option<Decimal>) -> Decimal {
    let stage = round2(stage_chances);
    let typed = typed.map(round2).unwrap_or(stage);
    if stage_chances_forced(action, stage) || typed.is_zero() {
        // A 0 falls back to the stage's value; if that is 0 too, the check below refuses it.
        stage
    } else {
        typed
    }
}

fn default_date(today: NaiveDate, last_change: Option<NaiveDate>) -> NaiveDate {
    last_change.map_or(today, |last| max(today, last))
}

fn check_estimated_value(value: Decimal) -> Result<Decimal, Refusal> {
    let value = round2(value);
    if value <= Decimal::ZERO {
        Err(Refusal::EstimatedValueNotPositive)
    } else if value > MAX_STORED_AMOUNT {
        Err(Refusal::EstimatedValueTooLarge)
    } else {
        Ok(value)
    }
}

fn check_chances(chances: Decimal) -> Result<Decimal, Refusal> {
    if chances <= Decimal::ZERO {
        Err(Refusal::ChancesNotPositive)
    } else if chances > Decimal::ONE_HUNDRED {
        Err(Refusal::ChancesOutOfRange)
    } else {
        Ok(chances)
    }
}

/// What the update dialog shows for `action` (and the dropped-on stage, if any) before the user
/// edits: the previous entry's estimated value and closing date, the target stage's chances.
/// Without a target, Skip and Jump pre-select as Business Central does: the next stage, the
/// nearest lower stage.
pub fn prefill(
    stages: &[StageRule],
    state: &OpportunityState,
    action: Action,
    target_stage_id: Option<i64>,
    today: NaiveDate,
) -> Result<Prefill, Refusal> {
    let step = resolve_move(stages, state, action, target_stage_id, true)?;
    let active = state.active.as_ref();
    let chances = round2(step.target.chances);
    Ok(Prefill {
        target_stage_id: step.target.id,
        action_taken: step.action_taken,
        date_of_change: default_date(today, active.map(|a| a.date_of_change)),
        estimated_value: active.map(|a| a.estimated_value),
        chances,
        chances_editable: !stage_chances_forced(action, chances),
        estimated_closing_date: active.and_then(|a| a.estimated_closing_date),
    })
}

/// Checks an update and works out the entry it appends (DOMAIN.md "Updating"). Checks run in
/// this order and the first failure is returned: closed, action available, target stage, quote,
/// date of change, estimated value, chances, estimated closing date.
pub fn plan_update(
    stages: &[StageRule],
    method: ProbabilityMethod,
    state: &OpportunityState,
    request: &UpdateRequest,
    today: NaiveDate,
) -> Result<UpdatePlan, Refusal> {
    let action = request.action;
    let step = resolve_move(stages, state, action, request.target_stage_id, false)?;
    let target = step.target;
    if action.is_forward() && target.quote_required && !state.has_quote {
        return Err(Refusal::QuoteRequired {
            stage: target.name(),
        });
    }

    let active = state.active.as_ref();
    let last_change = active.map(|a| a.date_of_change);
    let date_of_change = request
        .date_of_change
        .unwrap_or(default_date(today, last_change));
    if let Some(last_change) = last_change
        && date_of_change < last_change
    {
        return Err(Refusal::DateOfChangeBeforeLast { last_change });
    }

    let estimated_value = request
        .estimated_value
        .or(active.map(|a| a.estimated_value))
        .ok_or(Refusal::EstimatedValueNotPositive)
        .and_then(check_estimated_value)?;
    let chances = check_chances(resolve_chances(action, target.chances, request.chances))?;

    let closing_date = request
        .estimated_closing_date
        .or(active.and_then(|a| a.estimated_closing_date));
    if let Some(closing_date) = closing_date
        && closing_date < date_of_change
    {
        return Err(Refusal::ClosingDateBeforeChange { date_of_change });
    }
    let estimated_closing_date = match closing_date {
        Some(date) if date != date_of_change => date,
        _ => target.closing_date_from(date_of_change),
    };

    let completed = round2(target.completed);
    let probability = method.probability(chances, completed);
    // From the exact probability: rounding happens once, when stored.
    let calculated_current_value = round2(estimated_value * probability / Decimal::ONE_HUNDRED);

    Ok(UpdatePlan {
        deactivate: active.map(|a| Deactivation {
            entry_no: a.entry_no,
            days_open: days_open(a.date_of_change, date_of_change),
        }),
        entry: NewEntry {
            entry_no: active.map_or(1, |a| a.entry_no.saturating_add(1)),
            stage_id: Some(target.id),
            previous_stage_id: step.current.map(|stage| stage.id),
            action_taken: step.action_taken,
            date_of_change,
            estimated_value,
            chances,
            completed,
            probability: round2(probability),
            calculated_current_value,
            estimated_closing_date,
            close: None,
        },
        create_tasks_of: match action {
            Action::Update => None,
            _ => target.activity().map(str::to_owned),
        },
        status: Status::InProgress,
    })
}

/// The close dialog's defaults: the date (today, or the last change's date if later) and the
/// amount won (the quote's total when a quote is attached, else the estimated value).
pub fn close_defaults(state: &OpportunityState, today: NaiveDate) -> CloseDefaults {
    let active = state.active.as_ref();
    let quote_total = state.quote_total.filter(|_| state.has_quote);
    CloseDefaults {
        date: default_date(today, active.map(|a| a.date_of_change)),
        amount_won: quote_total
            .or(active.map(|a| a.estimated_value))
            .unwrap_or(Decimal::ZERO),
    }
}

/// Checks a close and works out the final entry (DOMAIN.md "Closing"). Checks run in this order:
/// closed, close code, closing date, amount won.
pub fn plan_close(
    state: &OpportunityState,
    request: &CloseRequest,
    today: NaiveDate,
) -> Result<UpdatePlan, Refusal> {
    if state.closed {
        return Err(Refusal::Closed);
    }
    let outcome = request.outcome;
    let close_code = request.close_code.trim();
    if close_code.is_empty() {
        return Err(Refusal::CloseCodeMissing { outcome });
    }
    if request.close_code_outcome != outcome {
        return Err(Refusal::CloseCodeWrongType {
            code: close_code.to_owned(),
            code_outcome: request.close_code_outcome,
            outcome,
        });
    }

    let active = state.active.as_ref();
    let defaults = close_defaults(state, today);
    let date = request.date.unwrap_or(defaults.date);
    if let Some(active) = active
        && date < active.date_of_change
    {
        return Err(Refusal::ClosingBeforeLastChange {
            last_change: active.date_of_change,
        });
    }

    let hundred = Decimal::ONE_HUNDRED;
    let (chances, probability, calculated_current_value) = match outcome {
        Outcome::Won => {
            let amount = round2(request.amount_won.unwrap_or(defaults.amount_won));
            if amount <= Decimal::ZERO {
                return Err(Refusal::AmountWonNotPositive);
            }
            if amount > MAX_STORED_AMOUNT {
                return Err(Refusal::AmountWonTooLarge);
            }
            (hundred, hundred, amount)
        }
        Outcome::Lost => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
    };
    let stage_id = active.and_then(|a| a.stage_id);

    Ok(UpdatePlan {
        deactivate: active.map(|a| Deactivation {
            entry_no: a.entry_no,
            days_open: days_open(a.date_of_change, date),
        }),
        entry: NewEntry {
            entry_no: active.map_or(1, |a| a.entry_no.saturating_add(1)),
            stage_id,
            previous_stage_id: stage_id,
            action_taken: match outcome {
                Outcome::Won => ActionTaken::Won,
                Outcome::Lost => ActionTaken::Lost,
            },
            date_of_change: date,
            estimated_value: active.map_or(Decimal::ZERO, |a| round2(a.estimated_value)),
            chances,
            completed: hundred,
            probability,
            calculated_current_value,
            estimated_closing_date: date,
            close: Some(Closing {
                outcome,
                close_code: close_code.to_owned(),
                date_closed: date,
            }),
        },
        create_tasks_of: None,
        status: match outcome {
            Outcome::Won => Status::Won,
            Outcome::Lost => Status::Lost,
        },
    })
}

#[cfg(test)]
#[expect(
    clippy::type_complexity,
    reason = "each table's row type is a tuple, spelled out once"
)]
mod tests {
    use super::*;

    // ----- fixtures -------------------------------------------------------------------------

    const S1: i64 = 501; // Initial    10  completed 10  chances 20  formula 1W   activity INIT
    const S2: i64 = 502; // Qualify    20  completed 25  chances 40  allow skip
    const S3: i64 = 503; // Demo       30  completed 50  chances 50  allow skip, 10D, DEMO
    const S4: i64 = 504; // Proposal   40  completed 75  chances 0   quote required, 2W, PROP
    const S5: i64 = 505; // Negotiate  50  completed 90  chances 80  allow skip, empty formula

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    fn n(s: &str) -> Decimal {
        Decimal::from_str_exact(s).expect("test decimal")
    }

    fn formula(s: &str) -> DateFormula {
        match s.parse() {
            Ok(formula) => formula,
            Err(_) => panic!("test formula {s} does not parse"),
        }
    }

    fn today() -> NaiveDate {
        d("2026-03-10")
    }

    fn stage(id: i64, number: i32, description: &str, completed: &str, chances: &str) -> StageRule {
        StageRule {
            id,
            number,
            description: description.to_owned(),
            completed: n(completed),
            chances: n(chances),
            allow_skip: false,
            quote_required: false,
            date_formula: None,
            activity_code: None,
        }
    }

    /// The main cycle, deliberately not in stage-number order.
    fn cycle() -> Vec<StageRule> {
        vec![
            StageRule {
                allow_skip: true,
                date_formula: Some(formula("10D")),
                activity_code: Some("DEMO".into()),
                ..stage(S3, 30, "Demo", "50", "50")
            },
            StageRule {
                date_formula: Some(formula("1W")),
                activity_code: Some("INIT".into()),
                ..stage(S1, 10, "Initial", "10", "20")
            },
            StageRule {
                allow_skip: true,
                // Set but empty: the same as no formula.
                date_formula: Some(formula("")),
                ..stage(S5, 50, "Negotiate", "90", "80")
            },
            StageRule {
                allow_skip: true,
                ..stage(S2, 20, "Qualify", "25", "40")
            },
            StageRule {
                quote_required: true,
                date_formula: Some(formula("2W")),
                activity_code: Some("PROP".into()),
                ..stage(S4, 40, "Proposal", "75", "0")
            },
        ]
    }

    /// Four alike stages (completed 25, chances 40, all skippable) for the probability table.
    fn flat_cycle() -> Vec<StageRule> {
        (1..=4)
            .map(|i| StageRule {
                allow_skip: true,
                ..stage(10 + i64::from(i), i, "Flat", "25", "40")
            })
            .collect()
    }

    fn not_started() -> OpportunityState {
        OpportunityState::default()
    }

    /// In progress at `stage_id`: entry 3 of 2026-03-02, 10,000.00, closing 2026-06-30.
    fn at(stage_id: i64) -> OpportunityState {
        OpportunityState {
            active: Some(ActiveEntry {
                entry_no: 3,
                stage_id: Some(stage_id),
                date_of_change: d("2026-03-02"),
                estimated_value: n("10000.00"),
                estimated_closing_date: Some(d("2026-06-30")),
                chances: n("40"),
            }),
            ..OpportunityState::default()
        }
    }

    fn with_quote(mut state: OpportunityState) -> OpportunityState {
        state.has_quote = true;
        state
    }

    fn closed(mut state: OpportunityState) -> OpportunityState {
        state.closed = true;
        state
    }

    fn blocked(mut state: OpportunityState) -> OpportunityState {
        state.cycle_blocked = true;
        state
    }

    /// `state` with its active entry changed by `f`.
    fn active_with(
        mut state: OpportunityState,
        f: impl FnOnce(&mut ActiveEntry),
    ) -> OpportunityState {
        if let Some(active) = state.active.as_mut() {
            f(active);
        }
        state
    }

    fn req(action: Action) -> UpdateRequest {
        UpdateRequest::new(action)
    }

    fn to(action: Action, target: i64) -> UpdateRequest {
        UpdateRequest {
            target_stage_id: Some(target),
            ..UpdateRequest::new(action)
        }
    }

    fn first(value: &str) -> UpdateRequest {
        UpdateRequest {
            estimated_value: Some(n(value)),
            ..req(Action::First)
        }
    }

    fn plan(state: &OpportunityState, request: &UpdateRequest) -> Result<UpdatePlan, Refusal> {
        plan_update(
            &cycle(),
            ProbabilityMethod::Multiply,
            state,
            request,
            today(),
        )
    }

    fn ids(stages: &[&StageRule]) -> Vec<i64> {
        stages.iter().map(|stage| stage.id).collect()
    }

    fn close_req(outcome: Outcome, code: &str, code_outcome: Outcome) -> CloseRequest {
        CloseRequest {
            outcome,
            close_code: code.to_owned(),
            close_code_outcome: code_outcome,
            date: None,
            amount_won: None,
        }
    }

    fn wrong_target(action: Action, expected: &str, stage: &str) -> Refusal {
        Refusal::WrongTarget {
            action,
            expected: expected.into(),
            stage: stage.into(),
        }
    }

    fn wrong_code(code: &str, code_outcome: Outcome, outcome: Outcome) -> Refusal {
        Refusal::CloseCodeWrongType {
            code: code.into(),
            code_outcome,
            outcome,
        }
    }

    fn won() -> CloseRequest {
        close_req(Outcome::Won, "BIGDEAL", Outcome::Won)
    }

    fn lost() -> CloseRequest {
        close_req(Outcome::Lost, "PRICE", Outcome::Lost)
    }

    // ----- arithmetic -----------------------------------------------------------------------

    #[test]
    fn probability_methods_compute_exactly_without_rounding() {
        use ProbabilityMethod::*;
        #[rustfmt::skip]
        let cases = [
            (Multiply, "40", "25", "10"),
            (Add, "40", "25", "32.5"),
            (ChancesOfSuccess, "40", "25", "40"),
            (Completed, "40", "25", "25"),
            (Multiply, "33.33", "33.33", "11.108889"),
            (Add, "33.33", "0", "16.665"),
            (Multiply, "50", "0.01", "0.005"),
            (Multiply, "100", "100", "100"),
            (Add, "0", "0", "0"),
            (Add, "100", "100", "100"),
        ];
        for (method, chances, completed, expected) in cases {
            assert_eq!(
                method.probability(n(chances), n(completed)),
                n(expected),
                "{method} of {chances} and {completed}"
            );
        }
        assert_eq!(ProbabilityMethod::default(), Multiply);
    }

    #[test]
    fn round2_rounds_half_away_from_zero() {
        #[rustfmt::skip]
        let cases = [
            ("16.665", "16.67"),
            ("0.005", "0.01"),
            ("-0.005", "-0.01"),
            ("2.675", "2.68"),
            ("0.025", "0.03"),
            ("1.234", "1.23"),
            ("1.2349", "1.23"),
            ("37.0292597037", "37.03"),
            ("-16.665", "-16.67"),
            ("10", "10"),
            ("12.5", "12.50"),
        ];
        for (input, expected) in cases {
            let rounded = round2(n(input));
            assert_eq!(rounded, n(expected), "round2({input})");
            assert!(
                rounded.scale() <= 2,
                "round2({input}) keeps at most 2 places"
            );
        }
    }

    #[test]
    fn days_open_counts_whole_days_and_never_goes_negative() {
        #[rustfmt::skip]
        let cases = [
            ("2026-03-02", "2026-03-02", 0),
            ("2026-03-02", "2026-03-10", 8),
            ("2026-01-31", "2026-03-01", 29),
            ("2028-02-01", "2028-03-01", 29),
            ("2025-12-31", "2026-01-01", 1),
            ("2026-03-10", "2026-03-02", 0),
        ];
        for (from, to, expected) in cases {
            assert_eq!(days_open(d(from), d(to)), expected, "{from} → {to}");
        }
    }

    #[test]
    fn max_amount_is_the_largest_numeric_18_2() {
        assert_eq!(MAX_STORED_AMOUNT, n("9999999999999999.99"));
    }

    // ----- probability % and calculated current value -----------------------------------------

    #[test]
    fn every_action_under_every_method_computes_probability_and_current_value() {
        use ProbabilityMethod::*;
        #[rustfmt::skip]
        let methods = [
            (Multiply, "10.00", "1000.00"),
            (Add, "32.50", "3250.00"),
            (ChancesOfSuccess, "40.00", "4000.00"),
            (Completed, "25.00", "2500.00"),
        ];
        // (action, state, request, expected stage, expected action taken)
        #[rustfmt::skip]
        let actions = [
            (Action::First, not_started(), first("10000.00"), 11, ActionTaken::First),
            (Action::Next, at(12), req(Action::Next), 13, ActionTaken::Next),
            (Action::Previous, at(13), req(Action::Previous), 12, ActionTaken::Previous),
            (Action::Skip, at(11), to(Action::Skip, 13), 13, ActionTaken::Jumped),
            (Action::Jump, at(14), to(Action::Jump, 11), 11, ActionTaken::Jumped),
            (Action::Update, at(12), req(Action::Update), 12, ActionTaken::Updated),
        ];
        for (method, probability, current_value) in methods {
            for (action, state, request, stage_id, action_taken) in &actions {
                let request = UpdateRequest {
                    chances: Some(n("40")),
                    ..request.clone()
                };
                let plan = plan_update(&flat_cycle(), method, state, &request, today())
                    .unwrap_or_else(|refusal| panic!("{action} under {method}: {refusal}"));
                let entry = &plan.entry;
                let case = format!("{action} under {method}");
                assert_eq!(entry.stage_id, Some(*stage_id), "{case}");
                assert_eq!(entry.action_taken, *action_taken, "{case}");
                assert_eq!(entry.estimated_value, n("10000.00"), "{case}");
                assert_eq!(entry.chances, n("40"), "{case}");
                assert_eq!(entry.completed, n("25"), "{case}");
                assert_eq!(entry.probability, n(probability), "{case}");
                assert_eq!(entry.calculated_current_value, n(current_value), "{case}");
                assert_eq!(plan.status, Status::InProgress, "{case}");
                assert_eq!(entry.close, None, "{case}");
            }
        }
    }

    #[test]
    fn stored_probability_and_current_value_are_rounded_half_away_from_zero() {
        use ProbabilityMethod::*;
        // (method, estimated value, chances, stage completed,
        //  stored value, stored chances, stored probability, stored current value)
        #[rustfmt::skip]
        let cases = [
            (Multiply, "333.33", "33.33", "33.33", "333.33", "33.33", "11.11", "37.03"),
            (Add, "100.01", "33.33", "0", "100.01", "33.33", "16.67", "16.67"),
            (ChancesOfSuccess, "100.01", "50", "25", "100.01", "50", "50.00", "50.01"),
            (Completed, "333.33", "10", "33.33", "333.33", "10", "33.33", "111.10"),
            // The current value comes from the exact probability 0.005 %, not the stored 0.01 %.
            (Multiply, "1000.00", "50", "0.01", "1000.00", "50", "0.01", "0.05"),
            (Multiply, "0.01", "50", "50", "0.01", "50", "25.00", "0.00"),
            (Add, "0.05", "50", "50", "0.05", "50", "50.00", "0.03"),
            // Inputs are stored with 2 places, so the figures are computed from stored values.
            (Completed, "100.005", "10", "100", "100.01", "10", "100.00", "100.01"),
            (ChancesOfSuccess, "1000", "33.335", "10", "1000", "33.34", "33.34", "333.40"),
        ];
        for (method, value, chances, completed, s_value, s_chances, s_probability, s_current) in
            cases
        {
            let stages = [stage(1, 1, "Only", completed, "10")];
            let request = UpdateRequest {
                estimated_value: Some(n(value)),
                chances: Some(n(chances)),
                ..req(Action::Update)
            };
            let case = format!("{method}: {value} at {chances} % / {completed} %");
            let entry = plan_update(&stages, method, &at(1), &request, today())
                .unwrap_or_else(|refusal| panic!("{case}: {refusal}"))
                .entry;
            assert_eq!(entry.estimated_value, n(s_value), "{case}");
            assert_eq!(entry.chances, n(s_chances), "{case}");
            assert_eq!(entry.probability, n(s_probability), "{case}");
            assert_eq!(entry.calculated_current_value, n(s_current), "{case}");
        }
    }

    // ----- which actions and stages are available -------------------------------------------

    #[test]
    fn available_actions_depend_on_status_and_position() {
        use Action::*;
        let single = vec![stage(1, 1, "Only", "50", "50")];
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<StageRule>, OpportunityState, Vec<Action>)> = vec![
            ("not started", cycle(), not_started(), vec![First]),
            ("not started, blocked cycle", cycle(), blocked(not_started()), vec![]),
            ("not started, no stages", vec![], not_started(), vec![]),
            ("at the first stage", cycle(), at(S1), vec![Next, Skip, Update]),
            ("at Qualify", cycle(), at(S2), vec![Next, Previous, Skip, Jump, Update]),
            ("at Demo (next not skippable)", cycle(), at(S3), vec![Next, Previous, Jump, Update]),
            ("at Proposal", cycle(), at(S4), vec![Next, Previous, Skip, Jump, Update]),
            ("at the last stage", cycle(), at(S5), vec![Previous, Jump, Update]),
            ("blocked cycle, started",
                cycle(), blocked(at(S2)), vec![Next, Previous, Skip, Jump, Update]),
            ("closed", cycle(), closed(at(S2)), vec![]),
            ("closed before starting", cycle(), closed(not_started()), vec![]),
            ("single stage", single, at(1), vec![Update]),
            ("current stage gone from the cycle", cycle(), at(999), vec![]),
        ];
        for (name, stages, state, expected) in cases {
            assert_eq!(available_actions(&stages, &state), expected, "{name}");
        }
    }

    #[test]
    fn allowed_targets_per_action_and_position() {
        use Action::*;
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<StageRule>, OpportunityState, Action, Vec<i64>)> = vec![
            ("First when not started: the lowest stage", cycle(), not_started(), First, vec![S1]),
            ("Next when not started", cycle(), not_started(), Next, vec![]),
            ("Update when not started", cycle(), not_started(), Update, vec![]),
            ("First when started", cycle(), at(S2), First, vec![]),
            ("First, blocked cycle", cycle(), blocked(not_started()), First, vec![]),
            ("First, empty cycle", vec![], not_started(), First, vec![]),
            ("Next from Initial", cycle(), at(S1), Next, vec![S2]),
            ("Previous from Initial", cycle(), at(S1), Previous, vec![]),
            ("Skip from Initial stops at the first non-skippable stage",
                cycle(), at(S1), Skip, vec![S2, S3, S4]),
            ("Jump from Initial", cycle(), at(S1), Jump, vec![]),
            ("Update at Initial", cycle(), at(S1), Update, vec![S1]),
            ("Previous from Qualify", cycle(), at(S2), Previous, vec![S1]),
            ("Skip from Qualify", cycle(), at(S2), Skip, vec![S3, S4]),
            ("Jump from Qualify", cycle(), at(S2), Jump, vec![S1]),
            ("Next from Demo into a quote stage (quote checked later)",
                cycle(), at(S3), Next, vec![S4]),
            ("Skip from Demo: next stage not skippable", cycle(), at(S3), Skip, vec![]),
            ("Jump from Demo", cycle(), at(S3), Jump, vec![S1, S2]),
            ("Skip from Proposal: only the last stage", cycle(), at(S4), Skip, vec![S5]),
            ("Next from Negotiate", cycle(), at(S5), Next, vec![]),
            ("Skip from Negotiate", cycle(), at(S5), Skip, vec![]),
            ("Previous from Negotiate", cycle(), at(S5), Previous, vec![S4]),
            ("Jump from Negotiate: every lower stage", cycle(), at(S5), Jump, vec![S1, S2, S3, S4]),
            ("blocked cycle: Next goes on", cycle(), blocked(at(S2)), Next, vec![S3]),
            ("closed: nothing", cycle(), closed(at(S2)), Next, vec![]),
            ("closed: not even Update", cycle(), closed(at(S2)), Update, vec![]),
        ];
        for (name, stages, state, action, expected) in cases {
            assert_eq!(
                ids(&allowed_targets(&stages, &state, action)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn stage_numbers_given_out_of_order_are_processed_ascending() {
        let mut reversed = cycle();
        reversed.reverse();
        let mut by_number = cycle();
        by_number.sort_by_key(|stage| stage.number);
        // Ids that run against the numbers: the order must come from the numbers only.
        let against = vec![
            stage(700, 3, "C", "60", "60"),
            stage(900, 1, "A", "20", "20"),
            stage(800, 2, "B", "40", "40"),
        ];
        for stages in [cycle(), reversed, by_number] {
            assert_eq!(
                ids(&allowed_targets(&stages, &not_started(), Action::First)),
                vec![S1]
            );
            assert_eq!(
                ids(&allowed_targets(&stages, &at(S2), Action::Skip)),
                vec![S3, S4]
            );
            assert_eq!(
                ids(&allowed_targets(&stages, &at(S5), Action::Jump)),
                vec![S1, S2, S3, S4]
            );
            assert_eq!(
                ids(&allowed_targets(&stages, &at(S3), Action::Previous)),
                vec![S2]
            );
        }
        assert_eq!(
            ids(&allowed_targets(&against, &not_started(), Action::First)),
            vec![900]
        );
        assert_eq!(
            ids(&allowed_targets(&against, &at(900), Action::Next)),
            vec![800]
        );
        assert_eq!(
            ids(&allowed_targets(&against, &at(700), Action::Jump)),
            vec![900, 800]
        );
        let plan = plan_update(
            &against,
            ProbabilityMethod::Multiply,
            &at(800),
            &req(Action::Next),
            today(),
        )
        .expect("Next from B");
        assert_eq!(plan.entry.stage_id, Some(700));
        assert_eq!(plan.entry.previous_stage_id, Some(800));
    }

    // ----- refusals -------------------------------------------------------------------------

    #[test]
    fn refused_updates_say_why() {
        use Action::*;
        let proposal_quote = vec![StageRule {
            quote_required: true,
            ..stage(1, 1, "Offer", "10", "20")
        }];
        let stage_missing = active_with(at(S2), |a| a.stage_id = None);
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<StageRule>, OpportunityState, UpdateRequest, Refusal)> = vec![
            ("First twice", cycle(), at(S2), first("100"), Refusal::AlreadyStarted),
            ("First in a blocked cycle",
                cycle(), blocked(not_started()), first("100"), Refusal::CycleBlocked),
            ("First in an empty cycle", vec![], not_started(), first("100"), Refusal::NoStages),
            ("First on a closed opportunity",
                cycle(), closed(not_started()), first("100"), Refusal::Closed),
            ("First without a quote where the lowest stage needs one",
                proposal_quote, not_started(), first("100"),
                Refusal::QuoteRequired { stage: "Offer".into() }),
            ("First at a stage that is not the lowest", cycle(), not_started(),
                UpdateRequest { target_stage_id: Some(S2), ..first("100") },
                wrong_target(First, "Initial", "Qualify")),
            ("Next before starting", cycle(), not_started(), req(Next), Refusal::NotStarted),
            ("Update before starting", cycle(), not_started(), req(Update), Refusal::NotStarted),
            ("Next at the last stage", cycle(), at(S5), req(Next), Refusal::NoHigherStage),
            ("Next naming another stage", cycle(), at(S1), to(Next, S3),
                wrong_target(Next, "Qualify", "Demo")),
            ("Previous at the first stage", cycle(), at(S1), req(Previous), Refusal::NoLowerStage),
            ("Previous naming a further stage", cycle(), at(S5), to(Previous, S1),
                wrong_target(Previous, "Proposal", "Initial")),
            ("Skip when the next stage does not allow skip", cycle(), at(S3), to(Skip, S5),
                Refusal::NextStageNotSkippable { stage: "Proposal".into() }),
            ("Skip beyond the first non-skippable stage", cycle(), at(S1), to(Skip, S5),
                Refusal::SkipBlocked { stage: "Negotiate".into(), blocking: "Proposal".into() }),
            ("Skip to a lower stage",
                cycle(), at(S3), to(Skip, S1),
                Refusal::NextStageNotSkippable { stage: "Proposal".into() }),
            ("Skip backwards from a skippable position", cycle(), at(S2), to(Skip, S1),
                Refusal::SkipNotForward { stage: "Initial".into() }),
            ("Skip to the same stage",
                cycle(), at(S2), to(Skip, S2), Refusal::SkipNotForward { stage: "Qualify".into() }),
            ("Skip without choosing among several",
                cycle(), at(S1), req(Skip), Refusal::ChooseStage),
            ("Skip at the last stage", cycle(), at(S5), req(Skip), Refusal::NoHigherStage),
            ("Jump to a higher stage",
                cycle(), at(S3), to(Jump, S4),
                Refusal::JumpNotBackward { stage: "Proposal".into() }),
            ("Jump to the same stage",
                cycle(), at(S3), to(Jump, S3), Refusal::JumpNotBackward { stage: "Demo".into() }),
            ("Jump at the first stage", cycle(), at(S1), to(Jump, S1), Refusal::NoLowerStage),
            ("Jump without choosing among several",
                cycle(), at(S5), req(Jump), Refusal::ChooseStage),
            ("Update naming another stage", cycle(), at(S2), to(Update, S3),
                wrong_target(Update, "Qualify", "Demo")),
            ("a stage of another cycle", cycle(), at(S1), to(Jump, 999), Refusal::NoLowerStage),
            ("a stage of another cycle (Skip)",
                cycle(), at(S1), to(Skip, 999), Refusal::UnknownStage),
            ("a stage of another cycle (Next)",
                cycle(), at(S1), to(Next, 999), Refusal::UnknownStage),
            ("current stage no longer in the cycle",
                cycle(), at(999), req(Update), Refusal::CurrentStageMissing),
            ("active entry without a stage",
                cycle(), stage_missing, req(Next), Refusal::CurrentStageMissing),
            ("First on a started opportunity whose stage is gone",
                cycle(), at(999), first("100"), Refusal::AlreadyStarted),
            ("closed beats everything else",
                cycle(), closed(blocked(at(S5))), req(Next), Refusal::Closed),
        ];
        for (name, stages, state, request, expected) in cases {
            let result = plan_update(
                &stages,
                ProbabilityMethod::Multiply,
                &state,
                &request,
                today(),
            );
            assert_eq!(result.err(), Some(expected), "{name}");
        }
    }

    #[test]
    fn a_closed_opportunity_refuses_every_action() {
        for state in [
            closed(at(S2)),
            closed(not_started()),
            closed(with_quote(at(S3))),
        ] {
            for action in Action::ALL {
                let request = UpdateRequest {
                    target_stage_id: Some(S3),
                    estimated_value: Some(n("100")),
                    chances: Some(n("50")),
                    ..req(action)
                };
                assert_eq!(
                    plan(&state, &request).err(),
                    Some(Refusal::Closed),
                    "{action}"
                );
                assert_eq!(
                    check_action(&cycle(), &state, action).err(),
                    Some(Refusal::Closed),
                    "{action}"
                );
                assert_eq!(
                    prefill(&cycle(), &state, action, None, today()).err(),
                    Some(Refusal::Closed),
                    "{action}"
                );
            }
            for target in [S1, S2, S3, S4, S5] {
                assert_eq!(action_for_target(&cycle(), &state, target), None);
            }
            assert_eq!(
                plan_close(&state, &won(), today()).err(),
                Some(Refusal::Closed)
            );
            assert_eq!(
                plan_close(&state, &lost(), today()).err(),
                Some(Refusal::Closed)
            );
        }
    }

    #[test]
    fn a_blocked_cycle_refuses_first_but_existing_opportunities_go_on() {
        let state = blocked(not_started());
        assert_eq!(
            plan(&state, &first("100")).err(),
            Some(Refusal::CycleBlocked)
        );
        assert_eq!(
            check_action(&cycle(), &state, Action::First).err(),
            Some(Refusal::CycleBlocked)
        );
        for request in [
            req(Action::Next),
            req(Action::Previous),
            req(Action::Update),
            to(Action::Skip, S3),
        ] {
            let plan = plan(&blocked(at(S2)), &request);
            assert!(
                plan.is_ok(),
                "{:?} in a blocked cycle: {plan:?}",
                request.action
            );
        }
        assert!(plan_close(&blocked(at(S2)), &lost(), today()).is_ok());
    }

    #[test]
    fn an_empty_cycle_cannot_start() {
        let none: Vec<StageRule> = vec![];
        assert_eq!(
            plan_update(
                &none,
                ProbabilityMethod::Multiply,
                &not_started(),
                &first("100"),
                today()
            )
            .err(),
            Some(Refusal::NoStages)
        );
        assert_eq!(
            check_action(&none, &not_started(), Action::First).err(),
            Some(Refusal::NoStages)
        );
        assert_eq!(available_actions(&none, &not_started()), vec![]);
        assert_eq!(action_for_target(&none, &not_started(), S1), None);
    }

    #[test]
    fn check_action_explains_each_unavailable_action() {
        use Action::*;
        #[rustfmt::skip]
        let cases = [
            (not_started(), Next, Refusal::NotStarted),
            (at(S1), First, Refusal::AlreadyStarted),
            (at(S1), Previous, Refusal::NoLowerStage),
            (at(S1), Jump, Refusal::NoLowerStage),
            (at(S5), Next, Refusal::NoHigherStage),
            (at(S5), Skip, Refusal::NoHigherStage),
            (at(S3), Skip, Refusal::NextStageNotSkippable { stage: "Proposal".into() }),
            (blocked(not_started()), First, Refusal::CycleBlocked),
            (closed(at(S2)), Update, Refusal::Closed),
            (at(999), Update, Refusal::CurrentStageMissing),
        ];
        for (state, action, expected) in cases {
            assert_eq!(
                check_action(&cycle(), &state, action).err(),
                Some(expected),
                "{action}"
            );
        }
    }

    // ----- quotes ---------------------------------------------------------------------------

    #[test]
    fn forward_moves_into_a_quote_required_stage_need_a_quote() {
        use Action::*;
        let offer_first = vec![
            StageRule {
                quote_required: true,
                ..stage(1, 1, "Offer", "10", "20")
            },
            stage(2, 2, "Close", "90", "90"),
        ];
        let needs_quote = |stage: &str| {
            Err(Refusal::QuoteRequired {
                stage: stage.into(),
            })
        };
        // (name, stages, state without quote, request, expected stage when refused without a quote)
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<StageRule>, OpportunityState, UpdateRequest, Result<i64, Refusal>)> = vec![
            ("First into a quote stage",
                offer_first, not_started(), first("100"), needs_quote("Offer")),
            ("Next into a quote stage", cycle(), at(S3), req(Next), needs_quote("Proposal")),
            ("Skip into a quote stage", cycle(), at(S1), to(Skip, S4), needs_quote("Proposal")),
            ("Skip over nothing that needs one", cycle(), at(S1), to(Skip, S3), Ok(S3)),
            ("Previous into a quote stage", cycle(), at(S5), req(Previous), Ok(S4)),
            ("Jump into a quote stage", cycle(), at(S5), to(Jump, S4), Ok(S4)),
            ("Update at a quote stage", cycle(), at(S4), req(Update), Ok(S4)),
        ];
        for (name, stages, state, request, expected) in cases {
            // Proposal's stage chances are 0, so give some.
            let request = UpdateRequest {
                chances: Some(n("60")),
                ..request
            };
            let without = plan_update(
                &stages,
                ProbabilityMethod::Multiply,
                &state,
                &request,
                today(),
            );
            assert_eq!(
                without.map(|p| p.entry.stage_id.unwrap_or_default()),
                expected,
                "{name}, no quote"
            );
            let with = plan_update(
                &stages,
                ProbabilityMethod::Multiply,
                &with_quote(state),
                &request,
                today(),
            );
            assert!(with.is_ok(), "{name}, with a quote: {with:?}");
        }
    }

    #[test]
    fn a_stage_without_description_is_named_by_its_number() {
        let stages = [
            stage(1, 10, "Start", "10", "10"),
            StageRule {
                quote_required: true,
                ..stage(2, 20, "  ", "50", "50")
            },
        ];
        let result = plan_update(
            &stages,
            ProbabilityMethod::Multiply,
            &at(1),
            &req(Action::Next),
            today(),
        );
        assert_eq!(
            result.err(),
            Some(Refusal::QuoteRequired {
                stage: "stage 20".into()
            })
        );
    }

    // ----- figures the user types -----------------------------------------------------------

    #[test]
    fn estimated_value_and_chances_must_be_positive_and_in_range() {
        use Action::*;
        let value = |v: &str| UpdateRequest {
            estimated_value: Some(n(v)),
            ..req(Next)
        };
        let chances = |c: &str| UpdateRequest {
            chances: Some(n(c)),
            ..req(Next)
        };
        let max = MAX_STORED_AMOUNT.to_string();
        let over = (MAX_STORED_AMOUNT + n("0.01")).to_string();
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, UpdateRequest, Option<Refusal>)> = vec![
            ("value 0", at(S1), value("0"), Some(Refusal::EstimatedValueNotPositive)),
            ("negative value", at(S1), value("-1"), Some(Refusal::EstimatedValueNotPositive)),
            ("value that rounds to 0",
                at(S1), value("0.004"), Some(Refusal::EstimatedValueNotPositive)),
            ("smallest value", at(S1), value("0.005"), None),
            ("largest value", at(S1), value(&max), None),
            ("value too large", at(S1), value(&over), Some(Refusal::EstimatedValueTooLarge)),
            ("previous value 0 kept",
                active_with(at(S1), |a| a.estimated_value = n("0")), req(Next),
                Some(Refusal::EstimatedValueNotPositive)),
            ("First without a value",
                not_started(), req(First), Some(Refusal::EstimatedValueNotPositive)),
            ("First with value 0",
                not_started(), first("0"), Some(Refusal::EstimatedValueNotPositive)),
            ("negative chances", at(S1), chances("-5"), Some(Refusal::ChancesNotPositive)),
            ("chances over 100", at(S1), chances("100.01"), Some(Refusal::ChancesOutOfRange)),
            ("chances 100", at(S1), chances("100"), None),
            ("chances 0 at a stage with 0",
                with_quote(at(S3)), chances("0"), Some(Refusal::ChancesNotPositive)),
            ("no chances at a stage with 0",
                with_quote(at(S3)), req(Next), Some(Refusal::ChancesNotPositive)),
            ("chances that round to 0 at a stage with 0", with_quote(at(S3)), chances("0.004"),
                Some(Refusal::ChancesNotPositive)),
        ];
        for (name, state, request, expected) in cases {
            assert_eq!(plan(&state, &request).err(), expected, "{name}");
        }
    }

    #[test]
    fn chances_fall_back_to_the_stage_as_the_rules_say() {
        use Action::*;
        // (name, state, request, typed chances, expected chances or refusal)
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, UpdateRequest, Option<&str>, Result<&str, Refusal>)> = vec![
            ("Next, nothing typed: stage value", at(S1), req(Next), None, Ok("40")),
            ("Next, typed value kept", at(S1), req(Next), Some("55"), Ok("55")),
            ("Next, 0 falls back to the stage", at(S1), req(Next), Some("0"), Ok("40")),
            ("Update, nothing typed: stage value, not the previous entry's",
                active_with(at(S2), |a| a.chances = n("70")), req(Update), None, Ok("40")),
            ("Update, 0 falls back", at(S2), req(Update), Some("0"), Ok("40")),
            ("Update, typed kept", at(S2), req(Update), Some("65"), Ok("65")),
            ("Skip uses the stage's non-zero value whatever is typed",
                at(S1), to(Skip, S3), Some("35"), Ok("50")),
            ("Skip, nothing typed", at(S1), to(Skip, S3), None, Ok("50")),
            ("Skip to the next stage still uses the stage value",
                at(S4), req(Skip), Some("10"), Ok("80")),
            ("Skip into a stage with 0 keeps the typed value",
                with_quote(at(S1)), to(Skip, S4), Some("35"), Ok("35")),
            ("Skip into a stage with 0, 0 typed",
                with_quote(at(S1)), to(Skip, S4), Some("0"), Err(Refusal::ChancesNotPositive)),
            ("Jump uses the stage's non-zero value whatever is typed",
                at(S5), to(Jump, S1), Some("90"), Ok("20")),
            ("Jump, 0 falls back", at(S5), to(Jump, S2), Some("0"), Ok("40")),
            ("Jump into a stage with 0 keeps the typed value",
                at(S5), to(Jump, S4), Some("45"), Ok("45")),
            ("Next into a stage with 0 keeps the typed value",
                with_quote(at(S3)), req(Next), Some("60"), Ok("60")),
            ("Previous into a stage with 0, 0 typed",
                at(S5), req(Previous), Some("0"), Err(Refusal::ChancesNotPositive)),
            ("First, nothing typed: the first stage's value",
                not_started(), first("100"), None, Ok("20")),
            ("First, typed kept", not_started(), first("100"), Some("30"), Ok("30")),
        ];
        for (name, state, request, typed, expected) in cases {
            let request = UpdateRequest {
                chances: typed.map(n),
                ..request
            };
            let result = plan(&state, &request).map(|p| p.entry.chances);
            assert_eq!(result, expected.map(n), "{name}");
        }
    }

    #[test]
    fn estimated_closing_date_comes_from_the_stage_formula_when_empty_or_equal_to_the_change() {
        use Action::*;
        let no_closing =
            |state: OpportunityState| active_with(state, |a| a.estimated_closing_date = None);
        let closing = |request: UpdateRequest, date: &str| UpdateRequest {
            estimated_closing_date: Some(d(date)),
            ..request
        };
        // Date of change: today, 2026-03-10.
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, UpdateRequest, Result<&str, Refusal>)> = vec![
            ("previous date carried over", at(S2), req(Next), Ok("2026-06-30")),
            ("empty: Demo's 10D", no_closing(at(S2)), req(Next), Ok("2026-03-20")),
            ("equal to the date of change: Demo's 10D",
                at(S2), closing(req(Next), "2026-03-10"), Ok("2026-03-20")),
            ("given and later: kept", at(S2), closing(req(Next), "2026-04-01"), Ok("2026-04-01")),
            ("given and later than the formula's: kept",
                at(S2), closing(req(Next), "2026-03-11"), Ok("2026-03-11")),
            ("given before the date of change", at(S2), closing(req(Next), "2026-03-09"),
                Err(Refusal::ClosingDateBeforeChange { date_of_change: d("2026-03-10") })),
            ("carried over but before the date of change",
                active_with(at(S2), |a| a.estimated_closing_date = Some(d("2026-03-05"))), req(Next),
                Err(Refusal::ClosingDateBeforeChange { date_of_change: d("2026-03-10") })),
            ("stale carried-over date replaced by the user",
                active_with(at(S2), |a| a.estimated_closing_date = Some(d("2026-03-05"))),
                closing(req(Next), "2026-05-01"), Ok("2026-05-01")),
            ("empty, stage without formula: the date of change",
                no_closing(at(S1)), req(Next), Ok("2026-03-10")),
            ("equal, stage without formula: the date of change",
                at(S1), closing(req(Next), "2026-03-10"), Ok("2026-03-10")),
            ("First, empty: Initial's 1W", not_started(), first("100"), Ok("2026-03-17")),
            ("First, given", not_started(), closing(first("100"), "2026-09-30"), Ok("2026-09-30")),
            ("Skip, empty: Proposal's 2W",
                with_quote(no_closing(at(S2))),
                UpdateRequest { chances: Some(n("50")), ..to(Skip, S4) }, Ok("2026-03-24")),
            ("empty, the stage's formula is empty: the date of change",
                active_with(at(S4), |a| a.estimated_closing_date = None), req(Next),
                Ok("2026-03-10")),
            ("Update, equal, empty formula: the date of change",
                at(S5), closing(req(Update), "2026-03-10"), Ok("2026-03-10")),
            ("formula from a given date of change",
                no_closing(at(S2)),
                UpdateRequest { date_of_change: Some(d("2026-04-01")), ..req(Next) },
                Ok("2026-04-11")),
        ];
        for (name, state, request, expected) in cases {
            let result = plan(&state, &request).map(|p| p.entry.estimated_closing_date);
            assert_eq!(result, expected.map(d), "{name}");
        }
    }

    #[test]
    fn date_of_change_defaults_to_today_or_the_later_previous_change_and_cannot_go_back() {
        use Action::*;
        let previous_on = |date: &str| {
            active_with(at(S2), |a| {
                a.date_of_change = d(date);
                a.estimated_closing_date = None;
            })
        };
        let on = |date: &str| UpdateRequest {
            date_of_change: Some(d(date)),
            ..req(Update)
        };
        // Today is 2026-03-10.
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, UpdateRequest, Result<&str, Refusal>)> = vec![
            ("default: today", previous_on("2026-03-02"), req(Update), Ok("2026-03-10")),
            ("default: the previous change when later than today",
                previous_on("2026-03-15"), req(Update), Ok("2026-03-15")),
            ("default: same day", previous_on("2026-03-10"), req(Update), Ok("2026-03-10")),
            ("given: same day as the previous",
                previous_on("2026-03-02"), on("2026-03-02"), Ok("2026-03-02")),
            ("given: in the future", previous_on("2026-03-02"), on("2026-12-01"), Ok("2026-12-01")),
            ("given: before the previous", previous_on("2026-03-02"), on("2026-03-01"),
                Err(Refusal::DateOfChangeBeforeLast { last_change: d("2026-03-02") })),
            ("given: today but the previous is later", previous_on("2026-03-15"), on("2026-03-10"),
                Err(Refusal::DateOfChangeBeforeLast { last_change: d("2026-03-15") })),
            ("First, default: today", not_started(), first("100"), Ok("2026-03-10")),
            ("First, given: any date, there is no earlier change", not_started(),
                UpdateRequest { date_of_change: Some(d("2026-01-01")), ..first("100") }, Ok("2026-01-01")),
        ];
        for (name, state, request, expected) in cases {
            let result = plan(&state, &request).map(|p| p.entry.date_of_change);
            assert_eq!(result, expected.map(d), "{name}");
        }
    }

    // ----- recording ------------------------------------------------------------------------

    #[test]
    fn the_previous_entry_is_deactivated_with_its_days_open() {
        #[rustfmt::skip]
        let cases = [
            ("same day", "2026-03-02", "2026-03-02", 0),
            ("a week and a day", "2026-03-02", "2026-03-10", 8),
            ("across months", "2026-01-31", "2026-03-01", 29),
            ("across a leap February", "2028-02-01", "2028-03-01", 29),
            ("across years", "2025-12-31", "2026-01-01", 1),
        ];
        for (name, previous, change, days) in cases {
            let state = active_with(at(S2), |a| {
                a.date_of_change = d(previous);
                a.estimated_closing_date = None;
            });
            let request = UpdateRequest {
                date_of_change: Some(d(change)),
                ..req(Action::Update)
            };
            let plan = plan(&state, &request).unwrap_or_else(|refusal| panic!("{name}: {refusal}"));
            assert_eq!(
                plan.deactivate,
                Some(Deactivation {
                    entry_no: 3,
                    days_open: days
                }),
                "{name}"
            );
            assert_eq!(plan.entry.entry_no, 4, "{name}");
        }
    }

    #[test]
    fn first_starts_at_the_lowest_stage_from_the_request_alone() {
        let request = UpdateRequest {
            estimated_value: Some(n("2500")),
            chances: Some(n("30")),
            estimated_closing_date: Some(d("2026-05-31")),
            ..req(Action::First)
        };
        let plan = plan(&not_started(), &request).expect("First");
        assert_eq!(
            plan,
            UpdatePlan {
                deactivate: None,
                entry: NewEntry {
                    entry_no: 1,
                    stage_id: Some(S1),
                    previous_stage_id: None,
                    action_taken: ActionTaken::First,
                    date_of_change: today(),
                    estimated_value: n("2500"),
                    chances: n("30"),
                    completed: n("10"),
                    probability: n("3.00"),
                    calculated_current_value: n("75.00"),
                    estimated_closing_date: d("2026-05-31"),
                    close: None,
                },
                create_tasks_of: Some("INIT".into()),
                status: Status::InProgress,
            }
        );
        // The implied stage may be named.
        let named = UpdateRequest {
            target_stage_id: Some(S1),
            ..request
        };
        assert_eq!(
            super::tests::plan(&not_started(), &named).map(|p| p.entry.stage_id),
            Ok(Some(S1))
        );
    }

    #[test]
    fn next_records_a_complete_entry() {
        let plan = plan(
            &at(S2),
            &UpdateRequest {
                estimated_value: Some(n("12000")),
                ..req(Action::Next)
            },
        )
        .expect("Next");
        assert_eq!(
            plan,
            UpdatePlan {
                deactivate: Some(Deactivation {
                    entry_no: 3,
                    days_open: 8
                }),
                entry: NewEntry {
                    entry_no: 4,
                    stage_id: Some(S3),
                    previous_stage_id: Some(S2),
                    action_taken: ActionTaken::Next,
                    date_of_change: today(),
                    estimated_value: n("12000"),
                    chances: n("50"),
                    completed: n("50"),
                    probability: n("25.00"),
                    calculated_current_value: n("3000.00"),
                    estimated_closing_date: d("2026-06-30"),
                    close: None,
                },
                create_tasks_of: Some("DEMO".into()),
                status: Status::InProgress,
            }
        );
    }

    #[test]
    fn action_taken_is_jumped_unless_the_target_is_adjacent() {
        use Action::*;
        let q = |state: OpportunityState| with_quote(state);
        // (name, state, request, recorded stage, previous stage, action taken)
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, UpdateRequest, i64, Option<i64>, ActionTaken)> = vec![
            ("First", not_started(), first("100"), S1, None, ActionTaken::First),
            ("Next", at(S1), req(Next), S2, Some(S1), ActionTaken::Next),
            ("Previous", at(S3), req(Previous), S2, Some(S3), ActionTaken::Previous),
            ("Update", at(S2), req(Update), S2, Some(S2), ActionTaken::Updated),
            ("Skip to the next stage", at(S1), to(Skip, S2), S2, Some(S1), ActionTaken::Next),
            ("Skip two ahead", at(S1), to(Skip, S3), S3, Some(S1), ActionTaken::Jumped),
            ("Skip three ahead", q(at(S1)), to(Skip, S4), S4, Some(S1), ActionTaken::Jumped),
            ("Skip with its only candidate implied",
                at(S4), req(Skip), S5, Some(S4), ActionTaken::Next),
            ("Jump to the next lower stage",
                at(S5), to(Jump, S4), S4, Some(S5), ActionTaken::Previous),
            ("Jump two back", at(S5), to(Jump, S3), S3, Some(S5), ActionTaken::Jumped),
            ("Jump to the first stage", at(S5), to(Jump, S1), S1, Some(S5), ActionTaken::Jumped),
            ("Jump with its only candidate implied",
                at(S2), req(Jump), S1, Some(S2), ActionTaken::Previous),
        ];
        for (name, state, request, stage_id, previous, taken) in cases {
            let request = UpdateRequest {
                chances: Some(n("60")),
                ..request
            };
            let entry = plan(&state, &request)
                .unwrap_or_else(|refusal| panic!("{name}: {refusal}"))
                .entry;
            assert_eq!(
                (entry.stage_id, entry.previous_stage_id, entry.action_taken),
                (Some(stage_id), previous, taken),
                "{name}"
            );
        }
    }

    #[test]
    fn tasks_are_created_only_when_entering_a_stage_with_an_activity() {
        use Action::*;
        let blank_activity = vec![
            stage(1, 1, "One", "10", "10"),
            StageRule {
                activity_code: Some("  ".into()),
                ..stage(2, 2, "Two", "20", "20")
            },
        ];
        #[rustfmt::skip]
        let cases: Vec<(&str, Vec<StageRule>, OpportunityState, UpdateRequest, Option<&str>)> = vec![
            ("First into Initial", cycle(), not_started(), first("100"), Some("INIT")),
            ("Next into Demo", cycle(), at(S2), req(Next), Some("DEMO")),
            ("Next into Qualify (no activity)", cycle(), at(S1), req(Next), None),
            ("Update at Demo", cycle(), at(S3), req(Update), None),
            ("Update at Initial", cycle(), at(S1), req(Update), None),
            ("Previous into Demo", cycle(), at(S4), req(Previous), Some("DEMO")),
            ("Jump into Initial", cycle(), at(S5), to(Jump, S1), Some("INIT")),
            ("Skip into Demo", cycle(), at(S1), to(Skip, S3), Some("DEMO")),
            ("Skip into Proposal", cycle(), with_quote(at(S1)), to(Skip, S4), Some("PROP")),
            ("Skip into Negotiate (no activity)", cycle(), at(S4), req(Skip), None),
            ("blank activity code", blank_activity, at(1), req(Next), None),
        ];
        for (name, stages, state, request, expected) in cases {
            let request = UpdateRequest {
                chances: Some(n("60")),
                ..request
            };
            let result = plan_update(
                &stages,
                ProbabilityMethod::Multiply,
                &state,
                &request,
                today(),
            )
            .map(|p| p.create_tasks_of);
            assert_eq!(result, Ok(expected.map(str::to_owned)), "{name}");
        }
    }

    // ----- closing --------------------------------------------------------------------------

    #[test]
    fn closing_won_or_lost_appends_the_final_entry() {
        let won_plan = plan_close(&at(S3), &won(), today()).expect("won");
        assert_eq!(
            won_plan,
            UpdatePlan {
                deactivate: Some(Deactivation {
                    entry_no: 3,
                    days_open: 8
                }),
                entry: NewEntry {
                    entry_no: 4,
                    stage_id: Some(S3),
                    previous_stage_id: Some(S3),
                    action_taken: ActionTaken::Won,
                    date_of_change: today(),
                    estimated_value: n("10000.00"),
                    chances: n("100"),
                    completed: n("100"),
                    probability: n("100"),
                    calculated_current_value: n("10000.00"),
                    estimated_closing_date: today(),
                    close: Some(Closing {
                        outcome: Outcome::Won,
                        close_code: "BIGDEAL".into(),
                        date_closed: today(),
                    }),
                },
                create_tasks_of: None,
                status: Status::Won,
            }
        );
        let lost_plan = plan_close(&at(S3), &lost(), today()).expect("lost");
        assert_eq!(
            lost_plan,
            UpdatePlan {
                deactivate: Some(Deactivation {
                    entry_no: 3,
                    days_open: 8
                }),
                entry: NewEntry {
                    entry_no: 4,
                    stage_id: Some(S3),
                    previous_stage_id: Some(S3),
                    action_taken: ActionTaken::Lost,
                    date_of_change: today(),
                    estimated_value: n("10000.00"),
                    chances: n("0"),
                    completed: n("100"),
                    probability: n("0"),
                    calculated_current_value: n("0"),
                    estimated_closing_date: today(),
                    close: Some(Closing {
                        outcome: Outcome::Lost,
                        close_code: "PRICE".into(),
                        date_closed: today(),
                    }),
                },
                create_tasks_of: None,
                status: Status::Lost,
            }
        );
    }

    #[test]
    fn the_amount_won_defaults_to_the_quote_total_then_the_estimated_value() {
        let quoted = |total: &str| OpportunityState {
            quote_total: Some(n(total)),
            ..with_quote(at(S3))
        };
        let amount = |a: &str| CloseRequest {
            amount_won: Some(n(a)),
            ..won()
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, CloseRequest, Result<&str, Refusal>)> = vec![
            ("no quote: the estimated value", at(S3), won(), Ok("10000.00")),
            ("a quote: its total, over the estimated value",
                quoted("12500.50"), won(), Ok("12500.50")),
            ("a quote total that is not attached is ignored",
                OpportunityState { quote_total: Some(n("12500.50")), ..at(S3) }, won(), Ok("10000.00")),
            ("attached quote without a known total: the estimated value",
                with_quote(at(S3)), won(), Ok("10000.00")),
            ("typed amount beats the quote", quoted("12500.50"), amount("9000"), Ok("9000")),
            ("typed amount beats the estimated value", at(S3), amount("11000.456"), Ok("11000.46")),
            ("amount 0", at(S3), amount("0"), Err(Refusal::AmountWonNotPositive)),
            ("negative amount", at(S3), amount("-10"), Err(Refusal::AmountWonNotPositive)),
            ("amount that rounds to 0",
                at(S3), amount("0.004"), Err(Refusal::AmountWonNotPositive)),
            ("amount too large",
                at(S3), amount(&(MAX_STORED_AMOUNT + n("1")).to_string()), Err(Refusal::AmountWonTooLarge)),
            ("empty quote, nothing typed", quoted("0"), won(), Err(Refusal::AmountWonNotPositive)),
            ("Lost ignores an amount",
                at(S3), CloseRequest { amount_won: Some(n("500")), ..lost() }, Ok("0")),
        ];
        for (name, state, request, expected) in cases {
            let result =
                plan_close(&state, &request, today()).map(|p| p.entry.calculated_current_value);
            assert_eq!(result, expected.map(n), "{name}");
        }
        assert_eq!(
            close_defaults(&quoted("12500.50"), today()).amount_won,
            n("12500.50")
        );
        assert_eq!(close_defaults(&at(S3), today()).amount_won, n("10000.00"));
        assert_eq!(close_defaults(&not_started(), today()).amount_won, n("0"));
    }

    #[test]
    fn refused_closes_say_why() {
        let on = |request: CloseRequest, date: &str| CloseRequest {
            date: Some(d(date)),
            ..request
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, CloseRequest, Refusal)> = vec![
            ("closing a closed opportunity", closed(at(S3)), won(), Refusal::Closed),
            ("won with a lost code", at(S3), close_req(Outcome::Won, "PRICE", Outcome::Lost),
                wrong_code("PRICE", Outcome::Lost, Outcome::Won)),
            ("lost with a won code", at(S3), close_req(Outcome::Lost, "BIGDEAL", Outcome::Won),
                wrong_code("BIGDEAL", Outcome::Won, Outcome::Lost)),
            ("won without a code", at(S3), close_req(Outcome::Won, "", Outcome::Won),
                Refusal::CloseCodeMissing { outcome: Outcome::Won }),
            ("lost with a blank code", at(S3), close_req(Outcome::Lost, "   ", Outcome::Lost),
                Refusal::CloseCodeMissing { outcome: Outcome::Lost }),
            ("closing before the last change", at(S3), on(lost(), "2026-03-01"),
                Refusal::ClosingBeforeLastChange { last_change: d("2026-03-02") }),
            ("won at 0",
                active_with(at(S3), |a| a.estimated_value = n("0")), won(),
                Refusal::AmountWonNotPositive),
        ];
        for (name, state, request, expected) in cases {
            assert_eq!(
                plan_close(&state, &request, today()).err(),
                Some(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn closing_date_defaults_to_today_or_the_later_last_change() {
        let previous_on = |date: &str| active_with(at(S3), |a| a.date_of_change = d(date));
        let on = |date: &str| CloseRequest {
            date: Some(d(date)),
            ..lost()
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, CloseRequest, Result<(&str, i32), Refusal>)> = vec![
            ("default: today", previous_on("2026-03-02"), lost(), Ok(("2026-03-10", 8))),
            ("default: the last change when later",
                previous_on("2026-03-15"), lost(), Ok(("2026-03-15", 0))),
            ("given: same day as the last change",
                previous_on("2026-03-02"), on("2026-03-02"), Ok(("2026-03-02", 0))),
            ("given: across months",
                previous_on("2026-01-31"), on("2026-03-01"), Ok(("2026-03-01", 29))),
            ("given: before the last change", previous_on("2026-03-02"), on("2026-02-28"),
                Err(Refusal::ClosingBeforeLastChange { last_change: d("2026-03-02") })),
        ];
        for (name, state, request, expected) in cases {
            let result = plan_close(&state, &request, today()).map(|p| {
                let entry = &p.entry;
                assert_eq!(entry.estimated_closing_date, entry.date_of_change, "{name}");
                assert_eq!(
                    entry.close.as_ref().map(|c| c.date_closed),
                    Some(entry.date_of_change),
                    "{name}"
                );
                (entry.date_of_change, p.deactivate.map(|x| x.days_open))
            });
            assert_eq!(
                result,
                expected.map(|(date, days)| (d(date), Some(days))),
                "{name}"
            );
        }
        assert_eq!(
            close_defaults(&previous_on("2026-03-15"), today()).date,
            d("2026-03-15")
        );
        assert_eq!(close_defaults(&not_started(), today()).date, today());
    }

    #[test]
    fn an_opportunity_that_never_started_can_be_closed() {
        let quoted = OpportunityState {
            quote_total: Some(n("800")),
            ..with_quote(not_started())
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, CloseRequest, Result<&str, Refusal>)> = vec![
            ("won without amount or quote",
                not_started(), won(), Err(Refusal::AmountWonNotPositive)),
            ("won with an amount",
                not_started(), CloseRequest { amount_won: Some(n("500")), ..won() }, Ok("500")),
            ("won with a quote", quoted, won(), Ok("800")),
            ("lost", not_started(), lost(), Ok("0")),
            ("lost on any date: no earlier change",
                not_started(), CloseRequest { date: Some(d("2020-01-01")), ..lost() }, Ok("0")),
        ];
        for (name, state, request, expected) in cases {
            let result = plan_close(&state, &request, today());
            if let Ok(plan) = &result {
                let entry = &plan.entry;
                assert_eq!(plan.deactivate, None, "{name}");
                assert_eq!(entry.entry_no, 1, "{name}");
                assert_eq!(
                    (entry.stage_id, entry.previous_stage_id),
                    (None, None),
                    "{name}"
                );
                assert_eq!(entry.estimated_value, n("0"), "{name}");
                assert_eq!(entry.completed, n("100"), "{name}");
            }
            assert_eq!(
                result.map(|p| p.entry.calculated_current_value),
                expected.map(n),
                "{name}"
            );
        }
    }

    // ----- the board and the dialog ---------------------------------------------------------

    #[test]
    fn action_for_target_maps_every_drop() {
        use Action::*;
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, i64, Option<Action>)> = vec![
            ("not started → lowest stage", not_started(), S1, Some(First)),
            ("not started → another stage", not_started(), S2, None),
            ("not started, blocked cycle", blocked(not_started()), S1, None),
            ("unknown stage", at(S2), 999, None),
            ("same stage: reordering is not an entry", at(S2), S2, None),
            ("next higher", at(S2), S3, Some(Next)),
            ("next higher, even though Skip could reach it", at(S1), S2, Some(Next)),
            ("next higher, not skippable", at(S3), S4, Some(Next)),
            ("further higher, reachable by Skip", at(S1), S3, Some(Skip)),
            ("further higher, the first non-skippable stage", at(S1), S4, Some(Skip)),
            ("further higher, beyond a non-skippable stage", at(S1), S5, None),
            ("further higher, the next stage cannot be skipped", at(S3), S5, None),
            ("next lower", at(S2), S1, Some(Previous)),
            ("next lower from the last", at(S5), S4, Some(Previous)),
            ("further lower", at(S5), S3, Some(Jump)),
            ("lowest from the last", at(S5), S1, Some(Jump)),
            ("blocked cycle, started: moves go on", blocked(at(S2)), S3, Some(Next)),
            ("closed", closed(at(S2)), S3, None),
        ];
        for (name, state, target, expected) in cases {
            assert_eq!(
                action_for_target(&cycle(), &state, target),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn prefill_shows_the_previous_figures_and_the_stage_chances() {
        use Action::*;
        let expected =
            |target, taken, value: Option<&str>, chances: &str, editable, closing: Option<&str>| {
                Prefill {
                    target_stage_id: target,
                    action_taken: taken,
                    date_of_change: today(),
                    estimated_value: value.map(n),
                    chances: n(chances),
                    chances_editable: editable,
                    estimated_closing_date: closing.map(d),
                }
            };
        #[rustfmt::skip]
        let cases: Vec<(&str, OpportunityState, Action, Option<i64>, Prefill)> = vec![
            ("First",
                not_started(), First, None,
                expected(S1, ActionTaken::First, None, "20", true, None)),
            ("Next",
                at(S2), Next, None,
                expected(S3, ActionTaken::Next, Some("10000.00"), "50", true, Some("2026-06-30"))),
            ("Next dropped on its stage",
                at(S2), Next, Some(S3),
                expected(S3, ActionTaken::Next, Some("10000.00"), "50", true, Some("2026-06-30"))),
            ("Update: the stage's chances", active_with(at(S2), |a| a.chances = n("70")), Update, None,
                expected(S2, ActionTaken::Updated, Some("10000.00"), "40", true, Some("2026-06-30"))),
            ("Skip to Demo: chances fixed",
                at(S1), Skip, Some(S3),
                expected(S3, ActionTaken::Jumped, Some("10000.00"), "50", false, Some("2026-06-30"))),
            ("Skip to Proposal: chances 0, editable",
                at(S1), Skip, Some(S4),
                expected(S4, ActionTaken::Jumped, Some("10000.00"), "0", true, Some("2026-06-30"))),
            ("Skip, no stage chosen: the next stage",
                at(S1), Skip, None,
                expected(S2, ActionTaken::Next, Some("10000.00"), "40", false, Some("2026-06-30"))),
            ("Jump, no stage chosen: the nearest lower",
                at(S5), Jump, None,
                expected(S4, ActionTaken::Previous, Some("10000.00"), "0", true, Some("2026-06-30"))),
            ("Jump to the first",
                at(S5), Jump, Some(S1),
                expected(S1, ActionTaken::Jumped, Some("10000.00"), "20", false, Some("2026-06-30"))),
        ];
        for (name, state, action, target, expected) in cases {
            assert_eq!(
                prefill(&cycle(), &state, action, target, today()),
                Ok(expected),
                "{name}"
            );
        }
        let later = active_with(at(S2), |a| a.date_of_change = d("2026-03-15"));
        assert_eq!(
            prefill(&cycle(), &later, Next, None, today()).map(|p| p.date_of_change),
            Ok(d("2026-03-15"))
        );
        assert_eq!(
            prefill(&cycle(), &at(S1), Skip, Some(S5), today()).err(),
            Some(Refusal::SkipBlocked {
                stage: "Negotiate".into(),
                blocking: "Proposal".into()
            })
        );
        assert_eq!(
            prefill(&cycle(), &not_started(), Next, None, today()).err(),
            Some(Refusal::NotStarted)
        );
    }

    // ----- words ----------------------------------------------------------------------------

    #[test]
    fn refusals_read_as_plain_sentences_and_name_their_field() {
        let date = d("2026-03-02");
        #[rustfmt::skip]
        let cases: Vec<(Refusal, &str, Option<&str>)> = vec![
            (Refusal::Closed, "This opportunity is closed and can no longer be updated.", None),
            (Refusal::CycleBlocked,
                "The sales cycle is blocked: new opportunities cannot start in it.", None),
            (Refusal::NoStages, "The sales cycle has no stages yet.", None),
            (Refusal::AlreadyStarted,
                "Already started: use Next, Previous, Skip, Jump or Update.", None),
            (Refusal::NotStarted, "Start the opportunity first (First).", None),
            (Refusal::CurrentStageMissing,
                "The opportunity's current stage is no longer part of its sales cycle.", None),
            (Refusal::NoHigherStage, "There is no higher stage.", None),
            (Refusal::NoLowerStage, "There is no lower stage.", None),
            (Refusal::NextStageNotSkippable { stage: "Proposal".into() },
                "The next stage, Proposal, cannot be skipped.", None),
            (Refusal::SkipBlocked { stage: "Negotiate".into(), blocking: "Proposal".into() },
                "Negotiate cannot be reached by skipping: Proposal does not allow skip.",
                Some("target_stage")),
            (Refusal::SkipNotForward { stage: "Initial".into() },
                "Skip moves forward only: Initial is not after the current stage.", Some("target_stage")),
            (Refusal::JumpNotBackward { stage: "Proposal".into() },
                "Jump moves back only: Proposal is not before the current stage.", Some("target_stage")),
            (wrong_target(Action::Next, "Qualify", "Demo"),
                "Next can only go to Qualify, not to Demo.", Some("target_stage")),
            (Refusal::UnknownStage,
                "That stage is not part of this opportunity's sales cycle.", Some("target_stage")),
            (Refusal::ChooseStage, "Choose the stage to move to.", Some("target_stage")),
            (Refusal::QuoteRequired { stage: "Proposal".into() },
                "Attach a quote before moving to Proposal.", None),
            (Refusal::EstimatedValueNotPositive,
                "Enter an estimated value greater than 0.", Some("estimated_value")),
            (Refusal::EstimatedValueTooLarge,
                "The estimated value is too large.", Some("estimated_value")),
            (Refusal::ChancesNotPositive,
                "Enter chances of success greater than 0 %.", Some("chances")),
            (Refusal::ChancesOutOfRange,
                "Chances of success must be between 0 and 100 %.", Some("chances")),
            (Refusal::ClosingDateBeforeChange { date_of_change: date },
                "The estimated closing date cannot be before the date of change (2026-03-02).",
                Some("estimated_closing_date")),
            (Refusal::DateOfChangeBeforeLast { last_change: date },
                "The date of change cannot be before the last change on 2026-03-02.", Some("date_of_change")),
            (Refusal::CloseCodeMissing { outcome: Outcome::Won },
                "Choose a close code for a won opportunity.", Some("close_code")),
            (Refusal::CloseCodeMissing { outcome: Outcome::Lost },
                "Choose a close code for a lost opportunity.", Some("close_code")),
            (wrong_code("PRICE", Outcome::Lost, Outcome::Won),
                "PRICE is a Lost code; choose a Won code.", Some("close_code")),
            (Refusal::AmountWonNotPositive,
                "Enter the amount won (greater than 0).", Some("amount_won")),
            (Refusal::AmountWonTooLarge, "The amount won is too large.", Some("amount_won")),
            (Refusal::ClosingBeforeLastChange { last_change: date },
                "The closing date cannot be before the last change on 2026-03-02.", Some("date")),
        ];
        for (refusal, message, field) in cases {
            assert_eq!(refusal.to_string(), message);
            assert_eq!(refusal.field(), field, "{message}");
        }
    }

    #[test]
    fn labels_for_display() {
        #[rustfmt::skip]
        let actions: Vec<&str> = Action::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            actions,
            ["First", "Next", "Previous", "Skip", "Jump", "Update"]
        );
        let taken: Vec<&str> = ActionTaken::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            taken,
            [
                "First", "Next", "Previous", "Jumped", "Updated", "Won", "Lost"
            ]
        );
        #[rustfmt::skip]
        let methods: Vec<&str> = ProbabilityMethod::ALL.iter().map(|m| m.label()).collect();
        assert_eq!(
            methods,
            ["Multiply", "Add", "Chances of Success %", "Completed %"]
        );
        assert_eq!(Status::NotStarted.to_string(), "Not Started");
        assert_eq!(Status::InProgress.to_string(), "In Progress");
        assert_eq!(Outcome::Won.to_string(), "Won");
    }

    #[test]
    fn status_is_derived_from_the_active_entry() {
        #[rustfmt::skip]
        let cases = [
            (None, Status::NotStarted, false),
            (Some(ActionTaken::First), Status::InProgress, false),
            (Some(ActionTaken::Next), Status::InProgress, false),
            (Some(ActionTaken::Previous), Status::InProgress, false),
            (Some(ActionTaken::Jumped), Status::InProgress, false),
            (Some(ActionTaken::Updated), Status::InProgress, false),
            (Some(ActionTaken::Won), Status::Won, true),
            (Some(ActionTaken::Lost), Status::Lost, true),
        ];
        for (taken, status, is_closed) in cases {
            assert_eq!(Status::from_active_entry(taken), status, "{taken:?}");
            assert_eq!(status.is_closed(), is_closed, "{taken:?}");
        }
    }

    // ----- a whole life -----------------------------------------------------------------------

    /// What the caller does with a plan: the new entry becomes the active one.
    fn apply(state: &OpportunityState, plan: &UpdatePlan) -> OpportunityState {
        let entry = &plan.entry;
        OpportunityState {
            closed: plan.status.is_closed(),
            active: Some(ActiveEntry {
                entry_no: entry.entry_no,
                stage_id: entry.stage_id,
                date_of_change: entry.date_of_change,
                estimated_value: entry.estimated_value,
                estimated_closing_date: Some(entry.estimated_closing_date),
                chances: entry.chances,
            }),
            ..state.clone()
        }
    }

    #[test]
    fn a_whole_life_chains_entries_from_first_to_won() {
        use Action::*;
        let method = ProbabilityMethod::Add;
        let on = |date: &str, request: UpdateRequest| UpdateRequest {
            date_of_change: Some(d(date)),
            ..request
        };
        // The carried-over closing date (2026-01-12) has passed by the Skip: a new one is given.
        let skip = UpdateRequest {
            estimated_closing_date: Some(d("2026-04-30")),
            ..to(Skip, S3)
        };
        let update = UpdateRequest {
            estimated_value: Some(n("5000")),
            chances: Some(n("60")),
            ..req(Update)
        };
        #[rustfmt::skip]
        let steps: Vec<(&str, UpdateRequest, i64, ActionTaken, i32, &str, &str)> = vec![
            // (name, request, stage, action taken, days open of the previous entry,
            //  probability, current value)
            ("First", on("2026-01-05", first("4000")), S1, ActionTaken::First, 0, "15.00", "600.00"),
            ("Next", on("2026-01-12", req(Next)), S2, ActionTaken::Next, 7, "32.50", "1300.00"),
            ("Skip to Demo", on("2026-02-01", skip), S3, ActionTaken::Next, 20, "50.00", "2000.00"),
            ("Update", on("2026-02-01", update), S3, ActionTaken::Updated, 0, "55.00", "2750.00"),
            ("Jump back", on("2026-02-10", to(Jump, S1)), S1, ActionTaken::Jumped, 9, "15.00", "750.00"),
        ];
        let mut state = not_started();
        for (expected_no, (name, request, stage_id, taken, days, probability, current)) in
            (1..).zip(steps)
        {
            let plan = plan_update(&cycle(), method, &state, &request, today())
                .unwrap_or_else(|refusal| panic!("{name}: {refusal}"));
            assert_eq!(plan.entry.entry_no, expected_no, "{name}");
            assert_eq!(plan.entry.stage_id, Some(stage_id), "{name}");
            assert_eq!(plan.entry.action_taken, taken, "{name}");
            assert_eq!(plan.deactivate.map_or(0, |x| x.days_open), days, "{name}");
            assert_eq!(plan.entry.probability, n(probability), "{name}");
            assert_eq!(plan.entry.calculated_current_value, n(current), "{name}");
            state = apply(&state, &plan);
        }
        let close = plan_close(&state, &won(), today()).expect("won");
        assert_eq!(close.entry.entry_no, 6);
        assert_eq!(close.entry.calculated_current_value, n("5000"));
        assert_eq!(
            close.deactivate,
            Some(Deactivation {
                entry_no: 5,
                days_open: 28
            })
        );
        let state = apply(&state, &close);
        assert!(state.closed);
        assert_eq!(
            plan_update(&cycle(), method, &state, &req(Update), today()).err(),
            Some(Refusal::Closed)
        );
    }
}

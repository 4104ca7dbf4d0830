//! Date formulas (DOMAIN.md): short texts such as `CM+1D` or `-1Q` that turn a start date into
//! another date. They are parsed and validated once, and the same code applies them on the server
//! and in the browser.
//!
//! Grammar (case-insensitive, spaces allowed between terms and after a sign):
//!
//! ```text
//! formula := "" | term (sign term)*
//! term    := sign? body          -- only the first term may omit its sign
//! sign    := "+" | "-"
//! body    := digits ("D" | "W" | "M" | "Q" | "Y")   -- n days/weeks/months/quarters/years, n <= 9999
//!          | "C" ("W" | "M" | "Q" | "Y")             -- last day (with "-": first day) of the period
//!          | "WD" ("1".."7")                          -- next weekday, today excluded; "+" only
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Largest number allowed in front of D, W, M, Q or Y. Nobody plans 10,000 units ahead, and the
/// cap keeps parsing and arithmetic far away from integer overflow.
pub const MAX_AMOUNT: u32 = 9999;

/// A parsed, validated date formula. The empty formula leaves dates unchanged.
///
/// `Display` gives the canonical form (upper case, no spaces, a sign on every term but the
/// first), and serde uses that same string, so `parse(&f.to_string()) == Ok(f)` always holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct DateFormula {
    // Private so that every formula in existence has passed validation (e.g. the amount cap).
    terms: Vec<Term>,
}

/// Why a formula text was rejected. `Display` is `message`, written for the person who typed it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{message}")]
pub struct DateFormulaError {
    /// 0-based position, counted in characters (not bytes), where the bad term starts.
    pub position: usize,
    /// The bad term as written, including its sign; it is exactly the input's characters starting
    /// at `position`.
    pub term: String,
    /// Human-readable explanation.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Unit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Term {
    /// Add `amount` units; negative subtracts. `amount.unsigned_abs() <= MAX_AMOUNT`.
    /// `-0D` and `0D` are the same term (both display as `0D`).
    Shift { amount: i32, unit: Unit },
    /// `CW`, `CM`, `CQ`, `CY`: last day of the current period.
    PeriodEnd(Period),
    /// `-CW`, `-CM`, `-CQ`, `-CY`: first day of the current period.
    PeriodStart(Period),
    /// `WDn`: the next such weekday, never the start date itself.
    NextWeekday(Weekday),
}

impl DateFormula {
    /// Parses a formula; see the module docs for the grammar. Empty or blank text gives the empty
    /// formula.
    ///
    /// # Errors
    ///
    /// Returns a [`DateFormulaError`] for the first term (left to right) that is not valid.
    pub fn parse(s: &str) -> Result<Self, DateFormulaError> {
        let chars: Vec<char> = s.chars().collect();
        let mut terms = Vec::new();
        let mut i = skip_whitespace(&chars, 0);
        while i < chars.len() {
            let (term, end) = parse_term(&chars, i, !terms.is_empty())?;
            terms.push(term);
            i = skip_whitespace(&chars, end);
        }
        Ok(Self { terms })
    }

    /// Applies the terms left to right to `from`.
    ///
    /// Each term saturates at `NaiveDate::MAX` / `NaiveDate::MIN` instead of panicking when the
    /// result would leave chrono's range (hundreds of thousands of years away, so never a real
    /// business date); later terms continue from the saturated date.
    #[must_use]
    pub fn apply(&self, from: NaiveDate) -> NaiveDate {
        self.terms.iter().fold(from, |date, term| term.apply(date))
    }

    /// True for the formula parsed from empty or blank text, which leaves dates unchanged.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

impl FromStr for DateFormula {
    type Err = DateFormulaError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for DateFormula {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, term) in self.terms.iter().enumerate() {
            if term.is_negative() {
                f.write_str("-")?;
            } else if index > 0 {
                f.write_str("+")?;
            }
            term.fmt_body(f)?;
        }
        Ok(())
    }
}

impl Serialize for DateFormula {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DateFormula {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Term {
    fn is_negative(self) -> bool {
        match self {
            Term::Shift { amount, .. } => amount < 0,
            Term::PeriodStart(_) => true,
            Term::PeriodEnd(_) | Term::NextWeekday(_) => false,
        }
    }

    /// The term without its sign, in canonical (upper-case) form.
    fn fmt_body(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Shift { amount, unit } => {
                let letter = match unit {
                    Unit::Day => 'D',
                    Unit::Week => 'W',
                    Unit::Month => 'M',
                    Unit::Quarter => 'Q',
                    Unit::Year => 'Y',
                };
                write!(f, "{}{letter}", amount.unsigned_abs())
            }
            Term::PeriodEnd(period) | Term::PeriodStart(period) => {
                let letter = match period {
                    Period::Week => 'W',
                    Period::Month => 'M',
                    Period::Quarter => 'Q',
                    Period::Year => 'Y',
                };
                write!(f, "C{letter}")
            }
            Term::NextWeekday(weekday) => write!(f, "WD{}", weekday.number_from_monday()),
        }
    }

    fn apply(self, date: NaiveDate) -> NaiveDate {
        match self {
            Term::Shift { amount, unit } => {
                let forward = amount >= 0;
                // At most 9999 * 12, so none of these multiplications can overflow.
                let n = amount.unsigned_abs();
                match unit {
                    Unit::Day => shift_days(date, u64::from(n), forward),
                    Unit::Week => shift_days(date, u64::from(n) * 7, forward),
                    Unit::Month => shift_months(date, n, forward),
                    Unit::Quarter => shift_months(date, n * 3, forward),
                    Unit::Year => shift_months(date, n * 12, forward),
                }
            }
            Term::PeriodEnd(period) => period_end(date, period),
            Term::PeriodStart(period) => period_start(date, period),
            Term::NextWeekday(target) => {
                let today = date.weekday().num_days_from_monday();
                let ahead = (target.num_days_from_monday() + 7 - today) % 7;
                // "Today excluded": the same weekday means a full week ahead.
                let ahead = if ahead == 0 { 7 } else { ahead };
                shift_days(date, u64::from(ahead), true)
            }
        }
    }
}

fn saturate(result: Option<NaiveDate>, forward: bool) -> NaiveDate {
    result.unwrap_or(if forward {
        NaiveDate::MAX
    } else {
        NaiveDate::MIN
    })
}

fn shift_days(date: NaiveDate, days: u64, forward: bool) -> NaiveDate {
    let result = if forward {
        date.checked_add_days(Days::new(days))
    } else {
        date.checked_sub_days(Days::new(days))
    };
    saturate(result, forward)
}

/// chrono clamps to the target month's last day (31 Jan + 1 month = 28/29 Feb), as DOMAIN.md asks.
fn shift_months(date: NaiveDate, months: u32, forward: bool) -> NaiveDate {
    let result = if forward {
        date.checked_add_months(Months::new(months))
    } else {
        date.checked_sub_months(Months::new(months))
    };
    saturate(result, forward)
}

fn first_month_of_quarter(month: u32) -> u32 {
    (month - 1) / 3 * 3 + 1
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    if month == 12 {
        // Not "1 Jan next year minus a day": next year may be outside chrono's range.
        NaiveDate::from_ymd_opt(year, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?.pred_opt()
    }
}

fn period_end(date: NaiveDate, period: Period) -> NaiveDate {
    let (year, month) = (date.year(), date.month());
    let result = match period {
        Period::Week => {
            let days = 6 - date.weekday().num_days_from_monday();
            return shift_days(date, u64::from(days), true);
        }
        Period::Month => last_day_of_month(year, month),
        Period::Quarter => last_day_of_month(year, first_month_of_quarter(month) + 2),
        Period::Year => NaiveDate::from_ymd_opt(year, 12, 31),
    };
    // Cannot fail (the date's own year is in range and chrono's range ends on 31 Dec), but a
    // saturated date is better than a panic.
    saturate(result, true)
}

fn period_start(date: NaiveDate, period: Period) -> NaiveDate {
    let (year, month) = (date.year(), date.month());
    let result = match period {
        Period::Week => {
            let days = date.weekday().num_days_from_monday();
            return shift_days(date, u64::from(days), false);
        }
        Period::Month => NaiveDate::from_ymd_opt(year, month, 1),
        Period::Quarter => NaiveDate::from_ymd_opt(year, first_month_of_quarter(month), 1),
        Period::Year => NaiveDate::from_ymd_opt(year, 1, 1),
    };
    // Cannot fail (chrono's range starts on 1 Jan); see `period_end`.
    saturate(result, false)
}

// ---------------------------------------------------------------------------------------------
// Parsing. Positions are indices into the input's `chars`, so errors point at characters, not
// bytes, and multi-byte input cannot split a character.

fn is_sign(c: char) -> bool {
    c == '+' || c == '-'
}

/// Whitespace or a sign: what may legitimately follow a complete term.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || is_sign(c)
}

fn skip_whitespace(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && chars[i].is_whitespace() {
        i += 1;
    }
    i
}

/// End of the run of non-separator characters starting at `i`: the extent of a term we cannot
/// make sense of.
fn chunk_end(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() && !is_separator(chars[i]) {
        i += 1;
    }
    i
}

fn unit_from_char(c: char) -> Option<Unit> {
    match c.to_ascii_uppercase() {
        'D' => Some(Unit::Day),
        'W' => Some(Unit::Week),
        'M' => Some(Unit::Month),
        'Q' => Some(Unit::Quarter),
        'Y' => Some(Unit::Year),
        _ => None,
    }
}

fn period_from_char(c: char) -> Option<Period> {
    match c.to_ascii_uppercase() {
        'W' => Some(Period::Week),
        'M' => Some(Period::Month),
        'Q' => Some(Period::Quarter),
        'Y' => Some(Period::Year),
        _ => None,
    }
}

fn error(
    chars: &[char],
    start: usize,
    end: usize,
    message: impl FnOnce(&str) -> String,
) -> DateFormulaError {
    // Trailing blanks are not part of what the user would call the term.
    let term: String = chars[start..end]
        .iter()
        .collect::<String>()
        .trim_end()
        .to_owned();
    DateFormulaError {
        position: start,
        message: message(&term),
        term,
    }
}

fn not_a_term(chars: &[char], start: usize, end: usize) -> DateFormulaError {
    error(chars, start, end, |term| {
        format!(
            "\"{term}\" is not a date formula term: use a number with D, W, M, Q or Y (e.g. 2W), \
             CW/CM/CQ/CY, or WD1–WD7"
        )
    })
}

/// Parses the term starting at `start` (which is not whitespace) and returns it with the index
/// just after it.
fn parse_term(
    chars: &[char],
    start: usize,
    needs_sign: bool,
) -> Result<(Term, usize), DateFormulaError> {
    let n = chars.len();
    let sign = Some(chars[start]).filter(|&c| is_sign(c));
    let negative = sign == Some('-');
    // A space between the sign and the term is fine: `1D + 2W`.
    let body = if sign.is_some() {
        skip_whitespace(chars, start + 1)
    } else {
        start
    };

    if sign.is_some() {
        if body == n {
            return Err(error(chars, start, start + 1, |term| {
                format!("\"{term}\" must be followed by a term (e.g. {term}1D)")
            }));
        }
        if is_sign(chars[body]) {
            let mut end = body;
            while end < n && (is_sign(chars[end]) || chars[end].is_whitespace()) {
                end += 1;
            }
            let end = chunk_end(chars, end);
            return Err(error(chars, start, end, |term| {
                format!("\"{term}\": use a single + or - between terms")
            }));
        }
    }

    let (term, end) = parse_body(chars, start, body, negative)?;
    // Checked after the body so that junk is reported as junk, not as a missing sign.
    if needs_sign && sign.is_none() {
        return Err(error(chars, start, end, |term| {
            format!("\"{term}\" needs a + or - in front of it")
        }));
    }
    Ok((term, end))
}

fn parse_body(
    chars: &[char],
    start: usize,
    body: usize,
    negative: bool,
) -> Result<(Term, usize), DateFormulaError> {
    let n = chars.len();
    let first = chars[body];
    let second = chars.get(body + 1).copied();

    if first.is_ascii_digit() {
        let mut end = body;
        let mut value: u32 = 0;
        while end < n && chars[end].is_ascii_digit() {
            let digit = chars[end].to_digit(10).unwrap_or(0);
            // Stop growing once over the cap so that a long run of digits cannot overflow.
            value = (value * 10 + digit).min(MAX_AMOUNT + 1);
            end += 1;
        }
        return match chars.get(end).copied().and_then(unit_from_char) {
            Some(_) if value > MAX_AMOUNT => Err(error(chars, start, end + 1, |term| {
                format!("\"{term}\": the number can be at most {MAX_AMOUNT}")
            })),
            Some(unit) => {
                // value <= MAX_AMOUNT, so the sign reinterpretation is lossless.
                let magnitude = value.cast_signed();
                let amount = if negative { -magnitude } else { magnitude };
                Ok((Term::Shift { amount, unit }, end + 1))
            }
            None if end == n || is_separator(chars[end]) => {
                let example = if value > MAX_AMOUNT { 1 } else { value.max(1) };
                Err(error(chars, start, end, |term| {
                    format!(
                        "\"{term}\" needs D, W, M, Q or Y right after the number (e.g. {example}D \
                         or {example}W)"
                    )
                }))
            }
            None => Err(not_a_term(chars, start, chunk_end(chars, end))),
        };
    }

    if first.eq_ignore_ascii_case(&'C') {
        return match second.and_then(period_from_char) {
            Some(period) if negative => Ok((Term::PeriodStart(period), body + 2)),
            // A `+` before a C-term means the same as no sign: the last day.
            Some(period) => Ok((Term::PeriodEnd(period), body + 2)),
            None => Err(error(chars, start, chunk_end(chars, body), |term| {
                format!("\"{term}\": C must be followed by W, M, Q or Y (CW, CM, CQ or CY)")
            })),
        };
    }

    if first.eq_ignore_ascii_case(&'W') && second.is_some_and(|c| c.eq_ignore_ascii_case(&'D')) {
        let digits = body + 2;
        let mut end = digits;
        while end < n && chars[end].is_ascii_digit() {
            end += 1;
        }
        if end == digits {
            return Err(error(chars, start, chunk_end(chars, digits), |term| {
                format!(
                    "\"{term}\" needs a weekday number right after WD: 1 (Monday) to 7 (Sunday)"
                )
            }));
        }
        let weekday = match (end - digits, chars[digits]) {
            (1, '1') => Weekday::Mon,
            (1, '2') => Weekday::Tue,
            (1, '3') => Weekday::Wed,
            (1, '4') => Weekday::Thu,
            (1, '5') => Weekday::Fri,
            (1, '6') => Weekday::Sat,
            (1, '7') => Weekday::Sun,
            _ => {
                return Err(error(chars, start, end, |term| {
                    format!("\"{term}\": weekday must be 1 (Monday) to 7 (Sunday)")
                }));
            }
        };
        if negative {
            return Err(error(chars, start, end, |term| {
                format!(
                    "\"{term}\": WD always moves forward to the next weekday, so it cannot have a - \
                     in front of it"
                )
            }));
        }
        return Ok((Term::NextWeekday(weekday), end));
    }

    let end = chunk_end(chars, body);
    // A lone unit letter ("M") most likely means "1M"; say so instead of the generic message.
    if end == body + 1
        && let Some(unit) = unit_from_char(first)
    {
        let example = Term::Shift {
            amount: if negative { -1 } else { 1 },
            unit,
        };
        let example = DateFormula {
            terms: vec![example],
        };
        return Err(error(chars, start, end, |term| {
            format!("\"{term}\" needs a number in front of the letter (e.g. {example})")
        }));
    }
    Err(not_a_term(chars, start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
    }

    fn f(s: &str) -> DateFormula {
        DateFormula::parse(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    /// Runs `(formula, from, expected)` rows and reports every failing row at once.
    fn check_apply(rows: &[(&str, NaiveDate, NaiveDate)]) {
        let failures: Vec<String> = rows
            .iter()
            .filter_map(|&(formula, from, expected)| {
                let got = f(formula).apply(from);
                (got != expected)
                    .then(|| format!("{formula:?} from {from}: expected {expected}, got {got}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn test_dates_have_the_weekdays_the_tests_assume() {
        assert_eq!(d(2026, 1, 5).weekday(), Weekday::Mon);
        assert_eq!(d(2026, 1, 7).weekday(), Weekday::Wed);
        assert_eq!(d(2026, 1, 10).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 1, 11).weekday(), Weekday::Sun);
        assert_eq!(d(2025, 12, 31).weekday(), Weekday::Wed);
        assert_eq!(d(2026, 1, 1).weekday(), Weekday::Thu);
    }

    #[test]
    fn domain_examples() {
        check_apply(&[
            ("1W", d(2026, 1, 7), d(2026, 1, 14)),
            ("CM+1D", d(2026, 2, 10), d(2026, 3, 1)),
            ("-CM", d(2026, 2, 10), d(2026, 2, 1)),
            ("1M", d(2026, 1, 31), d(2026, 2, 28)),
            ("CQ", d(2026, 5, 5), d(2026, 6, 30)),
        ]);
    }

    #[test]
    fn simple_units_add() {
        check_apply(&[
            ("1D", d(2026, 1, 7), d(2026, 1, 8)),
            ("1D", d(2025, 12, 31), d(2026, 1, 1)),
            ("30D", d(2026, 2, 1), d(2026, 3, 3)),
            ("2W", d(2026, 1, 7), d(2026, 1, 21)),
            ("3M", d(2026, 1, 15), d(2026, 4, 15)),
            ("1Q", d(2026, 1, 15), d(2026, 4, 15)),
            ("2Q", d(2026, 11, 15), d(2027, 5, 15)),
            ("1Y", d(2026, 1, 15), d(2027, 1, 15)),
            ("9999D", d(2026, 1, 1), d(2053, 5, 18)),
            ("9999Y", d(2026, 1, 1), d(12025, 1, 1)),
        ]);
    }

    #[test]
    fn zero_amounts_are_identity() {
        for formula in ["0D", "0W", "0M", "0Q", "0Y", "-0D", "+0M", "000Y"] {
            for from in [d(2026, 1, 31), d(2024, 2, 29), d(2026, 12, 31)] {
                assert_eq!(f(formula).apply(from), from, "{formula} from {from}");
            }
        }
    }

    #[test]
    fn month_ends_clamp_to_the_last_day_of_the_target_month() {
        check_apply(&[
            ("1M", d(2026, 1, 31), d(2026, 2, 28)),
            ("1M", d(2024, 1, 31), d(2024, 2, 29)),
            ("-1M", d(2026, 3, 31), d(2026, 2, 28)),
            ("-1M", d(2024, 3, 31), d(2024, 2, 29)),
            ("1M", d(2026, 4, 30), d(2026, 5, 30)),
            ("1M", d(2026, 3, 31), d(2026, 4, 30)),
            ("1M", d(2026, 12, 31), d(2027, 1, 31)),
            // One 2-month step does not pass through February...
            ("2M", d(2026, 1, 31), d(2026, 3, 31)),
            // ...but two 1-month steps do, because terms apply one after the other.
            ("1M+1M", d(2026, 1, 31), d(2026, 3, 28)),
            ("1Q", d(2026, 11, 30), d(2027, 2, 28)),
            ("-1Q", d(2026, 5, 31), d(2026, 2, 28)),
        ]);
    }

    #[test]
    fn leap_years() {
        check_apply(&[
            ("1Y", d(2024, 2, 29), d(2025, 2, 28)),
            ("-1Y", d(2024, 2, 29), d(2023, 2, 28)),
            ("4Y", d(2024, 2, 29), d(2028, 2, 29)),
            ("-4Y", d(2024, 2, 29), d(2020, 2, 29)),
            ("100Y", d(2000, 2, 29), d(2100, 2, 28)),
            ("400Y", d(2000, 2, 29), d(2400, 2, 29)),
            ("4Q", d(2024, 2, 29), d(2025, 2, 28)),
            ("12M", d(2024, 2, 29), d(2025, 2, 28)),
            ("1D", d(2024, 2, 28), d(2024, 2, 29)),
            ("1D", d(2024, 2, 29), d(2024, 3, 1)),
            ("CY", d(2024, 2, 29), d(2024, 12, 31)),
            ("-CY", d(2024, 2, 29), d(2024, 1, 1)),
            ("CM", d(2024, 2, 29), d(2024, 2, 29)),
            ("CM", d(2024, 2, 10), d(2024, 2, 29)),
            ("CM", d(2025, 2, 10), d(2025, 2, 28)),
            ("CM", d(2100, 2, 10), d(2100, 2, 28)),
            ("CQ", d(2024, 2, 29), d(2024, 3, 31)),
            ("-CQ", d(2024, 2, 29), d(2024, 1, 1)),
        ]);
    }

    #[test]
    fn current_week() {
        check_apply(&[
            // Monday, Wednesday, Sunday of the week 2026-01-05..2026-01-11.
            ("CW", d(2026, 1, 5), d(2026, 1, 11)),
            ("CW", d(2026, 1, 7), d(2026, 1, 11)),
            ("CW", d(2026, 1, 11), d(2026, 1, 11)),
            ("-CW", d(2026, 1, 5), d(2026, 1, 5)),
            ("-CW", d(2026, 1, 7), d(2026, 1, 5)),
            ("-CW", d(2026, 1, 11), d(2026, 1, 5)),
            // Weeks spanning a year boundary.
            ("CW", d(2025, 12, 31), d(2026, 1, 4)),
            ("-CW", d(2026, 1, 1), d(2025, 12, 29)),
        ]);
    }

    #[test]
    fn current_month() {
        check_apply(&[
            ("CM", d(2026, 1, 1), d(2026, 1, 31)),
            ("CM", d(2026, 1, 31), d(2026, 1, 31)),
            ("CM", d(2026, 4, 15), d(2026, 4, 30)),
            ("CM", d(2026, 12, 5), d(2026, 12, 31)),
            ("-CM", d(2026, 1, 1), d(2026, 1, 1)),
            ("-CM", d(2026, 1, 31), d(2026, 1, 1)),
            ("-CM", d(2026, 12, 31), d(2026, 12, 1)),
        ]);
    }

    #[test]
    fn current_quarter_in_each_quarter() {
        check_apply(&[
            ("CQ", d(2026, 2, 15), d(2026, 3, 31)),
            ("CQ", d(2026, 5, 5), d(2026, 6, 30)),
            ("CQ", d(2026, 8, 1), d(2026, 9, 30)),
            ("CQ", d(2026, 11, 11), d(2026, 12, 31)),
            ("-CQ", d(2026, 2, 15), d(2026, 1, 1)),
            ("-CQ", d(2026, 5, 5), d(2026, 4, 1)),
            ("-CQ", d(2026, 8, 1), d(2026, 7, 1)),
            ("-CQ", d(2026, 11, 11), d(2026, 10, 1)),
            // Quarter boundaries.
            ("CQ", d(2026, 3, 31), d(2026, 3, 31)),
            ("CQ", d(2026, 4, 1), d(2026, 6, 30)),
            ("-CQ", d(2026, 4, 1), d(2026, 4, 1)),
            ("-CQ", d(2026, 3, 31), d(2026, 1, 1)),
            ("-CQ", d(2026, 12, 31), d(2026, 10, 1)),
        ]);
    }

    #[test]
    fn current_year() {
        check_apply(&[
            ("CY", d(2026, 5, 5), d(2026, 12, 31)),
            ("CY", d(2026, 12, 31), d(2026, 12, 31)),
            ("CY", d(2026, 1, 1), d(2026, 12, 31)),
            ("-CY", d(2026, 5, 5), d(2026, 1, 1)),
            ("-CY", d(2026, 1, 1), d(2026, 1, 1)),
            ("-CY", d(2026, 12, 31), d(2026, 1, 1)),
        ]);
    }

    #[test]
    fn plus_before_c_term_means_last_day() {
        assert_eq!(f("+CM"), f("CM"));
        assert_eq!(f("+ cq"), f("CQ"));
        check_apply(&[
            ("+CW", d(2026, 1, 7), d(2026, 1, 11)),
            ("1D+CM", d(2026, 2, 10), d(2026, 2, 28)),
            ("1D-CM", d(2026, 2, 10), d(2026, 2, 1)),
        ]);
    }

    #[test]
    fn next_weekday() {
        check_apply(&[
            // Same weekday: today is excluded, so a week later.
            ("WD3", d(2026, 1, 7), d(2026, 1, 14)),
            ("WD1", d(2026, 1, 11), d(2026, 1, 12)),
            ("WD7", d(2026, 1, 11), d(2026, 1, 18)),
            ("WD1", d(2026, 1, 5), d(2026, 1, 12)),
            ("WD5", d(2026, 1, 7), d(2026, 1, 9)),
            ("WD2", d(2026, 1, 7), d(2026, 1, 13)),
            ("WD2", d(2026, 1, 10), d(2026, 1, 13)),
            ("+WD4", d(2026, 1, 7), d(2026, 1, 8)),
            ("WD1", d(2025, 12, 31), d(2026, 1, 5)),
            ("WD6", d(2024, 2, 26), d(2024, 3, 2)),
        ]);
    }

    #[test]
    fn next_weekday_from_every_day_to_every_weekday() {
        for offset in 0..7 {
            let from = d(2026, 1, 5) + Days::new(offset);
            for n in 1..=7u32 {
                let got = f(&format!("WD{n}")).apply(from);
                let ahead = (got - from).num_days();
                assert!((1..=7).contains(&ahead), "WD{n} from {from} gave {got}");
                assert_eq!(got.weekday().number_from_monday(), n, "WD{n} from {from}");
            }
        }
    }

    #[test]
    fn negative_amounts_subtract() {
        check_apply(&[
            ("-1D", d(2026, 1, 1), d(2025, 12, 31)),
            ("-1D", d(2024, 3, 1), d(2024, 2, 29)),
            ("-2W", d(2026, 1, 7), d(2025, 12, 24)),
            ("-1Q", d(2026, 2, 15), d(2025, 11, 15)),
            ("-1Q", d(2026, 1, 31), d(2025, 10, 31)),
            ("-1M", d(2026, 1, 15), d(2025, 12, 15)),
            ("-1Y", d(2026, 1, 15), d(2025, 1, 15)),
            ("1W-1D", d(2026, 1, 7), d(2026, 1, 13)),
        ]);
    }

    #[test]
    fn terms_apply_left_to_right() {
        check_apply(&[
            // On a month's last day the order decides which month "CM" refers to.
            ("CM+1D", d(2026, 1, 31), d(2026, 2, 1)),
            ("1D+CM", d(2026, 1, 31), d(2026, 2, 28)),
            ("CM+1D", d(2026, 2, 10), d(2026, 3, 1)),
            ("1D+CM", d(2026, 2, 10), d(2026, 2, 28)),
            // Last day of the previous month.
            ("-CM-1D", d(2026, 3, 15), d(2026, 2, 28)),
            ("-1M+CM", d(2026, 3, 15), d(2026, 2, 28)),
            // CM then 1M is not "end of next month".
            ("CM+1M", d(2026, 4, 10), d(2026, 5, 30)),
            ("1M+CM", d(2026, 4, 10), d(2026, 5, 31)),
            // First Monday after the end of the quarter.
            ("CQ+WD1", d(2026, 5, 5), d(2026, 7, 6)),
            ("WD1+CQ", d(2026, 5, 5), d(2026, 6, 30)),
            ("1Y-CY+2W", d(2026, 5, 5), d(2027, 1, 15)),
        ]);
    }

    #[test]
    fn case_and_spaces_do_not_matter() {
        let groups: &[&[&str]] = &[
            &[
                "CM+1D",
                "cm+1d",
                " cm + 1d ",
                "Cm +1D",
                "CM+ 1D",
                "\tcm\t+\t1d\n",
            ],
            &["-CM", "-cm", " - cm", "-Cm"],
            &["1W", "1w", "+1W", " + 1w "],
            &["WD3", "wd3", "Wd3", "wD3"],
            &[
                "1Y+1Q-1M+1W-1D",
                "1y + 1q - 1m + 1w - 1d",
                "1Y+1q-1M +1w- 1D",
            ],
            // Non-breaking and other Unicode spaces, as pasted from documents, count as spaces.
            &["1D+2W", "1D\u{00A0}+\u{00A0}2W", "1D\u{3000}+2W"],
        ];
        for group in groups {
            let expected = f(group[0]);
            for input in *group {
                assert_eq!(f(input), expected, "{input:?} vs {:?}", group[0]);
            }
        }
    }

    #[test]
    fn display_is_canonical() {
        let rows = [
            (" cm + 1d ", "CM+1D"),
            ("-cm", "-CM"),
            ("+1w", "1W"),
            ("wd3", "WD3"),
            ("+wd7", "WD7"),
            ("+CM", "CM"),
            ("1D+CM", "1D+CM"),
            ("1D-cm", "1D-CM"),
            ("-1d", "-1D"),
            ("007d", "7D"),
            ("-0d", "0D"),
            ("1d-0d", "1D+0D"),
            ("9999d", "9999D"),
            ("-9999y", "-9999Y"),
            ("1y + 1q - 1m + 1w - 1d", "1Y+1Q-1M+1W-1D"),
            ("cw-cw+cq-cq+cy-cy", "CW-CW+CQ-CQ+CY-CY"),
            ("wd1+wd2", "WD1+WD2"),
            ("", ""),
            ("   ", ""),
        ];
        for (input, expected) in rows {
            assert_eq!(f(input).to_string(), expected, "display of {input:?}");
            assert_eq!(f(expected), f(input), "round trip of {input:?}");
        }
    }

    /// Tiny deterministic generator so the property tests need no extra crates.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, bound: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 33) % bound as u64) as usize
        }

        fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
            options[self.next(options.len())]
        }
    }

    fn random_case(rng: &mut Lcg, s: &str) -> String {
        s.chars()
            .map(|c| {
                if rng.next(2) == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect()
    }

    fn random_formula_text(rng: &mut Lcg) -> String {
        let spaces = ["", "", " ", "  ", "\t"];
        let mut text = String::new();
        for index in 0..rng.next(6) {
            let body = match rng.next(3) {
                0 => {
                    let amount = match rng.next(4) {
                        0 => 0,
                        1 => MAX_AMOUNT as usize,
                        _ => rng.next(100),
                    };
                    format!("{amount}{}", rng.pick(&["D", "W", "M", "Q", "Y"]))
                }
                1 => format!("C{}", rng.pick(&["W", "M", "Q", "Y"])),
                _ => format!("WD{}", 1 + rng.next(7)),
            };
            let sign = if body.starts_with("WD") {
                if index == 0 {
                    rng.pick(&["", "+"])
                } else {
                    "+"
                }
            } else if index == 0 {
                rng.pick(&["", "+", "-"])
            } else {
                rng.pick(&["+", "-"])
            };
            text.push_str(rng.pick(&spaces));
            text.push_str(sign);
            text.push_str(rng.pick(&spaces));
            text.push_str(&random_case(rng, &body));
        }
        text.push_str(rng.pick(&spaces));
        text
    }

    #[test]
    fn property_display_round_trips() {
        let mut rng = Lcg(0x5eed);
        let dates = [
            d(2026, 1, 31),
            d(2024, 2, 29),
            d(2026, 12, 31),
            d(1999, 6, 15),
        ];
        for _ in 0..3000 {
            let text = random_formula_text(&mut rng);
            let formula = f(&text);
            let canonical = formula.to_string();
            let reparsed = f(&canonical);
            assert_eq!(reparsed, formula, "{text:?} -> {canonical:?}");
            assert_eq!(
                reparsed.to_string(),
                canonical,
                "display not idempotent for {text:?}"
            );
            assert!(!canonical.contains(char::is_whitespace), "{canonical:?}");
            assert!(!canonical.starts_with('+'), "{canonical:?}");
            assert_eq!(canonical, canonical.to_ascii_uppercase());
            for date in dates {
                assert_eq!(
                    reparsed.apply(date),
                    formula.apply(date),
                    "{text:?} from {date}"
                );
            }
        }
    }

    /// `(input, position, term)` for inputs that must be rejected.
    const ERROR_CASES: &[(&str, usize, &str)] = &[
        ("2X", 0, "2X"),
        (" 2x", 1, "2x"),
        ("1D+2X", 2, "+2X"),
        ("1D2X3W", 2, "2X3W"),
        ("1DAYS", 2, "AYS"),
        ("1D,2W", 2, ",2W"),
        ("1D2W", 2, "2W"),
        ("1D 2W", 3, "2W"),
        ("CM1D", 2, "1D"),
        ("1DCM", 2, "CM"),
        ("CWX", 2, "X"),
        ("WD0", 0, "WD0"),
        ("WD8", 0, "WD8"),
        ("WD12", 0, "WD12"),
        ("WD01", 0, "WD01"),
        ("WD", 0, "WD"),
        ("wdx", 0, "wdx"),
        ("1D+WD9", 2, "+WD9"),
        ("-WD1", 0, "-WD1"),
        ("1D - wd1", 3, "- wd1"),
        ("C", 0, "C"),
        ("CX", 0, "CX"),
        ("cd", 0, "cd"),
        ("1D-C", 2, "-C"),
        ("+", 0, "+"),
        ("-", 0, "-"),
        ("  + ", 2, "+"),
        ("1", 0, "1"),
        ("1 D", 0, "1"),
        ("1D+12", 2, "+12"),
        ("D", 0, "D"),
        ("-m", 0, "-m"),
        ("10000D", 0, "10000D"),
        (
            "1D-99999999999999999999999999W",
            2,
            "-99999999999999999999999999W",
        ),
        ("1D+", 2, "+"),
        ("1D + ", 3, "+"),
        ("1D ++2W", 3, "++2W"),
        ("1D+-2W", 2, "+-2W"),
        ("1D + + 2W", 3, "+ + 2W"),
        ("1D+2Wé", 5, "é"),
        ("😀", 0, "😀"),
        ("1D😀", 2, "😀"),
        // Positions count characters: "é" and the emoji are one character each.
        ("1D\u{00A0}2X", 3, "2X"),
        ("1D+😀W", 2, "+😀W"),
        ("1D + ２W", 3, "+ ２W"),
        ("1Ď", 0, "1Ď"),
        ("½D", 0, "½D"),
    ];

    #[test]
    fn errors_point_at_the_bad_term() {
        let mut failures = Vec::new();
        for &(input, position, term) in ERROR_CASES {
            match DateFormula::parse(input) {
                Ok(parsed) => failures.push(format!("{input:?} parsed as {parsed}")),
                Err(e) if e.position != position || e.term != term => failures.push(format!(
                    "{input:?}: expected {term:?} at {position}, got {:?} at {} ({})",
                    e.term, e.position, e.message
                )),
                Err(_) => {}
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn error_messages() {
        let rows = [
            (
                "2X",
                "\"2X\" is not a date formula term: use a number with D, W, M, Q or Y (e.g. 2W), \
                 CW/CM/CQ/CY, or WD1–WD7",
            ),
            ("1D2W", "\"2W\" needs a + or - in front of it"),
            ("WD8", "\"WD8\": weekday must be 1 (Monday) to 7 (Sunday)"),
            ("WD0", "\"WD0\": weekday must be 1 (Monday) to 7 (Sunday)"),
            (
                "WD",
                "\"WD\" needs a weekday number right after WD: 1 (Monday) to 7 (Sunday)",
            ),
            (
                "-WD1",
                "\"-WD1\": WD always moves forward to the next weekday, so it cannot have a - in \
                 front of it",
            ),
            (
                "CX",
                "\"CX\": C must be followed by W, M, Q or Y (CW, CM, CQ or CY)",
            ),
            (
                "C",
                "\"C\": C must be followed by W, M, Q or Y (CW, CM, CQ or CY)",
            ),
            ("+", "\"+\" must be followed by a term (e.g. +1D)"),
            ("1D-", "\"-\" must be followed by a term (e.g. -1D)"),
            (
                "1",
                "\"1\" needs D, W, M, Q or Y right after the number (e.g. 1D or 1W)",
            ),
            (
                "1D+30",
                "\"+30\" needs D, W, M, Q or Y right after the number (e.g. 30D or 30W)",
            ),
            (
                "0",
                "\"0\" needs D, W, M, Q or Y right after the number (e.g. 1D or 1W)",
            ),
            ("D", "\"D\" needs a number in front of the letter (e.g. 1D)"),
            (
                "-m",
                "\"-m\" needs a number in front of the letter (e.g. -1M)",
            ),
            ("10000D", "\"10000D\": the number can be at most 9999"),
            ("1D ++2W", "\"++2W\": use a single + or - between terms"),
        ];
        for (input, message) in rows {
            let e = DateFormula::parse(input).expect_err(input);
            assert_eq!(e.message, message, "message for {input:?}");
            assert_eq!(e.to_string(), message, "Display for {input:?}");
        }
    }

    fn assert_error_is_consistent(input: &str, e: &DateFormulaError) {
        let chars: Vec<char> = input.chars().collect();
        assert!(
            e.position < chars.len(),
            "{input:?}: position {} out of range",
            e.position
        );
        assert!(!e.term.is_empty(), "{input:?}: empty term");
        let at_position: String = chars[e.position..]
            .iter()
            .take(e.term.chars().count())
            .collect();
        assert_eq!(
            at_position, e.term,
            "{input:?}: term is not the text at its position"
        );
        assert!(
            e.message.contains(&format!("\"{}\"", e.term)),
            "{input:?}: {}",
            e.message
        );
    }

    #[test]
    fn error_term_is_the_input_text_at_its_position() {
        for &(input, _, _) in ERROR_CASES {
            let e = DateFormula::parse(input).expect_err(input);
            assert_error_is_consistent(input, &e);
        }
    }

    #[test]
    fn property_junk_never_panics_and_errors_are_consistent() {
        let alphabet: Vec<char> = "0123456789dwmqyDWMQYcCxX+- \t,.éD😀\u{00A0}"
            .chars()
            .collect();
        let mut rng = Lcg(42);
        let mut rejected = 0;
        for _ in 0..20_000 {
            let len = rng.next(10);
            let input: String = (0..len)
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect();
            match DateFormula::parse(&input) {
                Ok(formula) => {
                    let canonical = formula.to_string();
                    assert_eq!(f(&canonical), formula, "{input:?} -> {canonical:?}");
                    let _ = formula.apply(d(2026, 1, 31));
                }
                Err(e) => {
                    rejected += 1;
                    assert_error_is_consistent(&input, &e);
                }
            }
        }
        assert!(rejected > 1000, "generator should produce plenty of junk");
    }

    #[test]
    fn empty_formula_is_identity() {
        for input in ["", " ", "   ", "\t\n"] {
            let formula = f(input);
            assert!(formula.is_empty(), "{input:?}");
            assert_eq!(formula, DateFormula::default());
            assert_eq!(formula.to_string(), "");
            for from in [
                d(2026, 1, 31),
                d(2024, 2, 29),
                NaiveDate::MIN,
                NaiveDate::MAX,
            ] {
                assert_eq!(formula.apply(from), from);
            }
        }
        assert!(!f("0D").is_empty());
    }

    #[test]
    fn from_str_matches_parse() {
        for input in ["CM+1D", " -cq ", "", "WD3"] {
            assert_eq!(input.parse::<DateFormula>(), DateFormula::parse(input));
        }
        for &(input, _, _) in ERROR_CASES {
            assert_eq!(input.parse::<DateFormula>(), DateFormula::parse(input));
        }
    }

    #[test]
    fn extreme_dates_saturate_instead_of_panicking() {
        let (min, max) = (NaiveDate::MIN, NaiveDate::MAX);
        check_apply(&[
            ("1D", max, max),
            ("9999W", max, max),
            ("1M", max, max),
            ("9999Y", max, max),
            ("CW", max, max),
            ("WD1", max, max),
            ("CM", max, max),
            ("CQ", max, max),
            ("CY", max, max),
            ("-1D", min, min),
            ("-9999W", min, min),
            ("-1M", min, min),
            ("-9999Y", min, min),
            ("-CW", min, min),
            ("-CM", min, min),
            ("-CQ", min, min),
            ("-CY", min, min),
            ("-CY", max, d(max.year(), 1, 1)),
            ("CY", min, d(min.year(), 12, 31)),
            // Saturation happens per term; later terms continue from the saturated date.
            ("1D-1D", max, max.pred_opt().unwrap()),
            ("-1D+1D", min, min.succ_opt().unwrap()),
        ]);
        // Every term, near both ends of the range: no panics.
        let all = "1D+1W+1M+1Q+1Y-1D-1W-1M-1Q-1Y+CW-CW+CM-CM+CQ-CQ+CY-CY+WD1+WD7";
        for from in [min, max, min + Days::new(3), max - Days::new(3)] {
            let _ = f(all).apply(from);
            let _ = f("9999Y+9999Q+9999M+9999W+9999D").apply(from);
            let _ = f("-9999Y-9999Q-9999M-9999W-9999D").apply(from);
        }
    }

    #[test]
    fn deserialize_parses_and_rejects_invalid() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error as ValueError, StrDeserializer};

        let de: StrDeserializer<'_, ValueError> = " cm + 1d ".into_deserializer();
        assert_eq!(DateFormula::deserialize(de), Ok(f("CM+1D")));

        let de: StrDeserializer<'_, ValueError> = "".into_deserializer();
        assert_eq!(DateFormula::deserialize(de), Ok(DateFormula::default()));

        let de: StrDeserializer<'_, ValueError> = "1D2W".into_deserializer();
        let err = DateFormula::deserialize(de).expect_err("invalid formula must be rejected");
        assert!(
            err.to_string()
                .contains("\"2W\" needs a + or - in front of it"),
            "{err}"
        );
    }

    #[test]
    fn equal_formulas_hash_equally() {
        use std::collections::HashSet;
        let set: HashSet<DateFormula> = ["CM+1D", " cm + 1d ", "+CM+1D", "-CM"]
            .iter()
            .map(|s| f(s))
            .collect();
        assert_eq!(set.len(), 2);
    }
}

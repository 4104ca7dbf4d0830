//! Dashboard metric definitions, in one place (issue 8). Money stays exact; percentages are
//! rounded to 2 places when shown; a metric with nothing to measure is `None` ("no data"), never
//! NaN or a division by zero.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use super::entries::round2;

/// Win rate: won / (won + lost) × 100, to 2 places; `None` when nothing was closed.
pub fn win_rate(won: Decimal, lost: Decimal) -> Option<Decimal> {
    let closed = won + lost;
    (!closed.is_zero()).then(|| round2(won * Decimal::ONE_HUNDRED / closed))
}

/// The mean of `values`, exact; `None` for none.
pub fn mean(values: &[Decimal]) -> Option<Decimal> {
    (!values.is_empty()).then(|| values.iter().sum::<Decimal>() / Decimal::from(values.len()))
}

/// The median of `values` (the mean of the two middle ones for an even count); `None` for none.
pub fn median(values: &[Decimal]) -> Option<Decimal> {
    let mut sorted = values.to_vec();
    sorted.sort();
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO),
    }
}

/// Mean and median of values given as a histogram — `(value, how many times)` in any order, as
/// the time-in-stage summary stores days open — equal to [`mean`] and [`median`] of the values
/// written out one by one, to 1 decimal place. `None` for no values.
pub fn histogram_mean_median(histogram: &[(i32, i64)]) -> (Option<Decimal>, Option<Decimal>) {
    let mut sorted: Vec<(i32, i64)> = histogram.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return (None, None);
    }
    let sum: Decimal = sorted
        .iter()
        .map(|(v, n)| Decimal::from(*v) * Decimal::from(*n))
        .sum();
    // The value at 0-based position `i` of the written-out, sorted list.
    let at = |i: i64| {
        let mut seen = 0;
        sorted
            .iter()
            .find(|(_, n)| {
                seen += n;
                seen > i
            })
            .map_or(Decimal::ZERO, |(v, _)| Decimal::from(*v))
    };
    let median = if total % 2 == 1 {
        at(total / 2)
    } else {
        (at(total / 2 - 1) + at(total / 2)) / Decimal::TWO
    };
    let one_place = |d: Decimal| {
        d.round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    (
        Some(one_place(sum / Decimal::from(total))),
        Some(one_place(median)),
    )
}

/// The four inputs of sales velocity, as shown next to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VelocityInputs {
    pub open_count: i64,
    /// Mean amount won of the opportunities won in the period.
    pub average_won_value: Option<Decimal>,
    /// Win rate by count in the period, in %.
    pub win_rate: Option<Decimal>,
    /// Mean days from creation to close of the opportunities won in the period.
    pub average_cycle_days: Option<Decimal>,
}

impl VelocityInputs {
    /// Sales velocity: open × average won value × win rate / average cycle length — the value the
    /// pipeline is expected to turn into per day, to the cent. `None` when an input is missing or
    /// the cycle length is 0.
    pub fn velocity_per_day(&self) -> Option<Decimal> {
        let (value, rate, days) = (
            self.average_won_value?,
            self.win_rate?,
            self.average_cycle_days?,
        );
        if days.is_zero() {
            return None;
        }
        Some(round2(
            Decimal::from(self.open_count) * value * rate / Decimal::ONE_HUNDRED / days,
        ))
    }
}

/// The first day of the month of `date`.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The first days of `count` consecutive months starting `offset` months from `today`'s month
/// (negative: back in time), in order.
pub fn months(today: NaiveDate, offset: i32, count: u32) -> Vec<NaiveDate> {
    let start = month_start(today);
    (0..count as i32)
        .filter_map(|i| {
            let delta = offset + i;
            if delta >= 0 {
                start.checked_add_months(Months::new(delta as u32))
            } else {
                start.checked_sub_months(Months::new(delta.unsigned_abs()))
            }
        })
        .collect()
}

/// How a period `from..=to` splits for summaries kept per month and per day: the whole calendar
/// months inside it, `[start, end)` as month starts, and the days outside them (`from..start`
/// and `end..=to`). With no whole month inside, `start == end == to + 1`: all days.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let after = to.succ_opt().unwrap_or(to);
    let start = if from.day() == 1 {
        Some(from)
    } else {
        month_start(from).checked_add_months(Months::new(1))
    };
    let end = month_start(after);
    match start {
        Some(start) if start < end => (start, end),
        _ => (after, after),
    }
}

/// Stage conversion: from each stage's "reached" count to the next one's, in %; the last stage
/// has none. `None` where no opportunity reached the stage.
pub fn conversions(reached: &[i64]) -> Vec<Option<Decimal>> {
    reached
        .windows(2)
        .map(|pair| {
            (pair[0] > 0).then(|| {
                round2(Decimal::from(pair[1]) * Decimal::ONE_HUNDRED / Decimal::from(pair[0]))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn win_rate_by_count_and_value() {
        let cases = [
            ("3", "1", Some("75.00")),
            ("0", "2", Some("0.00")),
            ("1", "0", Some("100.00")), // a single won deal: 100 %, shown with its count
            ("1", "2", Some("33.33")),
            ("2", "1", Some("66.67")),
            ("0", "0", None),
            ("12000", "10000", Some("54.55")),
        ];
        for (won, lost, expected) in cases {
            assert_eq!(
                win_rate(d(won), d(lost)),
                expected.map(d),
                "{won} won, {lost} lost"
            );
        }
    }

    #[test]
    fn mean_and_median() {
        assert_eq!(mean(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&[d("3")]), Some(d("3")));
        assert_eq!(median(&[d("3")]), Some(d("3")));
        assert_eq!(mean(&[d("1"), d("2"), d("6")]), Some(d("3")));
        assert_eq!(median(&[d("6"), d("1"), d("2")]), Some(d("2")));
        assert_eq!(median(&[d("4"), d("1"), d("2"), d("10")]), Some(d("3")));
    }

    #[test]
    fn mean_and_median_of_a_histogram_equal_those_of_the_values_written_out() {
        let cases: [(&[(i32, i64)], Option<&str>, Option<&str>); 7] = [
            (&[], None, None),
            (&[(5, 0)], None, None),
            (&[(7, 1)], Some("7"), Some("7")),
            // 1, 2, 6 → mean 3, median 2 (given out of order).
            (&[(6, 1), (1, 1), (2, 1)], Some("3"), Some("2")),
            // 1, 2, 4, 10 → the two middle ones: 3.
            (&[(10, 1), (4, 1), (2, 1), (1, 1)], Some("4.3"), Some("3")),
            // 0, 0, 0, 9 → median 0; mean 2.25 → 2.3 (1 place, as shown).
            (&[(0, 3), (9, 1)], Some("2.3"), Some("0")),
            // 2, 2, 3, 3 → median 2.5.
            (&[(2, 2), (3, 2)], Some("2.5"), Some("2.5")),
        ];
        for (histogram, mean_expected, median_expected) in cases {
            assert_eq!(
                histogram_mean_median(histogram),
                (mean_expected.map(d), median_expected.map(d)),
                "{histogram:?}"
            );
        }
        // Against the plain definitions on a bigger list.
        let values: Vec<i32> = (0..101).map(|i| (i * 37) % 23).collect();
        let mut histogram = std::collections::BTreeMap::new();
        for v in &values {
            *histogram.entry(*v).or_insert(0i64) += 1;
        }
        let decimals: Vec<Decimal> = values.iter().map(|v| Decimal::from(*v)).collect();
        let (m, med) = histogram_mean_median(&histogram.into_iter().collect::<Vec<_>>());
        assert_eq!(
            m,
            mean(&decimals).map(|x| x
                .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
        );
        assert_eq!(med, median(&decimals));
    }

    #[test]
    fn velocity_uses_its_four_inputs() {
        // 10 open × 5,000.00 × 25 % / 50 days = 250.00 a day.
        let inputs = VelocityInputs {
            open_count: 10,
            average_won_value: Some(d("5000")),
            win_rate: Some(d("25")),
            average_cycle_days: Some(d("50")),
        };
        assert_eq!(inputs.velocity_per_day(), Some(d("250.00")));
        // 3 × 1,000.00 × 33.33 % / 7 days = 142.84.
        let thirds = VelocityInputs {
            open_count: 3,
            average_won_value: Some(d("1000")),
            win_rate: Some(d("33.33")),
            average_cycle_days: Some(d("7")),
        };
        assert_eq!(thirds.velocity_per_day(), Some(d("142.84")));
        // Nothing won in the period, or won the day it was created: no data.
        assert_eq!(
            VelocityInputs {
                open_count: 10,
                ..Default::default()
            }
            .velocity_per_day(),
            None
        );
        assert_eq!(
            VelocityInputs {
                average_cycle_days: Some(Decimal::ZERO),
                ..inputs.clone()
            }
            .velocity_per_day(),
            None
        );
        // No open opportunities: a velocity of 0.
        assert_eq!(
            VelocityInputs {
                open_count: 0,
                ..inputs
            }
            .velocity_per_day(),
            Some(d("0.00"))
        );
    }

    #[test]
    fn months_around_today() {
        let today = date("2026-11-26");
        assert_eq!(
            months(today, 0, 3),
            vec![date("2026-11-01"), date("2026-12-01"), date("2027-01-01")]
        );
        assert_eq!(
            months(today, -2, 2),
            vec![date("2026-09-01"), date("2026-10-01")]
        );
        assert_eq!(month_start(date("2026-02-28")), date("2026-02-01"));
    }

    #[test]
    fn a_period_splits_into_whole_months_and_the_days_around_them() {
        for (from, to, start, end) in [
            // Whole months only.
            ("2024-01-01", "2026-12-31", "2024-01-01", "2027-01-01"),
            ("2026-02-01", "2026-02-28", "2026-02-01", "2026-03-01"),
            // Days before and after.
            ("2023-11-26", "2026-11-26", "2023-12-01", "2026-11-01"),
            ("2026-01-15", "2026-03-31", "2026-02-01", "2026-04-01"),
            ("2026-01-01", "2026-03-30", "2026-01-01", "2026-03-01"),
            // No whole month inside: all days.
            ("2026-11-02", "2026-11-30", "2026-12-01", "2026-12-01"),
            ("2026-11-15", "2026-12-14", "2026-12-15", "2026-12-15"),
            ("2026-11-26", "2026-11-26", "2026-11-27", "2026-11-27"),
            // Leap day and year end.
            ("2024-02-29", "2024-03-31", "2024-03-01", "2024-04-01"),
            ("2025-12-31", "2026-01-31", "2026-01-01", "2026-02-01"),
        ] {
            assert_eq!(
                whole_months(date(from), date(to)),
                (date(start), date(end)),
                "{from}..={to}"
            );
        }
    }

    #[test]
    fn conversion_from_each_stage_to_the_next() {
        assert_eq!(
            conversions(&[10, 5, 5, 1]),
            vec![Some(d("50.00")), Some(d("100.00")), Some(d("20.00"))]
        );
        assert_eq!(conversions(&[0, 0]), vec![None]);
        assert_eq!(conversions(&[3]), Vec::<Option<Decimal>>::new());
        assert_eq!(conversions(&[3, 1]), vec![Some(d("33.33"))]);
    }
}

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

/// What sales velocity is computed from: the open count and the period's closes, exact. Its four
/// shown inputs (average won value, win rate, average cycle length) are rounded only for display;
/// velocity itself is computed from the exact totals, so rounding an input never moves it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VelocityInputs {
    pub open_count: i64,
    /// Opportunities won and lost in the period.
    pub won_count: i64,
    pub lost_count: i64,
    /// Total amount won in the period.
    pub won_value: Decimal,
    /// Total days from creation to close of the opportunities won in the period.
    pub won_days: i64,
}

impl VelocityInputs {
    /// Mean amount won, to the cent; `None` when nothing was won.
    pub fn average_won_value(&self) -> Option<Decimal> {
        (self.won_count > 0).then(|| round2(self.won_value / Decimal::from(self.won_count)))
    }

    /// Win rate by count, in % to 2 places; `None` when nothing was closed.
    pub fn win_rate(&self) -> Option<Decimal> {
        win_rate(
            Decimal::from(self.won_count),
            Decimal::from(self.lost_count),
        )
    }

    /// Mean days from creation to close of the won ones, to 1 place; `None` when nothing was won.
    pub fn average_cycle_days(&self) -> Option<Decimal> {
        (self.won_count > 0).then(|| {
            (Decimal::from(self.won_days) / Decimal::from(self.won_count))
                .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        })
    }

    /// Sales velocity: open × average won value × win rate / average cycle length — the value the
    /// pipeline is expected to turn into per day, to the cent. With won w, lost l, amount won V
    /// and days D that is open × (V/w) × (w/(w+l)) / (D/w) = open × V/(w+l) × w/D. `None` when
    /// nothing was won or every won deal closed the day it was created (no cycle length).
    pub fn velocity_per_day(&self) -> Option<Decimal> {
        if self.won_count <= 0 || self.won_days <= 0 {
            return None;
        }
        let closed = Decimal::from(self.won_count + self.lost_count);
        Some(round2(
            Decimal::from(self.open_count)
                * (self.won_value / closed)
                * Decimal::from(self.won_count)
                / Decimal::from(self.won_days),
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
    fn velocity_uses_its_four_inputs_unrounded() {
        // 10 open; 4 won for 20,000.00 in 200 days in all, 12 lost: average 5,000.00, win rate
        // 25 %, cycle 50 days → 10 × 5,000 × 25 % / 50 = 250.00 a day.
        let inputs = VelocityInputs {
            open_count: 10,
            won_count: 4,
            lost_count: 12,
            won_value: d("20000"),
            won_days: 200,
        };
        assert_eq!(inputs.average_won_value(), Some(d("5000.00")));
        assert_eq!(inputs.win_rate(), Some(d("25.00")));
        assert_eq!(inputs.average_cycle_days(), Some(d("50.0")));
        assert_eq!(inputs.velocity_per_day(), Some(d("250.00")));
        // 3 open; 1 won for 1,000.00 in 7 days, 2 lost: 3 × 1,000 × ⅓ / 7 = 142.857… → 142.86
        // (the shown win rate 33.33 % would give 142.84: inputs are not rounded first).
        let thirds = VelocityInputs {
            open_count: 3,
            won_count: 1,
            lost_count: 2,
            won_value: d("1000"),
            won_days: 7,
        };
        assert_eq!(thirds.win_rate(), Some(d("33.33")));
        assert_eq!(thirds.velocity_per_day(), Some(d("142.86")));
        // 3 won for 100.00 in 2 days in all: average 33.33, cycle 0.7 days (0.666…), 1 open →
        // 1 × 100/3 × 3/2 = 50.00 a day.
        let small = VelocityInputs {
            open_count: 1,
            won_count: 3,
            lost_count: 0,
            won_value: d("100"),
            won_days: 2,
        };
        assert_eq!(small.average_won_value(), Some(d("33.33")));
        assert_eq!(small.average_cycle_days(), Some(d("0.7")));
        assert_eq!(small.velocity_per_day(), Some(d("50.00")));
        // Nothing closed in the period: no data for any input.
        let empty = VelocityInputs {
            open_count: 10,
            ..Default::default()
        };
        assert_eq!(
            (
                empty.average_won_value(),
                empty.win_rate(),
                empty.average_cycle_days(),
                empty.velocity_per_day()
            ),
            (None, None, None, None)
        );
        // Only lost: a win rate of 0 and no velocity (no won deal to measure a cycle by).
        let lost = VelocityInputs {
            lost_count: 2,
            ..empty.clone()
        };
        assert_eq!(lost.win_rate(), Some(d("0.00")));
        assert_eq!(lost.velocity_per_day(), None);
        // One deal won the day it was created: a cycle of 0 days, no velocity.
        let same_day = VelocityInputs {
            won_days: 0,
            ..inputs.clone()
        };
        assert_eq!(same_day.average_cycle_days(), Some(d("0.0")));
        assert_eq!(same_day.velocity_per_day(), None);
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

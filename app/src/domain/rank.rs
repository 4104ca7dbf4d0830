//! Board ranks: the order of cards within a column, as strings that sort bytewise (the column is
//! `collate "C"`). Moving a card computes a rank between its new neighbours, so one card moves
//! without renumbering the column (fractional indexing, as in Figma's and Linear's boards).
//!
//! A rank is 1–64 characters of `0-9a-z` that does not end in `0`; read as a base-36 fraction
//! (`"h"` = 17/36), there is always room between two different ranks.

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
pub const MAX_LEN: usize = 64;

fn digit(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        _ => u32::from(c - b'a') + 10,
    }
}

fn char_of(d: u32) -> char {
    DIGITS[d as usize] as char
}

/// Whether `rank` is a well-formed rank.
pub fn is_valid(rank: &str) -> bool {
    !rank.is_empty()
        && rank.len() <= MAX_LEN
        && rank
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
        && !rank.ends_with('0')
}

/// A rank strictly between `before` and `after` (`None`: the start or the end of the column).
/// `None` when `before >= after` or an input is malformed.
pub fn between(before: Option<&str>, after: Option<&str>) -> Option<String> {
    if before.is_some_and(|b| !is_valid(b)) || after.is_some_and(|a| !is_valid(a)) {
        return None;
    }
    if let (Some(b), Some(a)) = (before, after)
        && b >= a
    {
        return None;
    }
    let rank = midpoint(before.unwrap_or("").as_bytes(), after.map(str::as_bytes));
    (rank.len() <= MAX_LEN).then_some(rank)
}

/// The midpoint of two base-36 fractions `a < b` (`b = None`: 1).
fn midpoint(a: &[u8], b: Option<&[u8]>) -> String {
    if let Some(b) = b {
        // Shared leading digits (a padded with zeros) stay as they are.
        let common = b
            .iter()
            .enumerate()
            .take_while(|(i, d)| a.get(*i).copied().unwrap_or(b'0') == **d)
            .count();
        if common > 0 {
            let prefix: String = b[..common].iter().map(|d| *d as char).collect();
            let rest_a = a.get(common..).unwrap_or(&[]);
            return prefix + &midpoint(rest_a, Some(&b[common..]));
        }
    }
    let da = a.first().map_or(0, |d| digit(*d));
    let db = b.map_or(36, |b| b.first().map_or(36, |d| digit(*d)));
    if db - da > 1 {
        return char_of((da + db) / 2).to_string();
    }
    // Adjacent first digits.
    match b {
        // b has more digits: its first digit alone is between a and b.
        Some(b) if b.len() > 1 => char_of(db).to_string(),
        _ => {
            let rest_a = a.get(1..).unwrap_or(&[]);
            format!("{}{}", char_of(da), midpoint(rest_a, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_sorts_between_its_neighbours() {
        let cases = [
            (None, None),
            (None, Some("h")),
            (Some("h"), None),
            (Some("a"), Some("b")),
            (Some("a"), Some("a1")),
            (Some("az"), Some("b")),
            (Some("0001"), Some("0002")),
            (Some("zzz"), None),
            (None, Some("0001")),
            (Some("18bc4f2a9c3e001"), Some("18bc4f2a9c3e011")),
        ];
        for (before, after) in cases {
            let rank = between(before, after)
                .unwrap_or_else(|| panic!("no rank between {before:?} and {after:?}"));
            assert!(is_valid(&rank), "{rank:?} is not a valid rank");
            if let Some(b) = before {
                assert!(b < rank.as_str(), "{b} < {rank}");
            }
            if let Some(a) = after {
                assert!(rank.as_str() < a, "{rank} < {a}");
            }
        }
    }

    #[test]
    fn refuses_what_has_no_room_or_is_malformed() {
        assert_eq!(between(Some("b"), Some("a")), None);
        assert_eq!(between(Some("a"), Some("a")), None);
        assert_eq!(between(Some("A"), None), None);
        assert_eq!(
            between(Some("a0"), None),
            None,
            "a trailing 0 is not a rank"
        );
        assert_eq!(between(Some(""), None), None);
        assert!(!is_valid(&"a".repeat(65)));
    }

    #[test]
    fn repeated_inserts_at_one_place_stay_ordered_and_short() {
        // Always dropping a card right after the first one: the worst case for growth.
        let first = "h".to_owned();
        let mut last = "i".to_owned();
        for _ in 0..100 {
            let next = between(Some(&first), Some(&last)).unwrap();
            assert!(first < next && next < last);
            last = next;
        }
        assert!(
            last.len() <= 30,
            "{} characters after 100 inserts",
            last.len()
        );
        // Appending at the end grows slowly too.
        let mut end = "h".to_owned();
        for _ in 0..100 {
            let next = between(Some(&end), None).unwrap();
            assert!(end < next);
            end = next;
        }
        assert!(end.len() <= 25, "{}", end.len());
    }
}

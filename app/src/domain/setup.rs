//! Input rules of the setup records (DOMAIN.md "Setup"): codes, percentages, descriptions.
//! The forms and the server use these same functions.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{date_formula::DateFormula, entries::ProbabilityMethod};

pub const MAX_CODE: usize = 20;
pub const MAX_DESCRIPTION: usize = 100;

/// Codes are 1–20 characters, trimmed and upper-cased on entry.
pub fn code(input: &str) -> Result<String, String> {
    let code = input.trim().to_uppercase();
    if code.is_empty() {
        return Err("Enter a code.".into());
    }
    if code.chars().count() > MAX_CODE {
        return Err(format!("Use at most {MAX_CODE} characters."));
    }
    // Codes appear in addresses (/setup/cycles/STANDARD) and CSV files: keep them plain.
    if !code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err("Use letters, digits, - _ and . only.".into());
    }
    Ok(code)
}

/// Up to 100 characters, trimmed; empty allowed unless `required`.
pub fn description(input: &str, required: bool) -> Result<String, String> {
    let d = input.trim();
    if required && d.is_empty() {
        return Err("Enter a description.".into());
    }
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(format!("Use at most {MAX_DESCRIPTION} characters."));
    }
    Ok(d.to_owned())
}

/// A percentage 0–100 with at most two decimals; `,` is accepted as the decimal separator.
/// An empty input is 0.
pub fn percent(input: &str) -> Result<Decimal, String> {
    let text = input.trim().trim_end_matches('%').trim().replace(',', ".");
    if text.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let value = Decimal::from_str_exact(&text)
        .map_err(|_| "Enter a number between 0 and 100.".to_owned())?;
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err("Enter a number between 0 and 100.".into());
    }
    if value.normalize().scale() > 2 {
        return Err("Use at most two decimals.".into());
    }
    Ok(value.round_dp(2))
}

/// A stage number: a positive whole number.
pub fn stage_number(input: &str) -> Result<i32, String> {
    match i32::from_str(input.trim()) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("Enter a whole number greater than 0.".into()),
    }
}

/// A date formula in canonical form ("" when empty).
pub fn date_formula(input: &str) -> Result<String, String> {
    DateFormula::parse(input)
        .map(|f| f.to_string())
        .map_err(|e| e.to_string())
}

pub fn method_code(m: ProbabilityMethod) -> &'static str {
    match m {
        ProbabilityMethod::Multiply => "multiply",
        ProbabilityMethod::Add => "add",
        ProbabilityMethod::ChancesOfSuccess => "chances_of_success",
        ProbabilityMethod::Completed => "completed",
    }
}

pub fn parse_method(code: &str) -> Option<ProbabilityMethod> {
    ProbabilityMethod::ALL
        .into_iter()
        .find(|m| method_code(*m) == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_trimmed_upper_cased_and_bounded() {
        assert_eq!(code("  std-1 ").unwrap(), "STD-1");
        assert!(code("   ").is_err());
        assert!(code(&"x".repeat(21)).is_err());
        assert_eq!(code(&"x".repeat(20)).unwrap().len(), 20);
        for bad in ["a\tb", "a b", "a/b", "é"] {
            assert!(code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentages_are_0_to_100_with_two_decimals() {
        let d = |s: &str| Decimal::from_str_exact(s).unwrap();
        assert_eq!(percent("0").unwrap(), d("0"));
        assert_eq!(percent("100").unwrap(), d("100"));
        assert_eq!(percent("12.5").unwrap(), d("12.5"));
        assert_eq!(percent("12,75 %").unwrap(), d("12.75"));
        assert_eq!(percent("").unwrap(), Decimal::ZERO);
        assert_eq!(
            percent("1.50").unwrap(),
            d("1.5"),
            "trailing zeros are not extra decimals"
        );
        for bad in ["-1", "100.01", "101", "abc", "1.234", "1e2", "NaN"] {
            assert!(percent(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn stage_numbers_are_positive_integers() {
        assert_eq!(stage_number(" 3 ").unwrap(), 3);
        for bad in ["0", "-1", "1.5", "x", ""] {
            assert!(stage_number(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn descriptions_and_formulas() {
        assert_eq!(description("  Proposal ", true).unwrap(), "Proposal");
        assert!(description(" ", true).is_err());
        assert_eq!(description("", false).unwrap(), "");
        assert!(description(&"x".repeat(101), false).is_err());
        assert_eq!(date_formula(" cm + 1d ").unwrap(), "CM+1D");
        assert_eq!(date_formula("").unwrap(), "");
        assert!(date_formula("2X").unwrap_err().contains("2X"));
    }

    #[test]
    fn methods_round_trip_through_their_codes() {
        for m in ProbabilityMethod::ALL {
            assert_eq!(parse_method(method_code(m)), Some(m));
        }
        assert_eq!(parse_method("nope"), None);
    }
}

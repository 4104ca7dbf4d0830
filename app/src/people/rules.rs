//! Input rules for salespeople and teams (DOMAIN.md "Contacts and salespeople"), shared by the
//! forms and the server so both say the same thing in the same words.

use rust_decimal::Decimal;

use crate::{
    auth::rules::is_valid_email,
    error::{AppError, FieldErrors},
};

pub const MAX_CODE: usize = 20;
pub const MAX_NAME: usize = 100;
pub const MAX_PHONE: usize = 30;

/// Codes are trimmed and upper-cased on entry, so `sp1 ` and `SP1` are the same code.
pub fn normalize_code(code: &str) -> String {
    code.trim().to_uppercase()
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// The problem with an already normalised code, if any.
pub fn code_problem(code: &str) -> Option<String> {
    if code.is_empty() {
        Some("Enter a code.".into())
    } else if code.chars().count() > MAX_CODE {
        Some(format!("Use at most {MAX_CODE} characters for the code."))
    } else if has_control(code) {
        Some("Use letters, digits and punctuation only.".into())
    } else {
        None
    }
}

fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        Some("Enter a name.".into())
    } else if name.chars().count() > MAX_NAME {
        Some(format!("Use at most {MAX_NAME} characters for the name."))
    } else if has_control(name) {
        Some("Remove line breaks and control characters.".into())
    } else {
        None
    }
}

/// A commission percentage: a decimal from 0 to 100 with at most 2 places. Empty means 0; a
/// trailing `%` and a decimal comma (`12,5`) are accepted, since that is how people type them.
pub fn parse_commission(input: &str) -> Result<Decimal, String> {
    let s = input.trim().trim_end_matches('%').trim_end();
    if s.is_empty() {
        return Ok(Decimal::ZERO);
    }
    let s = if s.contains(',') && !s.contains('.') {
        s.replacen(',', ".", 1)
    } else {
        s.to_owned()
    };
    let value = Decimal::from_str_exact(&s)
        .map_err(|_| "Commission must be a number, like 12.5.".to_owned())?;
    if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
        return Err("Commission must be between 0 and 100 %.".into());
    }
    if value.normalize().scale() > 2 {
        return Err("Commission can have at most 2 decimals.".into());
    }
    let mut value = value.normalize();
    value.rescale(2);
    Ok(value)
}

/// Shows a percentage with 2 decimals, as DOMAIN.md asks for percentages.
pub fn format_pct(value: Decimal) -> String {
    format!("{:.2}", value.round_dp(2))
}

/// A salesperson's fields after validation: trimmed, code upper-cased, commission parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalespersonFields {
    pub code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub commission: Decimal,
}

/// Validates the salesperson form; every field's problem is reported at once.
pub fn salesperson(
    code: &str,
    name: &str,
    email: &str,
    phone: &str,
    commission: &str,
) -> Result<SalespersonFields, AppError> {
    let mut errors = FieldErrors::default();
    let code = normalize_code(code);
    if let Some(problem) = code_problem(&code) {
        errors.add("code", problem);
    }
    let name = name.trim();
    if let Some(problem) = name_problem(name) {
        errors.add("name", problem);
    }
    let email = email.trim();
    errors.check(
        email.is_empty() || is_valid_email(email),
        "email",
        "Enter a valid email address, like sam@example.com, or leave it empty.",
    );
    let phone = phone.trim();
    errors.check(
        phone.chars().count() <= MAX_PHONE,
        "phone",
        format!("Use at most {MAX_PHONE} characters for the phone number."),
    );
    errors.check(
        !has_control(phone),
        "phone",
        "Remove line breaks and control characters.",
    );
    let commission = parse_commission(commission).unwrap_or_else(|problem| {
        errors.add("commission", problem);
        Decimal::ZERO
    });
    errors.finish()?;
    Ok(SalespersonFields {
        code,
        name: name.to_owned(),
        email: email.to_owned(),
        phone: phone.to_owned(),
        commission,
    })
}

/// A team's fields after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamFields {
    pub code: String,
    pub name: String,
}

pub fn team(code: &str, name: &str) -> Result<TeamFields, AppError> {
    let mut errors = FieldErrors::default();
    let code = normalize_code(code);
    if let Some(problem) = code_problem(&code) {
        errors.add("code", problem);
    }
    let name = name.trim();
    if let Some(problem) = name_problem(name) {
        errors.add("name", problem);
    }
    errors.finish()?;
    Ok(TeamFields {
        code,
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(s: &str) -> Decimal {
        Decimal::from_str_exact(s).unwrap()
    }

    #[test]
    fn codes_are_trimmed_and_upper_cased() {
        assert_eq!(normalize_code("  sales-n "), "SALES-N");
        assert_eq!(code_problem(""), Some("Enter a code.".into()));
        assert!(code_problem(&"X".repeat(20)).is_none());
        assert!(code_problem(&"X".repeat(21)).is_some());
        assert!(code_problem("A\u{0}B").is_some());
    }

    #[test]
    fn commissions_are_decimals_from_0_to_100_with_2_places() {
        assert_eq!(parse_commission("12.5"), Ok(pct("12.50")));
        assert_eq!(parse_commission(" 7,25 % "), Ok(pct("7.25")));
        assert_eq!(parse_commission(""), Ok(Decimal::ZERO));
        assert_eq!(parse_commission("100"), Ok(pct("100.00")));
        assert_eq!(
            parse_commission("1.230"),
            Ok(pct("1.23")),
            "trailing zeros are not places"
        );
        assert_eq!(
            parse_commission("100.01").unwrap_err(),
            "Commission must be between 0 and 100 %."
        );
        assert_eq!(
            parse_commission("-1").unwrap_err(),
            "Commission must be between 0 and 100 %."
        );
        assert_eq!(
            parse_commission("abc").unwrap_err(),
            "Commission must be a number, like 12.5."
        );
        assert_eq!(
            parse_commission("1e2").unwrap_err(),
            "Commission must be a number, like 12.5."
        );
        assert_eq!(
            parse_commission("1.234").unwrap_err(),
            "Commission can have at most 2 decimals."
        );
    }

    #[test]
    fn percentages_show_with_2_decimals() {
        assert_eq!(format_pct(pct("12.5")), "12.50");
        assert_eq!(format_pct(Decimal::ZERO), "0.00");
        assert_eq!(format_pct(pct("100")), "100.00");
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let e = salesperson(" ", "", "not-an-email", &"1".repeat(31), "150").unwrap_err();
        for field in ["code", "name", "email", "phone", "commission"] {
            assert!(e.message_for(field).is_some(), "{field}");
        }
        let ok = salesperson(" sp1 ", " Sam Seller ", " sam@example.com ", " +44 20 ", "").unwrap();
        assert_eq!(ok.code, "SP1");
        assert_eq!(ok.name, "Sam Seller");
        assert_eq!(ok.email, "sam@example.com");
        assert_eq!(ok.phone, "+44 20");
        assert_eq!(ok.commission, Decimal::ZERO);
        assert!(team("north", "North").is_ok());
        assert!(
            team("north", &"n".repeat(101))
                .unwrap_err()
                .message_for("name")
                .is_some()
        );
    }
}

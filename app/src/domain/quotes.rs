//! Sales quotes (DOMAIN.md "Quotes") and the money/number inputs of the opportunity forms.
//! Line amount = quantity × unit price × (1 − discount / 100), rounded to 2 places; the total is
//! the sum of the rounded line amounts, so what the lines show adds up to the total shown.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::entries::{MAX_STORED_AMOUNT, round2};

/// The largest quantity a line stores (`numeric(14,4)`).
const MAX_QUANTITY: Decimal = Decimal::from_parts(276_447_231, 23_283, 0, false, 4); // 9_999_999_999.9999

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteLine {
    pub description: String,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    pub discount: Decimal,
}

impl QuoteLine {
    /// The line's amount, exact to the cent (half away from zero).
    pub fn amount(&self) -> Decimal {
        let gross = self.quantity * self.unit_price;
        let net = gross * (Decimal::ONE_HUNDRED - self.discount) / Decimal::ONE_HUNDRED;
        round2(net)
    }
}

/// The quote's total: the sum of the line amounts.
pub fn total(lines: &[QuoteLine]) -> Decimal {
    lines.iter().map(QuoteLine::amount).sum()
}

/// Reads a number typed by a person: spaces and thousands separators are dropped, `,` is read
/// as the decimal point when there is no `.` ("1 234,5" and "1,234.50" both work).
pub fn parse_number(input: &str) -> Option<Decimal> {
    let text: String = input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\'')
        .collect();
    if text.is_empty() {
        return None;
    }
    let text = if text.contains('.') {
        text.replace(',', "")
    } else if text.matches(',').count() == 1 {
        text.replace(',', ".")
    } else {
        text.replace(',', "")
    };
    Decimal::from_str_exact(&text).ok()
}

/// An amount of money: ≥ 0 (or > 0 when `positive`), at most 2 decimals, within what is stored.
pub fn amount(input: &str, positive: bool) -> Result<Decimal, String> {
    let value =
        parse_number(input).ok_or_else(|| "Enter an amount, such as 1250.00.".to_owned())?;
    if positive && value <= Decimal::ZERO {
        return Err("Enter an amount greater than 0.".into());
    }
    if value < Decimal::ZERO {
        return Err("Enter an amount of 0 or more.".into());
    }
    if value.normalize().scale() > 2 {
        return Err("Use at most two decimals.".into());
    }
    if value > MAX_STORED_AMOUNT {
        return Err("The amount is too large.".into());
    }
    Ok(value)
}

/// A quantity: > 0, at most 4 decimals.
pub fn quantity(input: &str) -> Result<Decimal, String> {
    let value =
        parse_number(input).ok_or_else(|| "Enter a quantity, such as 1 or 2.5.".to_owned())?;
    if value <= Decimal::ZERO {
        return Err("Enter a quantity greater than 0.".into());
    }
    if value.normalize().scale() > 4 {
        return Err("Use at most four decimals.".into());
    }
    if value > MAX_QUANTITY {
        return Err("The quantity is too large.".into());
    }
    Ok(value)
}

/// Checks a line as typed. Errors are keyed by field name.
pub fn line(
    description: &str,
    quantity_text: &str,
    unit_price_text: &str,
    discount_text: &str,
) -> Result<QuoteLine, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let description = super::setup::description(description, true)
        .map_err(|e| errors.push(("description", e)))
        .ok();
    let quantity = quantity(quantity_text)
        .map_err(|e| errors.push(("quantity", e)))
        .ok();
    let unit_price = amount(unit_price_text, false)
        .map_err(|e| errors.push(("unit_price", e)))
        .ok();
    let discount = super::setup::percent(discount_text)
        .map_err(|e| errors.push(("discount", e)))
        .ok();
    match (description, quantity, unit_price, discount) {
        (Some(description), Some(quantity), Some(unit_price), Some(discount))
            if errors.is_empty() =>
        {
            let line = QuoteLine {
                description,
                quantity,
                unit_price,
                discount,
            };
            if line.amount() > MAX_STORED_AMOUNT {
                return Err(vec![("unit_price", "The line amount is too large.".into())]);
            }
            Ok(line)
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn l(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> QuoteLine {
        QuoteLine {
            description: "Item".into(),
            quantity,
            unit_price,
            discount,
        }
    }

    #[test]
    fn line_amounts_round_half_away_from_zero_to_the_cent() {
        let cases = [
            // quantity, unit price, discount %, amount
            (d("1"), d("100.00"), d("0"), d("100.00")),
            (d("3"), d("19.99"), d("0"), d("59.97")),
            (d("2"), d("50.00"), d("10"), d("90.00")),
            (d("1"), d("0.05"), d("50"), d("0.03")), // 0.025 → 0.03
            (d("1"), d("0.01"), d("50"), d("0.01")), // 0.005 → 0.01
            (d("1.5"), d("9.99"), d("0"), d("14.99")), // 14.985 → 14.99
            (d("0.3333"), d("3.00"), d("0"), d("1.00")), // 0.9999 → 1.00
            (d("7"), d("12.34"), d("12.5"), d("75.58")), // 75.5825
            (d("5"), d("10.00"), d("100"), d("0.00")),
            (d("4"), d("0.00"), d("0"), d("0.00")),
        ];
        for (quantity, price, discount, expected) in cases {
            assert_eq!(
                l(quantity, price, discount).amount(),
                expected,
                "{quantity} × {price} − {discount}%"
            );
        }
    }

    #[test]
    fn the_total_adds_the_rounded_line_amounts() {
        // Each line is 0.025 → 0.03; the exact sum would be 0.075 → 0.08, the shown lines add to 0.09.
        let lines = vec![l(d("1"), d("0.05"), d("50")); 3];
        assert_eq!(total(&lines), d("0.09"));
        assert_eq!(total(&[]), Decimal::ZERO);
        assert_eq!(
            total(&[
                l(d("2"), d("1500"), d("0")),
                l(d("1"), d("250.50"), d("10"))
            ]),
            d("3225.45")
        );
    }

    #[test]
    fn numbers_typed_by_people() {
        let cases = [
            ("1250", Some(d("1250"))),
            ("1250.5", Some(d("1250.5"))),
            ("1 250,50", Some(d("1250.50"))),
            ("1,250.50", Some(d("1250.50"))),
            ("1,250,000", Some(d("1250000"))),
            ("12,5", Some(d("12.5"))),
            ("  7 ", Some(d("7"))),
            ("", None),
            ("abc", None),
            ("1.2.3", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_number(text), expected, "{text:?}");
        }
    }

    #[test]
    fn amount_rules() {
        assert_eq!(amount("0", false), Ok(d("0")));
        assert!(amount("0", true).is_err());
        assert!(amount("-1", false).is_err());
        assert_eq!(
            amount("12.345", true),
            Err("Use at most two decimals.".into())
        );
        assert_eq!(
            amount("9999999999999999.99", true),
            Ok(d("9999999999999999.99"))
        );
        assert_eq!(
            amount("10000000000000000", true),
            Err("The amount is too large.".into())
        );
        assert!(amount("lots", true).is_err());
    }

    #[test]
    fn quantity_rules() {
        assert_eq!(quantity("2.5"), Ok(d("2.5")));
        assert!(quantity("0").is_err());
        assert!(quantity("-2").is_err());
        assert_eq!(
            quantity("1.23456"),
            Err("Use at most four decimals.".into())
        );
        assert_eq!(quantity("9999999999.9999"), Ok(d("9999999999.9999")));
        assert!(quantity("10000000000").is_err());
    }

    #[test]
    fn a_line_reports_every_bad_field() {
        let errors = line("", "0", "-5", "120").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            vec!["description", "quantity", "unit_price", "discount"]
        );
        let ok = line(" Licence ", "3", "100", "10").unwrap();
        assert_eq!(ok.description, "Licence");
        assert_eq!(ok.amount(), d("270.00"));
    }
}

//! CSV import of contacts and opportunities: upload a file, map its columns to fields with a
//! preview of the first rows, then every row is checked by the same rules as the forms and
//! imported all-or-nothing in one transaction. Problems come back with their row numbers (as a
//! spreadsheet numbers them: the header is row 1); duplicates (a contact's email, an
//! opportunity's number) are reported, never merged.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;
mod page;

pub use page::ImportPage;
use serde::{Deserialize, Serialize};

/// Largest file taken (bytes) and most rows.
pub const MAX_BYTES: usize = 10 << 20;
pub const MAX_ROWS: usize = 50_000;
/// Problems listed in one answer; the rest are counted.
pub const MAX_ERRORS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    Contacts,
    Opportunities,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Opportunities => "opportunities",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "contacts" => Some(Self::Contacts),
            "opportunities" => Some(Self::Opportunities),
            _ => None,
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            Self::Contacts => CONTACT_COLUMNS,
            Self::Opportunities => OPPORTUNITY_COLUMNS,
        }
    }
}

/// A field a CSV column can fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    pub field: &'static str,
    pub label: &'static str,
    pub required: bool,
    /// Header names (lower case) that map to it without asking.
    pub aliases: &'static [&'static str],
}

pub const CONTACT_COLUMNS: &[Column] = &[
    Column {
        field: "kind",
        label: "Type (company or person; default company)",
        required: false,
        aliases: &["kind", "type"],
    },
    Column {
        field: "name",
        label: "Name",
        required: true,
        aliases: &["name", "contact", "contact name", "full name"],
    },
    Column {
        field: "company",
        label: "Company (a person's company: its number or exact name)",
        required: false,
        aliases: &["company", "company name", "company_no"],
    },
    Column {
        field: "job_title",
        label: "Job title",
        required: false,
        aliases: &["job_title", "job title", "title", "position"],
    },
    Column {
        field: "email",
        label: "Email",
        required: false,
        aliases: &["email", "e-mail", "email address"],
    },
    Column {
        field: "phone",
        label: "Phone",
        required: false,
        aliases: &["phone", "telephone", "phone number"],
    },
    Column {
        field: "address",
        label: "Address",
        required: false,
        aliases: &["address", "street"],
    },
    Column {
        field: "city",
        label: "City",
        required: false,
        aliases: &["city", "town"],
    },
    Column {
        field: "post_code",
        label: "Post code",
        required: false,
        aliases: &["post_code", "post code", "postcode", "zip", "zip code"],
    },
    Column {
        field: "country",
        label: "Country",
        required: false,
        aliases: &["country"],
    },
    Column {
        field: "salesperson_code",
        label: "Salesperson code",
        required: false,
        aliases: &[
            "salesperson_code",
            "salesperson code",
            "salesperson",
            "owner",
        ],
    },
];

pub const OPPORTUNITY_COLUMNS: &[Column] = &[
    Column {
        field: "no",
        label: "Number (only to detect duplicates; new numbers are given)",
        required: false,
        aliases: &["no", "number", "opportunity no"],
    },
    Column {
        field: "description",
        label: "Description",
        required: true,
        aliases: &["description", "opportunity", "title", "deal"],
    },
    Column {
        field: "contact_no",
        label: "Contact number",
        required: true,
        aliases: &["contact_no", "contact no", "contact number"],
    },
    Column {
        field: "salesperson_code",
        label: "Salesperson code (default: the contact's)",
        required: false,
        aliases: &[
            "salesperson_code",
            "salesperson code",
            "salesperson",
            "owner",
        ],
    },
    Column {
        field: "sales_cycle",
        label: "Sales cycle code",
        required: true,
        aliases: &["sales_cycle", "sales cycle", "cycle"],
    },
    Column {
        field: "creation_date",
        label: "Creation date (YYYY-MM-DD; default today)",
        required: false,
        aliases: &["creation_date", "creation date", "created"],
    },
    Column {
        field: "priority",
        label: "Priority (low, normal, high)",
        required: false,
        aliases: &["priority"],
    },
    Column {
        field: "estimated_value",
        label: "Estimated value",
        required: false,
        aliases: &["estimated_value", "estimated value", "value", "amount"],
    },
    Column {
        field: "chances_of_success_pct",
        label: "Chances of success %",
        required: false,
        aliases: &["chances_of_success_pct", "chances", "chances of success"],
    },
    Column {
        field: "estimated_closing_date",
        label: "Estimated closing date",
        required: false,
        aliases: &[
            "estimated_closing_date",
            "estimated closing date",
            "closing date",
            "close date",
        ],
    },
];

/// Which CSV column (by index) fills each field; `None`: not imported.
pub type Mapping = Vec<(String, Option<usize>)>;

/// The first guess: a column whose header is one of the field's aliases.
pub fn suggest(kind: ImportKind, headers: &[String]) -> Mapping {
    kind.columns()
        .iter()
        .map(|c| {
            let found = headers
                .iter()
                .position(|h| c.aliases.contains(&h.trim().to_lowercase().as_str()));
            (c.field.to_owned(), found)
        })
        .collect()
}

/// What the mapping step shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preview {
    pub upload_id: i64,
    pub kind: ImportKind,
    pub filename: String,
    pub headers: Vec<String>,
    /// The first rows, as in the file.
    pub rows: Vec<Vec<String>>,
    pub total_rows: usize,
    pub mapping: Mapping,
    pub imported: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The row as a spreadsheet numbers it (the header is row 1).
    pub row: usize,
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Rows imported (0 when anything was wrong: all or nothing).
    pub imported: usize,
    pub rows: usize,
    pub errors: Vec<RowError>,
    /// Problems beyond the listed ones.
    pub more_errors: usize,
}

/// A cell a spreadsheet will show as text: one that would start a formula (`=`, `+`, `-`, `@`,
/// tab, carriage return) gets a leading `'` (CSV injection). Exports write every cell this way.
pub fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

/// The inverse of [`safe_cell`], applied to imported cells: a file exported by Pipeline imports
/// back unchanged.
pub fn unguard_cell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            rest
        }
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_kept_as_text_and_come_back() {
        for (cell, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Acme", "Acme"),
            ("", ""),
            ("12500.00", "12500.00"),
            ("a=b", "a=b"),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(safe_cell(cell), written, "{cell:?}");
            assert_eq!(unguard_cell(&safe_cell(cell)), cell, "{cell:?}");
        }
    }

    #[test]
    fn headers_map_by_their_usual_names() {
        let headers: Vec<String> = ["E-mail", "Name", "Town", "whatever"]
            .map(String::from)
            .to_vec();
        let m = suggest(ImportKind::Contacts, &headers);
        let get = |f: &str| m.iter().find(|(k, _)| k == f).unwrap().1;
        assert_eq!(get("email"), Some(0));
        assert_eq!(get("name"), Some(1));
        assert_eq!(get("city"), Some(2));
        assert_eq!(get("phone"), None);
        assert_eq!(
            ImportKind::parse("opportunities"),
            Some(ImportKind::Opportunities)
        );
        assert_eq!(ImportKind::parse("x"), None);
    }
}

/// `field=index;field=;…` (what the page sends) to a mapping.
pub fn encode_mapping(mapping: &Mapping) -> String {
    mapping
        .iter()
        .map(|(f, i)| format!("{f}={}", i.map(|i| i.to_string()).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join(";")
}

pub fn decode_mapping(text: &str) -> Mapping {
    text.split(';')
        .filter_map(|pair| pair.split_once('='))
        .map(|(f, i)| (f.trim().to_owned(), i.trim().parse().ok()))
        .collect()
}

//! Contacts: companies and persons, with search, sort and paging, and a contact card.
//!
//! The types here cross between server and browser; the rules for a contact's fields are plain
//! functions, so the server enforces exactly what the form describes.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;
mod pages;

pub use pages::{ContactPage, ContactsPage, NewContactPage};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};

/// Rows per page of the contact list.
pub const PAGE_SIZE: i64 = 25;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ContactKind {
    #[default]
    Company,
    Person,
}

impl ContactKind {
    pub const ALL: [ContactKind; 2] = [ContactKind::Company, ContactKind::Person];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Company => "company",
            ContactKind::Person => "person",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            ContactKind::Company => "Company",
            ContactKind::Person => "Person",
        }
    }

    /// The database CHECK allows only the two values; anything else reads as a person rather
    /// than failing the whole page.
    pub fn from_db(s: &str) -> Self {
        if s == "company" {
            ContactKind::Company
        } else {
            ContactKind::Person
        }
    }
}

/// One row of the contact list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactListItem {
    pub id: i64,
    pub no: String,
    pub name: String,
    pub kind: ContactKind,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    /// Whether the viewer may open the company's card (it may belong to another team).
    pub company_readable: bool,
    pub email: String,
    pub phone: String,
    pub city: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub post_code: String,
    #[serde(default)]
    pub country: String,
    pub salesperson: Option<String>,
    #[serde(default)]
    pub salesperson_code: Option<String>,
}

/// One page of the contact list and where it sits in the whole result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactList {
    pub items: Vec<ContactListItem>,
    pub total: i64,
    /// 1-based, clamped to the last page.
    pub page: i64,
}

impl ContactList {
    pub fn last_page(&self) -> i64 {
        last_page(self.total)
    }

    /// "1–25 of 1,234"
    pub fn range_label(&self) -> String {
        if self.total == 0 {
            return "0 contacts".into();
        }
        let first = (self.page - 1) * PAGE_SIZE + 1;
        let last = first + self.items.len() as i64 - 1;
        format!(
            "{}–{} of {}",
            thousands(first),
            thousands(last),
            thousands(self.total)
        )
    }
}

pub fn last_page(total: i64) -> i64 {
    ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortKey {
    #[default]
    Name,
    City,
    Created,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Name, SortKey::City, SortKey::Created];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::City => "city",
            SortKey::Created => "created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Name => "Name",
            SortKey::City => "City",
            SortKey::Created => "Date added",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

/// What the list shows: the page's URL query, read leniently (a hand-edited or stale address
/// falls back to the defaults instead of failing).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    pub search: String,
    pub kind: Option<ContactKind>,
    pub sort: SortKey,
    pub descending: bool,
    pub page: i64,
}

/// Longest search text taken into account; longer input is cut, not refused.
pub const MAX_SEARCH: usize = 100;

impl ListQuery {
    pub fn parse(
        search: Option<&str>,
        kind: Option<&str>,
        sort: Option<&str>,
        dir: Option<&str>,
        page: Option<&str>,
    ) -> Self {
        Self {
            search: search
                .unwrap_or_default()
                .trim()
                .chars()
                .take(MAX_SEARCH)
                .collect(),
            kind: kind.and_then(ContactKind::parse),
            sort: sort.and_then(SortKey::parse).unwrap_or_default(),
            descending: dir.map(str::trim) == Some("desc"),
            page: page
                .and_then(|p| p.trim().parse::<i64>().ok())
                .unwrap_or(1)
                .clamp(1, 1_000_000),
        }
    }

    pub fn from_map(map: &leptos_router::params::ParamsMap) -> Self {
        Self::parse(
            map.get("q").as_deref(),
            map.get("kind").as_deref(),
            map.get("sort").as_deref(),
            map.get("dir").as_deref(),
            map.get("page").as_deref(),
        )
    }

    pub fn is_filtered(&self) -> bool {
        !self.search.is_empty() || self.kind.is_some()
    }

    pub fn with_page(&self, page: i64) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    /// The same filter sorted by `key`: ascending first, and flipped when already sorted by it.
    pub fn sorted_by(&self, key: SortKey) -> Self {
        let descending = self.sort == key && !self.descending;
        Self {
            sort: key,
            descending,
            page: 1,
            ..self.clone()
        }
    }

    /// `/contacts?…` with only the non-default parts, so links stay short and shareable.
    pub fn href(&self) -> String {
        let mut parts = Vec::new();
        if !self.search.is_empty() {
            parts.push(format!("q={}", url_encode(&self.search)));
        }
        if let Some(kind) = self.kind {
            parts.push(format!("kind={}", kind.as_str()));
        }
        if self.sort != SortKey::Name {
            parts.push(format!("sort={}", self.sort.as_str()));
        }
        if self.descending {
            parts.push("dir=desc".into());
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            "/contacts".into()
        } else {
            format!("/contacts?{}", parts.join("&"))
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay as they are).
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A person on their company's card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonItem {
    pub id: i64,
    pub no: String,
    pub name: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
}

/// Everything the contact card shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetail {
    pub id: i64,
    pub no: String,
    pub kind: ContactKind,
    pub name: String,
    pub company_id: Option<i64>,
    pub company_name: Option<String>,
    pub company_readable: bool,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    pub salesperson_id: Option<i64>,
    pub salesperson_name: Option<String>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Whether the viewer may change it (the server checks again on every update).
    pub can_change: bool,
    /// For a company: its persons the viewer may read.
    pub persons: Vec<PersonItem>,
}

/// A company in the picker of a person's form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyOption {
    pub id: i64,
    pub no: String,
    pub name: String,
}

/// A salesperson the viewer may assign contacts to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalespersonOption {
    pub id: i64,
    pub label: String,
}

/// The salesperson choices of the contact form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignOptions {
    pub salespeople: Vec<SalespersonOption>,
    /// Preselected for a new contact: the viewer's own salesperson record, if any.
    pub default_id: Option<i64>,
    /// Admins and managers may leave a contact unassigned (the shared lead pool).
    pub allow_none: bool,
}

/// What a successful update answers: the card reloads when it sees a new version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: i64,
    pub version: i32,
}

/// Field limits, shared by the form (`maxlength`) and the server.
pub mod limits {
    pub const NAME: usize = 100;
    pub const JOB_TITLE: usize = 100;
    pub const EMAIL: usize = 254;
    pub const PHONE: usize = 30;
    pub const ADDRESS: usize = 200;
    pub const CITY: usize = 50;
    pub const POST_CODE: usize = 20;
    pub const COUNTRY: usize = 50;
}

/// The contact form as posted: every field as text, read and checked by [`ContactForm::check`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactForm {
    pub kind: String,
    pub name: String,
    pub company_id: String,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    pub salesperson_id: String,
}

/// A contact's fields after the checks that need no database.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContactInput {
    pub kind: ContactKind,
    pub name: String,
    pub company_id: Option<i64>,
    pub job_title: String,
    pub email: String,
    pub phone: String,
    pub address: String,
    pub city: String,
    pub post_code: String,
    pub country: String,
    /// None: the form left it empty (unassigned, or the salesperson's own record).
    pub salesperson_id: Option<i64>,
}

impl ContactForm {
    /// Trims and checks every field, adding a message per bad field to `errors`; the database
    /// checks (company readable, salesperson in scope) follow in the operation.
    pub fn check(&self, errors: &mut FieldErrors) -> ContactInput {
        let text = |value: &str, field: &str, max: usize, errors: &mut FieldErrors| {
            let value = value.trim().to_owned();
            errors.check(
                value.chars().count() <= max,
                field,
                format!("Use at most {max} characters."),
            );
            value
        };
        let kind = ContactKind::parse(&self.kind);
        errors.check(kind.is_some(), "kind", "Choose Company or Person.");
        let kind = kind.unwrap_or_default();

        let name = text(&self.name, "name", limits::NAME, errors);
        errors.check(!name.is_empty(), "name", "Enter a name.");

        let company_id = match self.company_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("company_id", "Choose a company from the list.");
                    None
                }
            },
        };
        if company_id.is_some() && kind == ContactKind::Company {
            errors.add("company_id", "A company cannot belong to another company.");
        }

        let email = text(&self.email, "email", limits::EMAIL, errors);
        if !email.is_empty() {
            errors.check(
                crate::auth::rules::is_valid_email(&email),
                "email",
                "Enter a valid email address, like name@example.com.",
            );
        }

        let salesperson_id = match self.salesperson_id.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("salesperson_id", "Choose a salesperson from the list.");
                    None
                }
            },
        };

        ContactInput {
            kind,
            name,
            company_id,
            job_title: text(&self.job_title, "job_title", limits::JOB_TITLE, errors),
            email,
            phone: text(&self.phone, "phone", limits::PHONE, errors),
            address: text(&self.address, "address", limits::ADDRESS, errors),
            city: text(&self.city, "city", limits::CITY, errors),
            post_code: text(&self.post_code, "post_code", limits::POST_CODE, errors),
            country: text(&self.country, "country", limits::COUNTRY, errors),
            salesperson_id,
        }
    }
}

/// The message of a failed load, for a page that shows no form.
pub fn load_error_text(e: &AppError) -> String {
    match e {
        AppError::NotFound => "This contact does not exist or you do not have access to it.".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ContactForm {
        ContactForm {
            kind: "person".into(),
            name: " Ann Smith ".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_form_is_trimmed() {
        let mut errors = FieldErrors::default();
        let input = form().check(&mut errors);
        assert!(errors.finish().is_ok());
        assert_eq!(input.name, "Ann Smith");
        assert_eq!(input.kind, ContactKind::Person);
    }

    #[test]
    fn every_bad_field_gets_its_message() {
        let mut errors = FieldErrors::default();
        let bad = ContactForm {
            kind: "robot".into(),
            name: "  ".into(),
            email: "ann@".into(),
            city: "x".repeat(51),
            company_id: "abc".into(),
            salesperson_id: "x".into(),
            ..Default::default()
        };
        bad.check(&mut errors);
        let e = errors.finish().unwrap_err();
        for field in [
            "kind",
            "name",
            "email",
            "city",
            "company_id",
            "salesperson_id",
        ] {
            assert!(e.message_for(field).is_some(), "{field}");
        }
        assert_eq!(
            e.message_for("city").as_deref(),
            Some("Use at most 50 characters.")
        );
    }

    #[test]
    fn a_company_cannot_have_a_company() {
        let mut errors = FieldErrors::default();
        ContactForm {
            kind: "company".into(),
            name: "Acme".into(),
            company_id: "3".into(),
            ..Default::default()
        }
        .check(&mut errors);
        assert_eq!(
            errors
                .finish()
                .unwrap_err()
                .message_for("company_id")
                .as_deref(),
            Some("A company cannot belong to another company.")
        );
    }

    #[test]
    fn the_list_query_is_read_leniently_and_written_back_short() {
        let q = ListQuery::parse(
            Some(" acme & co "),
            Some("person"),
            Some("city"),
            Some("desc"),
            Some("3"),
        );
        assert_eq!(
            q.href(),
            "/contacts?q=acme%20%26%20co&kind=person&sort=city&dir=desc&page=3"
        );
        let q = ListQuery::parse(None, Some("alien"), Some("DROP"), Some("up"), Some("-4"));
        assert_eq!(
            q,
            ListQuery {
                page: 1,
                ..Default::default()
            }
        );
        assert_eq!(q.href(), "/contacts");
        assert!(
            q.sorted_by(SortKey::Name).descending,
            "sorting by the current key flips it"
        );
        assert!(!q.sorted_by(SortKey::City).descending);
    }

    #[test]
    fn ranges_read_like_a_person_writes_them() {
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(999), "999");
        let list = ContactList {
            items: vec![],
            total: 0,
            page: 1,
        };
        assert_eq!(list.range_label(), "0 contacts");
        assert_eq!(last_page(0), 1);
        assert_eq!(last_page(25), 1);
        assert_eq!(last_page(26), 2);
    }
}

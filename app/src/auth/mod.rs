//! Users, sign-in and roles: who is asking, and what they may see and change.

#[cfg(feature = "ssr")]
pub mod access;
pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod ops;
mod pages;

pub use pages::{LoginPage, ProfilePage, WelcomePage};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Everything, including setup and users.
    Admin,
    /// Reads and changes what the salespeople of the teams they manage own.
    Manager,
    /// Reads what their teams own; changes only their own.
    Salesperson,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Manager, Role::Salesperson];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Salesperson => "salesperson",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Salesperson => "Salesperson",
        }
    }
}

/// What the browser knows of the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// Rules for input shared by the forms and the server.
pub mod rules {
    pub const MIN_PASSWORD: usize = 10;
    /// Argon2 hashes whatever it is given: a cap keeps a huge "password" from costing seconds.
    pub const MAX_PASSWORD: usize = 200;

    /// Lower-cased and trimmed: emails are unique case-insensitively.
    pub fn normalize_email(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// A plausible address: one @, something before it, a dotted domain after it, no spaces.
    pub fn is_valid_email(email: &str) -> bool {
        let Some((local, domain)) = email.split_once('@') else {
            return false;
        };
        !local.is_empty()
            && email.len() <= 254
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
    }

    pub fn password_problem(password: &str) -> Option<String> {
        let n = password.chars().count();
        if n < MIN_PASSWORD {
            Some(format!("Use at least {MIN_PASSWORD} characters."))
        } else if n > MAX_PASSWORD {
            Some(format!("Use at most {MAX_PASSWORD} characters."))
        } else {
            None
        }
    }

    /// Where to go after sign-in: only paths on this site (no `//evil.example`, no `https://…`).
    pub fn safe_next(next: Option<&str>) -> String {
        match next {
            Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => {
                n.to_owned()
            }
            _ => "/".to_owned(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn emails() {
            for ok in ["a@b.co", "Jane.Doe+crm@example.com", "x@sub.example.org"] {
                assert!(is_valid_email(ok), "{ok}");
            }
            for bad in [
                "", "a", "@b.co", "a@", "a@b", "a@.b", "a@b.", "a b@c.de", "a@b@c.de", "a@b.c\n",
            ] {
                assert!(!is_valid_email(bad), "{bad:?}");
            }
            assert_eq!(normalize_email("  Jane@Example.COM "), "jane@example.com");
        }

        #[test]
        fn passwords() {
            assert!(password_problem("short").is_some());
            assert!(password_problem("long enough!").is_none());
            assert!(password_problem(&"x".repeat(MAX_PASSWORD + 1)).is_some());
        }

        #[test]
        fn next_stays_on_this_site() {
            assert_eq!(safe_next(Some("/board?x=1")), "/board?x=1");
            for bad in [
                None,
                Some(""),
                Some("//evil.example"),
                Some("https://evil.example"),
                Some("/\\evil"),
            ] {
                assert_eq!(safe_next(bad), "/", "{bad:?}");
            }
        }
    }
}

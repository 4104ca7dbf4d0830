//! Personal API tokens: a user creates named tokens in their profile for scripts and
//! integrations (`Authorization: Bearer …`). A token acts as its user, with the same role and
//! team scope. The secret is shown once; only its SHA-256 digest is stored. Admins can list and
//! revoke anyone's tokens.

pub mod api;
#[cfg(feature = "ssr")]
pub mod ops;
mod page;

use chrono::{DateTime, NaiveDate, Utc};
pub use page::ApiTokensSection;
use serde::{Deserialize, Serialize};

/// Every secret starts with this, so a leaked one is easy to recognise (and to scan for).
pub const SECRET_PREFIX: &str = "plt_";
/// How many characters of the secret are kept in clear to tell tokens apart.
pub const SHOWN_CHARS: usize = 12;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The secret's first characters, e.g. `plt_3fa9c1d2`.
    pub prefix: String,
    /// The owner (shown in the admin's list).
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenRow {
    pub fn is_usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    /// "active", "revoked" or "expired", for the list.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        match (self.revoked_at, self.expires_at) {
            (Some(_), _) => "revoked",
            (None, Some(e)) if e <= now => "expired",
            _ => "active",
        }
    }
}

/// What the profile's token section shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenOverview {
    pub mine: Vec<TokenRow>,
    /// Everyone's tokens, for admins only.
    pub everyone: Option<Vec<TokenRow>>,
    pub now: DateTime<Utc>,
}

/// A token just created: the only time its secret is seen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i64,
    pub name: String,
    pub secret: String,
    pub expires_at: Option<NaiveDate>,
}

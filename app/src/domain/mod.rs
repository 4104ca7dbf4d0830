//! Pure domain rules and types (DOMAIN.md): no I/O, compiled for both server and client so the
//! browser can check a rule instantly and the server enforces the very same code.

pub mod date_formula;
pub mod entries;
pub mod metrics;
pub mod quotes;
pub mod rank;
pub mod setup;

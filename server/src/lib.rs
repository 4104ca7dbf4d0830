//! Pipeline's axum server: configuration, the embedded database, the router and the CLI.

// The board's view (its drag-and-drop closures capture one another) needs more than the default
// 128 levels when the release build computes its layout.
#![recursion_limit = "256"]

pub mod api;
pub mod backup;
pub mod check;
pub mod cli;
pub mod db;
pub mod embedded;
pub mod error;
pub mod export;
pub mod guard;
pub mod http;
pub mod import;
pub mod listen;
pub mod live;
pub mod seed;
pub mod webhooks;

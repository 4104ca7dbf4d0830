//! Pipeline's axum server: configuration, the embedded database, the router and the CLI.

pub mod cli;
pub mod db;
pub mod embedded;
pub mod error;
pub mod guard;
pub mod http;
pub mod live;
pub mod seed;

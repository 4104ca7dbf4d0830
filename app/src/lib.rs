//! Pipeline's shared Leptos crate: compiled with `ssr` into the server and with `hydrate`
//! into the wasm client. One folder per feature; pure rules live in `domain`.

pub mod auth;
pub mod board;
pub mod contacts;
pub mod dashboard;
pub mod domain;
pub mod error;
pub mod home;
pub mod import;
pub mod layout;
pub mod live;
pub mod opportunities;
pub mod people;
#[cfg(feature = "ssr")]
pub mod security;
pub mod setup;
#[cfg(feature = "ssr")]
pub mod state;
pub mod tasks;
pub mod tokens;
pub mod ui;
pub mod users;
pub mod webhooks;

pub use layout::{App, shell};

//! Pipeline's shared Leptos crate: compiled with `ssr` into the server and with `hydrate`
//! into the wasm client. One folder per feature; pure rules live in `domain`.

pub mod domain;
pub mod home;
pub mod layout;
#[cfg(feature = "ssr")]
pub mod state;

pub use layout::{App, shell};

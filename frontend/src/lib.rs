//! The wasm entry point: hydrates the server-rendered page and nothing else.

// The board's view (its drag-and-drop closures capture one another) needs more than the default
// 128 levels when the release build computes its layout.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

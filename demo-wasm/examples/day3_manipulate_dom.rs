//! demo-wasm day 3 — the Go course's `manipulate-dom/main.go`, as a page's `.wasm`.
//!
//! `cargo xtask run demo-wasm 3` builds it, serves `www/manipulate-dom/index.html` and prints
//! the URL. The page has no script of its own beyond loading this module: Rust attaches the
//! button's click listener when the module starts.

use wasm_bindgen::prelude::*;

// ANCHOR: start
/// Runs when the page has loaded the module: wires `#btn` to write `fib(#num)` into `#ans`.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsError> {
    let body = demo_wasm::document()
        .ok()
        .and_then(|d| d.body())
        .ok_or_else(|| JsError::new(demo_wasm::Error::NoDocument.message()))?;
    let listener =
        demo_wasm::manipulate_dom::attach(&body).map_err(|e| JsError::new(e.message()))?;
    // The listener must work for as long as the page is open: see `keep_for_page`.
    listener.keep_for_page();
    Ok(())
}
// ANCHOR_END: start

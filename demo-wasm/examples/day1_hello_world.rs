//! demo-wasm day 1 — the Go course's `hello-world/main.go`, as a page's `.wasm`.
//!
//! Build, serve and open it with `cargo xtask run demo-wasm 1` (it prints the URL); the page is
//! `www/hello-world/index.html`. This file is a `cdylib`: the `.wasm` the page loads. It has no
//! `main`; the function marked `#[wasm_bindgen(start)]` runs once the module is loaded.

use wasm_bindgen::prelude::*;

// ANCHOR: start
/// Runs when the page has loaded the module: greets in the console and on the page.
#[wasm_bindgen(start)]
pub fn start() -> Result<(), JsError> {
    let document = demo_wasm::document().map_err(|e| JsError::new(e.message()))?;
    demo_wasm::hello_world::greet(&document).map_err(|e| JsError::new(e.message()))?;
    Ok(())
}
// ANCHOR_END: start

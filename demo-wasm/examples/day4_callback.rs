//! demo-wasm day 4 — the Go course's `callback/main.go`, as a page's `.wasm`.
//!
//! `cargo xtask run demo-wasm 4` builds it, serves `www/callback/index.html` and prints the
//! URL. The page calls `fibFunc(n, v => ...)`; the callback fires three seconds later.

use wasm_bindgen::prelude::*;

/// The Go demo's delay.
const DELAY_MS: u32 = 3000;

// ANCHOR: export
/// `fibFunc(n, callback)` in JavaScript: returns at once, calls `callback(fib(n))` three
/// seconds later; throws an `Error` right away for a bad `n`.
#[wasm_bindgen(js_name = fibFunc)]
pub fn fib_func(n: f64, callback: js_sys::Function) -> Result<(), JsError> {
    demo_wasm::callback::fib_later(n, DELAY_MS, callback).map_err(|e| JsError::new(e.message()))
}
// ANCHOR_END: export

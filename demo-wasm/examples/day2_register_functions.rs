//! demo-wasm day 2 — the Go course's `register-functions/main.go`, as a page's `.wasm`.
//!
//! `cargo xtask run demo-wasm 2` builds it, serves `www/register-functions/index.html` and
//! prints the URL. The page calls `fibFunc(n)` from a button's `onclick`, as the Go page does.

use wasm_bindgen::prelude::*;

// ANCHOR: export
/// `fibFunc(n)` in JavaScript: `fib(n)` as a `BigInt`, or a thrown `Error` for a bad `n`.
/// The attribute is the whole registration: wasm-bindgen exports the function from the
/// `.wasm` and writes the JavaScript wrapper that converts the Number in and the `u64` out.
#[wasm_bindgen(js_name = fibFunc)]
pub fn fib_func(n: f64) -> Result<u64, JsError> {
    demo_wasm::fib::fib_func(n)
}
// ANCHOR_END: export

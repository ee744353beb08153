//! # demo-wasm — four WebAssembly demos
//!
//! Rust running in a web page, compiled to `wasm32-unknown-unknown` and glued to JavaScript
//! by wasm-bindgen: a hello world that writes into the page (day 1), Rust functions called
//! from JavaScript (day 2), changing the page's DOM from Rust (day 3), and JavaScript
//! callbacks invoked from Rust after asynchronous work (day 4).
//!
//! The library holds each demo's code, one module per idea. Each day's example
//! (`examples/dayN_<slug>.rs`) is the tiny `cdylib` that becomes that page's `.wasm`: it
//! exports only what its page uses, so every demo stays small. `cargo xtask run demo-wasm
//! <n>` builds it, serves `www/<demo>/index.html` and prints the URL; the browser tests in
//! `tests/` run in headless Chromium (`cargo xtask test`).
//!
//! Everything also compiles for the host (web-sys calls simply cannot be *run* there), so
//! `cargo build --workspace` stays green without a browser.

pub mod callback;
pub mod fib;
pub mod hello_world;
pub mod manipulate_dom;

/// The errors the demos report to the page. Each message is a fixed string so that showing
/// it needs no `format!` machinery in the `.wasm` (see day 1 on where the bytes go).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The page lacks an element the demo needs (a typo in `index.html`, or no DOM at all).
    #[error("the page has no element the demo needs")]
    MissingElement,
    /// There is no `window` / `document`: the code runs outside a page (a worker, Node).
    #[error("no window or document: this demo runs in a web page")]
    NoDocument,
}

impl Error {
    /// The message as a `&'static str`, for the page (no formatting code needed).
    pub const fn message(self) -> &'static str {
        match self {
            Error::MissingElement => "the page has no element the demo needs",
            Error::NoDocument => "no window or document: this demo runs in a web page",
        }
    }
}

/// The page's `document`, or [`Error::NoDocument`] outside a page.
pub fn document() -> Result<web_sys::Document, Error> {
    web_sys::window()
        .and_then(|w| w.document())
        .ok_or(Error::NoDocument)
}

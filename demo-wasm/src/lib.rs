//! # demo-wasm — four WebAssembly demos
//!
//! Not built yet: every demo is `planned` in `course.toml`.
//!
//! What it will teach: a hello world that runs in the browser (1), Rust functions called
//! from JavaScript (2), changing the page's DOM from Rust (3), and JavaScript callbacks
//! invoked from Rust after asynchronous work (4). Each is tested in headless Chromium.

//! Day 1 — Hello, WebAssembly: Rust code that runs when the page loads.
//!
//! The Go demo calls `alert("Hello World!")` from `main`. An alert blocks the page (and any
//! robot driving it, such as the browser tests), so this one does the two quieter things a
//! real program does: it logs to the browser console and writes its greeting into the page.
//! The page's `.wasm` calls [`greet`] from its `#[wasm_bindgen(start)]` function, which the
//! wasm-bindgen glue runs right after the module is instantiated: Rust's `main`, for a page.

use wasm_bindgen::JsValue;
use web_sys::Document;

use crate::Error;

/// What the demo says, in the console and on the page.
pub const GREETING: &str = "Hello, WebAssembly!";

/// The id of the element the greeting is written into.
pub const GREETING_ID: &str = "greeting";

// ANCHOR: greet
/// Logs [`GREETING`] to the console and shows it in the element `#greeting`, creating that
/// element at the end of `<body>` when the page has none. Calling it twice leaves one
/// greeting, not two: the page's state is the element's text, not a count of calls.
pub fn greet(document: &Document) -> Result<web_sys::Element, Error> {
    web_sys::console::log_1(&JsValue::from_str(GREETING));
    let element = match document.get_element_by_id(GREETING_ID) {
        Some(existing) => existing,
        None => {
            let body = document.body().ok_or(Error::MissingElement)?;
            let created = document
                .create_element("p")
                .map_err(|_| Error::MissingElement)?;
            created.set_id(GREETING_ID);
            body.append_child(&created)
                .map_err(|_| Error::MissingElement)?;
            created
        }
    };
    // ANCHOR: ex_write_greeting
    element.set_text_content(Some(GREETING));
    Ok(element)
    // ANCHOR_END: ex_write_greeting
}
// ANCHOR_END: greet

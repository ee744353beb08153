//! Day 3 — Manipulating the DOM: Rust finds the elements, listens for clicks, writes the answer.
//!
//! Day 2's page wired the button to `fibFunc` in JavaScript. Here Rust does all of it, like
//! the Go demo: it looks up `#num`, `#btn` and `#ans`, registers a click listener, and on
//! each click reads the input, computes day 2's [`fib`] and writes the
//! result. The Go version ignores `strconv.Atoi`'s error, so an empty field or `abc` shows
//! `fib(0) = 1` as if it were an answer; here every bad input (empty, not a number,
//! negative, too large) puts a message on the page instead.
//!
//! A click listener is a Rust closure that JavaScript calls later, so someone must keep it
//! alive as long as the listener is registered. [`Listener`] owns the closure and removes
//! the listener when dropped; a page that wants it forever says so with
//! [`Listener::keep_for_page`].

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Element, EventTarget, HtmlInputElement};

use crate::Error;
use crate::fib::{FibError, fib};

/// What is wrong with the text in `#num`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The field is empty.
    #[error("{}", self.message())]
    Empty,
    /// The text is not a whole number (`abc`, `1.5`, `1e3`).
    #[error("{}", self.message())]
    NotANumber,
    /// The number is below zero.
    #[error("{}", self.message())]
    Negative,
    /// The number is valid but `fib` has no 64-bit answer for it.
    #[error("{}", self.message())]
    Fib(FibError),
}

impl InputError {
    /// The message shown in `#ans`.
    pub const fn message(self) -> &'static str {
        match self {
            InputError::Empty => "enter a number",
            InputError::NotANumber => "that is not a whole number",
            InputError::Negative => "the number must not be negative",
            InputError::Fib(e) => e.message(),
        }
    }
}

// ANCHOR: parse_input
/// Reads `n` from the input's text: surrounding spaces are ignored; the rest must be
/// decimal digits. A leading `-` followed by digits is a negative number, not "not a number".
pub fn parse_input(text: &str) -> Result<u32, InputError> {
    // ANCHOR: ex_parse_input
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::Empty);
    }
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = text.strip_prefix('-') {
        return Err(if all_digits(rest) {
            InputError::Negative
        } else {
            InputError::NotANumber
        });
    }
    if !all_digits(text) {
        return Err(InputError::NotANumber);
    }
    // Only digits: the one way left to fail is a number too big for u32.
    text.parse::<u32>()
        .map_err(|_| InputError::Fib(FibError::TooLarge))
    // ANCHOR_END: ex_parse_input
}
// ANCHOR_END: parse_input

/// The answer `#ans` shows for the input's text: `fib(n)` in decimal, or the error's message.
pub fn answer(text: &str) -> String {
    let value = parse_input(text).and_then(|n| fib(n).map_err(InputError::Fib));
    match value {
        // JavaScript's BigInt formats the number: no Rust formatting code in the .wasm.
        Ok(v) => js_sys::BigInt::from(v)
            .to_string(10)
            .map(String::from)
            .unwrap_or_default(),
        Err(e) => e.message().to_owned(),
    }
}

/// A registered click listener. Dropping it unregisters the listener and frees the closure,
/// so JavaScript can never call a closure Rust has already freed.
pub struct Listener {
    target: EventTarget,
    closure: Option<Closure<dyn FnMut()>>,
}

// ANCHOR: attach
/// Finds `#num`, `#btn` and `#ans` under `root` and makes every click on `#btn` write
/// [`answer`] for `#num`'s text into `#ans`. Errors if an element is missing or `#num` is
/// not an `<input>`.
pub fn attach(root: &Element) -> Result<Listener, Error> {
    let find = |selector: &str| {
        root.query_selector(selector)
            .ok()
            .flatten()
            .ok_or(Error::MissingElement)
    };
    let num: HtmlInputElement = find("#num")?
        .dyn_into()
        .map_err(|_| Error::MissingElement)?;
    let ans = find("#ans")?;
    let button: EventTarget = find("#btn")?.into();
    // ANCHOR: ex_on_click
    let on_click = Closure::<dyn FnMut()>::new(move || {
        ans.set_text_content(Some(&answer(&num.value())));
    });
    button
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .map_err(|_| Error::MissingElement)?;
    Ok(Listener {
        target: button,
        closure: Some(on_click),
    })
    // ANCHOR_END: ex_on_click
}
// ANCHOR_END: attach

// ANCHOR: keep
impl Listener {
    /// Keeps the listener for the rest of the page's life, on purpose: the page never
    /// unloads its module, so there is no later moment to free the closure. `forget` hands
    /// it to JavaScript for good (a one-off, bounded leak: one closure per page), which is
    /// Rust's way of saying what Go's `<-done` channel says by blocking `main` forever.
    pub fn keep_for_page(mut self) {
        if let Some(closure) = self.closure.take() {
            closure.forget();
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(closure) = self.closure.take() {
            // Unregister first: after this JavaScript holds no reference to the closure,
            // and dropping it (at the end of this block) frees its Rust side safely.
            let _ = self
                .target
                .remove_event_listener_with_callback("click", closure.as_ref().unchecked_ref());
        }
    }
}
// ANCHOR_END: keep

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_inputs_a_person_types() {
        assert_eq!(parse_input(" 12 "), Ok(12));
        assert_eq!(parse_input(""), Err(InputError::Empty));
        assert_eq!(parse_input("abc"), Err(InputError::NotANumber));
        assert_eq!(parse_input("1.5"), Err(InputError::NotANumber));
        assert_eq!(parse_input("-3"), Err(InputError::Negative));
        assert_eq!(parse_input("-"), Err(InputError::NotANumber));
        assert_eq!(
            parse_input("99999999999"),
            Err(InputError::Fib(FibError::TooLarge))
        );
    }
}

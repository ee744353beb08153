//! Day 4 — Callbacks: Rust calls a JavaScript function later, from async code.
//!
//! The Go demo's `fibFunc(n, cb)` starts a goroutine that sleeps three seconds and then
//! calls `cb.Invoke(fib(n))`. A web page has one thread and no blocking sleep, so the Rust
//! way is a future: [`sleep`] wraps `setTimeout` in a `Promise`, `JsFuture` turns that
//! promise into something Rust can `.await`, and `wasm_bindgen_futures::spawn_local` runs
//! the future on the page's event loop. [`fib_later`] returns at once; the callback fires
//! when the timer does.
//!
//! Nothing here needs `Closure::forget`: the timer's callback is the promise's own
//! `resolve` function (a JavaScript function, owned by JavaScript), and the learner's
//! callback is a `js_sys::Function` moved into the future and dropped after the call.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{JsFuture, spawn_local};

use crate::Error;
use crate::fib::{FibError, fib_of_js_number};

// ANCHOR: sleep
/// A future that completes after `ms` milliseconds: `new Promise(r => setTimeout(r, ms))`,
/// awaited from Rust. Errors (at once) when there is no `window` to set a timer on.
pub fn sleep(ms: u32) -> Result<JsFuture, Error> {
    let window = web_sys::window().ok_or(Error::NoDocument)?;
    // setTimeout takes an i32; longer delays than ~24 days are clamped, not wrapped.
    let ms = i32::try_from(ms).unwrap_or(i32::MAX);
    // ANCHOR: ex_sleep
    let mut scheduled = Ok(0);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        scheduled = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    scheduled.map_err(|_| Error::NoDocument)?;
    Ok(JsFuture::from(promise))
    // ANCHOR_END: ex_sleep
}
// ANCHOR_END: sleep

/// Why [`fib_later`] refused to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// `n` has no answer (day 2's checks): reported at once, the callback is never called.
    #[error("{}", self.message())]
    Fib(FibError),
    /// No page to set a timer in.
    #[error("{}", self.message())]
    Page(Error),
}

impl CallbackError {
    /// The message for the page.
    pub const fn message(self) -> &'static str {
        match self {
            CallbackError::Fib(e) => e.message(),
            CallbackError::Page(e) => e.message(),
        }
    }
}

// ANCHOR: fib_later
/// Computes `fib(n)` and calls `callback(result)` after `delay_ms`, without blocking: it
/// returns as soon as the timer is set. The result reaches JavaScript as a `BigInt`. Bad
/// `n` is an error right away (the caller can show it), not a callback that never comes.
/// If the callback itself throws, the error is logged to the console: Rust has no caller
/// left to return it to, and the page keeps working.
pub fn fib_later(n: f64, delay_ms: u32, callback: js_sys::Function) -> Result<(), CallbackError> {
    let value = fib_of_js_number(n).map_err(CallbackError::Fib)?;
    let delay = sleep(delay_ms).map_err(CallbackError::Page)?;
    // ANCHOR: ex_spawn
    spawn_local(async move {
        // The timer's promise never rejects; a rejection would mean no callback is due.
        if delay.await.is_ok()
            && let Err(thrown) = callback.call1(&JsValue::NULL, &JsValue::from(value))
        {
            web_sys::console::error_2(&JsValue::from_str("fibFunc's callback threw:"), &thrown);
        }
        // `callback` is dropped here: the future owned it, so nothing leaks.
    });
    Ok(())
    // ANCHOR_END: ex_spawn
}
// ANCHOR_END: fib_later

//! Day 7 — panic recovery: a handler that panics gets a 500, not a dropped connection.
//!
//! A bug in one handler (an index out of range, an `unwrap` on `None`) panics. Tokio
//! contains the damage to the connection's task, so the server survives, but the client
//! just sees its connection reset and nobody learns why. Go's `recover()` inside a deferred
//! function turns a panic back into a value; Rust's counterpart for async code is
//! [`FutureExt::catch_unwind`]: it polls the rest of the chain and, if a poll panics,
//! returns `Err(payload)` instead of unwinding further. The middleware then logs the
//! message and where it happened, with a backtrace, and answers
//! `500 {"message":"Internal Server Error"}` exactly like Gee's `Recovery()`.
//!
//! The backtrace needs care: by the time `catch_unwind` returns, the stack has already
//! unwound. So the first call to [`recovery`] installs a panic hook that captures the
//! location and backtrace *at the panic* into a thread-local, which the middleware reads
//! (the panicking poll and the catch run on the same thread). While a chain runs under
//! recovery, the hook records and stays quiet (the middleware logs it, once); any other
//! panic still goes to the previous hook and is reported as before. This only works with
//! `panic = "unwind"`, Rust's default; a profile with `panic = "abort"` ends the process
//! instead.
//!
//! A backtrace is long (tens of kilobytes), and a client that has found a panicking URL can
//! ask for it thousands of times a second. So the full backtrace is logged once per panic
//! *location*; later panics at the same place log one line with a running count, and the
//! hook does not even capture their backtrace.
//!
//! Recovery is an ordinary middleware: the engine knows nothing about panics. Without it, a
//! panicking handler ends its connection's task, and the client sees the connection close
//! without an answer (the server keeps serving everyone else).

use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Mutex, Once};
use std::task::{Context as TaskContext, Poll};

use futures_util::FutureExt;
use hyper::StatusCode;

use crate::{Context, Engine, Handler};

/// What the panic hook saw: where the panic happened and, for the first panic at that
/// place, the stack at that moment.
struct PanicReport {
    location: String,
    backtrace: Option<Backtrace>,
}

/// How many recovered panics each location has had: bounded by the number of panic sites
/// in the program, not by the number of requests.
static SEEN: Mutex<Option<HashMap<String, u64>>> = Mutex::new(None);

/// True when a panic at `location` was recovered before (its backtrace is in the log).
fn seen_before(location: &str) -> bool {
    let seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    seen.as_ref().is_some_and(|map| map.contains_key(location))
}

/// Counts one more recovered panic at `location` and returns the count (1 for the first).
fn count(location: &str) -> u64 {
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let n = seen
        .get_or_insert_with(HashMap::new)
        .entry(location.to_owned())
        .or_insert(0);
    *n += 1;
    *n
}

thread_local! {
    static LAST_PANIC: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
    /// How many recovery-guarded polls are running on this thread right now.
    static GUARDED: Cell<usize> = const { Cell::new(0) };
}

/// A future whose polls count as "under recovery" for the panic hook.
struct Guarded<F>(Pin<Box<F>>);

/// Decrements the count when a poll ends, even by unwinding.
struct PollGuard;

impl Drop for PollGuard {
    fn drop(&mut self) {
        GUARDED.with(|g| g.set(g.get().saturating_sub(1)));
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<F::Output> {
        GUARDED.with(|g| g.set(g.get() + 1));
        let _guard = PollGuard;
        self.0.as_mut().poll(cx)
    }
}

static HOOK: Once = Once::new();

/// Installs (once per process) the hook that records where panics happen.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let location = info
                .location()
                .map(|l| l.to_string())
                .unwrap_or_else(|| "<unknown>".into());
            let guarded = GUARDED.with(Cell::get) > 0;
            // Capturing a backtrace costs far more than the rest of a request: only the
            // first panic at a place gets one.
            let backtrace = (guarded && !seen_before(&location)).then(Backtrace::force_capture);
            LAST_PANIC.with(|last| {
                *last.borrow_mut() = Some(PanicReport {
                    location,
                    backtrace,
                })
            });
            if !guarded {
                previous(info);
            }
        }));
    });
}

/// The text of a panic payload: `panic!("..")` carries a `&str` or a `String`.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "<non-string panic payload>"
    }
}

// ANCHOR: recovery
/// Catches a panic anywhere later in the chain, logs it (with its backtrace the first time
/// at each location, with a count after that), and answers
/// `500 {"message":"Internal Server Error"}` (Gee's `Recovery()`).
pub fn recovery() -> impl Handler {
    install_panic_hook();
    recover_chain
}

/// The recovery handler: run the rest of the chain, catching a panic.
async fn recover_chain(c: &mut Context) {
    // ANCHOR: ex_recovery
    let outcome = AssertUnwindSafe(Guarded(Box::pin(c.next())))
        .catch_unwind()
        .await;
    if let Err(payload) = outcome {
        let message = panic_message(payload.as_ref());
        let report = LAST_PANIC.with(|last| last.borrow_mut().take());
        let (location, backtrace) = match &report {
            Some(r) => (r.location.as_str(), r.backtrace.as_ref()),
            None => ("<unknown>", None),
        };
        match (count(location), backtrace) {
            (1, Some(trace)) => {
                tracing::error!("panic recovered: {message} at {location}\nTraceback:\n{trace}");
            }
            (1, None) => tracing::error!("panic recovered: {message} at {location}"),
            (n, _) => tracing::error!(
                "panic recovered: {message} at {location} (panic #{n} there; backtrace logged at the first)"
            ),
        }
        c.reset_response();
        c.fail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    }
    // ANCHOR_END: ex_recovery
}
// ANCHOR_END: recovery

// ANCHOR: default
impl Default for Engine {
    /// An engine with the [`logger`](fn@crate::logger) and [`recovery`](fn@crate::recovery)
    /// middleware installed, like `gin.Default()`.
    fn default() -> Self {
        let mut engine = Self::new();
        engine.with(crate::logger()).with(recovery());
        engine
    }
}
// ANCHOR_END: default

//! Day 2 — Exported functions: `fib`, the Rust function the page calls as `fibFunc(n)`.
//!
//! The Go demo registers `fibFunc` on `window` with `js.FuncOf` and returns
//! `js.ValueOf(fib(n))`: a JavaScript Number, that is a 64-bit float. Two things go wrong
//! there. Go's `int` wraps silently past `fib(91)`, and any result above 2^53 is rounded by
//! the float anyway, so large `n` show a wrong number with a straight face. And its naive
//! recursion takes exponential time: `fibFunc(50)` freezes the tab for minutes.
//!
//! Here `fib` is a loop (linear time) over `u64` with `checked_add`, so the type itself
//! says when the answer no longer fits, and the result crosses into JavaScript as a `BigInt`
//! (wasm-bindgen's mapping of `u64`): exact to the last digit. Bad input — a negative, a
//! fraction, `NaN` from an empty field, a number past [`MAX_N`] — is an error with a message
//! the page can show, thrown to JavaScript as an `Error`.

use wasm_bindgen::JsError;

/// The largest `n` whose `fib(n)` fits in a `u64` (with `fib(0) = fib(1) = 1`, as in Go).
pub const MAX_N: u32 = 92;

/// Why `fib` has no answer for an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FibError {
    /// `n` is negative.
    #[error("{}", self.message())]
    Negative,
    /// `n` is not a whole number (a fraction, `NaN`, infinity).
    #[error("{}", self.message())]
    NotAWholeNumber,
    /// `fib(n)` does not fit in 64 bits.
    #[error("{}", self.message())]
    TooLarge,
}

impl FibError {
    /// The message for the page, as a fixed string: showing it costs no formatting code.
    pub const fn message(self) -> &'static str {
        match self {
            FibError::Negative => "n must not be negative",
            FibError::NotAWholeNumber => "n must be a whole number",
            FibError::TooLarge => "n is too large: fib(n) fits in 64 bits only up to n = 92",
        }
    }
}

// ANCHOR: fib
/// The Fibonacci number the Go course computes: `fib(0) = fib(1) = 1`, `fib(n) = fib(n-1) +
/// fib(n-2)`. A loop, not recursion, and `checked_add`, so an answer is exact or an error.
pub fn fib(n: u32) -> Result<u64, FibError> {
    // ANCHOR: ex_fib
    let (mut previous, mut current): (u64, u64) = (1, 1);
    for _ in 1..n {
        let next = previous.checked_add(current).ok_or(FibError::TooLarge)?;
        previous = current;
        current = next;
    }
    Ok(current)
    // ANCHOR_END: ex_fib
}
// ANCHOR_END: fib

// ANCHOR: from_js
/// `fib` of a JavaScript Number: whatever `input.valueAsNumber` or `x * 1` produced. Checks
/// it is a whole, non-negative number before converting (an `as` cast would silently turn
/// `-3` into 0, `NaN` into 0 and `2.5` into 2).
pub fn fib_of_js_number(n: f64) -> Result<u64, FibError> {
    // ANCHOR: ex_validate
    if n.is_nan() || n.is_infinite() || n.fract() != 0.0 {
        return Err(FibError::NotAWholeNumber);
    }
    if n < 0.0 {
        return Err(FibError::Negative);
    }
    if n > f64::from(MAX_N) {
        return Err(FibError::TooLarge);
    }
    // In range 0..=92 and whole: the cast is exact.
    fib(n as u32)
    // ANCHOR_END: ex_validate
}

/// What the page's `fibFunc(n)` runs: the answer (a `BigInt` in JavaScript), or a thrown
/// `Error` whose `message` says what is wrong with `n`.
pub fn fib_func(n: f64) -> Result<u64, JsError> {
    fib_of_js_number(n).map_err(|e| JsError::new(e.message()))
}
// ANCHOR_END: from_js

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_match_the_go_course() {
        let first: Vec<u64> = (0..8).map(|n| fib(n).unwrap()).collect();
        assert_eq!(first, [1, 1, 2, 3, 5, 8, 13, 21]);
    }

    #[test]
    fn the_edge_of_u64() {
        assert_eq!(fib(MAX_N), Ok(12_200_160_415_121_876_738));
        assert_eq!(fib(MAX_N + 1), Err(FibError::TooLarge));
        assert_eq!(fib(u32::MAX), Err(FibError::TooLarge));
    }
}

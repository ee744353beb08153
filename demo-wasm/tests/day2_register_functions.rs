//! Day 2 acceptance tests, run in headless Chromium: the exported `fibFunc`, called the way
//! the page calls it (a JavaScript Number in, a BigInt or a thrown Error out). On the host
//! this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use demo_wasm::fib::{FibError, MAX_N, fib, fib_func};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The message of the Error `fibFunc` throws for `n`, as JavaScript would see it.
fn thrown_message(n: f64) -> String {
    let err = fib_func(n).expect_err("fibFunc must throw");
    let value: JsValue = err.into();
    let error: js_sys::Error = value.into();
    String::from(error.message())
}

#[wasm_bindgen_test]
fn fib_func_answers_like_the_go_demo() {
    assert_eq!(fib_func(0.0).ok(), Some(1));
    assert_eq!(fib_func(1.0).ok(), Some(1));
    assert_eq!(fib_func(10.0).ok(), Some(89));
    assert_eq!(fib_func(30.0).ok(), Some(1_346_269));
}

#[wasm_bindgen_test]
fn the_result_reaches_javascript_as_an_exact_bigint() {
    let value = JsValue::from(fib_func(f64::from(MAX_N)).expect("fib(92) fits"));
    assert!(value.is_bigint());
    let text = js_sys::BigInt::from(value)
        .to_string(10)
        .expect("radix 10 is valid");
    assert_eq!(String::from(text), "12200160415121876738");
}

/// Go returns `js.ValueOf(fib(n))`, a float64: every answer above 2^53 is rounded, and past
/// `fib(91)` Go's int wraps around. Book appendix: Go bugs.
#[wasm_bindgen_test]
fn go_bug_large_results_are_exact_or_an_error_never_a_wrong_number() {
    // fib(78) is the first answer a float64 cannot hold exactly.
    let exact = fib(78).expect("fib(78) fits");
    assert_eq!(exact, 14_472_334_024_676_221);
    assert_ne!(
        exact as f64 as u64, exact,
        "a float64 would have rounded it"
    );
    assert_eq!(fib_func(78.0).ok(), Some(exact));
    assert_eq!(fib(MAX_N + 1), Err(FibError::TooLarge));
    assert!(thrown_message(93.0).contains("too large"));
    assert!(thrown_message(1e12).contains("too large"));
}

/// Go's `fib(n)` returns 1 for every negative n (`if n <= 1`), and `num.value*1` turns an
/// empty field into 0. Book appendix: Go bugs.
#[wasm_bindgen_test]
fn go_bug_bad_numbers_throw_a_clear_error() {
    assert_eq!(thrown_message(-1.0), FibError::Negative.message());
    assert_eq!(thrown_message(2.5), FibError::NotAWholeNumber.message());
    // An empty <input type=number> has valueAsNumber NaN.
    assert_eq!(
        thrown_message(f64::NAN),
        FibError::NotAWholeNumber.message()
    );
    assert_eq!(
        thrown_message(f64::INFINITY),
        FibError::NotAWholeNumber.message()
    );
}

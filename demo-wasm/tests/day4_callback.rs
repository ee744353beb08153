//! Day 4 acceptance tests, run in headless Chromium: the callback fires, later, with the
//! right value, and the page updates. On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use demo_wasm::callback::{CallbackError, fib_later, sleep};
use demo_wasm::fib::FibError;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A promise and its `resolve` function: the callback we hand to `fib_later`, and the
/// future that completes with the value it was called with.
fn callback_and_result() -> (js_sys::Function, JsFuture) {
    let mut resolve_fn = None;
    let promise = js_sys::Promise::new(&mut |resolve, _reject| resolve_fn = Some(resolve));
    (
        resolve_fn.expect("the executor runs at once"),
        JsFuture::from(promise),
    )
}

fn as_decimal(value: &JsValue) -> String {
    let text = js_sys::BigInt::from(value.clone())
        .to_string(10)
        .expect("radix 10 is valid");
    String::from(text)
}

#[wasm_bindgen_test]
async fn the_callback_fires_later_with_fib_of_n() {
    let (callback, result) = callback_and_result();
    fib_later(10.0, 5, callback).expect("10 is a good n");
    let value = result.await.expect("the callback resolves the promise");
    assert!(value.is_bigint());
    assert_eq!(as_decimal(&value), "89");
}

#[wasm_bindgen_test]
async fn the_page_updates_when_the_callback_fires() {
    let document = demo_wasm::document().expect("the test runs in a page");
    let ans = document.create_element("p").expect("a p");
    ans.set_id("ans4");
    document
        .body()
        .expect("a body")
        .append_child(&ans)
        .expect("appended");
    // The page's callback, in JavaScript: `v => ans.textContent = v`.
    let write = js_sys::Function::new_with_args(
        "v",
        "document.getElementById('ans4').textContent = v; return v",
    );
    fib_later(20.0, 1, write).expect("20 is a good n");
    // fib_later returned without calling it: the page still shows nothing.
    assert_eq!(ans.text_content().unwrap_or_default(), "");
    // Wait for the callback itself (it is called before this second, later timer fires).
    let (done, fired) = callback_and_result();
    fib_later(0.0, 50, done).expect("0 is a good n");
    fired.await.expect("the second callback fires");
    assert_eq!(ans.text_content().unwrap_or_default(), "10946");
    ans.remove();
}

#[wasm_bindgen_test]
fn bad_n_is_refused_at_once_and_the_callback_never_runs() {
    let never = js_sys::Function::new_no_args("throw new Error('must not be called')");
    assert_eq!(
        fib_later(-1.0, 1, never.clone()),
        Err(CallbackError::Fib(FibError::Negative))
    );
    assert_eq!(
        fib_later(f64::NAN, 1, never.clone()),
        Err(CallbackError::Fib(FibError::NotAWholeNumber))
    );
    assert_eq!(
        fib_later(100.0, 1, never),
        Err(CallbackError::Fib(FibError::TooLarge))
    );
}

#[wasm_bindgen_test]
async fn a_callback_that_throws_does_not_break_the_next_one() {
    let throws = js_sys::Function::new_no_args("throw new Error('callback failed')");
    fib_later(3.0, 1, throws).expect("3 is a good n");
    let (callback, result) = callback_and_result();
    fib_later(4.0, 20, callback).expect("4 is a good n");
    assert_eq!(as_decimal(&result.await.expect("still works")), "5");
}

#[wasm_bindgen_test]
async fn sleep_completes() {
    sleep(1).expect("a window").await.expect("the timer fires");
}

//! Day 1 acceptance tests, run in headless Chromium (`cargo xtask test`, or by hand:
//! `cargo test -p demo-wasm --target wasm32-unknown-unknown --test day1_hello_world` with
//! wasm-bindgen-test-runner as the target's runner). On the host this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use demo_wasm::hello_world::{GREETING, GREETING_ID, greet};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn text_of(id: &str) -> Option<String> {
    demo_wasm::document()
        .ok()?
        .get_element_by_id(id)?
        .text_content()
}

#[wasm_bindgen_test]
fn greet_writes_the_greeting_into_the_page() {
    let document = demo_wasm::document().expect("the test runs in a page");
    let element = greet(&document).expect("greet succeeds in a page");
    assert_eq!(element.id(), GREETING_ID);
    assert_eq!(text_of(GREETING_ID).as_deref(), Some(GREETING));
}

#[wasm_bindgen_test]
fn greeting_twice_leaves_one_greeting() {
    let document = demo_wasm::document().expect("the test runs in a page");
    greet(&document).expect("first greeting");
    greet(&document).expect("second greeting");
    let all = document
        .query_selector_all(&format!("#{GREETING_ID}"))
        .expect("a valid selector");
    assert_eq!(all.length(), 1);
    assert_eq!(text_of(GREETING_ID).as_deref(), Some(GREETING));
}

//! Day 3 acceptance tests, run in headless Chromium: a real `<input>`, `<button>` and `<p>`,
//! a real click, and the text Rust writes into the page. On the host this file compiles to
//! nothing.
#![cfg(target_arch = "wasm32")]

use demo_wasm::manipulate_dom::{InputError, attach};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// The demo's three elements in a fresh container of their own (appended to the page, not
/// replacing it: the test runner reports through the page's body).
struct Page {
    root: Element,
}

impl Page {
    fn new() -> Self {
        let document = demo_wasm::document().expect("the test runs in a page");
        let root = document.create_element("div").expect("a div");
        root.set_inner_html(
            r#"<input id="num" type="text" value="10"><button id="btn">Click</button><p id="ans">1</p>"#,
        );
        document
            .body()
            .expect("a body")
            .append_child(&root)
            .expect("appended");
        Page { root }
    }

    fn element(&self, selector: &str) -> Element {
        self.root
            .query_selector(selector)
            .expect("a valid selector")
            .expect("the element exists")
    }

    /// Types `text` into `#num`, clicks `#btn`, returns what `#ans` then shows.
    fn enter(&self, text: &str) -> String {
        let input: HtmlInputElement = self.element("#num").dyn_into().expect("an input");
        input.set_value(text);
        let button: HtmlElement = self.element("#btn").dyn_into().expect("a button");
        button.click();
        self.answer()
    }

    fn answer(&self) -> String {
        self.element("#ans").text_content().unwrap_or_default()
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        self.root.remove();
    }
}

#[wasm_bindgen_test]
fn a_click_writes_fib_of_the_input() {
    let page = Page::new();
    let _listener = attach(&page.root).expect("the elements are there");
    assert_eq!(page.answer(), "1", "nothing happens before a click");
    assert_eq!(page.enter("10"), "89");
    assert_eq!(page.enter(" 12 "), "233");
    assert_eq!(page.enter("92"), "12200160415121876738");
}

/// Go ignores `strconv.Atoi`'s error and shows fib(0) = 1 for any text that is not a
/// number. Book appendix: Go bugs.
#[wasm_bindgen_test]
fn go_bug_bad_input_shows_a_message_not_fib_of_zero() {
    let page = Page::new();
    let _listener = attach(&page.root).expect("the elements are there");
    assert_eq!(page.enter(""), InputError::Empty.message());
    assert_eq!(page.enter("abc"), InputError::NotANumber.message());
    assert_eq!(page.enter("1.5"), InputError::NotANumber.message());
    assert_eq!(page.enter("-3"), InputError::Negative.message());
    // Too large for fib's u64, and too large even to parse.
    assert!(page.enter("93").contains("too large"));
    assert!(page.enter("99999999999999999999").contains("too large"));
    // After all that, the page still works.
    assert_eq!(page.enter("5"), "8");
}

#[wasm_bindgen_test]
fn dropping_the_listener_unregisters_it() {
    let page = Page::new();
    let listener = attach(&page.root).expect("the elements are there");
    assert_eq!(page.enter("6"), "13");
    drop(listener);
    // A click now reaches no listener (and no freed closure): #ans keeps its text.
    assert_eq!(page.enter("7"), "13");
}

#[wasm_bindgen_test]
fn a_page_without_the_elements_is_an_error() {
    let page = Page::new();
    page.element("#ans").remove();
    assert!(attach(&page.root).is_err());
}

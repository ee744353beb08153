//! Day 2 — renderers: `c.string`, `c.json`, `c.data`, `c.html` set status, type and body at once.
//!
//! Every response needs three things to agree: the status, the `Content-Type` header and a
//! body in that type. Writing them separately is how a JSON API ends up answering
//! `text/plain`, so gin (and Gee) bundle them into one call per format. The body is kept in
//! the [`Context`] until the chain finishes, which means a later call replaces an earlier
//! one: a middleware can still change the answer after `c.next().await` (recovery does,
//! on day 7).
//!
//! ```text
//! c.string(200, "hi")      → 200, content-type: text/plain; charset=utf-8
//! c.json(200, &value)      → 200, content-type: application/json
//! c.data(200, bytes)       → 200, content-type: application/octet-stream (unless set)
//! c.html(200, "<h1>..")    → 200, content-type: text/html; charset=utf-8
//! ```
//!
//! `c.html` takes anything that is [`HtmlBody`]: today a string; on day 6 an askama
//! template's `render()` result too, so a rendering error becomes a 500 instead of a
//! half-page.

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, HeaderValue, LOCATION};
use serde::Serialize;

use crate::Context;

const TEXT: HeaderValue = HeaderValue::from_static("text/plain; charset=utf-8");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");
const OCTETS: HeaderValue = HeaderValue::from_static("application/octet-stream");

/// Something `c.html` can send: a string of HTML, or (day 6, feature `template`) the
/// `Result` of rendering an askama template, whose error becomes a 500. This trait is the
/// seam day 6's [`crate::template`] plugs into.
pub trait HtmlBody {
    /// The HTML, or why it could not be produced.
    fn into_html(self) -> Result<String, String>;
}

impl HtmlBody for &str {
    fn into_html(self) -> Result<String, String> {
        Ok(self.to_owned())
    }
}

impl HtmlBody for String {
    fn into_html(self) -> Result<String, String> {
        Ok(self)
    }
}

impl Context {
    // ANCHOR: string
    /// Answers plain text (Go's `c.String`).
    pub fn string(&mut self, code: StatusCode, text: impl Into<String>) {
        self.respond(code, TEXT, Bytes::from(text.into()));
    }
    // ANCHOR_END: string

    // ANCHOR: json
    /// Answers `value` encoded as JSON (Go's `c.JSON`). A value serde cannot encode (a map
    /// with non-string keys, say) is a bug in the handler: it is logged and answered 500.
    pub fn json<T: Serialize + ?Sized>(&mut self, code: StatusCode, value: &T) {
        // ANCHOR: ex_json
        match serde_json::to_vec(value) {
            Ok(body) => self.respond(code, JSON, Bytes::from(body)),
            Err(err) => {
                tracing::error!("cannot encode the JSON response: {err}");
                let body = r#"{"message":"Internal Server Error"}"#;
                self.respond(StatusCode::INTERNAL_SERVER_ERROR, JSON, Bytes::from(body));
            }
        }
        // ANCHOR_END: ex_json
    }
    // ANCHOR_END: json

    /// Answers raw bytes (Go's `c.Data`); the content type stays whatever a handler set with
    /// [`header`](Context::header), `application/octet-stream` if none.
    pub fn data(&mut self, code: StatusCode, bytes: impl Into<Bytes>) {
        let kind = self.headers.get(CONTENT_TYPE).cloned().unwrap_or(OCTETS);
        self.respond(code, kind, bytes.into());
    }

    // ANCHOR: html
    /// Answers HTML (Go's `c.HTML`): a string, or on day 6 a rendered askama template,
    /// `c.html(StatusCode::OK, Page { .. }.render())`. A template error is logged and
    /// answered `500` with `{"message": "Internal Server Error"}`, never a partial page.
    pub fn html(&mut self, code: StatusCode, body: impl HtmlBody) {
        // ANCHOR: ex_html
        match body.into_html() {
            Ok(html) => self.respond(code, HTML, Bytes::from(html)),
            Err(err) => {
                tracing::error!("cannot render the HTML response: {err}");
                self.reset_response();
                self.fail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
            }
        }
        // ANCHOR_END: ex_html
    }
    // ANCHOR_END: html

    /// Redirects to `location` (a path such as `/login`) with a 3xx `code`.
    pub fn redirect(&mut self, code: StatusCode, location: &str) {
        self.header(LOCATION.as_str(), location);
        self.respond(code, TEXT, Bytes::new());
    }

    /// Sets status, content type and body together.
    fn respond(&mut self, code: StatusCode, kind: HeaderValue, body: Bytes) {
        self.status = code;
        self.headers.insert(CONTENT_TYPE, kind);
        self.out = body;
    }
}

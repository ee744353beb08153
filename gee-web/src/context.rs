//! Day 2 — `Context`: the request, the response being built, and (day 5) the handler chain.
//!
//! Go's `net/http` hands a handler two things, `w http.ResponseWriter` and `req *http.Request`,
//! and every handler repeats the same chores on them: parse the query, set `Content-Type`,
//! encode JSON, write the status. Gee's `Context` wraps both and offers those chores as
//! methods; gin's `*gin.Context` is the same idea grown up. Ours owns:
//!
//! - the request: its head (method, URI, headers), its body already read into memory (with
//!   a size limit, see [`crate::Limits`]), and the route parameters the router captured;
//! - the response being built: status, headers and body, turned into a hyper response after
//!   the last handler returns (the renderers live in [`crate::render`]);
//! - the handler chain and the position in it, so middleware can call [`Context::next`].
//!
//! The request body is read *before* the handlers run, so `c.post_form("user")` is a plain
//! method call and reading the body twice returns the same bytes (gin's most reported
//! binding surprise is a second read that silently gets nothing).
//!
//! Lookups follow gin's naming: `query`/`post_form`/`param` return `""` when the key is
//! absent (handy in `format!`), `get_query`/`get_post_form` return an `Option`.

use std::sync::Arc;

use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode, Uri};
use percent_encoding::percent_decode;

use crate::engine::Route;
use crate::routes::Params;

/// Everything one request's handlers share: the request in, the response out, the chain.
pub struct Context {
    pub(crate) route: Arc<Route>,
    pub(crate) parts: Parts,
    pub(crate) body: Bytes,
    pub(crate) params: Params,
    /// Percent-decoded parameter values, filled only when the path contains a '%'.
    pub(crate) decoded: Vec<String>,
    pub(crate) next_index: usize,
    pub(crate) aborted: bool,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) out: Bytes,
}

impl Context {
    /// A context for one request, about to run `route`'s chain.
    pub(crate) fn new(
        route: Arc<Route>,
        parts: Parts,
        body: Bytes,
        params: Params,
        decoded: Vec<String>,
    ) -> Self {
        Self {
            route,
            parts,
            body,
            params,
            decoded,
            next_index: 0,
            aborted: false,
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            out: Bytes::new(),
        }
    }

    // ----- the request -------------------------------------------------------------------

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The request path, as sent (still percent-encoded), e.g. `/hello/geektutu`.
    pub fn path(&self) -> &str {
        self.parts.uri.path()
    }

    /// The whole request target: path and query (Go's `RequestURI`).
    pub fn uri(&self) -> &Uri {
        &self.parts.uri
    }

    /// The pattern of the route that matched, e.g. `/hello/:name` (gin's `FullPath`);
    /// `None` on the 404 and 405 chains.
    pub fn full_path(&self) -> Option<&str> {
        self.route.matched.then_some(&*self.route.pattern)
    }

    /// The request headers.
    pub fn request_headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// One request header as text, if present and printable (gin's `GetHeader`).
    pub fn get_header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request body, read in full before the handlers ran. Read it as often as you like.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Decodes the body as JSON into `T` (gin's `ShouldBindJSON`).
    pub fn bind_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// A query-string value: `c.query("name")` is `geektutu` for `/hello?name=geektutu`.
    /// `""` when absent; see [`get_query`](Self::get_query) to tell absent from empty.
    pub fn query(&self, key: &str) -> String {
        self.get_query(key).unwrap_or_default()
    }

    /// A query-string value, or `None` when the key is absent.
    pub fn get_query(&self, key: &str) -> Option<String> {
        form_value(self.parts.uri.query().unwrap_or("").as_bytes(), key)
    }

    /// A value of a form posted as `application/x-www-form-urlencoded` (Go's `PostForm`).
    /// `""` when absent or when the body is not such a form.
    pub fn post_form(&self, key: &str) -> String {
        self.get_post_form(key).unwrap_or_default()
    }

    /// A posted form value, or `None` when absent.
    pub fn get_post_form(&self, key: &str) -> Option<String> {
        let is_form = self
            .get_header(CONTENT_TYPE.as_str())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return None;
        }
        form_value(&self.body, key)
    }

    // ----- the response ------------------------------------------------------------------

    /// Sets the response status (Go's `c.Status`).
    pub fn status(&mut self, code: StatusCode) {
        self.status = code;
    }

    /// The response status set so far (200 unless a handler changed it).
    pub fn status_code(&self) -> StatusCode {
        self.status
    }

    /// Sets a response header (Go's `SetHeader`), replacing any earlier value. A name or
    /// value that is not valid in HTTP is logged and ignored rather than sent broken.
    pub fn header(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        let (name, value) = (name.as_ref(), value.as_ref());
        match (
            HeaderName::try_from(name),
            HeaderValue::try_from(value.to_owned()),
        ) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => tracing::warn!("ignoring invalid response header {name:?}: {value:?}"),
        }
    }

    /// The response headers set so far.
    pub fn response_headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The response body set so far.
    pub fn response_body(&self) -> &Bytes {
        &self.out
    }

    // ANCHOR: fail
    /// Aborts the chain and answers `{"message": msg}` with `code` (Go's `c.Fail`).
    pub fn fail(&mut self, code: StatusCode, msg: impl Into<String>) {
        self.aborted = true;
        self.json(code, &serde_json::json!({ "message": msg.into() }));
    }
    // ANCHOR_END: fail

    /// Forgets any status, headers and body written so far (used by recovery, day 7).
    pub(crate) fn reset_response(&mut self) {
        self.status = StatusCode::OK;
        self.headers.clear();
        self.out = Bytes::new();
    }
}

// ANCHOR: form_value
/// The first value of `key` in an `application/x-www-form-urlencoded` string such as a query
/// (`name=gee&x=1`) or a posted form: pairs split on '&', key and value on '=', and both
/// decoded ('+' is a space, `%41` is `A`). Invalid UTF-8 becomes U+FFFD rather than an error.
pub fn form_value(input: &[u8], key: &str) -> Option<String> {
    // ANCHOR: ex_form_value
    input
        .split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(eq) => (&pair[..eq], &pair[eq + 1..]),
            None => (pair, &pair[pair.len()..]),
        })
        .find(|(k, _)| decode_form(k) == key)
        .map(|(_, v)| decode_form(v))
    // ANCHOR_END: ex_form_value
}
// ANCHOR_END: form_value

/// Decodes one form component: '+' to space, then percent-decoding, lossily to UTF-8.
fn decode_form(raw: &[u8]) -> String {
    let plus: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_decode(&plus).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_decoded() {
        let q = b"name=gee+tu&a%2Bb=1%2B1&empty=&flag";
        assert_eq!(form_value(q, "name").as_deref(), Some("gee tu"));
        assert_eq!(form_value(q, "a+b").as_deref(), Some("1+1"));
        assert_eq!(form_value(q, "empty").as_deref(), Some(""));
        assert_eq!(form_value(q, "flag").as_deref(), Some(""));
        assert_eq!(form_value(q, "missing"), None);
        assert_eq!(
            form_value(b"x=%FF", "x").as_deref(),
            Some("\u{FFFD}"),
            "bad UTF-8 is replaced, not an error"
        );
    }
}

//! The front end of the day-5 example: what users call, as opposed to what peers call.
//!
//! Go's example runs a second server on :9999 with `GET /api?key=Tom`, which goes through
//! the full `Group::get` (cache, owner, getter). It is in the library because examples and
//! tests share it, and it also answers `GET /stats` with the group's counters, which is how
//! you watch singleflight and the hot cache at work.

use std::sync::Arc;

use hyper::StatusCode;
use percent_encoding::percent_decode_str;

use crate::Group;
use crate::http::{Request, Response, bytes_response, text};

/// Answers `GET /api?key=<key>` (the value, or 500 with the getter's text) and `GET /stats`.
pub async fn handle(group: Arc<Group>, req: Request) -> Response {
    match req.uri().path() {
        "/api" => {
            let key = req.uri().query().and_then(query_key).unwrap_or_default();
            match group.get(&key).await {
                Ok(value) => bytes_response("application/octet-stream", value.bytes()),
                // The same statuses as the peer endpoint: a bad key is the client's fault.
                Err(err @ (crate::Error::EmptyKey | crate::Error::KeyTooLong { .. })) => {
                    text(StatusCode::BAD_REQUEST, err.to_string())
                }
                Err(err) => text(StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
            }
        }
        "/stats" => {
            let main = group.main_cache_stats();
            let hot = group.hot_cache_stats();
            let body = format!(
                "group {}\n{}main_cache_bytes {}\nmain_cache_items {}\nhot_cache_bytes {}\nhot_cache_items {}\n",
                group.name(),
                group.stats(),
                main.bytes,
                main.items,
                hot.bytes,
                hot.items
            );
            text(StatusCode::OK, body)
        }
        other => text(StatusCode::NOT_FOUND, format!("404 NOT FOUND: {other}\n")),
    }
}

/// The decoded value of `key=` in a query string (`+` is a space there, as in forms).
fn query_key(query: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let value = pair.strip_prefix("key=")?;
        let value = value.replace('+', " ");
        Some(percent_decode_str(&value).decode_utf8_lossy().into_owned())
    })
}

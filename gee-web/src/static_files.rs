//! Day 6 — static files: `r.static_dir("/assets", "./static")`, without path traversal.
//!
//! Serving a directory looks like one line: take the rest of the URL, append it to the
//! directory, send the file. That line is also one of the oldest security holes on the web:
//! `GET /assets/../../etc/passwd`. Go's `http.FileServer` cleans the path for Gee; here we
//! do it ourselves, and check every way out:
//!
//! | request | what the handler sees | answer |
//! |---|---|---|
//! | `/assets/css/geektutu.css` | `css/geektutu.css` | 200, `text/css` |
//! | `/assets/../Cargo.toml` | (the client usually resolves `..`, but raw clients need not) `../Cargo.toml` | 404 |
//! | `/assets/%2e%2e/Cargo.toml` | decoded first: `../Cargo.toml` | 404 |
//! | `/assets/..%2fCargo.toml` | decoded first: `../Cargo.toml` | 404 |
//! | `/assets//etc/passwd` | `/etc/passwd`, taken as *relative*: `etc/passwd` | 404 |
//! | `/assets/link-out` (a symlink leaving the root) | resolved, not under the root | 403 |
//!
//! The rules: percent-decode first (the router already did), split on '/', refuse `..`,
//! backslashes and NUL bytes, skip empty and `.` parts, then resolve symlinks with
//! `canonicalize` and require the result to stay under the (canonical) root. Directories
//! are not listed.
//!
//! Files are served with a `Content-Type` from their extension, `Last-Modified` (answering
//! `If-Modified-Since` with `304 Not Modified`) and single `Range: bytes=a-b` requests
//! (`206 Partial Content`, or `416` when the range is outside the file). A file is read into
//! memory to be sent, which suits the assets of a web page rather than large downloads.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::header::{
    ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, IF_MODIFIED_SINCE, LAST_MODIFIED, RANGE,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::group::RouterGroup;
use crate::handler::{BoxFuture, Handler};
use crate::{Context, Method};

/// The handler behind `static_dir`: serves files below `root`.
pub struct StaticDir {
    root: PathBuf,
}

impl StaticDir {
    /// Serves the directory `root` (relative paths are relative to the current directory).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
}

impl Handler for StaticDir {
    fn call<'a>(&'a self, c: &'a mut Context) -> BoxFuture<'a, ()> {
        Box::pin(serve_file(&self.root, c))
    }
}

impl RouterGroup<'_> {
    /// Serves the files under `root` at `relative/*filepath` for `GET` and `HEAD` (Gee's
    /// `Static`, renamed because `static` is a Rust keyword).
    pub fn static_dir(&mut self, relative: &str, root: impl Into<PathBuf>) -> &mut Self {
        let pattern = format!("{}/*filepath", relative.trim_end_matches('/'));
        self.add_route(Method::GET, &pattern, StaticDir::new(root))
    }
}

// ANCHOR: safe_relative_path
/// Turns the (already percent-decoded) `*filepath` into a path relative to the root, or
/// `None` when it tries to leave it: `..`, a backslash or a NUL byte anywhere.
pub fn safe_relative_path(filepath: &str) -> Option<PathBuf> {
    // ANCHOR: ex_safe_relative_path
    let mut relative = PathBuf::new();
    for part in filepath.split('/') {
        match part {
            "" | "." => continue,
            ".." => return None,
            _ if part.contains(['\\', '\0']) => return None,
            _ => relative.push(part),
        }
    }
    Some(relative)
    // ANCHOR_END: ex_safe_relative_path
}
// ANCHOR_END: safe_relative_path

/// The `Content-Type` for a file name, from its extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("txt") => "text/plain; charset=utf-8",
        Some("xml") => "application/xml",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pdf") => "application/pdf",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

// ANCHOR: serve_file
/// Answers one static-file request (see the module doc for every rule).
async fn serve_file(root: &Path, c: &mut Context) {
    let Some(relative) = safe_relative_path(c.param("filepath")) else {
        return c.string(StatusCode::NOT_FOUND, "404 NOT FOUND\n");
    };
    let (Ok(root), Ok(file)) = (
        tokio::fs::canonicalize(root).await,
        tokio::fs::canonicalize(root.join(&relative)).await,
    ) else {
        return c.string(StatusCode::NOT_FOUND, "404 NOT FOUND\n");
    };
    if !file.starts_with(&root) {
        // A symlink inside the root points outside it.
        return c.string(StatusCode::FORBIDDEN, "403 FORBIDDEN\n");
    }
    let meta = match tokio::fs::metadata(&file).await {
        Ok(meta) if meta.is_file() => meta,
        _ => return c.string(StatusCode::NOT_FOUND, "404 NOT FOUND\n"),
    };
    let modified = meta.modified().ok();
    if let Some(modified) = modified {
        c.header(LAST_MODIFIED, httpdate::fmt_http_date(modified));
        let since = c
            .get_header(IF_MODIFIED_SINCE.as_str())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if since.is_some_and(|since| whole_seconds(modified) <= since) {
            return c.status(StatusCode::NOT_MODIFIED);
        }
    }
    c.header(ACCEPT_RANGES, "bytes");
    c.header(CONTENT_TYPE, content_type(&file));
    let len = meta.len();
    let range = c.get_header(RANGE.as_str()).map(|r| parse_range(r, len));
    let result = match range {
        None | Some(Err(RangeError::Unsupported)) => {
            tokio::fs::read(&file).await.map(|b| (StatusCode::OK, b))
        }
        Some(Err(RangeError::Unsatisfiable)) => {
            c.header(CONTENT_RANGE, format!("bytes */{len}"));
            return c.data(StatusCode::RANGE_NOT_SATISFIABLE, Bytes::new());
        }
        Some(Ok((start, end))) => {
            c.header(CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
            read_range(&file, start, end)
                .await
                .map(|b| (StatusCode::PARTIAL_CONTENT, b))
        }
    };
    match result {
        Ok((status, bytes)) => c.data(status, bytes),
        Err(err) => {
            tracing::warn!("cannot read {}: {err}", file.display());
            c.string(StatusCode::NOT_FOUND, "404 NOT FOUND\n");
        }
    }
}
// ANCHOR_END: serve_file

/// HTTP dates have whole seconds; compare the file's time at that precision.
fn whole_seconds(time: SystemTime) -> SystemTime {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()),
        Err(_) => time,
    }
}

/// Why a `Range` header is not served as a range.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeError {
    /// Not a single `bytes=` range we understand: ignore it and send the whole file.
    Unsupported,
    /// A valid range outside the file: `416 Range Not Satisfiable`.
    Unsatisfiable,
}

/// Parses a single byte range `bytes=a-b`, `bytes=a-` or `bytes=-n` against a file of `len`
/// bytes into inclusive `(first, last)` offsets.
pub fn parse_range(header: &str, len: u64) -> Result<(u64, u64), RangeError> {
    let spec = header
        .trim()
        .strip_prefix("bytes=")
        .ok_or(RangeError::Unsupported)?;
    if spec.contains(',') {
        return Err(RangeError::Unsupported);
    }
    let (first, last) = spec.split_once('-').ok_or(RangeError::Unsupported)?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| RangeError::Unsupported);
    let (start, end) = match (first.trim().is_empty(), last.trim().is_empty()) {
        (true, true) => return Err(RangeError::Unsupported),
        (true, false) => {
            let suffix = number(last)?;
            if suffix == 0 || len == 0 {
                return Err(RangeError::Unsatisfiable);
            }
            (len.saturating_sub(suffix), len - 1)
        }
        (false, true) => (number(first)?, len.saturating_sub(1)),
        (false, false) => (number(first)?, number(last)?.min(len.saturating_sub(1))),
    };
    if start >= len || start > end {
        return Err(RangeError::Unsatisfiable);
    }
    Ok((start, end))
}

/// Reads bytes `start..=end` of a file.
async fn read_range(file: &Path, start: u64, end: u64) -> std::io::Result<Vec<u8>> {
    let mut handle = tokio::fs::File::open(file).await?;
    handle.seek(std::io::SeekFrom::Start(start)).await?;
    let len = usize::try_from(end - start + 1).map_err(std::io::Error::other)?;
    let mut buf = vec![0; len];
    handle.read_exact(&mut buf).await?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_never_climb_out() {
        assert_eq!(
            safe_relative_path("css/a.css"),
            Some(PathBuf::from("css/a.css"))
        );
        assert_eq!(
            safe_relative_path("/etc/passwd"),
            Some(PathBuf::from("etc/passwd"))
        );
        assert_eq!(safe_relative_path("./a//b"), Some(PathBuf::from("a/b")));
        assert_eq!(safe_relative_path("../x"), None);
        assert_eq!(safe_relative_path("a/../../x"), None);
        assert_eq!(safe_relative_path("..\\x"), None);
        assert_eq!(safe_relative_path("a\0b"), None);
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10), Ok((0, 3)));
        assert_eq!(parse_range("bytes=5-", 10), Ok((5, 9)));
        assert_eq!(parse_range("bytes=-3", 10), Ok((7, 9)));
        assert_eq!(parse_range("bytes=2-100", 10), Ok((2, 9)));
        assert_eq!(parse_range("bytes=10-", 10), Err(RangeError::Unsatisfiable));
        assert_eq!(
            parse_range("bytes=0-1,3-4", 10),
            Err(RangeError::Unsupported)
        );
        assert_eq!(parse_range("items=0-1", 10), Err(RangeError::Unsupported));
    }
}

//! Day 2 — ByteView: an immutable, cheaply shared view of a cached value.
//!
//! A cached value is handed to many readers at once, possibly to other threads, while the
//! cache may evict it at any moment. Go's geecache copies the bytes on the way out
//! (`ByteSlice()` clones) so nobody can modify the cached copy. In Rust the type system gives
//! a cheaper answer: [`bytes::Bytes`] is reference-counted and immutable, so cloning a
//! `ByteView` is a counter increment, no reader can change it, and the bytes are freed
//! when the last holder lets go, cache or reader.

use bytes::Bytes;

use crate::lru::Value;

// ANCHOR: byteview
/// An immutable view of a cached value; cloning it shares the bytes.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ByteView {
    bytes: Bytes,
}
// ANCHOR_END: byteview

impl ByteView {
    /// Wraps `bytes` (no copy).
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        ByteView {
            bytes: bytes.into(),
        }
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The bytes, borrowed.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes
    }

    /// A copy of the bytes the caller may modify (Go's `ByteSlice`).
    pub fn to_vec(&self) -> Vec<u8> {
        self.bytes.to_vec()
    }

    /// The shared bytes themselves (a cheap clone), e.g. to send as a response body.
    pub fn bytes(&self) -> Bytes {
        self.bytes.clone()
    }
}

impl Value for ByteView {
    fn size(&self) -> usize {
        self.bytes.len()
    }
}

impl std::fmt::Display for ByteView {
    /// The bytes as text, invalid UTF-8 replaced (Go's `String()`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.bytes))
    }
}

impl std::fmt::Debug for ByteView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ByteView({:?})", self.bytes)
    }
}

impl From<&'static str> for ByteView {
    fn from(s: &'static str) -> Self {
        ByteView::new(s)
    }
}

impl From<Vec<u8>> for ByteView {
    fn from(v: Vec<u8>) -> Self {
        ByteView::new(v)
    }
}

impl AsRef<[u8]> for ByteView {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

//! Day 3 — a string value, short ones stored inline.
//!
//! Most string values are short: counters (`INCR`), flags, tokens, small JSON. Stored as a
//! [`Bytes`], each is a separate heap block: `GET` follows one more pointer (a cache miss
//! when the keyspace is larger than the CPU's caches), `SET` and `INCR` allocate and free
//! one block per call. Redis makes the same trade with its `embstr` encoding, which puts a
//! string of up to 44 bytes in the same allocation as its object header. Here a value of
//! up to [`INLINE`] bytes lives inside the [`StrValue`] itself, which is no bigger than a
//! `Bytes` (32 bytes: the compiler keeps the variant tag in a spare bit pattern of the
//! `Bytes`). A longer value stays a `Bytes`, so handing it out (`GETRANGE`, `DUMP`, a
//! snapshot) is still a reference count, not a copy.

use std::ops::Deref;

use bytes::Bytes;

/// The longest value stored inline.
pub const INLINE: usize = 23;

/// A string value: up to [`INLINE`] bytes inline, longer ones in a shared [`Bytes`].
#[derive(Clone)]
pub enum StrValue {
    /// A short value, `data[..len]`.
    Inline {
        /// How many bytes of `data` are the value.
        len: u8,
        /// The bytes (those past `len` are zero).
        data: [u8; INLINE],
    },
    /// A longer value.
    Shared(Bytes),
}

impl StrValue {
    /// A value holding a copy of `bytes`.
    pub fn copy_from_slice(bytes: &[u8]) -> Self {
        match Self::inline(bytes) {
            Some(value) => value,
            None => StrValue::Shared(Bytes::copy_from_slice(bytes)),
        }
    }

    /// `bytes` stored inline, if they fit.
    fn inline(bytes: &[u8]) -> Option<Self> {
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|&n| usize::from(n) <= INLINE)?;
        let mut data = [0; INLINE];
        data[..bytes.len()].copy_from_slice(bytes);
        Some(StrValue::Inline { len, data })
    }

    /// The value as a [`Bytes`]: a reference count for a long value, a small copy for a
    /// short one.
    pub fn to_bytes(&self) -> Bytes {
        match self {
            StrValue::Inline { .. } => Bytes::copy_from_slice(self),
            StrValue::Shared(bytes) => bytes.clone(),
        }
    }
}

impl From<Bytes> for StrValue {
    /// Keeps `bytes` as they are, unless they are short enough to move inline (which
    /// frees a buffer that may be larger than the value).
    fn from(bytes: Bytes) -> Self {
        Self::inline(&bytes).unwrap_or(StrValue::Shared(bytes))
    }
}

impl From<String> for StrValue {
    fn from(text: String) -> Self {
        Bytes::from(text).into()
    }
}

impl Default for StrValue {
    fn default() -> Self {
        StrValue::Inline {
            len: 0,
            data: [0; INLINE],
        }
    }
}

impl Deref for StrValue {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            StrValue::Inline { len, data } => &data[..usize::from(*len)],
            StrValue::Shared(bytes) => bytes,
        }
    }
}

impl AsRef<[u8]> for StrValue {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::borrow::Borrow<[u8]> for StrValue {
    fn borrow(&self) -> &[u8] {
        self
    }
}

impl std::hash::Hash for StrValue {
    /// Hashes as the bytes do, so a map keyed by `StrValue` is searched with a `&[u8]`.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (**self).hash(state);
    }
}

impl std::fmt::Debug for StrValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&Bytes::copy_from_slice(self), f)
    }
}

impl PartialEq<[u8]> for StrValue {
    fn eq(&self, other: &[u8]) -> bool {
        **self == *other
    }
}

impl PartialEq for StrValue {
    fn eq(&self, other: &StrValue) -> bool {
        **self == **other
    }
}

impl Eq for StrValue {}

impl PartialEq<Bytes> for StrValue {
    fn eq(&self, other: &Bytes) -> bool {
        **self == **other
    }
}

impl PartialEq<&Bytes> for StrValue {
    fn eq(&self, other: &&Bytes) -> bool {
        **self == ***other
    }
}

impl PartialEq<&str> for StrValue {
    fn eq(&self, other: &&str) -> bool {
        **self == *other.as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_inline_and_long_ones_shared() {
        let short = StrValue::copy_from_slice(b"12345");
        assert!(matches!(short, StrValue::Inline { len: 5, .. }));
        assert_eq!(&*short, b"12345");
        let edge = StrValue::copy_from_slice(&[7; INLINE]);
        assert!(matches!(edge, StrValue::Inline { .. }));
        let long = StrValue::copy_from_slice(&[7; INLINE + 1]);
        assert!(matches!(long, StrValue::Shared(_)));
        assert_eq!(long.len(), INLINE + 1);
        assert_eq!(StrValue::from(Bytes::from_static(b"hi")), "hi");
        assert_eq!(&*StrValue::default(), b"");
    }

    #[test]
    fn it_is_no_bigger_than_bytes() {
        assert_eq!(
            std::mem::size_of::<StrValue>(),
            std::mem::size_of::<Bytes>()
        );
    }
}

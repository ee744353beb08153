//! Day 5 — Redis's packed encodings: listpack, ziplist and intset, as they appear in RDB files.
//!
//! Real Redis keeps small hashes, sorted sets and lists not as hash tables but as one flat
//! byte array (a *listpack* in Redis 7, a *ziplist* before), and small sets of integers as
//! a sorted array (an *intset*). A snapshot stores those arrays as they are in memory, as
//! one RDB string, so loading a `dump.rdb` the real Redis wrote means walking them. We
//! only ever read them (go-redis writes the plain encodings, which every Redis loads), so
//! each reader here turns the array into the elements it holds, checking every length
//! against the bytes that are really there: a packed blob comes from a file, and a file
//! can lie.
//!
//! Each element is returned as bytes: integers stored in their compact binary form come
//! back as their decimal text, which is how go-redis (and Redis's API) sees them.

use bytes::Bytes;

/// Why a packed array could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackedError {
    /// An entry or header runs past the end of the array.
    #[error("{0}: truncated")]
    Truncated(&'static str),
    /// A header field or entry encoding that cannot be right.
    #[error("{0}: invalid {1}")]
    Invalid(&'static str, &'static str),
}

fn get<'a>(
    blob: &'a [u8],
    at: usize,
    n: usize,
    what: &'static str,
) -> Result<&'a [u8], PackedError> {
    blob.get(at..at.checked_add(n).ok_or(PackedError::Truncated(what))?)
        .ok_or(PackedError::Truncated(what))
}

fn int_text(value: i64) -> Bytes {
    Bytes::copy_from_slice(itoa::Buffer::new().format(value).as_bytes())
}

/// Sign-extends the low `bits` bits of `raw`.
fn signed(raw: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((raw << shift) as i64) >> shift
}

/// Little-endian unsigned integer of `bytes` (at most 8 of them).
fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Bytes taken by a listpack entry's trailing "back length" for an entry of `len` bytes
/// (listpack.c's `lpEncodeBacklen`: 7 bits per byte).
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..16383 => 2,
        16383..2097151 => 3,
        2097151..268435455 => 4,
        _ => 5,
    }
}

// ANCHOR: listpack
/// The elements of a listpack: `<total bytes u32><count u16><entry>...<0xFF>`, where an
/// entry is `<encoding><data><back length>` and the encoding's first bits say whether it
/// is a small integer, a string (with a 6-, 12- or 32-bit length) or a wider integer.
pub fn listpack(blob: &[u8]) -> Result<Vec<Bytes>, PackedError> {
    const WHAT: &str = "listpack";
    let header = get(blob, 0, 6, WHAT)?;
    if le(&header[..4]) as usize != blob.len() {
        return Err(PackedError::Invalid(WHAT, "total length"));
    }
    // The header's count is only a hint (65535 means "count them"): reserve little.
    let count = (le(&header[4..6]) as usize).min(blob.len() / 2).min(1024);
    let mut items = Vec::with_capacity(count);
    let mut at = 6;
    loop {
        let first = *blob.get(at).ok_or(PackedError::Truncated(WHAT))?;
        if first == 0xff {
            break;
        }
        let next = |n: usize| get(blob, at + 1, n, WHAT);
        // (header bytes, data bytes, the element)
        // ANCHOR: listpack_entry
        let (head, data_len, item) = if first & 0x80 == 0 {
            // 0xxxxxxx: an integer 0..127.
            (1, 0, int_text(i64::from(first)))
        } else if first & 0xc0 == 0x80 {
            // 10xxxxxx: a string of up to 63 bytes.
            let len = usize::from(first & 0x3f);
            (
                1,
                len,
                Bytes::copy_from_slice(get(blob, at + 1, len, WHAT)?),
            )
        } else if first & 0xe0 == 0xc0 {
            // 110xxxxx yyyyyyyy: a 13-bit signed integer.
            let raw = (u64::from(first & 0x1f) << 8) | u64::from(next(1)?[0]);
            (2, 0, int_text(signed(raw, 13)))
        } else if first & 0xf0 == 0xe0 {
            // 1110xxxx yyyyyyyy: a string of up to 4095 bytes.
            let len = (usize::from(first & 0x0f) << 8) | usize::from(next(1)?[0]);
            (
                2,
                len,
                Bytes::copy_from_slice(get(blob, at + 2, len, WHAT)?),
            )
        } else {
            match first {
                0xf0 => {
                    let len = le(next(4)?) as usize;
                    (
                        5,
                        len,
                        Bytes::copy_from_slice(get(blob, at + 5, len, WHAT)?),
                    )
                }
                0xf1 => (1, 2, int_text(signed(le(next(2)?), 16))),
                0xf2 => (1, 3, int_text(signed(le(next(3)?), 24))),
                0xf3 => (1, 4, int_text(signed(le(next(4)?), 32))),
                0xf4 => (1, 8, int_text(le(next(8)?) as i64)),
                _ => return Err(PackedError::Invalid(WHAT, "entry encoding")),
            }
        };
        // ANCHOR_END: listpack_entry
        let entry = head + data_len;
        at += entry + backlen_size(entry);
        items.push(item);
    }
    if at + 1 != blob.len() {
        return Err(PackedError::Invalid(WHAT, "end marker"));
    }
    Ok(items)
}
// ANCHOR_END: listpack

/// The elements of a ziplist (Redis ≤ 6's packed list): `<bytes u32><tail u32><count u16>`,
/// then entries `<previous entry length><encoding><data>`, then `0xFF`.
pub fn ziplist(blob: &[u8]) -> Result<Vec<Bytes>, PackedError> {
    const WHAT: &str = "ziplist";
    let header = get(blob, 0, 10, WHAT)?;
    if le(&header[..4]) as usize != blob.len() {
        return Err(PackedError::Invalid(WHAT, "total length"));
    }
    let count = (le(&header[8..10]) as usize).min(blob.len() / 2).min(1024);
    let mut items = Vec::with_capacity(count);
    let mut at = 10;
    loop {
        let first = *blob.get(at).ok_or(PackedError::Truncated(WHAT))?;
        if first == 0xff {
            break;
        }
        // The previous entry's length: one byte, or 0xFE and four more.
        at += if first < 0xfe { 1 } else { 5 };
        let enc = *blob.get(at).ok_or(PackedError::Truncated(WHAT))?;
        let next = |n: usize| get(blob, at + 1, n, WHAT);
        let (head, data_len, item) = match enc >> 6 {
            0 => {
                let len = usize::from(enc & 0x3f);
                (
                    1,
                    len,
                    Bytes::copy_from_slice(get(blob, at + 1, len, WHAT)?),
                )
            }
            1 => {
                let len = (usize::from(enc & 0x3f) << 8) | usize::from(next(1)?[0]);
                (
                    2,
                    len,
                    Bytes::copy_from_slice(get(blob, at + 2, len, WHAT)?),
                )
            }
            2 => {
                let b = next(4)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                (
                    5,
                    len,
                    Bytes::copy_from_slice(get(blob, at + 5, len, WHAT)?),
                )
            }
            _ => match enc {
                0xc0 => (1, 2, int_text(signed(le(next(2)?), 16))),
                0xd0 => (1, 4, int_text(signed(le(next(4)?), 32))),
                0xe0 => (1, 8, int_text(le(next(8)?) as i64)),
                0xf0 => (1, 3, int_text(signed(le(next(3)?), 24))),
                0xfe => (1, 1, int_text(signed(le(next(1)?), 8))),
                0xf1..=0xfd => (1, 0, int_text(i64::from(enc & 0x0f) - 1)),
                _ => return Err(PackedError::Invalid(WHAT, "entry encoding")),
            },
        };
        at += head + data_len;
        items.push(item);
    }
    if at + 1 != blob.len() {
        return Err(PackedError::Invalid(WHAT, "end marker"));
    }
    Ok(items)
}

/// The members of an intset: `<width u32: 2, 4 or 8><count u32><integers, little-endian>`.
pub fn intset(blob: &[u8]) -> Result<Vec<Bytes>, PackedError> {
    const WHAT: &str = "intset";
    let header = get(blob, 0, 8, WHAT)?;
    let width = le(&header[..4]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err(PackedError::Invalid(WHAT, "encoding"));
    }
    let count = le(&header[4..8]) as usize;
    if count.checked_mul(width).and_then(|n| n.checked_add(8)) != Some(blob.len()) {
        return Err(PackedError::Invalid(WHAT, "length"));
    }
    Ok(blob[8..]
        .chunks_exact(width)
        .map(|c| int_text(signed(le(c), (width * 8) as u32)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listpack holding what `RPUSH l a 5 -1 1000 <70 x's>` makes in Redis 7.
    fn sample_listpack() -> Vec<u8> {
        let mut entries = vec![
            0x81, b'a', 2, // "a"
            0x05, 1, // 5
            0xdf, 0xff, 2, // -1 as a 13-bit integer
            0xc3, 0xe8, 2, // 1000 as a 13-bit integer
        ];
        entries.extend([0xe0, 70]);
        entries.extend([b'x'; 70]);
        entries.push(72);
        entries.extend([0xf1, 0x30, 0x75, 3]); // 30000 as int16
        let mut blob = Vec::new();
        let total = 6 + entries.len() + 1;
        blob.extend((total as u32).to_le_bytes());
        blob.extend(6u16.to_le_bytes());
        blob.extend(entries);
        blob.push(0xff);
        blob
    }

    #[test]
    fn reads_every_listpack_encoding() {
        let items = listpack(&sample_listpack()).unwrap();
        let x70 = "x".repeat(70);
        let want: Vec<&[u8]> = vec![b"a", b"5", b"-1", b"1000", x70.as_bytes(), b"30000"];
        assert_eq!(items, want);
    }

    #[test]
    fn refuses_truncated_and_lying_listpacks() {
        let blob = sample_listpack();
        for cut in 0..blob.len() {
            assert!(listpack(&blob[..cut]).is_err(), "cut at {cut}");
        }
        let mut lying = blob.clone();
        lying[0] += 1; // a total length the blob does not have
        assert!(listpack(&lying).is_err());
        // A string length past the end, with a header that agrees with the blob.
        let mut long = blob.clone();
        let at = long.len() - 5; // the int16 entry
        long[at] = 0xe5;
        assert!(listpack(&long).is_err());
    }

    #[test]
    fn reads_intsets_and_ziplists() {
        let mut set = vec![2, 0, 0, 0, 3, 0, 0, 0];
        set.extend([0xff, 0xff, 1, 0, 0x10, 0x27]);
        assert_eq!(intset(&set).unwrap(), vec!["-1", "1", "10000"]);
        assert!(intset(&set[..12]).is_err());

        // A ziplist with "ab", 7 (immediate), -2 (int8).
        let entries = [0, 0x02, b'a', b'b', 4, 0xf8, 2, 0xfe, 0xfe];
        let mut zl = Vec::new();
        zl.extend(((10 + entries.len() + 1) as u32).to_le_bytes());
        zl.extend(0u32.to_le_bytes());
        zl.extend(3u16.to_le_bytes());
        zl.extend(entries);
        zl.push(0xff);
        assert_eq!(ziplist(&zl).unwrap(), vec!["ab", "7", "-2"]);
        assert!(ziplist(&zl[..zl.len() - 2]).is_err());
    }
}

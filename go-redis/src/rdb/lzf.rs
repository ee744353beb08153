//! Day 5 — LZF decompression, for the compressed strings inside Redis's RDB files.
//!
//! Redis compresses every string longer than 20 bytes in a snapshot with LZF
//! (`rdbcompression yes`, the default), when that saves space. LZF is a tiny LZ77
//! variant: the compressed stream is a sequence of *literal runs* (copy the next
//! 1–32 bytes as they are) and *back references* (copy 3–264 bytes from up to 8 KiB
//! back in the output produced so far). Decompression is the lesson here: twenty lines,
//! and every length and offset in it comes from the file, so each one is checked before
//! it is used. go-redis writes its own snapshots uncompressed (valid RDB, simpler, and
//! LZF compression would only matter for disk size), but it must read the real Redis's.

/// Why a compressed string could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LzfError {
    /// A literal run or a back reference runs past the end of the input.
    #[error("LZF data ends in the middle of an instruction")]
    Truncated,
    /// The output would be longer than the length the file announced.
    #[error("LZF data expands past its announced length")]
    TooLong,
    /// A back reference points before the start of the output.
    #[error("LZF back reference before the start of the data")]
    BadReference,
    /// The output came out shorter than announced.
    #[error("LZF data expands to {got} bytes, {expected} announced")]
    WrongLength {
        /// The announced length.
        expected: usize,
        /// What the data gave.
        got: usize,
    },
}

/// Expands `input` into exactly `len` bytes (the uncompressed length stored beside it).
/// `len` comes from the file too, so it only bounds the output: we reserve at most a few
/// times the input up front, and the output grows past that only as real data expands.
pub fn decompress(input: &[u8], len: usize) -> Result<Vec<u8>, LzfError> {
    let mut out: Vec<u8> = Vec::with_capacity(len.min(input.len().saturating_mul(4)));
    let mut i = 0;
    while i < input.len() {
        let ctrl = input[i] as usize;
        i += 1;
        if ctrl < 32 {
            // A literal run of ctrl + 1 bytes.
            let run = ctrl + 1;
            let bytes = input.get(i..i + run).ok_or(LzfError::Truncated)?;
            if out.len() + run > len {
                return Err(LzfError::TooLong);
            }
            out.extend_from_slice(bytes);
            i += run;
        } else {
            // A back reference: length in the top 3 bits (7 = "read one more byte"),
            // offset in the low 5 bits and the next byte.
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(i).ok_or(LzfError::Truncated)? as usize;
                i += 1;
            }
            run += 2;
            let low = *input.get(i).ok_or(LzfError::Truncated)? as usize;
            i += 1;
            let back = ((ctrl & 0x1f) << 8) + low + 1;
            let start = out.len().checked_sub(back).ok_or(LzfError::BadReference)?;
            if out.len() + run > len {
                return Err(LzfError::TooLong);
            }
            // Byte by byte: the copy may overlap the bytes it produces (a run of one
            // repeated byte is a reference one byte back).
            for k in 0..run {
                let byte = out[start + k];
                out.push(byte);
            }
        }
    }
    if out.len() != len {
        return Err(LzfError::WrongLength {
            expected: len,
            got: out.len(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_literals_and_overlapping_references() {
        // "aaaaaaaaaa": literal "a", then a reference 1 back of length 9 (run 7 → 7+2).
        let data = [0x00, b'a', 0xe0, 0x00, 0x00];
        assert_eq!(decompress(&data, 10).unwrap(), b"aaaaaaaaaa");
    }

    #[test]
    fn refuses_bad_input_without_panicking() {
        assert_eq!(decompress(&[0x05, b'a'], 6), Err(LzfError::Truncated));
        assert_eq!(decompress(&[0x20, 0x05], 3), Err(LzfError::BadReference));
        assert_eq!(decompress(&[0x01, b'a', b'b'], 1), Err(LzfError::TooLong));
        assert!(matches!(
            decompress(&[0x00, b'a'], 2),
            Err(LzfError::WrongLength { .. })
        ));
    }
}

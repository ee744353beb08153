//! Day 2 — the reply encoder: every answer written straight into one output buffer.
//!
//! mini-redis builds a `Frame` for each reply and writes it to the socket, flushing every
//! time. Two things make that slow under pipelining: a `Vec<Frame>` allocated for every
//! array reply, and one `write` system call per reply. Here a command writes its reply
//! bytes directly into the connection's [`BytesMut`] through [`ReplyWriter`], nested arrays
//! included (an array is its header followed by its elements, so nesting costs nothing),
//! and the connection flushes the whole batch once.

use bytes::{BufMut, BytesMut};

/// Writes RESP values at the end of a buffer. Implemented for [`BytesMut`].
pub trait ReplyWriter {
    /// `+OK\r\n`.
    fn ok(&mut self);
    /// `+<text>\r\n`: a status such as `PONG` (must not contain `\r` or `\n`).
    fn simple(&mut self, text: &str);
    /// `-<message>\r\n`: an error; `message` starts with its code, e.g. `ERR syntax error`.
    fn error(&mut self, message: &str);
    /// `:<n>\r\n`.
    fn int(&mut self, n: i64);
    /// `$<len>\r\n<bytes>\r\n`.
    fn bulk(&mut self, bytes: &[u8]);
    /// `$-1\r\n`: the null bulk string (a missing key).
    fn null(&mut self);
    /// `*-1\r\n`: the null array.
    fn null_array(&mut self);
    /// `*<len>\r\n`: an array header; the caller then writes exactly `len` values.
    fn array(&mut self, len: usize);
    /// A double as a bulk string, formatted like Redis's `%.17g` (ZSCORE, ZINCRBY).
    fn double(&mut self, value: f64);
}

// ANCHOR: reply_writer
impl ReplyWriter for BytesMut {
    fn ok(&mut self) {
        self.put_slice(b"+OK\r\n");
    }

    fn simple(&mut self, text: &str) {
        self.put_u8(b'+');
        self.put_slice(text.as_bytes());
        self.put_slice(b"\r\n");
    }

    fn error(&mut self, message: &str) {
        self.put_u8(b'-');
        // An error must stay on one line, whatever the message contains.
        for &b in message.as_bytes() {
            self.put_u8(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.put_slice(b"\r\n");
    }

    fn int(&mut self, n: i64) {
        self.put_u8(b':');
        self.put_slice(itoa::Buffer::new().format(n).as_bytes());
        self.put_slice(b"\r\n");
    }

    fn bulk(&mut self, bytes: &[u8]) {
        // ANCHOR: ex_bulk
        self.reserve(bytes.len() + 16);
        self.put_u8(b'$');
        self.put_slice(itoa::Buffer::new().format(bytes.len()).as_bytes());
        self.put_slice(b"\r\n");
        self.put_slice(bytes);
        self.put_slice(b"\r\n");
        // ANCHOR_END: ex_bulk
    }

    fn null(&mut self) {
        self.put_slice(b"$-1\r\n");
    }

    fn null_array(&mut self) {
        self.put_slice(b"*-1\r\n");
    }

    fn array(&mut self, len: usize) {
        self.put_u8(b'*');
        self.put_slice(itoa::Buffer::new().format(len).as_bytes());
        self.put_slice(b"\r\n");
    }

    fn double(&mut self, value: f64) {
        self.bulk(format_double(value).as_bytes());
    }
}
// ANCHOR_END: reply_writer

/// Formats a double the way Redis 7.0 replies with one: `inf`/`-inf`, integers without a
/// fraction, everything else as C's `%.17g`.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if value.fract() == 0.0 && value.abs() < 1e17 {
        return format!("{}", value as i64);
    }
    format_g17(value)
}

/// C's `printf("%.17g")`: 17 significant digits, fixed or exponential, trailing zeros cut.
pub fn format_g17(value: f64) -> String {
    let sci = format!("{value:.16e}");
    let exp: i32 = sci
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    if !(-4..17).contains(&exp) {
        let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (16 - exp).max(0) as usize;
        trim_zeros(&format!("{value:.decimals$}")).to_owned()
    }
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Formats a double for INCRBYFLOAT and HINCRBYFLOAT: the shortest text that reads back
/// as the same number, never in exponent form (Redis uses `%.17Lf` and trims zeros).
pub fn format_incr_double(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e17 {
        return format!("{}", value as i64);
    }
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g17_matches_c() {
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(0.1), "0.10000000000000001");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(1e300), "1.0000000000000001e+300");
        assert_eq!(format_double(1.0e-5), "1.0000000000000001e-05");
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(-2.5), "-2.5");
    }

    #[test]
    fn writes_nested_arrays() {
        let mut out = BytesMut::new();
        out.array(2);
        out.bulk(b"a");
        out.array(1);
        out.int(-2);
        assert_eq!(&out[..], b"*2\r\n$1\r\na\r\n*1\r\n:-2\r\n");
    }
}

//! Day 2 — the reply encoder: every answer written straight into one output buffer.
//!
//! mini-redis builds a `Frame` for each reply and writes it to the socket, flushing every
//! time. Two things make that slow under pipelining: a `Vec<Frame>` allocated for every
//! array reply, and one `write` system call per reply. Here a command writes its reply
//! bytes directly into the connection's [`BytesMut`] through [`ReplyWriter`], nested arrays
//! included (an array is its header followed by its elements, so nesting costs nothing),
//! and the connection flushes the whole batch once.

use bytes::{BufMut, BytesMut};

/// Writes RESP values at the end of a buffer. Implemented for [`BytesMut`] (always RESP2)
/// and for [`Output`] (RESP2 or RESP3, as the client chose with HELLO).
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
    /// A double as a bulk string, formatted like Redis's `%.17g` (ZSCORE, ZINCRBY); a RESP3
    /// double (`,1.5`) when the client speaks RESP3.
    fn double(&mut self, value: f64);
    /// A map header of `len` key-value pairs (HGETALL, CONFIG GET, HELLO): `%<len>` in
    /// RESP3, an array of `2 * len` values in RESP2. The caller then writes the pairs.
    fn map(&mut self, len: usize) {
        self.array(len * 2);
    }
    /// A set header (SMEMBERS, SINTER, SPOP with a count): `~<len>` in RESP3, an array in
    /// RESP2.
    fn set(&mut self, len: usize) {
        self.array(len);
    }
    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    fn boolean(&mut self, value: bool) {
        self.int(i64::from(value));
    }
    /// A verbatim string with a three-letter format (INFO and CLIENT LIST answer `txt`):
    /// `=<len>\r\ntxt:<text>` in RESP3, a bulk string in RESP2.
    fn verbatim(&mut self, format: &str, text: &[u8]) {
        let _ = format;
        self.bulk(text);
    }
    /// A number too big for 64 bits: `(<digits>` in RESP3, a bulk string in RESP2.
    fn big_number(&mut self, digits: &str) {
        self.bulk(digits.as_bytes());
    }
    /// An out-of-band push header (pub/sub messages): `><len>` in RESP3, an array in RESP2.
    fn push(&mut self, len: usize) {
        self.array(len);
    }
    /// Whether replies go to a RESP3 client. Most commands never ask (the methods above
    /// choose the encoding); a few whose reply *shape* differs do: `ZRANGE ... WITHSCORES`
    /// answers `[member, score]` pairs in RESP3 and a flat list in RESP2.
    fn resp3(&self) -> bool {
        false
    }
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

/// A connection's output buffer together with the protocol the client chose.
///
/// RESP3 (`HELLO 3`) is RESP2 plus types: maps, sets, doubles, a single null, booleans,
/// verbatim strings, big numbers, pushes. The choice is per connection, so it travels with
/// the buffer the replies are written into: a command writes `out.map(n)` and the buffer
/// encodes it as `%n` or as an array of `2n`, so no command needs two code paths.
/// It dereferences to its [`BytesMut`] for the connection loop's writes.
#[derive(Debug, Default)]
pub struct Output {
    buf: BytesMut,
    resp3: bool,
    /// Day 5: the replies may not be sent before this counter reaches this value (the
    /// AOF's offset on disk under `appendfsync always`).
    hold: Option<(tokio::sync::watch::Receiver<u64>, u64)>,
}

impl Output {
    /// An empty RESP2 buffer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: BytesMut::with_capacity(capacity),
            resp3: false,
            hold: None,
        }
    }

    /// Day 5: holds the replies written so far until `counter` reaches `at`: the
    /// connection waits for it ([`Output::released`]) before it writes them to the client.
    pub fn hold_until(&mut self, counter: tokio::sync::watch::Receiver<u64>, at: u64) {
        let later = self.hold.as_ref().is_none_or(|(_, held)| at >= *held);
        if later {
            self.hold = Some((counter, at));
        }
    }

    /// Day 5: waits until the replies may be sent (at once when nothing holds them; also
    /// when whatever publishes the counter is gone).
    pub async fn released(&mut self) {
        if let Some((mut counter, at)) = self.hold.take() {
            let _ = counter.wait_for(|&now| now >= at).await;
        }
    }

    /// Switches the protocol (HELLO 2 / HELLO 3): the replies after this use it.
    pub fn set_resp3(&mut self, on: bool) {
        self.resp3 = on;
    }

    /// The protocol version the client speaks: 2 or 3.
    pub fn protocol(&self) -> i64 {
        if self.resp3 { 3 } else { 2 }
    }
}

impl std::ops::Deref for Output {
    type Target = BytesMut;

    fn deref(&self) -> &BytesMut {
        &self.buf
    }
}

impl std::ops::DerefMut for Output {
    fn deref_mut(&mut self) -> &mut BytesMut {
        &mut self.buf
    }
}

// ANCHOR: resp3
impl ReplyWriter for Output {
    fn ok(&mut self) {
        self.buf.ok();
    }

    fn simple(&mut self, text: &str) {
        self.buf.simple(text);
    }

    fn error(&mut self, message: &str) {
        self.buf.error(message);
    }

    fn int(&mut self, n: i64) {
        self.buf.int(n);
    }

    fn bulk(&mut self, bytes: &[u8]) {
        self.buf.bulk(bytes);
    }

    fn array(&mut self, len: usize) {
        self.buf.array(len);
    }

    fn null(&mut self) {
        if self.resp3 {
            self.buf.put_slice(b"_\r\n"); // RESP3 has one null for everything
        } else {
            self.buf.null();
        }
    }

    fn null_array(&mut self) {
        if self.resp3 {
            self.buf.put_slice(b"_\r\n");
        } else {
            self.buf.null_array();
        }
    }

    fn double(&mut self, value: f64) {
        if self.resp3 {
            self.header(b',', &format_double(value));
        } else {
            self.buf.double(value);
        }
    }

    fn map(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'%', itoa::Buffer::new().format(len));
        } else {
            self.buf.map(len);
        }
    }

    fn set(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'~', itoa::Buffer::new().format(len));
        } else {
            self.buf.set(len);
        }
    }

    fn boolean(&mut self, value: bool) {
        if self.resp3 {
            self.buf
                .put_slice(if value { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.buf.boolean(value);
        }
    }

    fn verbatim(&mut self, format: &str, text: &[u8]) {
        if self.resp3 && format.len() == 3 {
            self.header(b'=', itoa::Buffer::new().format(text.len() + 4));
            self.buf.put_slice(format.as_bytes());
            self.buf.put_u8(b':');
            self.buf.put_slice(text);
            self.buf.put_slice(b"\r\n");
        } else {
            self.buf.bulk(text);
        }
    }

    fn big_number(&mut self, digits: &str) {
        if self.resp3 {
            self.header(b'(', digits);
        } else {
            self.buf.big_number(digits);
        }
    }

    fn push(&mut self, len: usize) {
        if self.resp3 {
            self.header(b'>', itoa::Buffer::new().format(len));
        } else {
            self.buf.push(len);
        }
    }

    fn resp3(&self) -> bool {
        self.resp3
    }
}
// ANCHOR_END: resp3

impl Output {
    /// `<tag><text>\r\n`.
    fn header(&mut self, tag: u8, text: &str) {
        self.buf.put_u8(tag);
        self.buf.put_slice(text.as_bytes());
        self.buf.put_slice(b"\r\n");
    }
}

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

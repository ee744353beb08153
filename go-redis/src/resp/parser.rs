//! Day 2 — the streaming request parser: multibulk and inline commands, limits enforced
//! before anything is allocated.
//!
//! A request arrives in pieces: one `read` may hold half a command, or a hundred of them
//! (pipelining). The parser keeps its place between reads (an offset into the read buffer,
//! and where each argument parsed so far starts and ends), so a 20 000-argument `MSET`
//! trickling in is parsed once, not re-scanned from the start on every read. Only when a
//! request is complete is it cut out of the buffer, once ([`BytesMut::split_to`]), and its
//! arguments handed out as views into that one piece ([`Bytes::slice`]): no copying, and
//! one reference-count bump per argument, which is all the bookkeeping a request costs.
//!
//! Two request forms exist, as in Redis's `processMultibulkBuffer` and
//! `processInlineBuffer`:
//!
//! ```text
//! *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n     multibulk: what every client library sends
//! SET k "hello world"\r\n                     inline: what telnet and PING_INLINE send
//! ```
//!
//! Lengths come from the client, so they are checked *before* they are trusted: a multibulk
//! count over [`MAX_MULTIBULK`] or a bulk length over [`MAX_BULK`] is a protocol error at
//! once, and a bulk's bytes are buffered only as they actually arrive. A protocol error is
//! answered with Redis's exact words and ends the connection.

use bytes::{Buf, Bytes, BytesMut};

/// The longest bulk string accepted (Redis's `proto-max-bulk-len`, 512 MB).
pub const MAX_BULK: usize = 512 * 1024 * 1024;
/// The most arguments one multibulk request may announce (1024 × 1024, as in Redis).
pub const MAX_MULTIBULK: usize = 1024 * 1024;
/// Before AUTH succeeds, the most arguments a request may have (Redis's fix for
/// CVE-2021-32675: an unauthenticated client must not make the server buffer much).
pub const MAX_UNAUTHENTICATED_ARGS: usize = 10;
/// Before AUTH succeeds, the longest bulk string accepted (16 KB, as in Redis).
pub const MAX_UNAUTHENTICATED_BULK: usize = 16 * 1024;
/// The longest inline request, or `*`/`$` header line, before giving up (64 KB, as Redis).
pub const MAX_INLINE: usize = 64 * 1024;

/// A request that breaks the protocol: answered as `-ERR Protocol error: <this>`, then the
/// connection is closed, because after garbage we no longer know where the next request
/// starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// `*` followed by something that is not a count in 0..=[`MAX_MULTIBULK`].
    #[error("invalid multibulk length")]
    InvalidMultibulkLength,
    /// `$` followed by something that is not a length in 0..=[`MAX_BULK`].
    #[error("invalid bulk length")]
    InvalidBulkLength,
    /// Inside a multibulk, an element that is not a bulk string.
    #[error("expected '$', got '{}'", char::from(*.0))]
    ExpectedBulk(u8),
    /// An inline request with a quote that is never closed.
    #[error("unbalanced quotes in request")]
    UnbalancedQuotes,
    /// An inline request without a newline in its first [`MAX_INLINE`] bytes.
    #[error("too big inline request")]
    TooBigInline,
    /// A `*` header line without a newline in [`MAX_INLINE`] bytes.
    #[error("too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `$` header line without a newline in [`MAX_INLINE`] bytes.
    #[error("too big bulk count string")]
    TooBigBulkCount,
    /// Before AUTH, a request of more than [`MAX_UNAUTHENTICATED_ARGS`] arguments.
    #[error("unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// Before AUTH, a bulk longer than [`MAX_UNAUTHENTICATED_BULK`].
    #[error("unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

/// Parses requests out of a connection's read buffer, remembering where it stopped.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Where each argument of the multibulk being read lies in the read buffer: `(start,
    /// end)` offsets from the buffer's front (kept between requests to reuse its memory).
    spans: Vec<(usize, usize)>,
    /// How far into the buffer the request in progress has been parsed.
    scanned: usize,
    /// Arguments still to read in it (0 = between requests).
    remaining: usize,
    /// The length of the bulk whose `$` header was read but whose bytes were not.
    bulk_len: Option<usize>,
    /// The client has not authenticated yet: tight limits apply.
    unauthenticated: bool,
}

impl RequestParser {
    /// A parser between requests.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many more bytes the request in progress certainly needs (a read-size hint).
    pub fn pending_bulk(&self) -> usize {
        self.bulk_len.map_or(0, |len| len + 2)
    }

    /// Applies (or lifts) the limits for a client that has not authenticated yet: at most
    /// [`MAX_UNAUTHENTICATED_ARGS`] arguments and [`MAX_UNAUTHENTICATED_BULK`] bytes per
    /// bulk, so a stranger cannot make the server hold megabytes for it.
    pub fn set_unauthenticated(&mut self, unauthenticated: bool) {
        self.unauthenticated = unauthenticated;
    }

    /// Takes the next complete request out of `buf`: `Ok(Some(args))`, or `Ok(None)` when
    /// more bytes are needed (how far it got is remembered; nothing is taken out of `buf`
    /// until a request is complete). Empty requests
    /// (`*0`, a blank inline line) are skipped. Before AUTH, the tight limits of
    /// [`RequestParser::set_unauthenticated`] apply, checked as soon as a header announces
    /// too much.
    pub fn next_request(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        let request = self.parse_request(buf)?;
        if self.unauthenticated {
            let announced = self.remaining + self.spans.len();
            let args = request.as_ref().map_or(0, Vec::len);
            if announced.max(args) > MAX_UNAUTHENTICATED_ARGS {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            let longest = request
                .iter()
                .flatten()
                .map(Bytes::len)
                .chain(self.bulk_len)
                .max();
            if longest.is_some_and(|len| len > MAX_UNAUTHENTICATED_BULK) {
                return Err(ProtocolError::UnauthenticatedBulkLength);
            }
        }
        Ok(request)
    }

    // ANCHOR: next_request
    /// The parser proper: the next complete request in `buf`, or `Ok(None)` for more bytes.
    fn parse_request(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
        loop {
            if self.remaining == 0 {
                let Some(&first) = buf.first() else {
                    return Ok(None);
                };
                if first != b'*' {
                    match parse_inline(buf)? {
                        None => return Ok(None),
                        Some(args) if args.is_empty() => continue,
                        Some(args) => return Ok(Some(args)),
                    }
                }
                let Some((digits, next)) = header_at(buf, 0, ProtocolError::TooBigMultibulkCount)?
                else {
                    return Ok(None);
                };
                let count = parse_len(&buf[digits], MAX_MULTIBULK as i64)
                    .ok_or(ProtocolError::InvalidMultibulkLength)?;
                if count <= 0 {
                    buf.advance(next);
                    continue; // `*0` and `*-1` are empty requests: ignored
                }
                self.remaining = count as usize;
                self.scanned = next;
                self.spans.clear();
                // Never trust the count for the allocation: cap the up-front reservation.
                self.spans.reserve(self.remaining.min(1024));
            }
            // ANCHOR: ex_multibulk
            while self.remaining > 0 {
                let len = match self.bulk_len {
                    Some(len) => len,
                    None => {
                        let Some(&first) = buf.get(self.scanned) else {
                            return Ok(None);
                        };
                        if first != b'$' {
                            return Err(ProtocolError::ExpectedBulk(first));
                        }
                        let Some((digits, next)) =
                            header_at(buf, self.scanned, ProtocolError::TooBigBulkCount)?
                        else {
                            return Ok(None);
                        };
                        let len = parse_len(&buf[digits], MAX_BULK as i64)
                            .filter(|&len| len >= 0)
                            .ok_or(ProtocolError::InvalidBulkLength)?;
                        self.bulk_len = Some(len as usize);
                        self.scanned = next;
                        len as usize
                    }
                };
                if buf.len() < self.scanned + len + 2 {
                    return Ok(None); // wait for the bytes: nothing allocated for them yet
                }
                self.spans.push((self.scanned, self.scanned + len));
                self.scanned += len + 2; // the bytes and the \r\n after them
                self.bulk_len = None;
                self.remaining -= 1;
            }
            // Complete: cut the request out of the buffer once; its arguments are views.
            let request = buf.split_to(self.scanned).freeze();
            self.scanned = 0;
            let args = self
                .spans
                .iter()
                .map(|&(start, end)| request.slice(start..end));
            let args = args.collect();
            self.spans.clear();
            return Ok(Some(args));
            // ANCHOR_END: ex_multibulk
        }
    }
    // ANCHOR_END: next_request
}

/// Finds the `*N\r\n` / `$N\r\n` header line starting at `buf[from]`: the range of the
/// digits after the tag, and the offset just past the line; `None` until the line is whole.
fn header_at(
    buf: &[u8],
    from: usize,
    too_big: ProtocolError,
) -> Result<Option<(std::ops::Range<usize>, usize)>, ProtocolError> {
    let line = &buf[from..];
    match memchr(b'\r', line) {
        Some(cr) if line.len() < cr + 2 => Ok(None),
        Some(cr) => Ok(Some((from + 1..from + cr, from + cr + 2))),
        None if line.len() > MAX_INLINE => Err(too_big),
        None => Ok(None),
    }
}

/// Parses a decimal length; `None` if it is not a number or exceeds `max`.
/// Reads a signed decimal header (`*3`, `$-1`) like Redis's `string2ll`, straight from the
/// bytes: no UTF-8 check and no `str::parse` on the hot path of every request.
fn parse_len(digits: &[u8], max: i64) -> Option<i64> {
    let (negative, body) = match digits.split_first()? {
        (b'-', rest) => (true, rest),
        (b'+', rest) => (false, rest),
        _ => (false, digits),
    };
    if body.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for &b in body {
        if !b.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(b - b'0');
        // Accumulate negatives downwards so i64::MIN itself still fits.
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(digit)?
        } else {
            n.checked_add(digit)?
        };
    }
    (n <= max).then_some(n)
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

// ANCHOR: inline
/// Parses one inline request (`SET k "a b"\n`), splitting on spaces with Redis's quoting
/// rules; `None` until the newline has arrived.
fn parse_inline(buf: &mut BytesMut) -> Result<Option<Vec<Bytes>>, ProtocolError> {
    let Some(nl) = memchr(b'\n', buf) else {
        if buf.len() > MAX_INLINE {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(None);
    };
    let line = buf.split_to(nl + 1).freeze();
    let end = if nl > 0 && line[nl - 1] == b'\r' {
        nl - 1
    } else {
        nl
    };
    if line[..end].iter().any(|&c| c == b'"' || c == b'\'') {
        return split_args(&line[..end]).map(Some);
    }
    // No quotes (`PING`, `GET key`): the arguments are the runs between spaces, and each
    // can be a slice of the line itself, with no copy.
    let mut args = Vec::new();
    let mut i = 0;
    while i < end {
        while i < end && line[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < end && !line[i].is_ascii_whitespace() {
            i += 1;
        }
        if start < i {
            args.push(line.slice(start..i));
        }
    }
    Ok(Some(args))
}
// ANCHOR_END: inline

/// Splits an inline line into arguments like Redis's `sdssplitargs`: spaces separate,
/// `"..."` understands `\n \r \t \b \a \\ \" \xHH`, `'...'` only `\'`, and a closing quote
/// must be followed by a space or the end of the line.
pub fn split_args(line: &[u8]) -> Result<Vec<Bytes>, ProtocolError> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let c = line.get(i).copied();
            if in_double {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\')
                        if i + 3 < line.len()
                            && line[i + 1] == b'x'
                            && hex_pair(line[i + 2], line[i + 3]).is_some() =>
                    {
                        current.push(hex_pair(line[i + 2], line[i + 3]).unwrap_or(0));
                        i += 3;
                    }
                    Some(b'\\') if i + 1 < line.len() => {
                        i += 1;
                        current.push(match line[i] {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                    }
                    Some(b'"') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match c {
                    None => return Err(ProtocolError::UnbalancedQuotes),
                    Some(b'\\') if line.get(i + 1) == Some(&b'\'') => {
                        i += 1;
                        current.push(b'\'');
                    }
                    Some(b'\'') => {
                        if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                            return Err(ProtocolError::UnbalancedQuotes);
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            i += 1;
        }
        args.push(Bytes::from(current));
    }
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Result<Vec<Vec<Bytes>>, ProtocolError> {
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::from(input);
        let mut out = Vec::new();
        while let Some(args) = parser.next_request(&mut buf)? {
            out.push(args);
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline_and_pipelined() {
        let reqs = parse_all(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n\r\n*0\r\nSET a \"b c\"\n")
            .unwrap();
        assert_eq!(reqs.len(), 3);
        assert_eq!(reqs[0], vec![Bytes::from("ECHO"), Bytes::from("hi")]);
        assert_eq!(reqs[1], vec![Bytes::from("PING")]);
        assert_eq!(
            reqs[2],
            vec![Bytes::from("SET"), Bytes::from("a"), Bytes::from("b c")]
        );
    }

    #[test]
    fn an_inline_request_without_quotes_splits_on_any_run_of_spaces() {
        let reqs = parse_all(b"  SET\tk   v \r\n\r\n \r\nGET k\n").unwrap();
        assert_eq!(
            reqs,
            vec![
                vec![Bytes::from("SET"), Bytes::from("k"), Bytes::from("v")],
                vec![Bytes::from("GET"), Bytes::from("k")],
            ]
        );
        // A quote anywhere takes Redis's quoting rules, even inside a word (as sdssplitargs).
        let reqs = parse_all(b"SET k a\"b c\"\r\n").unwrap();
        assert_eq!(reqs[0][2], Bytes::from("ab c"));
    }

    #[test]
    fn byte_by_byte_gives_the_same_request() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        let mut parser = RequestParser::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for &b in input.iter() {
            buf.extend_from_slice(&[b]);
            if let Some(args) = parser.next_request(&mut buf).unwrap() {
                got = Some(args);
            }
        }
        assert_eq!(got.unwrap().len(), 3);
        assert!(buf.is_empty());
    }

    #[test]
    fn errors_are_worded_like_redis() {
        assert_eq!(
            parse_all(b"*3000000000\r\n"),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(
            parse_all(b"*x\r\n"),
            Err(ProtocolError::InvalidMultibulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\n$2000000000\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\n$-5\r\n"),
            Err(ProtocolError::InvalidBulkLength)
        );
        assert_eq!(
            parse_all(b"*1\r\nfoo\r\n"),
            Err(ProtocolError::ExpectedBulk(b'f'))
        );
        assert_eq!(
            parse_all(b"set \"x\n"),
            Err(ProtocolError::UnbalancedQuotes)
        );
        assert_eq!(
            parse_all(b"set \"x\"y\n"),
            Err(ProtocolError::UnbalancedQuotes)
        );
        assert_eq!(
            ProtocolError::ExpectedBulk(b'f').to_string(),
            "expected '$', got 'f'"
        );
    }

    #[test]
    fn quoting_rules_follow_sdssplitargs() {
        let args = split_args(br#"a "\x41\n" 'it\'s' "" "#).unwrap();
        assert_eq!(
            args,
            vec![
                Bytes::from("a"),
                Bytes::from("A\n"),
                Bytes::from("it's"),
                Bytes::from("")
            ]
        );
    }
}

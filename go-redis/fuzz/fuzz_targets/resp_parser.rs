//! Fuzzes the RESP request parser, the frame parser and the inline splitter with arbitrary
//! bytes, delivered in arbitrary chunks (as a socket would).
//!
//! Properties checked beyond "never panics": the streaming parser yields the same requests
//! (or the same error) whether the input arrives whole or in pieces, and every frame the
//! frame parser accepts re-encodes to bytes that parse back to the same frame.

#![no_main]

use bytes::BytesMut;
use go_redis::resp::{Frame, ProtocolError, RequestParser};
use libfuzzer_sys::fuzz_target;

fn parse_in_chunks(data: &[u8], chunk: usize) -> (Vec<Vec<bytes::Bytes>>, Option<ProtocolError>) {
    let mut parser = RequestParser::new();
    let mut buf = BytesMut::new();
    let mut requests = Vec::new();
    for piece in data.chunks(chunk.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match parser.next_request(&mut buf) {
                Ok(Some(args)) => {
                    assert!(!args.is_empty(), "empty requests are skipped");
                    requests.push(args);
                }
                Ok(None) => break,
                Err(err) => return (requests, Some(err)),
            }
        }
    }
    (requests, None)
}

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let whole = parse_in_chunks(input, input.len().max(1));
    let pieces = parse_in_chunks(input, usize::from(chunk % 17) + 1);
    // Errors that depend on how much is buffered (a line too long) may appear at different
    // moments; otherwise both deliveries must agree exactly.
    let size_dependent = |e: &Option<ProtocolError>| {
        matches!(
            e,
            Some(ProtocolError::TooBigInline | ProtocolError::TooBigMultibulkCount | ProtocolError::TooBigBulkCount)
        )
    };
    if !size_dependent(&whole.1) && !size_dependent(&pieces.1) {
        assert_eq!(whole, pieces);
    }

    if let Ok(Some((frame, used))) = Frame::parse(input) {
        assert!(used <= input.len());
        let bytes = frame.to_bytes();
        let reparsed = Frame::parse(&bytes).expect("re-encoded frame parses");
        let (again, used_again) = reparsed.expect("re-encoded frame is complete");
        // Simple strings and errors may have lost bytes to lossy UTF-8, so compare shapes
        // through a second round trip, which must be exact.
        assert_eq!(used_again, bytes.len());
        assert_eq!(again.to_bytes(), bytes);
    }
    let _ = go_redis::resp::parser::split_args(input);
});

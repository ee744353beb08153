//! Day 2 — RESP, the REdis Serialization Protocol: frames, the request parser, the replies.
//!
//! RESP is a line protocol with a one-byte type tag. A client sends every command as an
//! array of bulk strings; the server answers with any of five types:
//!
//! ```text
//! *2\r\n$3\r\nGET\r\n$1\r\nk\r\n      request: GET k
//! +OK\r\n                             simple string
//! -ERR unknown command 'x'\r\n        error
//! :42\r\n                             integer (signed: TTL answers -2)
//! $5\r\nhello\r\n                     bulk string; $-1\r\n is the null bulk
//! *2\r\n:1\r\n:2\r\n                   array, possibly nested; *-1\r\n is the null array
//! ```
//!
//! RESP3, which a client asks for with `HELLO 3`, adds typed replies: `%` maps, `~` sets,
//! `,` doubles, `_` the one null, `#` booleans, `=` verbatim strings, `(` big numbers and
//! `>` pushes. [`Output`] writes whichever protocol its connection chose.
//!
//! [`frame`] is the value type (used by clients and tests), [`parser`] turns a stream of
//! bytes into requests without waiting for whole frames twice, and [`reply`] encodes answers
//! straight into the connection's output buffer.

pub mod frame;
pub mod parser;
pub mod reply;

pub use frame::Frame;
pub use parser::{ProtocolError, RequestParser};
pub use reply::{Output, ReplyWriter};

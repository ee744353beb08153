//! The session: the object that builds one statement at a time and runs it.
//!
//! Its methods are spread over one file per idea, each added by its day: raw SQL (day 1),
//! tables (day 2), records (day 3), the chain of conditions (day 4), hooks (day 5) and
//! transactions (day 6). This file only holds the state they share.

mod chain;
mod hooks;
mod raw;
mod record;
mod table;
mod tx;

pub use hooks::Hooks;
pub use tx::Tx;

pub(crate) use raw::{log_sql, to_value};

use rusqlite::Connection;
use rusqlite::types::Value;

use crate::clause::Clause;
use crate::error::Error;

/// A unit of work on one connection: it collects a statement, runs it, and starts afresh.
///
/// A session borrows its connection, which may be a plain connection or an open transaction
/// (a `rusqlite::Transaction` dereferences to its connection), so every operation works the
/// same inside and outside a transaction. Like Go's, a session is stateful and meant for one
/// thread; unlike Go's, the compiler enforces that (it is not `Sync`).
pub struct Session<'c> {
    /// The connection (or transaction) the statements run on.
    pub(crate) conn: &'c Connection,
    /// Day 1: the raw SQL collected by [`Session::raw`].
    pub(crate) sql: String,
    /// Day 1: its bound arguments, already converted to owned SQLite values.
    pub(crate) args: Vec<Value>,
    /// Day 1: an argument that could not be converted, reported by the next run.
    pub(crate) pending: Option<Error>,
    /// Day 3: the clauses of the statement being built (WHERE, ORDER BY, LIMIT, ...).
    pub(crate) clause: Clause,
}

impl<'c> Session<'c> {
    /// A fresh session on `conn`, with nothing collected.
    pub fn new(conn: &'c Connection) -> Session<'c> {
        Session {
            conn,
            sql: String::new(),
            args: Vec::new(),
            pending: None,
            clause: Clause::default(),
        }
    }

    /// Forgets everything collected so far (SQL, arguments and clauses), as Go's `Clear`.
    pub fn clear(&mut self) {
        self.sql.clear();
        self.args.clear();
        self.pending = None;
        self.clause = Clause::default();
    }

    /// The connection this session runs on.
    pub fn connection(&self) -> &'c Connection {
        self.conn
    }
}

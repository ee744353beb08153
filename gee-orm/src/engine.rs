//! Day 1 — The engine: one SQLite connection, opened safely.
//!
//! Go's GeeORM wraps `database/sql`: `NewEngine(driver, source)` opens a pool and pings it.
//! SQLite is embedded, so our engine is simply one [`rusqlite::Connection`]: no server, no
//! pool, the database is a file (or `:memory:`). Opening does three things the original did
//! not: it turns off SQLite's double-quoted-string fallback (so a mistyped `"column"` is an
//! error, not the string `'column'`), it reads the schema once so that a file which is not a
//! database fails *here* with a clear error instead of at the first query, and it never
//! returns an engine it could not open (the original's `(nil, nil)`).

use std::path::Path;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::error::{Error, Result};
use crate::session::Session;

/// How many prepared statements each connection keeps ready (rusqlite's default is 16).
///
/// Every operation of gee-orm prepares its SQL through the cache, so a program that touches
/// a few models with a few query shapes never parses the same SQL twice.
const STATEMENT_CACHE: usize = 64;

/// The entry point: an open SQLite database that hands out [`Session`]s.
pub struct Engine {
    /// The one connection. Sessions borrow it; transactions (day 6) borrow it mutably.
    pub(crate) conn: Connection,
}

impl Engine {
    // ANCHOR: open
    /// Opens (creating if needed) the database file at `path`, or a private in-memory
    /// database for `":memory:"`.
    ///
    /// Fails with [`Error::Open`] when the path cannot be opened (a directory, a missing
    /// parent directory, no permission) or the file is not a SQLite database.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine> {
        let path = path.as_ref();
        let open_error = |source| Error::Open {
            path: path.to_path_buf(),
            source,
        };
        // ANCHOR: ex_open
        let conn = Connection::open(path).map_err(open_error)?;
        // No "double-quoted string" fallback: "nosuchcol" must be an error, not a literal.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DML, false)
            .map_err(open_error)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DQS_DDL, false)
            .map_err(open_error)?;
        // SQLite opens lazily: read the schema now, so "file is not a database" shows up here.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| {
            row.get::<_, i64>(0)
        })
        .map_err(open_error)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        tracing::info!("opened database {}", path.display());
        Ok(Engine { conn })
        // ANCHOR_END: ex_open
    }
    // ANCHOR_END: open

    // ANCHOR: new_session
    /// A new session on this engine: the object that builds and runs SQL.
    ///
    /// Sessions are cheap (a reference and two empty buffers); make one per unit of work.
    pub fn new_session(&self) -> Session<'_> {
        Session::new(&self.conn)
    }
    // ANCHOR_END: new_session

    /// The underlying connection, for what gee-orm does not cover (and for benchmarks).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Closes the database, reporting a failure instead of logging "success" regardless.
    pub fn close(self) -> Result<()> {
        self.conn.close().map_err(|(_, err)| Error::Sqlite(err))?;
        tracing::info!("closed database");
        Ok(())
    }
}

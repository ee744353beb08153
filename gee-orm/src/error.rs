//! Day 1 — Errors: one enum for everything gee-orm can refuse.
//!
//! The Go original returned `(nil, nil)` from `NewEngine` when something went wrong and
//! crashed later; its hooks' errors were only logged. Here every failure is a variant of
//! [`Error`], named after what went wrong and carrying the table or column it concerns, so a
//! caller can match on it and a person can read it.

use std::path::PathBuf;

/// What a hook returns when it refuses an operation: any error type, boxed.
pub type HookError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything gee-orm can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database at `path` could not be opened or is not a SQLite database.
    #[error("cannot open database {path}: {source}")]
    Open {
        /// The path given to [`Engine::open`](crate::Engine::open).
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// SQLite refused a statement (syntax, constraint, missing table, ...).
    #[error("{sql}: {source}")]
    Sql {
        /// The statement that failed, as sent (with `?` placeholders, never the values).
        sql: String,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// Any other SQLite failure (commit, rollback, configuration).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A bound argument could not be turned into a SQLite value (e.g. a `u64` above `i64::MAX`).
    #[error("argument {index} cannot be bound: {source}")]
    Bind {
        /// The position of the argument, from 1 as in SQL.
        index: usize,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A value read from the database does not fit its field: TEXT into an `i64`, NULL into a
    /// non-`Option`, an integer out of range.
    #[error("column {table}.{column}: {source}")]
    Column {
        /// The model's table.
        table: &'static str,
        /// The column whose value did not fit.
        column: &'static str,
        /// What rusqlite said about the conversion.
        #[source]
        source: rusqlite::Error,
    },
    /// A column name given to `order_by` or `update` is not a column of the model.
    #[error("table {table} has no column `{column}`")]
    UnknownColumn {
        /// The model's table.
        table: &'static str,
        /// The name that was given.
        column: String,
    },
    /// A value given to `update` is not of its column's kind (or is NULL for a non-`Option`).
    #[error(
        "column {table}.{column} holds {expected:?} values (nullable: {nullable}); refusing a value of another kind"
    )]
    WrongType {
        /// The model's table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The kind of value the column holds.
        expected: crate::schema::ColumnType,
        /// Whether NULL is allowed.
        nullable: bool,
    },
    /// `update` or `delete` without a WHERE clause: refused unless `.all()` says so.
    #[error(
        "{op} on {table} has no WHERE clause: add .where_(...) or call .all() to touch every row"
    )]
    MissingWhere {
        /// `UPDATE` or `DELETE`.
        op: &'static str,
        /// The model's table.
        table: &'static str,
    },
    /// `update` was called with no column to set.
    #[error("update of {table} sets no column")]
    EmptyUpdate {
        /// The model's table.
        table: &'static str,
    },
    /// A `before_*` hook refused the operation; nothing was written.
    #[error("hook {hook} on {table} refused: {source}")]
    Hook {
        /// The hook's name, e.g. `before_insert`.
        hook: &'static str,
        /// The model's table.
        table: &'static str,
        /// The hook's own error.
        #[source]
        source: HookError,
    },
    /// A migration cannot be done without losing data or constraints.
    #[error("cannot migrate {table}: {reason}")]
    Migrate {
        /// The model's table.
        table: &'static str,
        /// Why.
        reason: String,
    },
}

/// The crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps a SQLite error with the statement that caused it.
    pub(crate) fn sql(sql: &str, source: rusqlite::Error) -> Self {
        Error::Sql {
            sql: sql.to_owned(),
            source,
        }
    }
}

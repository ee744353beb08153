//! Day 1 — Raw SQL: collect a statement and its arguments, log it, run it.
//!
//! This is Go's `session/raw.go`: `Raw(sql, args...)` appends to a buffer, and `Exec`,
//! `QueryRow` and `QueryRows` run what was collected, log it, and clear the buffer so the
//! session can be reused. Two things differ. Values are always *bound* (`?`), never pasted
//! into the SQL text, so no value can change the meaning of a statement. And every statement
//! goes through rusqlite's prepared-statement cache (`prepare_cached`): running the same SQL
//! again skips SQLite's parser and planner, which is most of the cost of a small query.

use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::{Row, ToSql};

use super::Session;
use crate::error::{Error, Result};

/// Turns one argument into an owned SQLite value, so the session can keep it until it runs.
pub(crate) fn to_value(index: usize, arg: &dyn ToSql) -> Result<Value> {
    match arg.to_sql() {
        Ok(ToSqlOutput::Borrowed(v)) => Ok(v.into()),
        Ok(ToSqlOutput::Owned(v)) => Ok(v),
        #[allow(unreachable_patterns)] // other variants exist only with some rusqlite features
        Ok(_) => Err(Error::Bind {
            index,
            source: rusqlite::Error::ToSqlConversionFailure("unsupported argument kind".into()),
        }),
        Err(source) => Err(Error::Bind { index, source }),
    }
}

impl<'c> Session<'c> {
    // ANCHOR: raw
    /// Appends `sql` (and a space) to the statement being collected, and `args` to its
    /// bound arguments: `session.raw("INSERT INTO User (Name) VALUES (?)", &[&"Tom"])`.
    ///
    /// `rusqlite::params![...]` builds the argument slice for mixed types. An argument that
    /// cannot be bound is reported by the next `exec`/`query_*`.
    pub fn raw(&mut self, sql: &str, args: &[&dyn ToSql]) -> &mut Self {
        self.sql.push_str(sql);
        self.sql.push(' ');
        for arg in args {
            match to_value(self.args.len() + 1, *arg) {
                Ok(v) => self.args.push(v),
                Err(e) => {
                    self.pending.get_or_insert(e);
                }
            }
        }
        self
    }
    // ANCHOR_END: raw

    /// Takes the collected statement out of the session, leaving it clear for the next one.
    fn take_raw(&mut self) -> Result<(String, Vec<Value>)> {
        let sql = std::mem::take(&mut self.sql);
        let args = std::mem::take(&mut self.args);
        match self.pending.take() {
            Some(err) => Err(err),
            None => Ok((sql.trim_end().to_owned(), args)),
        }
    }

    // ANCHOR: exec
    /// Runs the collected statement and returns how many rows it changed.
    pub fn exec(&mut self) -> Result<usize> {
        let (sql, args) = self.take_raw()?;
        self.exec_sql(&sql, &args)
    }
    // ANCHOR_END: exec

    /// Runs the collected query and maps its first row with `f`; `None` when there is none.
    pub fn query_row<T>(
        &mut self,
        f: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>> {
        let (sql, args) = self.take_raw()?;
        log_sql(&sql, &args);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Error::sql(&sql, e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(|e| Error::sql(&sql, e))?;
        match rows.next().map_err(|e| Error::sql(&sql, e))? {
            Some(row) => Ok(Some(f(row).map_err(|e| Error::sql(&sql, e))?)),
            None => Ok(None),
        }
    }

    // ANCHOR: query_rows
    /// Runs the collected query and maps every row with `f`.
    ///
    /// The rows are collected into a `Vec` before returning, so the statement is always
    /// finished (Go's `Find` leaked its `rows` when a scan failed).
    pub fn query_rows<T>(
        &mut self,
        mut f: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        // ANCHOR: ex_query_rows
        let (sql, args) = self.take_raw()?;
        log_sql(&sql, &args);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Error::sql(&sql, e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(|e| Error::sql(&sql, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| Error::sql(&sql, e))? {
            out.push(f(row).map_err(|e| Error::sql(&sql, e))?);
        }
        Ok(out)
        // ANCHOR_END: ex_query_rows
    }
    // ANCHOR_END: query_rows

    /// Runs one statement with its arguments through the statement cache: the path every
    /// write of every later day takes.
    pub(crate) fn exec_sql(&self, sql: &str, args: &[Value]) -> Result<usize> {
        // ANCHOR: ex_exec_sql
        log_sql(sql, args);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| Error::sql(sql, e))?;
        stmt.execute(rusqlite::params_from_iter(args.iter()))
            .map_err(|e| Error::sql(sql, e))
        // ANCHOR_END: ex_exec_sql
    }
}

/// Logs a statement and its arguments through `tracing` (target `gee_orm::sql`).
///
/// The arguments are logged separately from the SQL, as they are bound: what you read is
/// exactly what SQLite parsed.
pub(crate) fn log_sql(sql: &str, args: &[Value]) {
    tracing::info!(target: "gee_orm::sql", "{sql} {args:?}");
}

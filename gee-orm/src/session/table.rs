//! Day 2 — Tables: create, drop and look for the table of a model.
//!
//! Go's `session/table.go` needs `Model(value)` first, to parse the struct and remember the
//! result in the session. Here the model is a type parameter (`create_table::<User>()`), its
//! schema a constant, and there is nothing to remember or to forget to set. The DDL is built
//! only from the schema, through the dialect: quoted names, known types, known constraints.

use rusqlite::OptionalExtension;

use super::Session;
use crate::dialect::{Dialect, Sqlite};
use crate::error::{Error, Result};
use crate::schema::{Model, Schema};

/// The dialect every session speaks.
static DIALECT: Sqlite = Sqlite;

// ANCHOR: create_table_sql
/// `CREATE TABLE "T" ("a" integer PRIMARY KEY NOT NULL, "b" text NOT NULL, ...)`.
pub(crate) fn create_table_sql(dialect: &dyn Dialect, schema: &Schema) -> String {
    // ANCHOR: ex_create_table_sql
    let columns: Vec<String> = schema
        .fields
        .iter()
        .map(|f| dialect.column_def(f))
        .collect();
    format!(
        "CREATE TABLE {} ({})",
        dialect.quote_ident(schema.table),
        columns.join(", ")
    )
    // ANCHOR_END: ex_create_table_sql
}
// ANCHOR_END: create_table_sql

impl<'c> Session<'c> {
    /// The SQL dialect of this session's database.
    pub fn dialect(&self) -> &'static dyn Dialect {
        &DIALECT
    }

    // ANCHOR: create_table
    /// Creates the table of `T`. Fails if it exists (see day 7's `migrate` to evolve it).
    pub fn create_table<T: Model>(&mut self) -> Result<()> {
        let sql = create_table_sql(self.dialect(), T::SCHEMA);
        self.exec_sql(&sql, &[])?;
        Ok(())
    }
    // ANCHOR_END: create_table

    /// Drops the table of `T` if it exists.
    pub fn drop_table<T: Model>(&mut self) -> Result<()> {
        let sql = format!(
            "DROP TABLE IF EXISTS {}",
            self.dialect().quote_ident(T::SCHEMA.table)
        );
        self.exec_sql(&sql, &[])?;
        Ok(())
    }

    // ANCHOR: has_table
    /// Whether the table of `T` exists. The name is bound, never spliced.
    pub fn has_table<T: Model>(&mut self) -> Result<bool> {
        self.has_table_named(T::SCHEMA.table)
    }
    // ANCHOR_END: has_table

    /// Whether a table called `table` exists.
    pub fn has_table_named(&mut self, table: &str) -> Result<bool> {
        let sql = self.dialect().table_exists_sql();
        super::raw::log_sql(sql, &[rusqlite::types::Value::Text(table.to_owned())]);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| Error::sql(sql, e))?;
        let found: Option<String> = stmt
            .query_row([table], |row| row.get(0))
            .optional()
            .map_err(|e| Error::sql(sql, e))?;
        Ok(found.is_some())
    }
}

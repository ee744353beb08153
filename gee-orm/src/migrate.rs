//! Day 7 — Migrate: make the table match the model, without losing what stays.
//!
//! When a struct gains or loses a field, its table must follow. Go's GeeORM reads the table's
//! columns with `SELECT * FROM t LIMIT 1` (ignoring the error), adds new columns with
//! `ALTER TABLE ... ADD COLUMN`, and drops old ones by copying the table:
//! `CREATE TABLE tmp AS SELECT ...; DROP TABLE t; ALTER TABLE tmp RENAME TO t` — which
//! silently loses the PRIMARY KEY, NOT NULL and the declared types of every column kept.
//!
//! Here the columns come from `pragma_table_info(?)` (the table name bound, not spliced);
//! new columns are added with their type and NOT NULL (with a zero default, as SQLite requires
//! for existing rows); removed ones are dropped with `ALTER TABLE ... DROP COLUMN` (SQLite 3.35
//! and later), which rewrites the table *in place* and keeps every other column exactly as it
//! was. It all runs in one transaction, and afterwards the statement cache is cleared so that
//! no statement prepared against the old shape is reused.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::schema::{ColumnType, Field, Model};
use crate::session::Session;

/// What a migration did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Migration {
    /// The table did not exist and was created.
    pub created: bool,
    /// Columns added, in schema order.
    pub added: Vec<&'static str>,
    /// Columns dropped, in table order.
    pub dropped: Vec<String>,
}

/// The `DEFAULT` a new NOT NULL column needs so existing rows have a value.
fn zero_default(field: &Field) -> &'static str {
    match field.ty {
        ColumnType::Integer | ColumnType::Bool => " DEFAULT 0",
        ColumnType::Real => " DEFAULT 0.0",
        ColumnType::Text => " DEFAULT ''",
        ColumnType::Blob => " DEFAULT x''",
    }
}

/// The column names of `table`, in table order.
pub(crate) fn table_columns(session: &Session<'_>, table: &str) -> Result<Vec<String>> {
    let sql = "SELECT name FROM pragma_table_info(?1)";
    crate::session::log_sql(sql, &[rusqlite::types::Value::Text(table.to_owned())]);
    let mut stmt = session
        .connection()
        .prepare(sql)
        .map_err(|e| Error::sql(sql, e))?;
    let names = stmt
        .query_map([table], |row| row.get::<_, String>(0))
        .map_err(|e| Error::sql(sql, e))?;
    names
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(|e| Error::sql(sql, e))
}

// ANCHOR: migrate_in
/// The migration itself, on a session inside a transaction.
fn migrate_in<T: Model>(s: &mut Session<'_>) -> Result<Migration> {
    let schema = T::SCHEMA;
    if !s.has_table::<T>()? {
        s.create_table::<T>()?;
        return Ok(Migration {
            created: true,
            ..Migration::default()
        });
    }
    let existing = table_columns(s, schema.table)?;
    let table = s.dialect().quote_ident(schema.table);
    let mut report = Migration::default();
    // ANCHOR: ex_migrate
    for field in schema
        .fields
        .iter()
        .filter(|f| !existing.iter().any(|c| c == f.column))
    {
        if field.primary_key {
            return Err(Error::Migrate {
                table: schema.table,
                reason: format!(
                    "cannot add the primary key column `{}` to an existing table",
                    field.column
                ),
            });
        }
        let mut def = s.dialect().column_def(field);
        if !field.nullable {
            def.push_str(zero_default(field));
        }
        s.exec_sql(&format!("ALTER TABLE {table} ADD COLUMN {def}"), &[])?;
        report.added.push(field.column);
    }
    for column in existing.iter().filter(|c| schema.field(c).is_none()) {
        let sql = format!(
            "ALTER TABLE {table} DROP COLUMN {}",
            s.dialect().quote_ident(column)
        );
        s.exec_sql(&sql, &[])?;
        report.dropped.push(column.clone());
    }
    Ok(report)
    // ANCHOR_END: ex_migrate
}
// ANCHOR_END: migrate_in

impl Engine {
    // ANCHOR: migrate
    /// Brings the table of `T` in line with `T`: creates it, or adds the model's new columns
    /// and drops the columns the model no longer has. All or nothing, in one transaction.
    ///
    /// SQLite refuses to drop a column that is a primary key, unique, indexed or used by a
    /// view or trigger; the migration then fails and changes nothing.
    pub fn migrate<T: Model>(&mut self) -> Result<Migration> {
        let report = self.transaction(|s| migrate_in::<T>(s))?;
        // Statements prepared against the old shape must not be reused.
        self.conn.flush_prepared_statement_cache();
        tracing::info!("migrated {}: {report:?}", T::SCHEMA.table);
        Ok(report)
    }
    // ANCHOR_END: migrate
}

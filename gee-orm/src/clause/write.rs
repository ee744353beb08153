//! Day 4 — UPDATE, DELETE and COUNT: statements whose WHERE decides how much they touch.
//!
//! Go's `Update` accepts a `map[string]interface{}` whose *keys are pasted into the SQL*: a key
//! like `Age = 0; DROP TABLE User; --` is an injection. Here each key must be a column of the
//! model, found in its schema, and is written quoted from the schema's own copy of the name;
//! each value must be of the column's kind (an integer for an integer column, NULL only for an
//! `Option` field) so an update cannot store what a later read would refuse. Pairs are a slice,
//! not a map, so the SQL text is the same on every run and its statement is cached.

use rusqlite::ToSql;
use rusqlite::types::Value;

use super::{Args, Clause};
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::schema::{ColumnType, Field, Schema};
use crate::session::to_value;

/// Whether `value` may be stored in `field` without a later read refusing it.
fn fits(field: &Field, value: &Value) -> bool {
    match (value, field.ty) {
        (Value::Null, _) => field.nullable,
        (Value::Integer(_), ColumnType::Integer | ColumnType::Real) => true,
        (Value::Integer(0 | 1), ColumnType::Bool) => true,
        (Value::Real(_), ColumnType::Real) => true,
        (Value::Text(_), ColumnType::Text) => true,
        (Value::Blob(_), ColumnType::Blob) => true,
        _ => false,
    }
}

// ANCHOR: update_sql
/// `UPDATE "T" SET "a" = ?, "b" = ? [WHERE ...]` and its arguments, every column checked.
pub(crate) fn update_sql(
    dialect: &dyn Dialect,
    schema: &'static Schema,
    sets: &[(&str, &dyn ToSql)],
    clause: &Clause,
) -> Result<(String, Args)> {
    if sets.is_empty() {
        return Err(Error::EmptyUpdate {
            table: schema.table,
        });
    }
    // Built on every call, so written straight into one buffer (no `format!`, no quoted
    // names of their own).
    let mut sql = String::with_capacity(64);
    sql.push_str("UPDATE ");
    dialect.write_ident(&mut sql, schema.table);
    sql.push_str(" SET ");
    let mut args = Args::new();
    // ANCHOR: ex_update_sql
    for (i, (column, value)) in sets.iter().enumerate() {
        let field = schema.field(column).ok_or_else(|| Error::UnknownColumn {
            table: schema.table,
            column: (*column).to_owned(),
        })?;
        let value = to_value(i + 1, *value)?;
        if !fits(field, &value) {
            return Err(Error::WrongType {
                table: schema.table,
                column: field.column,
                expected: field.ty,
                nullable: field.nullable,
            });
        }
        if i > 0 {
            sql.push_str(", ");
        }
        dialect.write_ident(&mut sql, field.column);
        sql.push_str(" = ?");
        args.push(value);
    }
    clause.write_where(&mut sql, &mut args);
    Ok((sql, args))
    // ANCHOR_END: ex_update_sql
}
// ANCHOR_END: update_sql

/// `DELETE FROM "T" [WHERE ...]` and its arguments.
pub(crate) fn delete_sql(
    dialect: &dyn Dialect,
    schema: &Schema,
    clause: &Clause,
) -> (String, Vec<Value>) {
    let mut sql = format!("DELETE FROM {}", dialect.quote_ident(schema.table));
    let mut args = Vec::new();
    clause.write_where(&mut sql, &mut args);
    (sql, args)
}

/// `SELECT count(*) FROM "T" [WHERE ...]` and its arguments.
pub(crate) fn count_sql(
    dialect: &dyn Dialect,
    schema: &Schema,
    clause: &Clause,
) -> (String, Vec<Value>) {
    let mut sql = format!("SELECT count(*) FROM {}", dialect.quote_ident(schema.table));
    let mut args = Vec::new();
    clause.write_where(&mut sql, &mut args);
    (sql, args)
}

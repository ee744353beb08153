//! Day 3 — Generators: the SQL text of INSERT and SELECT, from a schema.
//!
//! Each function writes one statement head from the model's schema, through the dialect:
//! every name quoted, every value a `?`. The text depends only on the model, so it is the same
//! string every time, which is what lets rusqlite's statement cache (keyed by the SQL text)
//! hand back the already-prepared statement on the second call.

use crate::dialect::Dialect;
use crate::schema::Schema;

/// `"a", "b", "c"`: the model's columns, quoted, in schema order.
pub(crate) fn column_list(dialect: &dyn Dialect, schema: &Schema) -> String {
    let quoted: Vec<String> = schema.columns().map(|c| dialect.quote_ident(c)).collect();
    quoted.join(", ")
}

// ANCHOR: insert_sql
/// `INSERT INTO "T" ("a", "b") VALUES (?, ?)`: one row, prepared once, run once per record.
pub(crate) fn insert_sql(dialect: &dyn Dialect, schema: &Schema) -> String {
    // ANCHOR: ex_insert_sql
    let placeholders = vec!["?"; schema.fields.len()].join(", ");
    format!(
        "INSERT INTO {} ({}) VALUES ({})",
        dialect.quote_ident(schema.table),
        column_list(dialect, schema),
        placeholders
    )
    // ANCHOR_END: ex_insert_sql
}
// ANCHOR_END: insert_sql

// ANCHOR: select_head
/// `SELECT "a", "b" FROM "T"`: the columns listed in schema order, so that `from_row` can
/// read them by position (never `SELECT *`, whose order is the table's, not the model's).
pub(crate) fn select_head(dialect: &dyn Dialect, schema: &Schema) -> String {
    format!(
        "SELECT {} FROM {}",
        column_list(dialect, schema),
        dialect.quote_ident(schema.table)
    )
}
// ANCHOR_END: select_head

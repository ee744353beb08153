//! Day 3 — Generators: the SQL text of INSERT and SELECT, from a schema.
//!
//! Each function writes one statement head from the model's schema, through the dialect:
//! every name quoted, every value a `?`. The text depends only on the model, so it is the same
//! string every time, which is what lets rusqlite's statement cache (keyed by the SQL text)
//! hand back the already-prepared statement on the second call.
//!
//! Because the text only depends on the model, it is also built only once per model:
//! [`cached_head`] keeps each head in a small per-thread list, so a `find` or `insert` on the hot
//! path copies a finished string instead of quoting and joining every column again.

use std::cell::RefCell;
use std::rc::Rc;

use crate::dialect::Dialect;
use crate::schema::Schema;

/// Which statement head.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub(crate) enum Head {
    /// `INSERT INTO ... VALUES (...)`.
    Insert,
    /// `SELECT ... FROM ...`.
    Select,
}

/// A schema's identity: where its (immutable, `'static`) table name and fields live. Two
/// schemas at the same addresses have the same contents, so they have the same SQL.
type Key = (Head, usize, usize, usize, usize);

thread_local! {
    /// The heads built so far on this thread: a handful per program, so a short list that is
    /// scanned is faster than hashing (and no lock is taken).
    static HEADS: RefCell<Vec<(Key, Rc<str>)>> = const { RefCell::new(Vec::new()) };
}

// ANCHOR: cached_head
/// The statement head `head` of `schema`, built by `build` the first time and shared after.
pub(crate) fn cached_head(
    head: Head,
    schema: &'static Schema,
    build: impl FnOnce() -> String,
) -> Rc<str> {
    let key = (
        head,
        schema.table.as_ptr() as usize,
        schema.table.len(),
        schema.fields.as_ptr() as usize,
        schema.fields.len(),
    );
    HEADS.with(|heads| {
        if let Some((_, sql)) = heads.borrow().iter().find(|(k, _)| *k == key) {
            return Rc::clone(sql);
        }
        let sql: Rc<str> = build().into();
        heads.borrow_mut().push((key, Rc::clone(&sql)));
        sql
    })
}
// ANCHOR_END: cached_head

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

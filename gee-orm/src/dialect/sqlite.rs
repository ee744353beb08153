//! Day 2 — The SQLite dialect.
//!
//! SQLite has five storage classes and accepts almost any type name, deriving an "affinity"
//! from it. We write the plain names (`integer`, `real`, `text`, `blob`), and `integer` for
//! whole numbers of every width so that an integer primary key becomes SQLite's fast rowid
//! alias. `bool` becomes `boolean` (numeric affinity, 0 or 1), as in Go's GeeORM.

use super::Dialect;
use crate::schema::ColumnType;

/// SQLite, the only database rusqlite speaks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sqlite;

impl Dialect for Sqlite {
    // ANCHOR: data_type_of
    fn data_type_of(&self, ty: ColumnType) -> &'static str {
        match ty {
            ColumnType::Integer => "integer",
            ColumnType::Real => "real",
            ColumnType::Text => "text",
            ColumnType::Blob => "blob",
            ColumnType::Bool => "boolean",
        }
    }
    // ANCHOR_END: data_type_of

    fn table_exists_sql(&self) -> &'static str {
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1"
    }
}

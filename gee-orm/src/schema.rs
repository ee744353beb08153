//! Day 2 — Schema: what a table looks like, known at compile time.
//!
//! Go's `schema.Parse` walks a struct with `reflect` to find the table name, the columns and
//! their types. Here `#[derive(Model)]` does that walk at compile time and writes an impl of
//! [`Model`]: a static [`Schema`] plus two functions that move a record into a statement and
//! a row into a record **by position**. The SELECTs gee-orm writes list the columns in schema
//! order, so the i-th column of a row is the i-th field; nothing is looked up by name.
//!
//! The SQL type of a field comes from the trait [`SqlType`], implemented for the Rust types
//! SQLite can hold. Types it does not cover are refused by the compiler at that field.

use rusqlite::types::{FromSql, Value};
use rusqlite::{Row, Statement, ToSql};

use crate::error::{Error, Result};

/// The kind of value a column holds, independent of any SQL dialect's spelling of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Whole numbers (`i8` to `i64`, `u8` to `u32`).
    Integer,
    /// Floating point (`f32`, `f64`).
    Real,
    /// UTF-8 text (`String`).
    Text,
    /// Bytes (`Vec<u8>`).
    Blob,
    /// `bool`, stored as 0 or 1.
    Bool,
}

/// A Rust type that can be stored in a column: what Go's `DataTypeOf` decided with a
/// `switch` on `reflect.Kind` (and a panic for anything else).
///
/// `Option<T>` is the nullable version of `T`; every other type is `NOT NULL`. `u64` is not
/// here on purpose: SQLite integers are signed 64-bit, and half of `u64` does not fit.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be stored in a gee-orm column",
    label = "unsupported column type",
    note = "supported: i8..i64, u8..u32, f32, f64, bool, String, Vec<u8>, and Option of these; mark other fields #[orm(skip)]"
)]
pub trait SqlType: ToSql + FromSql {
    /// The kind of column this type needs.
    const TYPE: ColumnType;
    /// Whether the column may hold NULL (only `Option<T>`).
    const NULLABLE: bool = false;
}

macro_rules! sql_types {
    ($kind:ident: $($t:ty),*) => { $(impl SqlType for $t { const TYPE: ColumnType = ColumnType::$kind; })* };
}
sql_types!(Integer: i8, i16, i32, i64, u8, u16, u32);
sql_types!(Real: f32, f64);
sql_types!(Text: String);
sql_types!(Blob: Vec<u8>);
sql_types!(Bool: bool);

impl<T: SqlType> SqlType for Option<T> {
    const TYPE: ColumnType = T::TYPE;
    const NULLABLE: bool = true;
}

/// One column of a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The Rust field's name.
    pub name: &'static str,
    /// The column's name (the field name unless `#[orm(column = "...")]`).
    pub column: &'static str,
    /// The kind of value it holds.
    pub ty: ColumnType,
    /// Whether it may hold NULL.
    pub nullable: bool,
    /// Whether it is the primary key (`#[orm(primary_key)]`).
    pub primary_key: bool,
}

/// The table a model maps to: Go's `schema.Schema`, but a `static` made by the compiler.
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    /// The struct's name.
    pub model: &'static str,
    /// The table's name (the struct name unless `#[orm(table = "...")]`).
    pub table: &'static str,
    /// The columns, in the struct's order (skipped fields are not here).
    pub fields: &'static [Field],
}

impl Schema {
    // ANCHOR: field
    /// The field whose column is `column`, if any: how every column name coming from a
    /// caller is checked before it may appear in SQL.
    pub fn field(&self, column: &str) -> Option<&'static Field> {
        // ANCHOR: ex_field
        self.fields.iter().find(|f| f.column == column)
        // ANCHOR_END: ex_field
    }
    // ANCHOR_END: field

    /// The primary key field, if the model has one.
    pub fn primary_key(&self) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.primary_key)
    }

    /// The column names in order.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.fields.iter().map(|f| f.column)
    }
}

// ANCHOR: model
/// A struct that maps to a table. Implement it with `#[derive(Model)]`, not by hand.
///
/// The methods move data by position: `bind_values` binds the i-th column's field to the
/// i-th placeholder after `first`, and `from_row` reads the i-th column of a row into the
/// i-th field. That is why every SELECT gee-orm writes lists the columns in schema order.
pub trait Model: Sized + crate::Hooks /* Day 5: every model has hooks, no-ops unless written */ {
    /// The table, computed at compile time.
    const SCHEMA: &'static Schema;

    /// Binds the fields, in column order, to the placeholders `first`, `first + 1`, ...
    /// (from 1, as SQLite counts) of a prepared statement: no copy, no allocation.
    fn bind_values(&self, stmt: &mut Statement<'_>, first: usize) -> rusqlite::Result<()>;

    /// The fields as owned SQLite values, in column order (Go's `RecordValues`).
    fn values(&self) -> Result<Vec<Value>>;

    /// Builds a record from a row whose columns are in schema order.
    ///
    /// A value that does not fit its field is [`Error::Column`], naming the column.
    fn from_row(row: &Row<'_>) -> Result<Self>;
}
// ANCHOR_END: model

/// What the derive's generated code calls. Not part of the API.
#[doc(hidden)]
pub mod __private {
    use super::*;

    /// Binds one field to placeholder `index`.
    #[inline]
    pub fn bind<T: SqlType>(
        stmt: &mut Statement<'_>,
        index: usize,
        value: &T,
    ) -> rusqlite::Result<()> {
        stmt.raw_bind_parameter(index, value)
    }

    /// One field as an owned value.
    #[inline]
    pub fn value<T: SqlType>(index: usize, value: &T) -> Result<Value> {
        crate::session::to_value(index, value)
    }

    // ANCHOR: get
    /// Reads column `index` of `row` into a field, naming the column when it does not fit.
    #[inline]
    pub fn get<T: SqlType>(
        row: &Row<'_>,
        index: usize,
        table: &'static str,
        column: &'static str,
    ) -> Result<T> {
        row.get::<usize, T>(index).map_err(|source| Error::Column {
            table,
            column,
            source,
        })
    }
    // ANCHOR_END: get
}

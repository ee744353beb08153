//! Day 3 — Clauses: the parts of a statement, kept apart until it is built.
//!
//! A SELECT is a head (`SELECT cols FROM t`) followed by optional parts: `WHERE`, `ORDER BY`,
//! `LIMIT`, `OFFSET`. Go's GeeORM keeps each part as a finished SQL string in a map and joins
//! them in a fixed order. We keep the parts as *data* until the model is known: conditions
//! with their bound arguments, ORDER BY columns as names still to be checked against the
//! schema, LIMIT and OFFSET as numbers. [`Clause::build_select`] turns them into SQL
//! plus arguments in one pass, and refuses a column the model does not have.
//!
//! The parts are filled by the chain methods of day 4 (`where_`, `order_by`, `limit`); day 3's
//! `find` already builds whatever is there.

mod generator;
mod write;

pub(crate) use generator::{Head, cached_head, insert_sql, select_head};
pub(crate) use write::{count_sql, delete_sql, update_sql};

use rusqlite::types::Value;
use smallvec::SmallVec;

use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::schema::Schema;

/// The direction of an ORDER BY column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// The arguments of a statement: a few values, kept inline (no heap allocation) up to two.
pub(crate) type Args = SmallVec<[Value; 2]>;

/// The optional parts of the statement being built, collected by the session.
///
/// Conditions and their arguments are `SmallVec`s: a typical chain has one or two of each, and
/// keeping them inside the clause saves two heap allocations on every `where_` (a lookup by
/// primary key costs about a microsecond in all, so each allocation shows).
#[derive(Debug, Default)]
pub struct Clause {
    /// WHERE conditions, joined with AND, each in parentheses.
    pub(crate) conditions: SmallVec<[&'static str; 2]>,
    /// The arguments bound by the conditions, in order.
    pub(crate) where_args: Args,
    /// ORDER BY columns: names to check against the schema, and directions.
    pub(crate) orders: Vec<(String, Order)>,
    /// LIMIT, written as an integer literal (see `build_select`).
    pub(crate) limit: Option<i64>,
    /// OFFSET, written as an integer literal.
    pub(crate) offset: Option<i64>,
    /// Day 4: `.all()` was called, so UPDATE or DELETE may run without a WHERE.
    pub(crate) all: bool,
}

impl Clause {
    // ANCHOR: write_where
    /// Appends ` WHERE (c1) AND (c2) ...` and the conditions' arguments, if there are any.
    pub(crate) fn write_where(&self, sql: &mut String, args: &mut impl Extend<Value>) {
        // ANCHOR: ex_write_where
        for (i, condition) in self.conditions.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE (" } else { " AND (" });
            sql.push_str(condition);
            sql.push(')');
        }
        args.extend(self.where_args.iter().cloned());
        // ANCHOR_END: ex_write_where
    }
    // ANCHOR_END: write_where

    // ANCHOR: build_select
    /// `SELECT cols FROM t [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET m]` and its arguments.
    ///
    /// Fails with [`Error::UnknownColumn`] when an ORDER BY column is not in `schema`.
    pub fn build_select(
        &self,
        dialect: &dyn Dialect,
        schema: &'static Schema,
    ) -> Result<(String, Vec<Value>)> {
        let (sql, args) = self.select(dialect, schema)?;
        Ok((sql, args.into_vec()))
    }
    // ANCHOR_END: build_select

    // ANCHOR: select
    /// What `build_select` returns, with the arguments inline: `find` and `first` run this, so
    /// the SQL text is their only allocation before SQLite is called.
    pub(crate) fn select(
        &self,
        dialect: &dyn Dialect,
        schema: &'static Schema,
    ) -> Result<(String, Args)> {
        let head = cached_head(Head::Select, schema, || select_head(dialect, schema));
        let mut sql = String::with_capacity(head.len() + 64);
        sql.push_str(&head);
        let mut args = Args::new();
        self.write_where(&mut sql, &mut args);
        for (i, (column, order)) in self.orders.iter().enumerate() {
            let field = schema.field(column).ok_or_else(|| Error::UnknownColumn {
                table: schema.table,
                column: column.clone(),
            })?;
            sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
            dialect.write_ident(&mut sql, field.column);
            sql.push_str(match order {
                Order::Asc => " ASC",
                Order::Desc => " DESC",
            });
        }
        // LIMIT and OFFSET are integers we format ourselves, so writing them into the text is
        // safe; binding them (`LIMIT ?`) measured ten times slower per lookup, because SQLite
        // prepares such a statement again on every run. SQLite needs a LIMIT before an
        // OFFSET; -1 means "no limit". `itoa` writes the digits without `write!`'s machinery.
        let mut digits = itoa::Buffer::new();
        if self.limit.is_some() || self.offset.is_some() {
            sql.push_str(" LIMIT ");
            sql.push_str(digits.format(self.limit.unwrap_or(-1)));
        }
        if let Some(offset) = self.offset {
            sql.push_str(" OFFSET ");
            sql.push_str(digits.format(offset));
        }
        Ok((sql, args))
    }
    // ANCHOR_END: select
}

//! Day 4 — The chain: conditions, order, limits, and the operations that use them.
//!
//! `session.where_("age > ?", &[&20]).order_by("age", Order::Desc).limit(3).find::<User>()`:
//! each chain method records one part of the statement in the session's clauses and hands the
//! session back, and the operation at the end (`find`, `first`, `count`, `update`, `delete`)
//! builds and runs it, then starts afresh. Unlike Go's, `where_` called twice ANDs the two
//! conditions instead of keeping only the last, `order_by` takes a column and a direction
//! (checked against the schema, not pasted in), and `update`/`delete` without a WHERE are
//! refused unless `.all()` says that every row is meant (gorm's `ErrMissingWhereClause`).
//!
//! The condition of `where_` is SQL you write (a `&'static str`, so it cannot be built from
//! input by accident); its values are always bound.

use rusqlite::ToSql;

use super::Session;
use crate::clause::{Order, count_sql, delete_sql, update_sql};
use crate::error::{Error, Result};
use crate::schema::Model;
use crate::session::hooks::run_hook;

impl<'c> Session<'c> {
    // ANCHOR: where_
    /// Adds a condition, ANDed with any earlier one: `where_("age > ? AND name <> ?", &[&20, &"Tom"])`.
    ///
    /// The condition is a string literal; every value in it must be a `?` bound from `args`.
    pub fn where_(&mut self, condition: &'static str, args: &[&dyn ToSql]) -> &mut Self {
        // ANCHOR: ex_where
        self.clause.conditions.push(condition);
        for arg in args {
            let index = self.clause.where_args.len() + 1;
            match super::to_value(index, *arg) {
                Ok(v) => self.clause.where_args.push(v),
                Err(e) => {
                    self.pending.get_or_insert(e);
                }
            }
        }
        self
        // ANCHOR_END: ex_where
    }
    // ANCHOR_END: where_

    /// Orders by `column` (a column of the model, checked when the query runs).
    pub fn order_by(&mut self, column: &str, order: Order) -> &mut Self {
        self.clause.orders.push((column.to_owned(), order));
        self
    }

    /// At most `n` rows.
    pub fn limit(&mut self, n: i64) -> &mut Self {
        self.clause.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    pub fn offset(&mut self, n: i64) -> &mut Self {
        self.clause.offset = Some(n);
        self
    }

    /// Allows the next `update` or `delete` to touch every row (no WHERE needed).
    pub fn all(&mut self) -> &mut Self {
        self.clause.all = true;
        self
    }

    // ANCHOR: first
    /// The first record the clauses select, or `None` (Go returned an error "NOT FOUND").
    pub fn first<T: Model>(&mut self) -> Result<Option<T>> {
        // ANCHOR: ex_first
        self.limit(1);
        Ok(self.find_some::<T>()?.into_iter().next())
        // ANCHOR_END: ex_first
    }
    // ANCHOR_END: first

    /// How many rows of `T`'s table the conditions select.
    pub fn count<T: Model>(&mut self) -> Result<i64> {
        let clause = self.take_clause()?;
        let (sql, args) = count_sql(self.dialect(), T::SCHEMA, &clause);
        super::raw::log_sql(&sql, &args);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Error::sql(&sql, e))?;
        stmt.query_row(rusqlite::params_from_iter(args.iter()), |row| row.get(0))
            .map_err(|e| Error::sql(&sql, e))
    }

    // ANCHOR: update
    /// Sets columns of the selected rows: `update::<User>(&[("age", &30)])`, and returns how
    /// many rows changed. Every column must be the model's, every value of its kind.
    pub fn update<T: Model>(&mut self, sets: &[(&str, &dyn ToSql)]) -> Result<usize> {
        let clause = self.take_clause()?;
        if clause.conditions.is_empty() && !clause.all {
            return Err(Error::MissingWhere {
                op: "UPDATE",
                table: T::SCHEMA.table,
            });
        }
        let (sql, args) = update_sql(self.dialect(), T::SCHEMA, sets, &clause)?;
        run_hook("before_update", T::SCHEMA.table, T::before_update())?; // Day 5
        let changed = self.exec_sql(&sql, &args)?;
        run_hook("after_update", T::SCHEMA.table, T::after_update(changed))?; // Day 5
        Ok(changed)
    }
    // ANCHOR_END: update

    // ANCHOR: delete
    /// Deletes the selected rows and returns how many there were.
    pub fn delete<T: Model>(&mut self) -> Result<usize> {
        // ANCHOR: ex_delete
        let clause = self.take_clause()?;
        if clause.conditions.is_empty() && !clause.all {
            return Err(Error::MissingWhere {
                op: "DELETE",
                table: T::SCHEMA.table,
            });
        }
        let (sql, args) = delete_sql(self.dialect(), T::SCHEMA, &clause);
        run_hook("before_delete", T::SCHEMA.table, T::before_delete())?; // Day 5
        let deleted = self.exec_sql(&sql, &args)?;
        run_hook("after_delete", T::SCHEMA.table, T::after_delete(deleted))?; // Day 5
        Ok(deleted)
        // ANCHOR_END: ex_delete
    }
    // ANCHOR_END: delete
}

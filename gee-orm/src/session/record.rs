//! Day 3 — Records: insert structs, find structs.
//!
//! Go's `Insert(values ...interface{})` reflects over each value and builds one multi-row
//! `INSERT ... VALUES (?, ?), (?, ?)`, whose text changes with the number of rows; `Find`
//! fills a slice through `reflect.New`. Here `insert(&[T])` prepares **one** single-row
//! statement and runs it once per record, binding fields straight from the struct (no copies),
//! inside a savepoint so the batch is all-or-nothing. `find::<T>()` builds the SELECT from the
//! schema and the clauses, and turns each row into a `T` by position.

use smallvec::SmallVec;

use super::Session;
use crate::clause::{Clause, Head, cached_head, insert_sql};
use crate::error::{Error, Result};
use crate::schema::Model;
use crate::session::hooks::run_hook;

impl<'c> Session<'c> {
    // ANCHOR: insert
    /// Inserts the records, all or none, and returns how many rows were inserted.
    ///
    /// One prepared statement serves every record; the batch runs inside a savepoint (a
    /// transaction of its own, or nested in the caller's), so a failure part-way leaves no
    /// half-inserted batch behind.
    pub fn insert<T: Model>(&mut self, records: &[T]) -> Result<usize> {
        let table = T::SCHEMA.table;
        let sql = cached_head(Head::Insert, T::SCHEMA, || {
            insert_sql(self.dialect(), T::SCHEMA)
        });
        self.exec_sql("SAVEPOINT gee_orm_insert", &[])?;
        tracing::info!(target: "gee_orm::sql", "{sql} [{} row(s)]", records.len());
        let result: Result<usize> = (|| {
            let mut stmt = self
                .conn
                .prepare_cached(&sql)
                .map_err(|e| Error::sql(&sql, e))?;
            let mut inserted = 0;
            // ANCHOR: ex_insert
            for record in records {
                run_hook("before_insert", table, record.before_insert())?; // Day 5
                record
                    .bind_values(&mut stmt, 1)
                    .map_err(|e| Error::sql(&sql, e))?;
                inserted += stmt.raw_execute().map_err(|e| Error::sql(&sql, e))?;
                run_hook("after_insert", table, record.after_insert())?; // Day 5
            }
            Ok(inserted)
            // ANCHOR_END: ex_insert
        })();
        if result.is_err() {
            self.exec_sql("ROLLBACK TO gee_orm_insert", &[])?;
        }
        self.exec_sql("RELEASE gee_orm_insert", &[])?;
        result
    }
    // ANCHOR_END: insert

    // ANCHOR: find
    /// All the records of `T` that the clauses (day 4's `where_`, `order_by`, `limit`, ...)
    /// select, in a `Vec`. The clauses are consumed: the next call starts afresh.
    pub fn find<T: Model>(&mut self) -> Result<Vec<T>> {
        self.find_some().map(SmallVec::into_vec)
    }
    // ANCHOR_END: find

    // ANCHOR: find_some
    /// `find`'s work, returning the records in a `SmallVec` that holds one record without a
    /// heap allocation: day 4's `first` (a lookup by primary key) takes its record from here,
    /// and `find` turns it into a `Vec` (free when there are several records: the heap buffer
    /// is handed over, not copied).
    pub(crate) fn find_some<T: Model>(&mut self) -> Result<SmallVec<[T; 1]>> {
        let clause = self.take_clause()?;
        run_hook("before_query", T::SCHEMA.table, T::before_query())?; // Day 5
        let (sql, args) = clause.select(self.dialect(), T::SCHEMA)?;
        // With a LIMIT, stop reading once it is reached (no extra step to hear "done").
        let max = clause
            .limit
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        self.query_models(&sql, &args, max)
    }
    // ANCHOR_END: find_some

    /// Runs a SELECT whose columns are `T`'s in schema order and builds a `T` from each of
    /// its first `max` rows.
    pub(crate) fn query_models<T: Model>(
        &self,
        sql: &str,
        args: &[rusqlite::types::Value],
        max: usize,
    ) -> Result<SmallVec<[T; 1]>> {
        super::raw::log_sql(sql, args);
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| Error::sql(sql, e))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args.iter()))
            .map_err(|e| Error::sql(sql, e))?;
        let mut out: SmallVec<[T; 1]> = SmallVec::with_capacity(max.min(16));
        // ANCHOR: ex_query_models
        while out.len() < max
            && let Some(row) = rows.next().map_err(|e| Error::sql(sql, e))?
        {
            let mut record = T::from_row(row)?;
            run_hook("after_query", T::SCHEMA.table, record.after_query())?; // Day 5
            out.push(record);
        }
        Ok(out)
        // ANCHOR_END: ex_query_models
    }

    /// Takes the clauses out of the session (it starts afresh) and reports an argument
    /// that could not be bound.
    pub(crate) fn take_clause(&mut self) -> Result<Clause> {
        let clause = std::mem::take(&mut self.clause);
        match self.pending.take() {
            Some(err) => Err(err),
            None => Ok(clause),
        }
    }

    /// The clauses collected so far (for tests and for printing what will run).
    pub fn clause(&self) -> &Clause {
        &self.clause
    }
}

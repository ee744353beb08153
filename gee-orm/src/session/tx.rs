//! Day 6 — Transactions: all of it or none of it, even when the code panics.
//!
//! Go's GeeORM gives the session a `tx *sql.Tx` field that every query consults, never resets
//! it after `Commit`, and panics on a `Commit` without `Begin`. Here a transaction is a value:
//! [`Engine::transaction`] runs a closure on a session over a `rusqlite::Transaction` and
//! commits if it returns `Ok`, rolls back if it returns `Err`, and, if it panics, rolls back as
//! the panic unwinds (rusqlite's `Transaction` rolls back when dropped) and lets the panic go
//! on. [`Engine::begin`] gives the same thing by hand: a [`Tx`] whose `commit` and `rollback`
//! take it by value, so using a finished transaction is a compile error, not a run-time one.
//! Both borrow the engine mutably, so no other session can run beside an open transaction.
//!
//! A session does not care whether it runs in a transaction: a `rusqlite::Transaction`
//! dereferences to the connection it holds, and a session borrows a connection.

use rusqlite::TransactionBehavior;

use super::Session;
use crate::engine::Engine;
use crate::error::{Error, Result};

/// An open transaction, from [`Engine::begin`]. Dropped without `commit`, it rolls back.
pub struct Tx<'e> {
    tx: rusqlite::Transaction<'e>,
}

impl<'e> Tx<'e> {
    /// A session whose statements run inside this transaction.
    pub fn session(&self) -> Session<'_> {
        Session::new(&self.tx)
    }

    /// Makes the transaction's changes permanent. Consumes it: it cannot be used again.
    pub fn commit(self) -> Result<()> {
        tracing::info!(target: "gee_orm::sql", "COMMIT");
        self.tx.commit()?;
        Ok(())
    }

    /// Throws the transaction's changes away. Consumes it: it cannot be used again.
    pub fn rollback(self) -> Result<()> {
        tracing::info!(target: "gee_orm::sql", "ROLLBACK");
        self.tx.rollback()?;
        Ok(())
    }
}

impl Engine {
    /// Starts a transaction by hand (`BEGIN IMMEDIATE`: it takes the write lock now, so it
    /// cannot fail half-way with `SQLITE_BUSY` when it first writes).
    pub fn begin(&mut self) -> Result<Tx<'_>> {
        tracing::info!(target: "gee_orm::sql", "BEGIN IMMEDIATE");
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        Ok(Tx { tx })
    }

    // ANCHOR: transaction
    /// Runs `f` in a transaction: commit on `Ok`, roll back on `Err` or panic.
    ///
    /// The closure's error type only needs `From<gee_orm::Error>`, so it can be your own.
    /// A panic rolls back and then continues unwinding to the caller, like Go's
    /// `recover(); Rollback(); panic(p)`. (With `panic = "abort"` nothing unwinds, and
    /// SQLite discards the uncommitted transaction when the process dies.)
    pub fn transaction<R, E>(
        &mut self,
        f: impl FnOnce(&mut Session<'_>) -> Result<R, E>,
    ) -> Result<R, E>
    where
        E: From<Error>,
    {
        // ANCHOR: ex_transaction
        let tx = self.begin()?;
        let result = f(&mut tx.session());
        match result {
            Ok(value) => {
                tx.commit()?;
                Ok(value)
            }
            Err(err) => {
                tx.rollback()?;
                Err(err)
            }
        }
        // ANCHOR_END: ex_transaction
    }
    // ANCHOR_END: transaction
}

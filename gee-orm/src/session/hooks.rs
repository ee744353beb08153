//! Day 5 — Hooks: code of the model that runs before and after each operation.
//!
//! Go's GeeORM looks hooks up by name with `reflect.MethodByName("BeforeInsert")` and only
//! *logs* the error a hook returns: a hook cannot stop anything. It also reads the session's
//! model before `Model()` was ever called, so on a fresh session `Insert` and `Find` crash on a
//! nil pointer. Here hooks are the methods of the trait [`Hooks`], every one a no-op by default;
//! `#[derive(Model)]` writes the empty `impl Hooks` for you unless you say `#[orm(hooks)]` and
//! write it yourself. They are called with the record (insert: each record; query: each row
//! read), or on the type (update and delete work on rows, not records). An `Err` from a
//! `before_*` hook aborts the operation before it writes anything; an `Err` from an `after_*`
//! hook is returned too (an insert batch is then rolled back by its savepoint, anything else by
//! the surrounding transaction of day 6).
//!
//! The call sites sit in the operations of days 3 and 4, one line each, marked `// Day 5`.

use crate::error::{Error, HookError, Result};

// ANCHOR: hooks
/// What a model may do around each operation. Every method does nothing by default.
///
/// ```
/// use gee_orm::{HookError, Hooks, Model};
///
/// #[derive(Model)]
/// #[orm(hooks)]
/// struct Account {
///     #[orm(primary_key)]
///     id: i64,
///     password: String,
/// }
///
/// impl Hooks for Account {
///     fn before_insert(&self) -> Result<(), HookError> {
///         if self.password.len() < 8 {
///             return Err("password shorter than 8 characters".into());
///         }
///         Ok(())
///     }
///     fn after_query(&mut self) -> Result<(), HookError> {
///         self.password = "******".into(); // never hand a password to the caller
///         Ok(())
///     }
/// }
/// ```
pub trait Hooks {
    /// Before each record is inserted; an `Err` inserts nothing of the batch.
    fn before_insert(&self) -> Result<(), HookError> {
        Ok(())
    }
    /// After each record is inserted.
    fn after_insert(&self) -> Result<(), HookError> {
        Ok(())
    }
    /// Before a query runs (there is no record yet).
    fn before_query() -> Result<(), HookError>
    where
        Self: Sized,
    {
        Ok(())
    }
    /// After each record is read, before it is handed to the caller: it may change it.
    fn after_query(&mut self) -> Result<(), HookError> {
        Ok(())
    }
    /// Before an UPDATE runs.
    fn before_update() -> Result<(), HookError>
    where
        Self: Sized,
    {
        Ok(())
    }
    /// After an UPDATE ran, with the number of rows it changed.
    fn after_update(_changed: usize) -> Result<(), HookError>
    where
        Self: Sized,
    {
        Ok(())
    }
    /// Before a DELETE runs.
    fn before_delete() -> Result<(), HookError>
    where
        Self: Sized,
    {
        Ok(())
    }
    /// After a DELETE ran, with the number of rows it deleted.
    fn after_delete(_deleted: usize) -> Result<(), HookError>
    where
        Self: Sized,
    {
        Ok(())
    }
}
// ANCHOR_END: hooks

// ANCHOR: run_hook
/// Turns a hook's result into the operation's: an `Err` becomes [`Error::Hook`], naming the
/// hook and the table, and the operation stops there (Go only logged it).
#[inline] // the usual `Ok(())` of a default hook then costs nothing
pub(crate) fn run_hook(
    hook: &'static str,
    table: &'static str,
    result: Result<(), HookError>,
) -> Result<()> {
    // ANCHOR: ex_run_hook
    result.map_err(|source| {
        tracing::warn!("hook {hook} on {table} refused: {source}");
        Error::Hook {
            hook,
            table,
            source,
        }
    })
    // ANCHOR_END: ex_run_hook
}
// ANCHOR_END: run_hook

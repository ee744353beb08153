//! # gee-orm — an xorm-like ORM on rusqlite, in seven days
//!
//! A port of GeeORM from the Go course "7 days golang programs from scratch", on embedded
//! SQLite through rusqlite. Day by day: an [`Engine`] and a [`Session`] running raw SQL (1);
//! a table schema from a struct by `#[derive(Model)]` and a SQL [`Dialect`] (2); clauses,
//! `insert` and `find` (3); chainable `where_`/`order_by`/`limit` with `update`, `delete` and
//! `count` (4); [`Hooks`] around each operation (5); transactions (6); and
//! [`Engine::migrate`] (7).
//!
//! ```
//! use gee_orm::{Engine, Model, Order};
//!
//! #[derive(Model, Debug, PartialEq)]
//! struct User {
//!     #[orm(primary_key)]
//!     name: String,
//!     age: i64,
//! }
//!
//! # fn main() -> gee_orm::Result<()> {
//! let engine = Engine::open(":memory:")?;
//! let mut s = engine.new_session();
//! s.create_table::<User>()?;
//! s.insert(&[User { name: "Tom".into(), age: 18 }, User { name: "Sam".into(), age: 25 }])?;
//! let older: Vec<User> = s.where_("age > ?", &[&20]).order_by("age", Order::Desc).find()?;
//! assert_eq!(older, [User { name: "Sam".into(), age: 25 }]);
//! # Ok(())
//! # }
//! ```
//!
//! Safety rules the whole crate keeps: every table and column name is quoted by the dialect
//! and, when it comes from a caller, checked against the model's schema; every value is bound
//! with `?`; SQLite's double-quoted-string fallback is off; no input reaches a panic.

// The derive's generated code names `::gee_orm::...`; this makes that path work inside the
// crate too (for its own tests).
extern crate self as gee_orm;

mod clause;
mod dialect;
mod engine;
mod error;
mod migrate;
mod schema;
mod session;

/// rusqlite, re-exported: its `params!`, `Row` and `types` are part of gee-orm's API.
pub use rusqlite;

pub use clause::{Clause, Order};
pub use dialect::{Dialect, Sqlite};
pub use engine::Engine;
pub use error::{Error, HookError, Result};
pub use gee_orm_derive::Model;
pub use migrate::Migration;
pub use schema::{__private, ColumnType, Field, Model, Schema, SqlType};
pub use session::{Hooks, Session, Tx};

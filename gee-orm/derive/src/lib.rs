//! # gee-orm-derive — `#[derive(Model)]` for gee-orm
//!
//! Not built yet (gee-orm day 2 is `planned` in `course.toml`). It will read a struct's
//! fields at compile time and generate the table name, the columns with their SQL types,
//! and the code that turns a row into the struct and back: what Go's xorm does with
//! reflection at run time.

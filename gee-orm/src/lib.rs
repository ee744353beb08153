//! # gee-orm — an xorm-like ORM on rusqlite, in seven days
//!
//! Not built yet: every day of this course is `planned` in `course.toml`.
//!
//! What it will teach, day by day: a `Session` over rusqlite (1), a table schema from a
//! struct by `#[derive(Model)]` and a SQL `Dialect` (2), SQL clauses with insert and find (3),
//! chainable queries with update and delete (4), hooks before and after each operation (5),
//! transactions (6), and migrations that add and drop columns (7).

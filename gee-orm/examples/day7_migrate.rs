//! Day 7 — migrate a table to a changed struct: add and drop columns, keep the rest.
//!
//! `cargo run -p gee-orm --example day7_migrate`

use gee_orm::{Engine, Model};

// ANCHOR: model
/// The struct now: `XXX` was removed, `age` added.
#[derive(Model, Debug)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}
// ANCHOR_END: model

// ANCHOR: main
fn main() -> Result<(), gee_orm::Error> {
    common::init_tracing();
    let mut engine = Engine::open(":memory:")?;
    let mut s = engine.new_session();
    s.raw(
        "CREATE TABLE User (name text PRIMARY KEY NOT NULL, XXX integer)",
        &[],
    )
    .exec()?;
    s.raw("INSERT INTO User (name, XXX) VALUES (?, ?)", &[&"Tom", &7])
        .exec()?;
    let report = engine.migrate::<User>()?;
    println!("added {:?}, dropped {:?}", report.added, report.dropped);
    let mut s = engine.new_session();
    let ddl = s
        .raw("SELECT sql FROM sqlite_master WHERE name = 'User'", &[])
        .query_row(|row| row.get::<_, String>(0))?;
    println!("schema: {}", ddl.unwrap_or_default());
    println!("rows: {:?}", s.find::<User>()?);
    println!("again: {:?}", engine.migrate::<User>()?);
    Ok(())
}
// ANCHOR_END: main

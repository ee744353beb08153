//! Day 2 — a struct's schema by derive, and the table made from it.
//!
//! `cargo run -p gee-orm --example day2_reflect_schema`

use gee_orm::{Engine, Model};

// ANCHOR: model
/// A user: the struct is the table.
#[derive(Model, Debug)]
#[orm(table = "users")]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
    #[orm(column = "e_mail")]
    email: Option<String>,
    /// Not stored: only in memory.
    #[orm(skip)]
    #[allow(dead_code)]
    visits: Vec<String>,
}
// ANCHOR_END: model

// ANCHOR: main
fn main() -> Result<(), gee_orm::Error> {
    common::init_tracing();
    let schema = User::SCHEMA;
    println!("model {} -> table {}", schema.model, schema.table);
    let engine = Engine::open(":memory:")?;
    let mut s = engine.new_session();
    for field in schema.fields {
        println!("  {} -> {}", field.name, s.dialect().column_def(field));
    }
    println!("has table: {}", s.has_table::<User>()?);
    s.create_table::<User>()?;
    println!("has table: {}", s.has_table::<User>()?);
    let ddl = s
        .raw(
            "SELECT sql FROM sqlite_master WHERE name = ?",
            &[&schema.table],
        )
        .query_row(|row| row.get::<_, String>(0))?;
    println!("schema: {}", ddl.unwrap_or_default());
    s.drop_table::<User>()?;
    println!("has table after drop: {}", s.has_table::<User>()?);
    Ok(())
}
// ANCHOR_END: main

//! Day 4 — chain conditions, then find, first, count, update and delete.
//!
//! `cargo run -p gee-orm --example day4_chain_operation`

use gee_orm::{Engine, Model, Order};

#[derive(Model, Debug)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

// ANCHOR: main
fn main() -> Result<(), gee_orm::Error> {
    common::init_tracing();
    let engine = Engine::open(":memory:")?;
    let mut s = engine.new_session();
    s.create_table::<User>()?;
    s.insert(&[
        User {
            name: "Tom".into(),
            age: 18,
        },
        User {
            name: "Sam".into(),
            age: 25,
        },
        User {
            name: "Jack".into(),
            age: 25,
        },
    ])?;
    let aged_25 = s
        .where_("age = ?", &[&25])
        .order_by("name", Order::Asc)
        .find::<User>()?;
    println!("age 25: {aged_25:?}");
    let oldest = s.order_by("age", Order::Desc).first::<User>()?;
    println!("oldest: {oldest:?}");
    let changed = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age", &30)])?;
    println!(
        "updated {changed} row(s): {:?}",
        s.where_("name = ?", &[&"Tom"]).first::<User>()?
    );
    // No WHERE: refused unless .all() says every row is meant.
    if let Err(err) = s.delete::<User>() {
        println!("refused: {err}");
    }
    // A column name is checked against the model, never pasted into the SQL.
    if let Err(err) = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age = 0; DROP TABLE User; --", &1)])
    {
        println!("refused: {err}");
    }
    println!(
        "deleted {} row(s)",
        s.where_("name = ?", &[&"Tom"]).delete::<User>()?
    );
    println!("count: {}", s.count::<User>()?);
    Ok(())
}
// ANCHOR_END: main

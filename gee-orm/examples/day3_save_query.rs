//! Day 3 — insert structs and find them again.
//!
//! `cargo run -p gee-orm --example day3_save_query`

use gee_orm::{Engine, Model};

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
    let users = [
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
    ];
    println!("inserted {} users", s.insert(&users)?);
    for user in s.find::<User>()? {
        println!("found {user:?}");
    }
    // A batch is all or nothing: Tom exists, so Amy is not inserted either.
    let again = [
        User {
            name: "Amy".into(),
            age: 30,
        },
        User {
            name: "Tom".into(),
            age: 40,
        },
    ];
    if let Err(err) = s.insert(&again) {
        println!("insert refused: {err}");
    }
    println!("still {} users", s.find::<User>()?.len());
    Ok(())
}
// ANCHOR_END: main

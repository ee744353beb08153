//! Day 6 — transactions: commit on Ok, roll back on Err and on panic.
//!
//! `cargo run -p gee-orm --example day6_transaction`

use std::panic::{AssertUnwindSafe, catch_unwind};

use gee_orm::{Engine, Error, Model};

#[derive(Model, Debug)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

// ANCHOR: main
fn main() -> Result<(), Error> {
    common::init_tracing();
    let mut engine = Engine::open(":memory:")?;
    engine.transaction(|s| {
        s.create_table::<User>()?;
        s.insert(&[User {
            name: "Tom".into(),
            age: 18,
        }])
    })?;
    println!(
        "committed: {} user(s)",
        engine.new_session().count::<User>()?
    );

    let failed: Result<(), Error> = engine.transaction(|s| {
        s.insert(&[User {
            name: "Sam".into(),
            age: 25,
        }])?;
        s.insert(&[User {
            name: "Tom".into(),
            age: 99,
        }])?; // Tom exists: Err
        Ok(())
    });
    println!(
        "rolled back ({}): {} user(s)",
        failed.is_err(),
        engine.new_session().count::<User>()?
    );

    // Silence the default panic message: this panic is on purpose.
    std::panic::set_hook(Box::new(|_| {}));
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> = engine.transaction(|s| {
            s.insert(&[User {
                name: "Jack".into(),
                age: 25,
            }])?;
            panic!("boom");
        });
    }));
    let _ = std::panic::take_hook();
    println!(
        "panicked ({}): {} user(s)",
        panicked.is_err(),
        engine.new_session().count::<User>()?
    );

    let tx = engine.begin()?;
    tx.session().insert(&[User {
        name: "Amy".into(),
        age: 30,
    }])?;
    tx.commit()?; // `tx` is gone now: using it again would not compile
    println!("by hand: {} user(s)", engine.new_session().count::<User>()?);
    Ok(())
}
// ANCHOR_END: main

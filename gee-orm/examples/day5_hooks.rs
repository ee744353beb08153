//! Day 5 — hooks: refuse a bad record before it is written, mask a field after it is read.
//!
//! `cargo run -p gee-orm --example day5_hooks`

use gee_orm::{Engine, HookError, Hooks, Model};

// ANCHOR: account
#[derive(Model, Debug)]
#[orm(hooks)]
struct Account {
    #[orm(primary_key)]
    id: i64,
    password: String,
}

impl Hooks for Account {
    fn before_insert(&self) -> Result<(), HookError> {
        if self.password.len() < 6 {
            return Err(format!("account {}: password shorter than 6", self.id).into());
        }
        Ok(())
    }
    fn after_query(&mut self) -> Result<(), HookError> {
        self.password = "******".into();
        Ok(())
    }
}
// ANCHOR_END: account

// ANCHOR: main
fn main() -> Result<(), gee_orm::Error> {
    common::init_tracing();
    let engine = Engine::open(":memory:")?;
    let mut s = engine.new_session();
    s.create_table::<Account>()?;
    s.insert(&[
        Account {
            id: 1,
            password: "123456".into(),
        },
        Account {
            id: 2,
            password: "qwerty".into(),
        },
    ])?;
    if let Err(err) = s.insert(&[Account {
        id: 3,
        password: "123".into(),
    }]) {
        println!("insert refused: {err}");
    }
    for account in s.find::<Account>()? {
        println!("found {account:?}");
    }
    Ok(())
}
// ANCHOR_END: main

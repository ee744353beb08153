//! Day 6 acceptance tests: commit, rollback on error, rollback on panic, by hand.

use std::panic::{AssertUnwindSafe, catch_unwind};

use gee_orm::{Engine, Error, Model};

#[derive(Model, Debug, PartialEq)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

fn tom() -> User {
    User {
        name: "Tom".into(),
        age: 18,
    }
}

#[test]
fn ok_commits() {
    let mut engine = Engine::open(":memory:").expect("open");
    let n = engine
        .transaction(|s| {
            s.create_table::<User>()?;
            s.insert(&[tom()])
        })
        .expect("commit");
    assert_eq!(n, 1);
    assert_eq!(engine.new_session().find::<User>().expect("find"), [tom()]);
}

#[test]
fn err_rolls_back_even_the_create_table() {
    let mut engine = Engine::open(":memory:").expect("open");
    let result: Result<(), Error> = engine.transaction(|s| {
        s.create_table::<User>()?;
        s.insert(&[tom()])?;
        Err(Error::EmptyUpdate { table: "User" }) // any error
    });
    assert!(result.is_err());
    assert!(!engine.new_session().has_table::<User>().expect("has"));
    assert!(
        engine.connection().is_autocommit(),
        "the transaction is over"
    );
}

#[derive(Debug)]
enum AppError {
    Orm(#[allow(dead_code)] Error),
    TooYoung,
}

impl From<Error> for AppError {
    fn from(e: Error) -> Self {
        AppError::Orm(e)
    }
}

#[test]
fn the_closure_may_return_its_own_error_type() {
    let mut engine = Engine::open(":memory:").expect("open");
    engine.new_session().create_table::<User>().expect("create");
    let result = engine.transaction(|s| {
        s.insert(&[tom()])?;
        if tom().age < 21 {
            return Err(AppError::TooYoung);
        }
        Ok(())
    });
    assert!(matches!(result, Err(AppError::TooYoung)));
    assert_eq!(engine.new_session().count::<User>().expect("count"), 0);
}

#[test]
fn a_panic_rolls_back_and_propagates() {
    let mut engine = Engine::open(":memory:").expect("open");
    engine.new_session().create_table::<User>().expect("create");
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), Error> = engine.transaction(|s| {
            s.insert(&[tom()])?;
            panic!("boom in the middle of a transaction");
        });
    }));
    let payload = outcome.expect_err("the panic reaches the caller");
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"boom in the middle of a transaction")
    );
    assert!(
        engine.connection().is_autocommit(),
        "rolled back, not left open"
    );
    assert_eq!(
        engine.new_session().count::<User>().expect("count"),
        0,
        "no row left behind"
    );
}

#[test]
fn begin_commit_and_rollback_by_hand() {
    let mut engine = Engine::open(":memory:").expect("open");
    engine.new_session().create_table::<User>().expect("create");

    let tx = engine.begin().expect("begin");
    tx.session().insert(&[tom()]).expect("insert");
    tx.rollback().expect("rollback");
    assert_eq!(engine.new_session().count::<User>().expect("count"), 0);

    let tx = engine.begin().expect("begin");
    tx.session().insert(&[tom()]).expect("insert");
    drop(tx); // neither committed nor rolled back: dropping rolls back
    assert_eq!(engine.new_session().count::<User>().expect("count"), 0);

    let tx = engine.begin().expect("begin");
    tx.session().insert(&[tom()]).expect("insert");
    tx.commit().expect("commit");
    assert_eq!(engine.new_session().count::<User>().expect("count"), 1);
}

/// Book appendix: Go bugs. The session kept its `tx` after `Commit`, so the next statement
/// ran on a finished transaction ("transaction has already been committed"). Here `commit`
/// consumes the transaction (using it afterwards does not compile: tests/ui), and the engine's
/// sessions run outside any transaction again.
#[test]
fn go_bug_a_finished_transaction_is_not_reused() {
    let mut engine = Engine::open(":memory:").expect("open");
    engine.new_session().create_table::<User>().expect("create");
    engine.transaction(|s| s.insert(&[tom()])).expect("commit");
    assert!(engine.connection().is_autocommit());
    let mut s = engine.new_session();
    s.where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age", &19)])
        .expect("runs in autocommit mode");
    assert_eq!(s.first::<User>().expect("first").map(|u| u.age), Some(19));
}

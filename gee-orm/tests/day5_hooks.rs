//! Day 5 acceptance tests: hooks run around each operation, and their errors count.

use std::cell::RefCell;

use gee_orm::{Engine, Error, HookError, Hooks, Model};

#[derive(Model, Debug, PartialEq)]
#[orm(hooks)]
struct Account {
    #[orm(primary_key)]
    id: i64,
    password: String,
}

thread_local! {
    /// What the hooks saw, per test thread (tests run in parallel).
    static SEEN: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn seen() -> Vec<String> {
    SEEN.with(|s| s.borrow_mut().drain(..).collect())
}

fn note(what: String) {
    SEEN.with(|s| s.borrow_mut().push(what));
}

impl Hooks for Account {
    fn before_insert(&self) -> Result<(), HookError> {
        note(format!("before_insert {}", self.id));
        if self.password.len() < 6 {
            return Err(format!("account {}: password too short", self.id).into());
        }
        Ok(())
    }
    fn after_insert(&self) -> Result<(), HookError> {
        note(format!("after_insert {}", self.id));
        Ok(())
    }
    fn before_query() -> Result<(), HookError> {
        note("before_query".into());
        Ok(())
    }
    fn after_query(&mut self) -> Result<(), HookError> {
        self.password = "******".into();
        Ok(())
    }
    fn before_update() -> Result<(), HookError> {
        note("before_update".into());
        Ok(())
    }
    fn after_update(changed: usize) -> Result<(), HookError> {
        note(format!("after_update {changed}"));
        Ok(())
    }
    fn before_delete() -> Result<(), HookError> {
        Err("accounts are never deleted".into())
    }
}

fn account(id: i64, password: &str) -> Account {
    Account {
        id,
        password: password.into(),
    }
}

fn engine_with_table() -> Engine {
    let engine = Engine::open(":memory:").expect("open");
    engine
        .new_session()
        .create_table::<Account>()
        .expect("create");
    engine
}

#[test]
fn after_query_can_change_what_the_caller_gets() {
    let engine = engine_with_table();
    let mut s = engine.new_session();
    s.insert(&[account(1, "123456"), account(2, "qwerty")])
        .expect("insert");
    assert_eq!(
        seen(),
        [
            "before_insert 1",
            "after_insert 1",
            "before_insert 2",
            "after_insert 2"
        ]
    );
    let first = s.where_("id = ?", &[&1]).first::<Account>().expect("first");
    assert_eq!(first, Some(account(1, "******")));
    assert_eq!(seen(), ["before_query"]);
    let stored = s
        .raw("SELECT password FROM Account WHERE id = ?", &[&1])
        .query_row(|row| row.get::<_, String>(0))
        .expect("raw");
    assert_eq!(
        stored.as_deref(),
        Some("123456"),
        "the hook changed the copy, not the row"
    );
}

#[test]
fn update_hooks_run_around_the_statement() {
    let engine = engine_with_table();
    let mut s = engine.new_session();
    s.insert(&[account(1, "123456")]).expect("insert");
    seen();
    s.where_("id = ?", &[&1])
        .update::<Account>(&[("password", &"abcdefg")])
        .expect("update");
    assert_eq!(seen(), ["before_update", "after_update 1"]);
}

/// Book appendix: Go bugs. A hook's error was only logged: the operation went ahead. Here an
/// `Err` from a before-hook aborts it and is returned, and nothing of the batch is written.
#[test]
fn go_bug_a_before_hook_error_aborts_the_operation() {
    let engine = engine_with_table();
    let mut s = engine.new_session();
    let err = s
        .insert(&[account(1, "123456"), account(2, "123")])
        .expect_err("2 is refused");
    match &err {
        Error::Hook {
            hook: "before_insert",
            table: "Account",
            source,
        } => {
            assert!(
                source.to_string().contains("password too short"),
                "{source}"
            );
        }
        other => panic!("expected a hook error, got {other:?}"),
    }
    assert_eq!(
        s.count::<Account>().expect("count"),
        0,
        "account 1 was rolled back too"
    );

    s.insert(&[account(3, "123456")]).expect("insert");
    let err = s
        .where_("id = ?", &[&3])
        .delete::<Account>()
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::Hook {
                hook: "before_delete",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(s.count::<Account>().expect("count"), 1);
}

/// Book appendix: Go bugs. On a fresh session (no `Model()` call yet) the hook lookup read a
/// nil table and `Insert`/`Find` crashed. Here a fresh session runs hooks like any other.
#[test]
fn go_bug_hooks_on_a_fresh_session_work() {
    let engine = engine_with_table();
    engine
        .new_session()
        .insert(&[account(7, "secret!")])
        .expect("insert on a fresh session");
    let found = engine
        .new_session()
        .find::<Account>()
        .expect("find on a fresh session");
    assert_eq!(found, [account(7, "******")]);
}

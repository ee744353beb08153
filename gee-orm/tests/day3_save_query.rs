//! Day 3 acceptance tests: insert records, find records, the SELECT a clause builds.

use gee_orm::{Clause, Engine, Error, Model, Sqlite};

#[derive(Model, Debug, Clone, PartialEq)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

fn user(name: &str, age: i64) -> User {
    User {
        name: name.into(),
        age,
    }
}

fn engine_with_users() -> Engine {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<User>().expect("create");
    let n = s
        .insert(&[user("Tom", 18), user("Sam", 25), user("Jack", 25)])
        .expect("insert");
    assert_eq!(n, 3);
    engine
}

#[test]
fn insert_then_find_returns_every_record() {
    let engine = engine_with_users();
    let users: Vec<User> = engine.new_session().find().expect("find");
    assert_eq!(users, [user("Tom", 18), user("Sam", 25), user("Jack", 25)]);
}

#[test]
fn find_on_an_empty_table_is_empty() {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<User>().expect("create");
    assert_eq!(s.find::<User>().expect("find"), []);
}

#[test]
fn the_select_lists_the_models_columns_in_order() {
    let (sql, args) = Clause::default()
        .build_select(&Sqlite, User::SCHEMA)
        .expect("build");
    assert_eq!(sql, "SELECT \"name\", \"age\" FROM \"User\"");
    assert!(args.is_empty());
}

#[test]
fn a_batch_is_all_or_nothing() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let err = s
        .insert(&[user("Amy", 30), user("Tom", 40)])
        .expect_err("Tom exists: primary key");
    assert!(
        err.to_string().contains("UNIQUE constraint failed"),
        "{err}"
    );
    assert_eq!(
        s.find::<User>().expect("find").len(),
        3,
        "Amy was rolled back with the batch"
    );
}

#[test]
fn insert_reuses_one_statement_for_any_number_of_rows() {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<User>().expect("create");
    let many: Vec<User> = (0..500).map(|i| user(&format!("u{i}"), i)).collect();
    assert_eq!(s.insert(&many).expect("insert"), 500);
    assert_eq!(s.insert(&[user("one", 1)]).expect("insert"), 1);
    assert_eq!(s.insert::<User>(&[]).expect("nothing to insert"), 0);
    assert_eq!(s.find::<User>().expect("find").len(), 501);
}

#[derive(Model, Debug, PartialEq)]
struct Kinds {
    text: String,
    nick: Option<String>,
    bytes: Vec<u8>,
    flag: bool,
    ratio: f64,
    small: u8,
}

#[test]
fn every_supported_type_round_trips() {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<Kinds>().expect("create");
    let rows = [
        Kinds {
            text: "Robert'); DROP TABLE Kinds;--".into(),
            nick: None,
            bytes: vec![0, 255, 7],
            flag: true,
            ratio: -1.5,
            small: 255,
        },
        Kinds {
            text: "日本語 \" ' \\".into(),
            nick: Some("n".into()),
            bytes: vec![],
            flag: false,
            ratio: 0.0,
            small: 0,
        },
    ];
    s.insert(&rows).expect("insert");
    assert_eq!(s.find::<Kinds>().expect("find"), rows);
}

#[test]
fn a_value_that_does_not_fit_its_field_is_an_error_naming_the_column() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    s.raw("INSERT INTO User (name, age) VALUES ('Bad', 'old')", &[])
        .exec()
        .expect("SQLite stores text in an integer column");
    let err = s.find::<User>().expect_err("'old' is not an i64");
    match err {
        Error::Column {
            table: "User",
            column: "age",
            ..
        } => {}
        other => panic!("expected a column error, got {other:?}"),
    }

    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.raw("CREATE TABLE User (name text, age integer)", &[])
        .exec()
        .expect("create");
    s.raw("INSERT INTO User (name, age) VALUES (NULL, 3)", &[])
        .exec()
        .expect("insert");
    let err = s.find::<User>().expect_err("NULL is not a String");
    assert!(err.to_string().contains("User.name"), "{err}");
}

/// Book appendix: Go bugs. `Find` returned on a failed `Scan` without closing its rows; the
/// open statement kept the table locked. After a failed find, dropping the table must work.
#[test]
fn go_bug_find_leaves_no_statement_open_after_a_bad_row() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    s.raw("INSERT INTO User (name, age) VALUES ('Bad', 'old')", &[])
        .exec()
        .expect("insert");
    s.find::<User>().expect_err("bad row");
    s.drop_table::<User>()
        .expect("no statement still reads the table");
}

//! Day 1 acceptance tests: opening a database, raw SQL through a session.

use gee_orm::{Engine, Error};

fn engine_with_user_table() -> Engine {
    let engine = Engine::open(":memory:").expect("open :memory:");
    engine
        .new_session()
        .raw("CREATE TABLE User (Name text)", &[])
        .exec()
        .expect("create");
    engine
}

#[test]
fn exec_reports_rows_affected() {
    let engine = engine_with_user_table();
    let mut s = engine.new_session();
    let n = s
        .raw("INSERT INTO User (Name) VALUES (?), (?)", &[&"Tom", &"Sam"])
        .exec()
        .expect("insert");
    assert_eq!(n, 2);
}

#[test]
fn query_rows_on_an_empty_table_counts_zero() {
    let engine = engine_with_user_table();
    let counts = engine
        .new_session()
        .raw("SELECT count(*) FROM User", &[])
        .query_rows(|row| row.get::<_, i64>(0))
        .expect("count");
    assert_eq!(counts, [0]);
}

#[test]
fn raw_appends_and_the_session_starts_afresh_after_each_run() {
    let engine = engine_with_user_table();
    let mut s = engine.new_session();
    s.raw("INSERT INTO User (Name)", &[])
        .raw("VALUES (?)", &[&"Tom"]);
    assert_eq!(s.exec().expect("insert"), 1);
    // The buffer was cleared: this is a statement of its own, with its own argument.
    let name = s
        .raw("SELECT Name FROM User WHERE Name = ?", &[&"Tom"])
        .query_row(|row| row.get::<_, String>(0))
        .expect("select");
    assert_eq!(name.as_deref(), Some("Tom"));
    let none = s
        .raw("SELECT Name FROM User WHERE Name = ?", &[&"Nobody"])
        .query_row(|row| row.get::<_, String>(0))
        .expect("select");
    assert_eq!(none, None);
}

#[test]
fn a_value_is_bound_never_spliced() {
    let engine = engine_with_user_table();
    let mut s = engine.new_session();
    let evil = "Robert'); DROP TABLE User; --";
    s.raw("INSERT INTO User (Name) VALUES (?)", &[&evil])
        .exec()
        .expect("insert");
    let names = s
        .raw("SELECT Name FROM User", &[])
        .query_rows(|row| row.get::<_, String>(0))
        .expect("the table is still there");
    assert_eq!(names, [evil]);
}

#[test]
fn bad_sql_is_an_error_naming_the_statement() {
    let engine = engine_with_user_table();
    let err = engine
        .new_session()
        .raw("CREATE TABLE User (Name text)", &[])
        .exec()
        .expect_err("the table exists");
    let text = err.to_string();
    assert!(
        text.contains("CREATE TABLE User") && text.contains("already exists"),
        "{text}"
    );
}

#[test]
fn double_quoted_strings_are_identifiers_only() {
    let engine = engine_with_user_table();
    let err = engine
        .new_session()
        .raw("SELECT \"nosuchcol\" FROM User", &[])
        .query_rows(|row| row.get::<_, String>(0))
        .expect_err("a mistyped column must not become the string 'nosuchcol'");
    assert!(err.to_string().contains("no such column"), "{err}");
}

#[test]
fn a_file_database_keeps_its_rows_after_close() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gee.db");
    let engine = Engine::open(&path).expect("open");
    engine
        .new_session()
        .raw("CREATE TABLE User (Name text)", &[])
        .exec()
        .expect("create");
    engine
        .new_session()
        .raw("INSERT INTO User (Name) VALUES (?)", &[&"Tom"])
        .exec()
        .expect("insert");
    engine.close().expect("close");
    let engine = Engine::open(&path).expect("reopen");
    let names = engine
        .new_session()
        .raw("SELECT Name FROM User", &[])
        .query_rows(|row| row.get::<_, String>(0))
        .expect("select");
    assert_eq!(names, ["Tom"]);
}

/// Book appendix: Go bugs. `NewEngine` returned `(nil, nil)` when it could not set up, and
/// the caller crashed on the nil engine later; opening must fail at once with a clear error.
#[test]
fn go_bug_open_failure_is_an_error_not_a_nil_engine() {
    let dir = tempfile::tempdir().expect("tempdir");

    let err = Engine::open(dir.path())
        .err()
        .expect("a directory is not a database");
    assert!(matches!(err, Error::Open { .. }), "{err:?}");

    let missing = dir.path().join("no-such-dir").join("gee.db");
    let err = Engine::open(&missing)
        .err()
        .expect("the parent directory does not exist");
    assert!(err.to_string().contains("no-such-dir"), "{err}");

    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).expect("write junk");
    let err = Engine::open(&junk).err().expect("junk is not a database");
    assert!(err.to_string().contains("not a database"), "{err}");
}

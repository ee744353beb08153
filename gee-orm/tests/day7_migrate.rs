//! Day 7 acceptance tests: migrations add and drop columns and keep everything else.

use gee_orm::{Engine, Error, Migration, Model};

/// The model after the change: `XXX` is gone, `age` is new.
#[derive(Model, Debug, PartialEq)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

/// One row of `pragma_table_info`: name, declared type, NOT NULL, primary key.
fn columns(engine: &Engine, table: &str) -> Vec<(String, String, bool, bool)> {
    engine
        .new_session()
        .raw(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)",
            &[&table],
        )
        .query_rows(|row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get::<_, i64>(3)? > 0,
            ))
        })
        .expect("table info")
}

fn old_table() -> Engine {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.raw(
        "CREATE TABLE User (name text PRIMARY KEY NOT NULL, XXX integer)",
        &[],
    )
    .exec()
    .expect("create");
    s.raw(
        "INSERT INTO User (name, XXX) VALUES (?, ?), (?, ?)",
        &[&"Tom", &1, &"Sam", &2],
    )
    .exec()
    .expect("insert");
    engine
}

#[test]
fn migrate_creates_a_missing_table() {
    let mut engine = Engine::open(":memory:").expect("open");
    let report = engine.migrate::<User>().expect("migrate");
    assert_eq!(
        report,
        Migration {
            created: true,
            ..Migration::default()
        }
    );
    assert!(engine.new_session().has_table::<User>().expect("has"));
    assert_eq!(
        engine.migrate::<User>().expect("again"),
        Migration::default(),
        "nothing to do"
    );
}

#[test]
fn migrate_adds_and_drops_columns_and_keeps_the_rows() {
    let mut engine = old_table();
    let report = engine.migrate::<User>().expect("migrate");
    assert_eq!(report.added, ["age"]);
    assert_eq!(report.dropped, ["XXX"]);
    let mut users = engine
        .new_session()
        .find::<User>()
        .expect("find after migrate");
    users.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        users,
        [
            User {
                name: "Sam".into(),
                age: 0
            },
            User {
                name: "Tom".into(),
                age: 0
            }
        ]
    );
}

/// Book appendix: Go bugs. Dropping a column by `CREATE TABLE tmp AS SELECT ...` lost the
/// PRIMARY KEY, NOT NULL and the declared types of the columns it kept.
#[test]
fn go_bug_migrate_keeps_primary_key_not_null_and_types() {
    let mut engine = old_table();
    engine.migrate::<User>().expect("migrate");
    assert_eq!(
        columns(&engine, "User"),
        [
            ("name".to_string(), "TEXT".to_string(), true, true),
            ("age".to_string(), "INTEGER".to_string(), true, false),
        ]
    );
    let err = engine
        .new_session()
        .insert(&[User {
            name: "Tom".into(),
            age: 3,
        }])
        .expect_err("the primary key still holds");
    assert!(err.to_string().contains("UNIQUE"), "{err}");
}

#[test]
fn a_migration_that_fails_changes_nothing() {
    let mut engine = old_table();
    engine
        .new_session()
        .raw("CREATE INDEX user_xxx ON User (XXX)", &[])
        .exec()
        .expect("index");
    let err = engine
        .migrate::<User>()
        .expect_err("SQLite refuses to drop an indexed column");
    assert!(matches!(err, Error::Sql { .. }), "{err:?}");
    let names: Vec<String> = columns(&engine, "User").into_iter().map(|c| c.0).collect();
    assert_eq!(
        names,
        ["name", "XXX"],
        "the added column was rolled back with the rest"
    );
}

#[derive(Model, Debug, PartialEq)]
#[orm(table = "User")]
struct UserV3 {
    #[orm(primary_key)]
    name: String,
    age: i64,
    email: Option<String>,
}

#[test]
fn statements_prepared_before_a_migration_are_not_reused_after_it() {
    let mut engine = old_table();
    engine.migrate::<User>().expect("v2");
    assert_eq!(
        engine.new_session().find::<User>().expect("v2 find").len(),
        2
    );
    let report = engine.migrate::<UserV3>().expect("v3");
    assert_eq!(report.added, ["email"]);
    let mut s = engine.new_session();
    s.where_("name = ?", &[&"Tom"])
        .update::<UserV3>(&[("email", &"tom@example.com")])
        .expect("update");
    let tom = s
        .where_("name = ?", &[&"Tom"])
        .first::<UserV3>()
        .expect("first");
    assert_eq!(
        tom.and_then(|u| u.email).as_deref(),
        Some("tom@example.com")
    );
}

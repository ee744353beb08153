//! Day 4 acceptance tests: where, order by, limit, first, count, update, delete.

use gee_orm::rusqlite::types::Value;
use gee_orm::{Engine, Error, Model, Order, Sqlite};

#[derive(Model, Debug, Clone, PartialEq)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
    nick: Option<String>,
}

fn user(name: &str, age: i64) -> User {
    User {
        name: name.into(),
        age,
        nick: None,
    }
}

fn engine_with_users() -> Engine {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<User>().expect("create");
    s.insert(&[user("Tom", 18), user("Sam", 25), user("Jack", 25)])
        .expect("insert");
    engine
}

#[test]
fn the_chain_builds_where_order_by_and_limit() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    s.where_("name = ?", &[&"Tom"])
        .order_by("age", Order::Asc)
        .limit(3);
    let (sql, args) = s
        .clause()
        .build_select(&Sqlite, User::SCHEMA)
        .expect("build");
    assert_eq!(
        sql,
        "SELECT \"name\", \"age\", \"nick\" FROM \"User\" WHERE (name = ?) ORDER BY \"age\" ASC LIMIT 3"
    );
    assert_eq!(args, [Value::Text("Tom".into())]);
}

#[test]
fn where_selects_and_first_takes_one() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    assert_eq!(
        s.where_("age = ?", &[&25])
            .find::<User>()
            .expect("find")
            .len(),
        2
    );
    assert_eq!(s.first::<User>().expect("first"), Some(user("Tom", 18)));
    assert_eq!(
        s.where_("age > ?", &[&100]).first::<User>().expect("first"),
        None
    );
}

#[test]
fn order_by_limit_and_offset() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let first = s
        .order_by("age", Order::Desc)
        .order_by("name", Order::Asc)
        .first::<User>()
        .expect("first");
    assert_eq!(first, Some(user("Jack", 25)));
    let names: Vec<String> = s
        .order_by("name", Order::Asc)
        .limit(2)
        .offset(1)
        .find::<User>()
        .expect("find")
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Sam", "Tom"]);
    assert_eq!(
        s.offset(2)
            .order_by("age", Order::Asc)
            .find::<User>()
            .expect("offset alone")
            .len(),
        1
    );
}

#[test]
fn update_sets_the_selected_rows() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let n = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age", &30), ("nick", &"tommy")])
        .expect("update");
    assert_eq!(n, 1);
    let tom = s
        .where_("name = ?", &[&"Tom"])
        .first::<User>()
        .expect("first");
    assert_eq!(
        tom,
        Some(User {
            name: "Tom".into(),
            age: 30,
            nick: Some("tommy".into())
        })
    );
    let n = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("nick", &None::<String>)])
        .expect("NULL into an Option");
    assert_eq!(n, 1);
}

#[test]
fn delete_and_count() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    assert_eq!(s.count::<User>().expect("count"), 3);
    assert_eq!(
        s.where_("name = ?", &[&"Tom"])
            .delete::<User>()
            .expect("delete"),
        1
    );
    assert_eq!(s.count::<User>().expect("count"), 2);
    assert_eq!(
        s.where_("age = ?", &[&25]).count::<User>().expect("count"),
        2
    );
}

#[test]
fn update_refuses_a_value_of_the_wrong_kind() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let err = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age", &"thirty")])
        .expect_err("text into an integer");
    assert!(
        matches!(err, Error::WrongType { column: "age", .. }),
        "{err:?}"
    );
    let err = s
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[("age", &None::<i64>)])
        .expect_err("NULL into NOT NULL");
    assert!(
        matches!(err, Error::WrongType { column: "age", .. }),
        "{err:?}"
    );
    assert_eq!(
        s.where_("name = ?", &[&"Tom"])
            .first::<User>()
            .expect("first"),
        Some(user("Tom", 18))
    );
}

/// Book appendix: Go bugs. `Where` called twice kept only the last condition.
#[test]
fn go_bug_where_twice_ands_the_conditions() {
    let engine = engine_with_users();
    let users = engine
        .new_session()
        .where_("age = ?", &[&25])
        .where_("name <> ?", &[&"Sam"])
        .find::<User>()
        .expect("find");
    assert_eq!(users, [user("Jack", 25)]);
}

/// Book appendix: Go bugs. `Update` and `Delete` without `Where` touched every row.
#[test]
fn go_bug_update_and_delete_without_where_are_refused() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let err = s.update::<User>(&[("age", &1)]).expect_err("no WHERE");
    assert!(
        matches!(err, Error::MissingWhere { op: "UPDATE", .. }),
        "{err:?}"
    );
    let err = s.delete::<User>().expect_err("no WHERE");
    assert!(
        matches!(err, Error::MissingWhere { op: "DELETE", .. }),
        "{err:?}"
    );
    assert_eq!(s.count::<User>().expect("count"), 3);
    assert_eq!(
        s.all()
            .update::<User>(&[("age", &1)])
            .expect("all rows, on purpose"),
        3
    );
    assert_eq!(s.all().delete::<User>().expect("all rows, on purpose"), 3);
}

/// Book appendix: Go bugs. `Update()` with no pairs indexed `kv[0]` and panicked.
#[test]
fn go_bug_update_with_nothing_to_set_is_an_error() {
    let engine = engine_with_users();
    let err = engine
        .new_session()
        .where_("name = ?", &[&"Tom"])
        .update::<User>(&[])
        .expect_err("nothing to set");
    assert!(matches!(err, Error::EmptyUpdate { .. }), "{err:?}");
}

/// Book appendix: Go bugs. `Update`'s map keys were pasted into the SQL: a key could carry a
/// second statement. Here a key must be a column of the model.
#[test]
fn go_bug_update_key_cannot_inject_sql() {
    let engine = engine_with_users();
    let mut s = engine.new_session();
    let err = s
        .all()
        .update::<User>(&[("age = 0; DROP TABLE User; --", &1)])
        .expect_err("not a column");
    assert!(matches!(err, Error::UnknownColumn { .. }), "{err:?}");
    let err = s
        .order_by("age; DROP TABLE User", Order::Asc)
        .find::<User>()
        .expect_err("not a column");
    assert!(matches!(err, Error::UnknownColumn { .. }), "{err:?}");
    assert!(s.has_table::<User>().expect("has"));
    assert_eq!(s.count::<User>().expect("count"), 3);
}

//! Day 2 acceptance tests: the schema a derive computes, the dialect, tables.

use gee_orm::{ColumnType, Dialect, Engine, Field, Model, Sqlite};

#[derive(Model, Debug, PartialEq)]
struct User {
    #[orm(primary_key)]
    name: String,
    age: i64,
}

#[derive(Model)]
#[orm(table = "ns_user_test")]
struct Renamed {
    #[orm(column = "user_name")]
    name: String,
    #[orm(skip)]
    #[allow(dead_code)]
    cache: Vec<String>,
    nickname: Option<String>,
}

#[derive(Model)]
struct Everything {
    a: i8,
    b: u32,
    c: i64,
    d: f64,
    e: f32,
    f: bool,
    g: String,
    h: Vec<u8>,
    i: Option<i64>,
}

#[test]
fn the_derive_records_table_fields_and_primary_key() {
    let schema = User::SCHEMA;
    assert_eq!(schema.model, "User");
    assert_eq!(schema.table, "User");
    assert_eq!(schema.columns().collect::<Vec<_>>(), ["name", "age"]);
    assert_eq!(schema.primary_key().map(|f| f.column), Some("name"));
    assert_eq!(
        schema.field("age"),
        Some(&Field {
            name: "age",
            column: "age",
            ty: ColumnType::Integer,
            nullable: false,
            primary_key: false
        })
    );
    assert_eq!(schema.field("Age"), None, "names are exact");
}

#[test]
fn attributes_rename_the_table_and_columns_and_skip_fields() {
    let schema = Renamed::SCHEMA;
    assert_eq!(schema.table, "ns_user_test");
    assert_eq!(
        schema.columns().collect::<Vec<_>>(),
        ["user_name", "nickname"]
    );
    assert_eq!(schema.fields[0].name, "name");
    assert!(schema.fields[1].nullable);
    assert!(!schema.fields[0].nullable);
}

#[test]
fn the_sqlite_dialect_maps_every_supported_type() {
    let types: Vec<&str> = Everything::SCHEMA
        .fields
        .iter()
        .map(|f| Sqlite.data_type_of(f.ty))
        .collect();
    assert_eq!(
        types,
        [
            "integer", "integer", "integer", "real", "real", "boolean", "text", "blob", "integer"
        ]
    );
}

#[test]
fn quote_ident_makes_any_string_one_identifier() {
    assert_eq!(Sqlite.quote_ident("User"), "\"User\"");
    assert_eq!(Sqlite.quote_ident("we\"ird"), "\"we\"\"ird\"");
    assert_eq!(
        Sqlite.quote_ident("a\"; DROP TABLE x; --"),
        "\"a\"\"; DROP TABLE x; --\""
    );
}

#[test]
fn values_are_the_fields_in_column_order() {
    let user = User {
        name: "Tom".into(),
        age: 18,
    };
    use gee_orm::rusqlite::types::Value;
    assert_eq!(
        user.values().expect("values"),
        [Value::Text("Tom".into()), Value::Integer(18)]
    );
}

#[test]
fn create_has_and_drop_table() {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    assert!(!s.has_table::<User>().expect("has"));
    s.create_table::<User>().expect("create");
    assert!(s.has_table::<User>().expect("has"));
    let ddl = s
        .raw("SELECT sql FROM sqlite_master WHERE name = ?", &[&"User"])
        .query_row(|row| row.get::<_, String>(0))
        .expect("ddl");
    assert_eq!(
        ddl.as_deref(),
        Some(
            "CREATE TABLE \"User\" (\"name\" text PRIMARY KEY NOT NULL, \"age\" integer NOT NULL)"
        )
    );
    s.create_table::<User>().expect_err("it exists already");
    s.drop_table::<User>().expect("drop");
    assert!(!s.has_table::<User>().expect("has"));
    s.drop_table::<User>()
        .expect("dropping a missing table is not an error");
}

#[test]
fn the_columns_keep_their_constraints() {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<Renamed>().expect("create");
    s.raw(
        "INSERT INTO ns_user_test (user_name, nickname) VALUES (?, NULL)",
        &[&"Tom"],
    )
    .exec()
    .expect("NULL fits an Option column");
    s.raw(
        "INSERT INTO ns_user_test (user_name, nickname) VALUES (NULL, ?)",
        &[&"x"],
    )
    .exec()
    .expect_err("NULL does not fit a String column: NOT NULL");
}

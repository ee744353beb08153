//! Injection and bad-input tests across every API that takes a string: names from attributes,
//! column names in `update` and `order_by`, `where_` conditions' arguments, raw arguments.
//! After each attempt the database must be intact, and the attempt an `Err` or a harmless
//! literal. (Book appendix: Go bugs, "SQL injection".)

use gee_orm::{Engine, Error, Model, Order};

#[derive(Model, Debug, PartialEq)]
struct Victim {
    #[orm(primary_key)]
    id: i64,
    name: String,
}

/// A table and columns whose names are SQL keywords and quote characters.
#[derive(Model, Debug, PartialEq)]
#[orm(table = "order")]
struct Keywords {
    #[orm(column = "group")]
    group: i64,
    #[orm(column = "we\"ird; DROP TABLE Victim; --")]
    weird: String,
    #[orm(column = "select")]
    select: Option<String>,
}

#[derive(Model, Debug, PartialEq)]
#[orm(table = "x\"; DROP TABLE Victim; --")]
struct EvilTable {
    v: i64,
}

fn engine_with_victim() -> Engine {
    let engine = Engine::open(":memory:").expect("open");
    let mut s = engine.new_session();
    s.create_table::<Victim>().expect("create");
    s.insert(&[
        Victim {
            id: 1,
            name: "Tom".into(),
        },
        Victim {
            id: 2,
            name: "Sam".into(),
        },
    ])
    .expect("insert");
    engine
}

fn assert_intact(engine: &Engine) {
    let mut s = engine.new_session();
    assert!(s.has_table::<Victim>().expect("has"), "Victim was dropped");
    assert_eq!(s.count::<Victim>().expect("count"), 2, "Victim lost rows");
}

#[test]
fn keyword_and_quote_names_are_plain_identifiers() {
    let engine = engine_with_victim();
    let mut s = engine.new_session();
    s.create_table::<Keywords>()
        .expect("create a table named order");
    let row = Keywords {
        group: 1,
        weird: "x".into(),
        select: Some("y".into()),
    };
    s.insert(&[row]).expect("insert");
    s.where_("\"group\" = ?", &[&1])
        .update::<Keywords>(&[("we\"ird; DROP TABLE Victim; --", &"z")])
        .expect("a column with a weird name is still a column");
    let found = s
        .order_by("group", Order::Desc)
        .find::<Keywords>()
        .expect("find");
    assert_eq!(
        found,
        [Keywords {
            group: 1,
            weird: "z".into(),
            select: Some("y".into())
        }]
    );
    s.drop_table::<Keywords>().expect("drop");
    assert_intact(&engine);
}

#[test]
fn a_table_name_attribute_cannot_inject() {
    let engine = engine_with_victim();
    let mut s = engine.new_session();
    s.create_table::<EvilTable>()
        .expect("a table with an odd name");
    s.insert(&[EvilTable { v: 1 }]).expect("insert");
    assert_eq!(s.find::<EvilTable>().expect("find"), [EvilTable { v: 1 }]);
    s.drop_table::<EvilTable>().expect("drop");
    assert_intact(&engine);
}

#[test]
fn where_arguments_are_values_not_sql() {
    let engine = engine_with_victim();
    let mut s = engine.new_session();
    for evil in [
        "1 OR 1=1",
        "Tom' OR '1'='1",
        "Tom'; DROP TABLE Victim; --",
        "\"name\"",
    ] {
        assert_eq!(
            s.where_("name = ?", &[&evil])
                .find::<Victim>()
                .expect("find"),
            []
        );
        assert_eq!(
            s.where_("name = ?", &[&evil])
                .delete::<Victim>()
                .expect("delete"),
            0
        );
    }
    s.where_("id = ?", &[&1])
        .update::<Victim>(&[("name", &"Robert'); DROP TABLE Victim; --")])
        .expect("update");
    let robert = s.where_("id = ?", &[&1]).first::<Victim>().expect("first");
    assert_eq!(
        robert.map(|v| v.name).as_deref(),
        Some("Robert'); DROP TABLE Victim; --")
    );
    assert_intact(&engine);
}

#[test]
fn column_names_from_callers_must_be_the_models() {
    let engine = engine_with_victim();
    let mut s = engine.new_session();
    let attempts = [
        "name = 'x'; DROP TABLE Victim; --",
        "name\" = 1; --",
        "\"name\"",
        "Name",
        "",
        "id) VALUES (1); --",
    ];
    for column in attempts {
        let err = s
            .all()
            .update::<Victim>(&[(column, &"x")])
            .expect_err(column);
        assert!(
            matches!(err, Error::UnknownColumn { .. }),
            "{column}: {err:?}"
        );
        let err = s
            .order_by(column, Order::Asc)
            .find::<Victim>()
            .expect_err(column);
        assert!(
            matches!(err, Error::UnknownColumn { .. }),
            "{column}: {err:?}"
        );
    }
    assert_intact(&engine);
}

#[test]
fn several_statements_in_one_raw_call_are_refused() {
    let engine = engine_with_victim();
    let err = engine
        .new_session()
        .raw("SELECT 1; DROP TABLE Victim", &[])
        .exec()
        .expect_err("one statement at a time");
    assert!(matches!(err, Error::Sql { .. }), "{err:?}");
    assert_intact(&engine);
}

#[test]
fn a_mistyped_column_in_a_condition_is_an_error_not_a_string() {
    let engine = engine_with_victim();
    let err = engine
        .new_session()
        .where_("\"nmae\" = ?", &[&"nmae"])
        .find::<Victim>()
        .expect_err("DQS is off: \"nmae\" is an unknown column, not the string 'nmae'");
    assert!(err.to_string().contains("no such column"), "{err}");
}

#[test]
fn limits_that_make_no_sense_do_not_panic() {
    let engine = engine_with_victim();
    let mut s = engine.new_session();
    assert_eq!(s.limit(0).find::<Victim>().expect("limit 0").len(), 0);
    assert_eq!(
        s.limit(-5)
            .find::<Victim>()
            .expect("negative limit = none")
            .len(),
        2
    );
    assert_eq!(
        s.offset(i64::MAX)
            .find::<Victim>()
            .expect("huge offset")
            .len(),
        0
    );
    assert_eq!(
        s.offset(-3)
            .find::<Victim>()
            .expect("negative offset")
            .len(),
        2
    );
}

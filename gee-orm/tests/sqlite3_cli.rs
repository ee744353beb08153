//! The real `sqlite3` command-line shell opens the database file gee-orm wrote and sees the
//! schema and rows we expect: the file is plain SQLite, readable by any SQLite tool.
//!
//! Needs the `sqlite3` program (Debian package `sqlite3`); without it the test says so and
//! passes without checking.

use std::process::Command;

use gee_orm::{Engine, Model};

#[derive(Model)]
#[orm(table = "users")]
struct User {
    #[orm(primary_key)]
    id: i64,
    name: String,
    email: Option<String>,
    active: bool,
}

fn sqlite3(db: &std::path::Path, sql: &str) -> Option<String> {
    let out = match Command::new("sqlite3").arg(db).arg(sql).output() {
        Ok(out) => out,
        Err(err) => {
            eprintln!("SKIPPED: cannot run `sqlite3` ({err}); install the Debian package sqlite3");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_sqlite3_shell_reads_what_gee_orm_wrote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("gee.db");
    let engine = Engine::open(&path).expect("open");
    let mut s = engine.new_session();
    s.create_table::<User>().expect("create");
    s.insert(&[
        User {
            id: 1,
            name: "Tom".into(),
            email: None,
            active: true,
        },
        User {
            id: 2,
            name: "O'Brien \"Sam\"".into(),
            email: Some("sam@example.com".into()),
            active: false,
        },
    ])
    .expect("insert");
    engine.close().expect("close");

    let Some(schema) = sqlite3(&path, ".schema users") else {
        return;
    };
    // Newer shells print `CREATE TABLE IF NOT EXISTS` for `.schema`; the stored DDL has no such words.
    assert_eq!(
        schema.trim().replace("IF NOT EXISTS ", ""),
        "CREATE TABLE \"users\" (\"id\" integer PRIMARY KEY NOT NULL, \"name\" text NOT NULL, \"email\" text, \"active\" boolean NOT NULL);"
    );
    let rows = sqlite3(
        &path,
        "SELECT id, name, coalesce(email, 'NULL'), active FROM users ORDER BY id",
    )
    .expect("sqlite3 ran a moment ago");
    assert_eq!(rows, "1|Tom|NULL|1\n2|O'Brien \"Sam\"|sam@example.com|0\n");
    let check = sqlite3(&path, "PRAGMA integrity_check").expect("sqlite3");
    assert_eq!(check.trim(), "ok");
}

//! Day 1 — open a database file, run raw SQL through a session (Go's cmd_test/main.go).
//!
//! `cargo run -p gee-orm --example day1_database_sql`; set `RUST_LOG=warn` to hide the SQL log.

use gee_orm::Engine;

// ANCHOR: main
fn main() -> Result<(), gee_orm::Error> {
    common::init_tracing();
    let path = std::env::temp_dir().join(format!("gee-orm-day1-{}.db", std::process::id()));
    let engine = Engine::open(&path)?;
    let mut s = engine.new_session();
    s.raw("DROP TABLE IF EXISTS User", &[]).exec()?;
    s.raw("CREATE TABLE User (Name text)", &[]).exec()?;
    // Creating it again fails, and says why.
    if let Err(err) = s.raw("CREATE TABLE User (Name text)", &[]).exec() {
        println!("error: {err}");
    }
    let affected = s
        .raw("INSERT INTO User (Name) VALUES (?), (?)", &[&"Tom", &"Sam"])
        .exec()?;
    println!("Exec success, {affected} affected");
    let names = s
        .raw("SELECT Name FROM User ORDER BY Name", &[])
        .query_rows(|row| row.get::<_, String>(0))?;
    println!("names: {names:?}");
    engine.close()?;
    std::fs::remove_file(&path).ok();

    // Opening something that is not a database is an error at once, not a crash later.
    let dir = std::env::temp_dir();
    match Engine::open(&dir) {
        Ok(_) => println!("unexpected: opened a directory"),
        Err(err) => println!("open a directory: {err}"),
    }
    Ok(())
}
// ANCHOR_END: main

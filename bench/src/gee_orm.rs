//! gee-orm's suite: the ORM against raw rusqlite (the limit) and diesel, on one SQLite.
//!
//! All three link the same bundled SQLite (rusqlite 0.38 and diesel 2.3 share
//! libsqlite3-sys), and each gets its own connection to its own database with the same
//! schema, `users(id INTEGER PRIMARY KEY, name TEXT NOT NULL, hair_color TEXT)`, in memory
//! and in a file with `journal_mode=WAL, synchronous=NORMAL`. Four operations:
//!
//! 1. insert 1,000 rows in one transaction (each library's own bulk insert: gee-orm and raw
//!    rusqlite run one cached single-row INSERT per row, diesel sends multi-row INSERTs);
//! 2. select one row by primary key, 1,000 times (ids spread over a 10,000-row table);
//! 3. select all 10,000 rows into structs;
//! 4. update one row's name by primary key, 1,000 times (each its own autocommit statement).
//!
//! Raw rusqlite is written the fastest way we know: `prepare_cached`, columns read by index.
//! Every measurement is repeated in interleaved rounds (A B C, A B C, ...) and the median time
//! per operation is kept. Time is the thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), so waiting
//! for a core on a loaded machine does not count; waiting for the disk does not count either. Single-threaded and in-process: there is no server to pin.

use std::hint::black_box;
use std::path::PathBuf;

use diesel::Connection as _;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gee_orm::{Engine, Model};
use rusqlite::Connection;

use crate::Row;

const TABLE_ROWS: i64 = 10_000;
const OPS: i64 = 1_000;
const ROUNDS: usize = 7;

const CREATE: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, hair_color TEXT)";

/// gee-orm's model of the table.
#[derive(Model, Clone, Debug)]
#[orm(table = "users")]
struct User {
    #[orm(primary_key)]
    id: i64,
    name: String,
    hair_color: Option<String>,
}

diesel::table! {
    users (id) {
        id -> BigInt,
        name -> Text,
        hair_color -> Nullable<Text>,
    }
}

/// diesel's model of the same table.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = users)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite))]
struct DUser {
    id: i64,
    name: String,
    hair_color: Option<String>,
}

fn user(id: i64) -> User {
    User {
        id,
        name: format!("user {id}"),
        hair_color: (id % 3 == 0).then(|| "brown".to_string()),
    }
}

fn duser(u: &User) -> DUser {
    DUser {
        id: u.id,
        name: u.name.clone(),
        hair_color: u.hair_color.clone(),
    }
}

/// The ids a run of `OPS` single-row operations touches: spread over the table, fixed.
fn ids() -> Vec<i64> {
    (0..OPS).map(|i| (i * 7_919) % TABLE_ROWS + 1).collect()
}

/// Where one subject's database lives.
#[derive(Clone, Copy, PartialEq)]
enum Storage {
    Memory,
    Wal,
}

impl Storage {
    fn label(self) -> &'static str {
        match self {
            Storage::Memory => "memory",
            Storage::Wal => "WAL file",
        }
    }
}

fn db_path(storage: Storage, who: &str) -> (String, Option<PathBuf>) {
    match storage {
        Storage::Memory => (":memory:".into(), None),
        Storage::Wal => {
            let path =
                std::env::temp_dir().join(format!("gee-orm-bench-{}-{who}.db", std::process::id()));
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
            }
            (path.display().to_string(), Some(path))
        }
    }
}

const WAL_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";

/// One library under test: the four operations, each returning a value so nothing is optimised away.
trait Subject {
    /// Empties the table and fills it with `rows` (untimed set-up).
    fn reset(&mut self, rows: &[User]);
    fn insert_batch(&mut self, rows: &[User]) -> usize;
    fn select_by_id(&mut self, id: i64) -> String;
    fn select_all(&mut self) -> usize;
    fn update_by_id(&mut self, id: i64, name: &str) -> usize;
}

struct Gee {
    engine: Engine,
}

impl Gee {
    fn open(storage: Storage) -> Gee {
        let (path, _) = db_path(storage, "gee");
        let engine = Engine::open(&path).expect("open gee-orm");
        if storage == Storage::Wal {
            engine
                .connection()
                .execute_batch(WAL_PRAGMAS)
                .expect("pragmas");
        }
        engine.connection().execute_batch(CREATE).expect("create");
        Gee { engine }
    }
}

impl Subject for Gee {
    fn reset(&mut self, rows: &[User]) {
        self.engine
            .new_session()
            .all()
            .delete::<User>()
            .expect("delete");
        if !rows.is_empty() {
            self.engine.transaction(|s| s.insert(rows)).expect("fill");
        }
    }
    fn insert_batch(&mut self, rows: &[User]) -> usize {
        self.engine.transaction(|s| s.insert(rows)).expect("insert")
    }
    fn select_by_id(&mut self, id: i64) -> String {
        let user = self
            .engine
            .new_session()
            .where_("id = ?", &[&id])
            .first::<User>();
        user.expect("select").map(|u| u.name).unwrap_or_default()
    }
    fn select_all(&mut self) -> usize {
        self.engine
            .new_session()
            .find::<User>()
            .expect("select all")
            .len()
    }
    fn update_by_id(&mut self, id: i64, name: &str) -> usize {
        self.engine
            .new_session()
            .where_("id = ?", &[&id])
            .update::<User>(&[("name", &name)])
            .expect("update")
    }
}

struct Raw {
    conn: Connection,
}

impl Raw {
    fn open(storage: Storage) -> Raw {
        let (path, _) = db_path(storage, "raw");
        let conn = Connection::open(&path).expect("open rusqlite");
        if storage == Storage::Wal {
            conn.execute_batch(WAL_PRAGMAS).expect("pragmas");
        }
        conn.execute_batch(CREATE).expect("create");
        Raw { conn }
    }
}

impl Subject for Raw {
    fn reset(&mut self, rows: &[User]) {
        self.conn.execute("DELETE FROM users", []).expect("delete");
        self.insert_batch(rows);
    }
    fn insert_batch(&mut self, rows: &[User]) -> usize {
        let tx = self.conn.transaction().expect("begin");
        let mut n = 0;
        {
            let mut stmt = tx
                .prepare_cached("INSERT INTO users (id, name, hair_color) VALUES (?1, ?2, ?3)")
                .expect("prepare");
            for u in rows {
                n += stmt
                    .execute(rusqlite::params![u.id, u.name, u.hair_color])
                    .expect("insert");
            }
        }
        tx.commit().expect("commit");
        n
    }
    fn select_by_id(&mut self, id: i64) -> String {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, hair_color FROM users WHERE id = ?1")
            .expect("prepare");
        let user = stmt
            .query_row([id], |r| {
                Ok(User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    hair_color: r.get(2)?,
                })
            })
            .expect("select");
        user.name
    }
    fn select_all(&mut self) -> usize {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, name, hair_color FROM users")
            .expect("prepare");
        let users: Vec<User> = stmt
            .query_map([], |r| {
                Ok(User {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    hair_color: r.get(2)?,
                })
            })
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        users.len()
    }
    fn update_by_id(&mut self, id: i64, name: &str) -> usize {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE users SET name = ?1 WHERE id = ?2")
            .expect("prepare");
        stmt.execute(rusqlite::params![name, id]).expect("update")
    }
}

struct Diesel {
    conn: SqliteConnection,
}

impl Diesel {
    fn open(storage: Storage) -> Diesel {
        let (path, _) = db_path(storage, "diesel");
        let mut conn = SqliteConnection::establish(&path).expect("open diesel");
        if storage == Storage::Wal {
            conn.batch_execute(WAL_PRAGMAS).expect("pragmas");
        }
        conn.batch_execute(CREATE).expect("create");
        Diesel { conn }
    }
}

impl Subject for Diesel {
    fn reset(&mut self, rows: &[User]) {
        diesel::delete(users::table)
            .execute(&mut self.conn)
            .expect("delete");
        self.insert_batch(rows);
    }
    fn insert_batch(&mut self, rows: &[User]) -> usize {
        let rows: Vec<DUser> = rows.iter().map(duser).collect();
        self.conn
            .transaction(|c| {
                let mut n = 0;
                // Chunks keep each statement under SQLite's bound-parameter limit.
                for chunk in rows.chunks(1_000) {
                    n += diesel::insert_into(users::table).values(chunk).execute(c)?;
                }
                diesel::QueryResult::Ok(n)
            })
            .expect("insert")
    }
    fn select_by_id(&mut self, id: i64) -> String {
        let user: DUser = users::table
            .find(id)
            .select(DUser::as_select())
            .get_result(&mut self.conn) // not .first(): its bound `LIMIT ?` costs a re-prepare
            .expect("select");
        user.name
    }
    fn select_all(&mut self) -> usize {
        let all: Vec<DUser> = users::table
            .select(DUser::as_select())
            .load(&mut self.conn)
            .expect("load");
        all.len()
    }
    fn update_by_id(&mut self, id: i64, name: &str) -> usize {
        diesel::update(users::table.find(id))
            .set(users::name.eq(name))
            .execute(&mut self.conn)
            .expect("update")
    }
}

/// Nanoseconds of CPU this thread has used: unlike wall time, it does not count the time the
/// thread waited for a core, which on a machine shared by other builds is most of the time.
fn cpu_ns() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as f64 * 1e9 + t.tv_nsec as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Median nanoseconds per operation of each subject for each of the four operations.
fn measure(subjects: &mut [Box<dyn Subject>]) -> Vec<[f64; 4]> {
    let table: Vec<User> = (1..=TABLE_ROWS).map(user).collect();
    let batch: Vec<User> = (1..=OPS).map(user).collect();
    let ids = ids();
    let names: Vec<String> = ids.iter().map(|i| format!("renamed {i}")).collect();
    let mut samples = vec![[const { Vec::new() }; 4]; subjects.len()];
    for round in 0..=ROUNDS {
        for (k, s) in subjects.iter_mut().enumerate() {
            // 1. insert OPS rows in one transaction, into an empty table.
            s.reset(&[]);
            let t = cpu_ns();
            black_box(s.insert_batch(&batch));
            let insert = (cpu_ns() - t) / OPS as f64;
            // 2-4 run on the full table.
            s.reset(&table);
            let t = cpu_ns();
            for &id in &ids {
                black_box(s.select_by_id(id));
            }
            let select = (cpu_ns() - t) / OPS as f64;
            let t = cpu_ns();
            assert_eq!(black_box(s.select_all()), TABLE_ROWS as usize);
            let all = cpu_ns() - t;
            let t = cpu_ns();
            for (id, name) in ids.iter().zip(&names) {
                assert_eq!(black_box(s.update_by_id(*id, name)), 1);
            }
            let update = (cpu_ns() - t) / OPS as f64;
            if round > 0 {
                // round 0 warms caches and the statement caches
                for (i, v) in [insert, select, all, update].into_iter().enumerate() {
                    samples[k][i].push(v);
                }
            }
        }
    }
    samples.into_iter().map(|s| s.map(median)).collect()
}

const OPS_LABELS: [&str; 4] = [
    "insert 1k rows in 1 tx (per row)",
    "select by pk x1k (per op)",
    "select all 10k rows (whole)",
    "update by pk x1k (per op)",
];

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

pub fn suite() -> Vec<Row> {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "gee-orm vs rusqlite (prepare_cached) vs diesel, SQLite {}, thread CPU time; load average {} (figures under load are indicative)",
        rusqlite::version(),
        load.join(" ")
    );
    let mut rows = Vec::new();
    for storage in [Storage::Memory, Storage::Wal] {
        let mut subjects: Vec<Box<dyn Subject>> = vec![
            Box::new(Gee::open(storage)),
            Box::new(Raw::open(storage)),
            Box::new(Diesel::open(storage)),
        ];
        let results = measure(&mut subjects);
        println!(
            "\n{:<10} {:<34} {:>11} {:>11} {:>11} {:>9} {:>10}",
            storage.label(),
            "operation (median time)",
            "gee-orm",
            "rusqlite",
            "diesel",
            "gee/raw",
            "gee/diesel"
        );
        for (i, label) in OPS_LABELS.iter().enumerate() {
            let (gee, raw, die) = (results[0][i], results[1][i], results[2][i]);
            println!(
                "{:<10} {:<34} {:>11} {:>11} {:>11} {:>8.2}x {:>9.2}x",
                "",
                label,
                human(gee),
                human(raw),
                human(die),
                gee / raw,
                gee / die
            );
            // The common table is "higher is better": operations per second.
            let test = format!(
                "{} {}",
                storage.label(),
                label.split(" (").next().unwrap_or(label)
            );
            rows.push(Row {
                course: "gee-orm",
                test: format!("{test} op/s"),
                peer: "rusqlite",
                peer_value: 1e9 / raw,
                ours: 1e9 / gee,
            });
            rows.push(Row {
                course: "gee-orm",
                test: format!("{test} op/s"),
                peer: "diesel",
                peer_value: 1e9 / die,
                ours: 1e9 / gee,
            });
        }
        for (_, path) in ["gee", "raw", "diesel"].iter().map(|w| db_path(storage, w)) {
            if let Some(path) = path {
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
                }
            }
        }
    }
    println!(
        "\n(time ratios: below 1.00x gee-orm is faster; the table below is in op/s, higher is better)"
    );
    rows
}

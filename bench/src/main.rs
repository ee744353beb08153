//! The side-by-side benchmark runner.
//!
//! `cargo xtask bench [<crate>]` builds this binary in release mode and runs it with the
//! course name as its argument. Each course adds a function here that measures itself and its
//! peer in the same run and reports a [`Row`]: the two figures and their ratio, printed as a
//! table.

mod gee_cache;
mod gee_orm;
mod gee_rpc;
mod gee_web;
mod go_redis;
mod go_redis_cluster; // go-redis day 7
mod go_redis_geo; // go-redis day 4: GEO
mod go_redis_persistence;
mod go_redis_rdb;

use std::process::ExitCode;

/// One line of the results table: a measurement of a course and of its peer, same unit.
struct Row {
    /// The course crate measured, e.g. `gee-web`.
    course: &'static str,
    /// What was measured, e.g. `GET / req/s`.
    test: String,
    /// The peer's name, e.g. `axum`.
    peer: &'static str,
    /// The peer's figure (higher is better).
    peer_value: f64,
    /// Our figure, same unit.
    ours: f64,
}

/// The courses that have benchmarks, each a function producing its rows.
type Suite = (&'static str, fn() -> Vec<Row>);
const SUITES: &[Suite] = &[
    ("gee-web", gee_web::suite),
    ("gee-cache", gee_cache::suite),
    ("gee-orm", gee_orm::suite),
    ("gee-rpc", gee_rpc::suite),
    ("go-redis", go_redis::suite),
    ("go-redis", go_redis_geo::suite),     // day 4: GEO
    ("go-redis", go_redis_cluster::suite), // day 7
    ("go-redis", go_redis_rdb::suite),
];

fn main() -> ExitCode {
    let wanted = std::env::args().nth(1);
    if let Some(name) = &wanted {
        let known = [
            "gee-web",
            "gee-cache",
            "gee-orm",
            "gee-rpc",
            "go-redis",
            "demo-wasm",
        ];
        if !known.contains(&name.as_str()) {
            eprintln!("unknown course `{name}`; expected one of {known:?}");
            return ExitCode::FAILURE;
        }
    }
    let mut rows = Vec::new();
    // `go-redis --persistence`: the AOF against Redis's, instead of the command suite.
    if std::env::args().any(|a| a == "--persistence") {
        println!("benchmarking go-redis persistence ...");
        rows.extend(go_redis_persistence::suite());
        print_table(&rows);
        return ExitCode::SUCCESS;
    }
    for (course, suite) in SUITES {
        if wanted.as_deref().is_none_or(|w| w == *course) {
            println!("benchmarking {course} ...");
            rows.extend(suite());
        }
    }
    print_table(&rows);
    if rows.is_empty() {
        let which = wanted.as_deref().unwrap_or("any course");
        println!("no benchmarks for {which} yet");
    }
    ExitCode::SUCCESS
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<10} {:<32} {:<10} {:>14} {:>14} {:>7}",
        "course", "test", "peer", "peer", "ours", "ratio"
    );
    for r in rows {
        let ratio = if r.peer_value > 0.0 {
            r.ours / r.peer_value
        } else {
            f64::NAN
        };
        println!(
            "{:<10} {:<32} {:<10} {:>14.1} {:>14.1} {:>6.2}x",
            r.course, r.test, r.peer, r.peer_value, r.ours, ratio
        );
    }
}

//! GeeCache day 4 — the consistent-hash ring: who owns which key, and what moves when a
//! peer joins.
//!
//! ```text
//! $ cargo run -p gee-cache --example day4_consistent_hash
//! ```
//!
//! (Go's day 4 has no new main; this one shows the ring at work and exits.)

use common::consistent_hash::Ring;

// ANCHOR: main
fn main() {
    common::init_tracing();
    let peers = [
        "http://localhost:8001",
        "http://localhost:8002",
        "http://localhost:8003",
    ];
    let mut ring = Ring::new(50);
    ring.add(peers);
    for key in ["Tom", "Jack", "Sam"] {
        println!("{key} is owned by {}", ring.get(key).unwrap_or("nobody"));
    }

    let keys = 100_000;
    let before: Vec<String> = (0..keys)
        .map(|i| ring.get(format!("key{i}")).unwrap_or_default().to_owned())
        .collect();
    for peer in peers {
        let owned = before.iter().filter(|o| o.as_str() == peer).count();
        println!(
            "{peer} owns {:.1}% of {keys} keys",
            100.0 * owned as f64 / keys as f64
        );
    }
    ring.add(["http://localhost:8004"]);
    let moved = (0..keys)
        .filter(|&i| ring.get(format!("key{i}")).unwrap_or_default() != before[i])
        .count();
    println!(
        "adding a 4th peer moved {:.1}% of the keys (ideal 1/4 = 25%)",
        100.0 * moved as f64 / keys as f64
    );
}
// ANCHOR_END: main

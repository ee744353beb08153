//! GeeCache day 1 — the LRU on its own: add, get, evict, and what the callback sees.
//!
//! ```text
//! $ cargo run -p gee-cache --example day1_lru
//! ```
//!
//! It exits by itself after printing each step.

use gee_cache::Lru;

// ANCHOR: main
fn main() {
    common::init_tracing();
    // Room for 20 bytes of keys and values.
    let mut lru = Lru::new(20).with_on_evicted(|key, value: String| {
        println!("evicted {key} ({value})");
    });
    for (key, value) in [("key1", "value1"), ("key2", "value2")] {
        lru.add(key, value.to_string()).expect("fits the budget");
        println!(
            "add {key}={value}: {} entries, {} bytes",
            lru.len(),
            lru.bytes()
        );
    }
    // Touch key1, so key2 becomes the least recently used.
    println!("get key1 = {:?}", lru.get("key1"));
    lru.add("k3", "v3".to_string()).expect("fits the budget");
    println!(
        "after adding k3: keys {:?}, {} bytes",
        lru.keys(),
        lru.bytes()
    );
    // An entry bigger than the whole cache is refused, not "evict everything".
    match lru.add("huge", "x".repeat(100)) {
        Ok(()) => println!("huge was added?!"),
        Err(err) => println!("refused: {err}"),
    }
    println!("still cached: {:?}", lru.keys());
}
// ANCHOR_END: main

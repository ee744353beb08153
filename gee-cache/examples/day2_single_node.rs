//! GeeCache day 2 — one group, one getter, no network: the first get of a key loads it,
//! the second is a hit.
//!
//! ```text
//! $ cargo run -p gee-cache --example day2_single_node
//! ```

use gee_cache::Group;

// ANCHOR: main
#[tokio::main]
async fn main() {
    common::init_tracing();
    let group = Group::new("scores", 2 << 10, |key: &str| {
        println!("[SlowDB] search key {key}");
        match key {
            "Tom" => Ok("630"),
            "Jack" => Ok("589"),
            "Sam" => Ok("567"),
            _ => Err(format!("{key} not exist")),
        }
    });
    for key in ["Tom", "Tom", "Jack", "kkk", ""] {
        match group.get(key).await {
            Ok(value) => println!("get {key:?} = {value}"),
            Err(err) => println!("get {key:?} failed: {err}"),
        }
    }
    print!("{}", group.stats());
}
// ANCHOR_END: main

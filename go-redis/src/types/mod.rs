//! Day 4 — the data structures behind the value types that the standard library lacks.
//!
//! Lists are a `VecDeque`, hashes an `IndexMap`, sets an `IndexSet` (an index makes
//! SPOP, SRANDMEMBER and RANDOMKEY O(1) and SCAN cursors stable); sorted sets need ordered
//! access by score *and* by rank, which is what Redis's skiplist is for ([`skiplist`]),
//! paired with a member → score map in [`zset`].

pub mod geo_area; // Day 4: GEO
pub mod geohash; // Day 4: GEO
pub mod pqsort; // Day 4: GEO
pub mod skiplist;
pub mod stream; // Day 4: streams
pub mod zset;

pub use crate::db::StrValue; // Day 3: short strings inline (db/str_value.rs)
pub use skiplist::SkipList;
pub use stream::Stream; // Day 4: streams
pub use zset::ZSet;

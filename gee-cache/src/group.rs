//! Day 2 — Group and Getter: a named cache that loads its misses itself.
//!
//! A cache that only stores what you put in it pushes the hard part onto every caller:
//! "on a miss, load from the database, then add". groupcache turns it around. A [`Group`]
//! is a named namespace with a [`Getter`], the callback that knows how to load a key from
//! the real source; callers only ever `get(key)`, and a miss is loaded, cached and returned
//! in one step. Values are never updated in place: a key's value is what the getter says.
//!
//! ```text
//!   get(key) ─▶ main cache ─hit─▶ value
//!                   │ miss
//!                   ▼
//!             getter.get(key) ─▶ main cache ─▶ value
//! ```
//!
//! Later days plug in without rewriting this: day 5's peers are an optional
//! [`PeerPicker`] the group asks before its getter (and its hot cache, [`crate::hot`]),
//! day 6 runs each miss through singleflight. Both are marked where they touch this file.
//!
//! Groups live in a [`Registry`] so the HTTP server can find them by name. Go uses one
//! global map; [`Group::new`] registers there too, and [`Registry::new`] makes a separate one,
//! which is how a test (or the day-5 example) runs three nodes in one process.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, OnceLock, PoisonError, RwLock};

use bytes::Bytes;
use tracing::{debug, info, warn};

use crate::byteview::ByteView;
use crate::cache::{Cache, CacheStats};
use crate::hot::HotCache;
use crate::peers::{BoxFuture, PeerPicker};
use crate::singleflight::Flight;
use crate::stats::{Stats, StatsSnapshot};
use crate::{Error, MAX_KEY_LEN, MAX_VALUE_LEN};

/// The error a getter returns: any error type, or just a `String` (`Err(format!(...))?`).
pub type GetterError = Box<dyn std::error::Error + Send + Sync>;

// ANCHOR: getter
/// Loads the value of a key from the source of truth (Go's `Getter`).
///
/// Any closure `Fn(&str) -> Result<T, E>` is a getter (with `T` convertible to bytes, `E`
/// to an error), which is Go's `GetterFunc` adapter. A getter that waits on I/O should be
/// async: wrap an async closure in [`AsyncGetter`].
pub trait Getter: Send + Sync + 'static {
    /// The value of `key`, or why it cannot be had.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Bytes, GetterError>>;
}

impl<F, T, E> Getter for F
where
    F: Fn(&str) -> Result<T, E> + Send + Sync + 'static,
    T: Into<Bytes>,
    E: Into<GetterError>,
{
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Bytes, GetterError>> {
        let result = self(key).map(Into::into).map_err(Into::into);
        Box::pin(std::future::ready(result))
    }
}
// ANCHOR_END: getter

/// An async closure `Fn(String) -> impl Future<Output = Result<T, E>>` used as a [`Getter`].
pub struct AsyncGetter<F>(pub F);

impl<F, Fut, T, E> Getter for AsyncGetter<F>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, E>> + Send + 'static,
    T: Into<Bytes>,
    E: Into<GetterError>,
{
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Bytes, GetterError>> {
        let future = (self.0)(key.to_owned());
        Box::pin(async move { future.await.map(Into::into).map_err(Into::into) })
    }
}

/// A set of groups by name, shared by the code that creates groups and the server that
/// serves them. Cloning shares the same set.
#[derive(Clone, Default)]
pub struct Registry {
    groups: Arc<RwLock<HashMap<String, Arc<Group>>>>,
}

static GLOBAL: LazyLock<Registry> = LazyLock::new(Registry::new);

impl Registry {
    /// An empty registry of its own (the global one is [`Registry::global`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The process-wide registry that [`Group::new`] and [`get_group`] use (Go's `groups`).
    pub fn global() -> &'static Registry {
        &GLOBAL
    }

    /// Creates a group and registers it here, replacing any group of the same name
    /// (as Go's `NewGroup` does; the replacement is logged).
    pub fn new_group(&self, name: &str, max_bytes: usize, getter: impl Getter) -> Arc<Group> {
        let group = Arc::new(Group::unregistered(name, max_bytes, getter));
        let mut groups = self.groups.write().unwrap_or_else(PoisonError::into_inner);
        if groups.insert(name.to_owned(), group.clone()).is_some() {
            warn!("group {name:?} was registered twice: the new one replaces the old");
        }
        group
    }

    /// The group called `name`, if registered.
    pub fn get(&self, name: &str) -> Option<Arc<Group>> {
        let groups = self.groups.read().unwrap_or_else(PoisonError::into_inner);
        groups.get(name).cloned()
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups = self.groups.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_set().entries(groups.keys()).finish()
    }
}

/// The group called `name` in the global registry (Go's `GetGroup`).
pub fn get_group(name: &str) -> Option<Arc<Group>> {
    Registry::global().get(name)
}

/// A named cache namespace that loads misses through its [`Getter`].
pub struct Group {
    name: String,
    getter: Box<dyn Getter>,
    pub(crate) main_cache: Cache,
    pub(crate) stats: Stats,
    /// Day 5: who owns which key; unset, every key is loaded here.
    pub(crate) peers: OnceLock<Arc<dyn PeerPicker>>,
    /// Day 5: values owned by peers but popular here.
    pub(crate) hot: HotCache,
    /// Day 6: one load per key at a time.
    pub(crate) loader: Flight<Result<ByteView, Error>>,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").field("name", &self.name).finish()
    }
}

impl Group {
    /// Creates a group with a budget of `max_bytes` (0 = unbounded) and registers it in the
    /// global registry (Go's `NewGroup`).
    pub fn new(name: &str, max_bytes: usize, getter: impl Getter) -> Arc<Group> {
        Registry::global().new_group(name, max_bytes, getter)
    }

    fn unregistered(name: &str, max_bytes: usize, getter: impl Getter) -> Group {
        Group {
            name: name.to_owned(),
            getter: Box::new(getter),
            main_cache: Cache::new(max_bytes),
            stats: Stats::default(),
            peers: OnceLock::new(),
            hot: HotCache::new(max_bytes),
            loader: Flight::new(),
        }
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Puts one in `every` value fetched from a peer into the hot cache (default 10, as in
    /// groupcache; 1 = all of them, 0 = none).
    pub fn set_hot_cache_ratio(&self, every: u64) {
        self.hot.set_ratio(every);
    }

    /// A snapshot of the group's counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Size and counters of the main cache (keys this node owns).
    pub fn main_cache_stats(&self) -> CacheStats {
        self.main_cache.stats()
    }

    /// Size and counters of the hot cache (popular keys owned by peers).
    pub fn hot_cache_stats(&self) -> CacheStats {
        self.hot.stats()
    }

    // ANCHOR: get
    /// The value of `key`: from the cache, else (day 5) from its owner, else from the getter.
    pub async fn get(&self, key: &str) -> Result<ByteView, Error> {
        self.get_with(key, true).await
    }

    /// What the HTTP server calls for a peer's request: like [`get`](Self::get) but never
    /// forwarded to another peer, so peers with different lists cannot bounce a request
    /// back and forth (Go's loop).
    pub async fn get_for_peer(&self, key: &str) -> Result<ByteView, Error> {
        Stats::bump(&self.stats.server_requests);
        self.get_with(key, false).await
    }

    async fn get_with(&self, key: &str, may_forward: bool) -> Result<ByteView, Error> {
        // ANCHOR: ex_group_get
        check_key(key)?;
        Stats::bump(&self.stats.gets);
        if let Some(value) = self.lookup_cache(key) {
            debug!("[GeeCache] hit {key:?}");
            return Ok(value);
        }
        Stats::bump(&self.stats.loads);
        // Day 6: `load` runs the miss through one flight per key, then `load_uncached`.
        self.load(key, may_forward).await
        // ANCHOR_END: ex_group_get
    }
    // ANCHOR_END: get

    fn lookup_cache(&self, key: &str) -> Option<ByteView> {
        if let Some(value) = self.main_cache.get(key) {
            Stats::bump(&self.stats.cache_hits);
            return Some(value);
        }
        // Day 5: only values fetched from peers go to the hot cache; without peers it is empty.
        self.peers.get()?;
        let value = self.hot.get(key)?;
        Stats::bump(&self.stats.cache_hits);
        Stats::bump(&self.stats.hot_hits);
        Some(value)
    }

    /// A key in no cache: from its owner when that is a peer (day 5), else from the getter.
    pub(crate) async fn load_uncached(
        &self,
        key: &str,
        may_forward: bool,
    ) -> Result<ByteView, Error> {
        // Day 5: ask the key's owner first (never when serving a peer: no forwarding loops).
        if may_forward && let Some(value) = self.load_from_owner(key).await? {
            return Ok(value);
        }
        self.load_locally(key).await
    }

    // ANCHOR: load_locally
    /// Runs the getter and caches what it returns (Go's `getLocally` + `populateCache`).
    async fn load_locally(&self, key: &str) -> Result<ByteView, Error> {
        // ANCHOR: ex_load_locally
        let bytes = match self.getter.get(key).await {
            Ok(bytes) => bytes,
            Err(err) => {
                Stats::bump(&self.stats.local_load_errs);
                return Err(Error::Getter(err.to_string()));
            }
        };
        check_value(key, bytes.len())?;
        Stats::bump(&self.stats.local_loads);
        info!("[GeeCache] loaded {key} locally ({} bytes)", bytes.len());
        let value = ByteView::new(bytes);
        if let Err(err) = self.main_cache.add(key, value.clone()) {
            // Still a valid answer; it just cannot be cached.
            debug!("[GeeCache] not caching {key:?}: {err}");
        }
        Ok(value)
        // ANCHOR_END: ex_load_locally
    }
    // ANCHOR_END: load_locally
}

/// Refuses an empty or oversized key before anything is looked up.
pub fn check_key(key: &str) -> Result<(), Error> {
    if key.is_empty() {
        return Err(Error::EmptyKey);
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::KeyTooLong {
            len: key.len(),
            max: MAX_KEY_LEN,
        });
    }
    Ok(())
}

/// Refuses a value over [`MAX_VALUE_LEN`], from a getter or a peer.
pub(crate) fn check_value(key: &str, len: usize) -> Result<(), Error> {
    if len > MAX_VALUE_LEN {
        return Err(Error::ValueTooLarge {
            key: key.to_owned(),
            len,
            max: MAX_VALUE_LEN,
        });
    }
    Ok(())
}

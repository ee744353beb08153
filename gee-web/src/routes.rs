//! Day 1 — the route table: the seam between the engine and the way routes are matched.
//!
//! The Go day 1 keeps its routes in a `map[string]HandlerFunc` keyed by `"GET-/hello"`, and
//! day 3 replaces the map by a trie. Here the engine never sees either: it holds a
//! [`RouteTable`], registers each route's index in it, and asks it which route a request
//! is for. Day 1's table is [`MapRoutes`], an exact-match map like Go's; day 3's is the
//! per-method trie ([`crate::router::Router`]), which captures `:params` and explains its
//! misses better (405 with `Allow`, trailing-slash redirects). Swapping one for the other
//! is one line: `Engine::with_routes(MapRoutes::new())`, and nothing else changes.
//!
//! A table answers with a [`Match`]: a route index, "not found", or a [`Miss`], a finished
//! answer of its own (status, headers, body) that the engine sends through the same
//! middleware as the 404.

use std::collections::HashMap;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode, Uri};

use crate::trie::{ConflictError, PatternError};

/// A route that cannot be registered: a duplicate, a malformed pattern, or a clash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The same method and pattern twice in the day-1 map.
    #[error("{method}: route {pattern:?} is already registered")]
    Duplicate {
        /// The method of both routes.
        method: Method,
        /// The pattern registered twice.
        pattern: String,
    },
    /// Day 3: the pattern itself is malformed.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// Day 3: the pattern collides with a route already registered for the same method.
    #[error("{method}: {source}")]
    Conflict {
        /// The method of both routes.
        method: Method,
        /// What collides.
        source: ConflictError,
    },
}

/// What a [`RouteTable`] says about a request.
#[derive(Debug)]
pub enum Match {
    /// The route registered with this index matched; its parameters are in the `Params`.
    Route(usize),
    /// No route at this path: the engine answers 404.
    NotFound,
    /// No route, but the table knows a better answer than 404 (day 3: 405, redirects).
    Miss(Miss),
}

/// An answer a route table gives on its own when no route matched: `405 Method Not
/// Allowed` with an `Allow` header, `301 Moved Permanently` with a `Location`.
#[derive(Debug, Clone)]
pub struct Miss {
    /// The status to answer.
    pub status: StatusCode,
    /// Headers to send with it.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A plain-text body (may be empty).
    pub body: String,
}

// ANCHOR: route_table
/// Where the engine keeps its routes: register an index under a method and pattern, find
/// the index for a request. Day 1's [`MapRoutes`] and day 3's trie implement it.
pub trait RouteTable: Send + Sync + 'static {
    /// Registers `route` for `method` and `pattern`; returns the pattern's parameter names.
    fn insert(
        &mut self,
        method: Method,
        pattern: &str,
        route: usize,
    ) -> Result<Vec<String>, RouteError>;

    /// Finds the route for a request, writing captured parameters (byte ranges of
    /// `uri.path()`) to `params`.
    fn find(&self, method: &Method, uri: &Uri, params: &mut Params) -> Match;

    /// Every registered `(method, pattern)`, for listings and tests.
    fn routes(&self) -> Vec<(Method, String)>;

    /// A copy of the table: the engine clones its state while it is being set up.
    fn clone_table(&self) -> Box<dyn RouteTable>;
}
// ANCHOR_END: route_table

// ANCHOR: map_routes
/// Day 1's route table: a map from `"GET-/hello"` to the route, exact paths only (Go's
/// `router map[string]HandlerFunc`). `HEAD` uses the `GET` route.
#[derive(Debug, Clone, Default)]
pub struct MapRoutes {
    map: HashMap<String, usize>,
}

impl MapRoutes {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }
}

impl RouteTable for MapRoutes {
    fn insert(
        &mut self,
        method: Method,
        pattern: &str,
        route: usize,
    ) -> Result<Vec<String>, RouteError> {
        let key = format!("{method}-{pattern}");
        if self.map.contains_key(&key) {
            return Err(RouteError::Duplicate {
                method,
                pattern: pattern.to_owned(),
            });
        }
        self.map.insert(key, route);
        Ok(Vec::new())
    }

    fn find(&self, method: &Method, uri: &Uri, _params: &mut Params) -> Match {
        // ANCHOR: ex_map_find
        let path = uri.path();
        let found = self.map.get(&format!("{method}-{path}")).or_else(|| {
            (*method == Method::HEAD)
                .then(|| self.map.get(&format!("GET-{path}")))
                .flatten()
        });
        match found {
            Some(&route) => Match::Route(route),
            None => Match::NotFound,
        }
        // ANCHOR_END: ex_map_find
    }

    fn routes(&self) -> Vec<(Method, String)> {
        let mut routes: Vec<(Method, String)> = self
            .map
            .keys()
            .filter_map(|key| {
                let (method, pattern) = key.split_once('-')?;
                Some((method.parse().ok()?, pattern.to_owned()))
            })
            .collect();
        routes.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
        routes
    }

    fn clone_table(&self) -> Box<dyn RouteTable> {
        Box::new(self.clone())
    }
}
// ANCHOR_END: map_routes

/// How many parameters [`Params`] keeps inline before it spills to the heap.
const INLINE_PARAMS: usize = 4;

/// The values a lookup captured, as byte ranges `(start, end)` of the path, in pattern order.
///
/// Ranges rather than strings: the path already holds the bytes, so matching copies nothing.
/// Up to four fit inline, as `u32` offsets (a request line is far shorter than 4 GiB, and
/// the routers refuse longer paths); more (rare) spill into a `Vec`. Small matters here:
/// a `Params` is made for every lookup.
#[derive(Clone, Default)]
pub struct Params {
    inline: [(u32, u32); INLINE_PARAMS],
    len: usize,
    spill: Vec<(u32, u32)>,
}

impl Params {
    /// No parameters yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many values were captured.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was captured.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The `i`-th captured range, in pattern order.
    pub fn get(&self, i: usize) -> Option<(usize, usize)> {
        let (start, end) = if i >= self.len {
            return None;
        } else if i < INLINE_PARAMS {
            self.inline[i]
        } else {
            *self.spill.get(i - INLINE_PARAMS)?
        };
        Some((start as usize, end as usize))
    }

    /// The `i`-th captured value, sliced out of the `path` that was matched.
    pub fn value<'p>(&self, path: &'p str, i: usize) -> Option<&'p str> {
        let (start, end) = self.get(i)?;
        path.get(start..end)
    }

    /// The captured values, percent-decoded, when `path` (the path they were captured
    /// from) contains a '%'; empty otherwise, since the raw slices are then already right.
    pub fn decoded(&self, path: &str) -> Vec<String> {
        if !path.contains('%') {
            return Vec::new();
        }
        (0..self.len)
            .filter_map(|i| self.value(path, i))
            .map(|raw| {
                percent_encoding::percent_decode_str(raw)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect()
    }

    /// Records a range; offsets fit in `u32` because the routers refuse longer paths.
    pub(crate) fn push(&mut self, (start, end): (usize, usize)) {
        let range = (start as u32, end as u32);
        if self.len < INLINE_PARAMS {
            self.inline[self.len] = range;
        } else {
            self.spill.push(range);
        }
        self.len += 1;
    }

    /// Forgets the ranges after the first `len` (a branch of the trie that failed).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.len = len;
            self.spill.truncate(len.saturating_sub(INLINE_PARAMS));
        }
    }
}

impl std::fmt::Debug for Params {
    fn fmt(&self, out: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        out.debug_list()
            .entries((0..self.len).filter_map(|i| self.get(i)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(table: &MapRoutes, method: Method, path: &str) -> Match {
        let uri: Uri = path.parse().unwrap();
        table.find(&method, &uri, &mut Params::new())
    }

    #[test]
    fn the_map_matches_exact_paths_and_head_uses_get() {
        let mut table = MapRoutes::new();
        table.insert(Method::GET, "/hello", 7).unwrap();
        table.insert(Method::POST, "/login", 8).unwrap();
        assert!(matches!(
            find(&table, Method::GET, "/hello"),
            Match::Route(7)
        ));
        assert!(matches!(
            find(&table, Method::HEAD, "/hello"),
            Match::Route(7)
        ));
        assert!(matches!(
            find(&table, Method::POST, "/login"),
            Match::Route(8)
        ));
        assert!(matches!(
            find(&table, Method::GET, "/login"),
            Match::NotFound
        ));
        assert!(matches!(
            find(&table, Method::GET, "/hello/x"),
            Match::NotFound
        ));
        assert!(matches!(
            find(&table, Method::POST, "/hello"),
            Match::NotFound
        ));
        assert!(matches!(
            table.insert(Method::GET, "/hello", 9),
            Err(RouteError::Duplicate { .. })
        ));
        assert_eq!(
            table.routes(),
            [
                (Method::GET, "/hello".to_owned()),
                (Method::POST, "/login".to_owned())
            ]
        );
    }
}

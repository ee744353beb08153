//! Day 3 — the router: one trie per HTTP method, and the answers gin gives when none matches.
//!
//! The trie ([`crate::trie`]) matches a path; the router adds the method. Like gin and
//! httprouter it keeps **one tree per method**, so `GET /user` and `POST /user` never meet,
//! and a lookup only walks the tree of the request's method.
//!
//! When that tree has no route, the router still has something useful to say:
//!
//! - **405 Method Not Allowed** with an `Allow: GET, HEAD` header when the path exists under
//!   other methods (RFC 9110 §15.5.6). gin only does this when `HandleMethodNotAllowed` is
//!   switched on, a frequent surprise (gin #3000); here it is the default.
//! - **A trailing-slash redirect** when the path misses only by its final `/`: `GET /v1`
//!   finds the route `/v1/` and answers `301 Moved Permanently` to `/v1/` (gin's
//!   `RedirectTrailingSlash`). Other methods get `308 Permanent Redirect`, which keeps the
//!   method and body. The `Location` is built from the path alone, never from `Host`, so it
//!   cannot send a client off-site. Apart from that redirect, `/a` and `/a/` are different
//!   paths, unlike the Go original, which dropped empty segments and so mixed them up.
//! - **404 Not Found** otherwise.
//!
//! `HEAD` requests use the `GET` route when no `HEAD` route exists (hyper leaves the body out).
//!
//! The router plugs into the engine through day 1's seam, [`RouteTable`]: its 405 and
//! redirect answers travel as a [`Miss`], which the engine sends through the middleware like
//! any 404. [`Engine::new`](crate::Engine::new) uses it; day 1's exact map remains available
//! as [`MapRoutes`](crate::routes::MapRoutes).

use hyper::header::{ALLOW, HeaderValue, LOCATION};
use hyper::{Method, StatusCode, Uri};

use crate::Context;
pub use crate::routes::RouteError;
use crate::routes::{Match, Miss, RouteTable};
use crate::trie::{Leaf, Node, Params, parse_pattern};

/// What the router says about a request.
#[derive(Debug)]
pub enum Lookup<'r, T> {
    /// A route matched; its parameters were written to the `Params`.
    Found(&'r Leaf<T>),
    /// No route, but the path with (or without) a trailing slash has one: redirect there.
    Redirect(String),
    /// No route for this method, but for others: their names, for the `Allow` header.
    MethodNotAllowed(String),
    /// Nothing at this path at all.
    NotFound,
}

/// Per-method tries. `T` is what a route stores (the engine keeps an index into its routes).
#[derive(Debug, Clone)]
pub struct Router<T> {
    trees: Vec<(Method, Node<T>)>,
}

impl<T> Default for Router<T> {
    fn default() -> Self {
        Self { trees: Vec::new() }
    }
}

impl<T> Router<T> {
    /// A router with no routes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `value` for `method` and `pattern`; returns the parameter names in order.
    pub fn insert(
        &mut self,
        method: Method,
        pattern: &str,
        value: T,
    ) -> Result<Vec<String>, RouteError> {
        let segments = parse_pattern(pattern)?;
        let names = segments
            .iter()
            .filter_map(|s| match s {
                crate::trie::Segment::Param(n) | crate::trie::Segment::CatchAll(n) => {
                    Some((*n).to_owned())
                }
                crate::trie::Segment::Static(_) => None,
            })
            .collect();
        let tree = match self.trees.iter().position(|(m, _)| *m == method) {
            Some(at) => &mut self.trees[at].1,
            None => {
                self.trees.push((method.clone(), Node::new()));
                let last = self.trees.len() - 1;
                &mut self.trees[last].1
            }
        };
        tree.insert(pattern, &segments, value)
            .map_err(|source| RouteError::Conflict { method, source })?;
        Ok(names)
    }

    /// The tree of one method, if it has routes.
    pub fn tree(&self, method: &Method) -> Option<&Node<T>> {
        self.trees.iter().find(|(m, _)| m == method).map(|(_, t)| t)
    }

    /// Every registered `(method, pattern)`, for route listings and tests.
    pub fn routes(&self) -> Vec<(Method, &str)> {
        self.trees
            .iter()
            .flat_map(|(m, t)| t.patterns().into_iter().map(move |p| (m.clone(), p)))
            .collect()
    }

    // ANCHOR: lookup
    /// Finds the route for `method` and `path`, or says why there is none (see the module doc).
    pub fn lookup(&self, method: &Method, path: &str, params: &mut Params) -> Lookup<'_, T> {
        let tree = self
            .tree(method)
            .or_else(|| (*method == Method::HEAD).then(|| self.tree(&Method::GET))?);
        if let Some(tree) = tree {
            if let Some(leaf) = tree.at(path, params) {
                return Lookup::Found(leaf);
            }
            // Only misses pay for this: try the path with its trailing slash toggled.
            let other = match path.strip_suffix('/') {
                Some(shorter) if !shorter.is_empty() => shorter.to_owned(),
                Some(_) => String::new(),
                None => format!("{path}/"),
            };
            if !other.is_empty() && tree.at(&other, &mut Params::new()).is_some() {
                return Lookup::Redirect(other);
            }
        }
        let mut allowed: Vec<&str> = Vec::new();
        for (other, tree) in &self.trees {
            if other != method && tree.at(path, &mut Params::new()).is_some() {
                allowed.push(other.as_str());
                if *other == Method::GET && self.tree(&Method::HEAD).is_none() {
                    allowed.push("HEAD");
                }
            }
        }
        if allowed.is_empty() {
            Lookup::NotFound
        } else {
            allowed.sort_unstable();
            allowed.dedup();
            Lookup::MethodNotAllowed(allowed.join(", "))
        }
    }
    // ANCHOR_END: lookup
}

// ANCHOR: route_table_impl
/// The trie router as the engine's route table: a miss becomes a 405 (with `Allow`) or a
/// trailing-slash redirect (with a `Location` keeping the query), else a 404.
impl RouteTable for Router<usize> {
    fn insert(
        &mut self,
        method: Method,
        pattern: &str,
        route: usize,
    ) -> Result<Vec<String>, RouteError> {
        Router::insert(self, method, pattern, route)
    }

    fn find(&self, method: &Method, uri: &Uri, params: &mut Params) -> Match {
        let path = uri.path();
        match self.lookup(method, path, params) {
            Lookup::Found(leaf) => Match::Route(leaf.value),
            Lookup::NotFound => Match::NotFound,
            Lookup::MethodNotAllowed(methods) => Match::Miss(Miss {
                status: StatusCode::METHOD_NOT_ALLOWED,
                headers: HeaderValue::try_from(methods)
                    .map(|allow| vec![(ALLOW, allow)])
                    .unwrap_or_default(),
                body: format!("405 METHOD NOT ALLOWED: {method} {path}\n"),
            }),
            Lookup::Redirect(to) => Match::Miss(redirect(method, &to, uri.query())),
        }
    }

    fn routes(&self) -> Vec<(Method, String)> {
        Router::routes(self)
            .into_iter()
            .map(|(m, p)| (m, p.to_owned()))
            .collect()
    }

    fn clone_table(&self) -> Box<dyn RouteTable> {
        Box::new(self.clone())
    }
}
// ANCHOR_END: route_table_impl

/// The trailing-slash redirect: 301 for GET/HEAD, 308 (method and body kept) otherwise.
fn redirect(method: &Method, path: &str, query: Option<&str>) -> Miss {
    let status = if *method == Method::GET || *method == Method::HEAD {
        StatusCode::MOVED_PERMANENTLY
    } else {
        StatusCode::PERMANENT_REDIRECT
    };
    let location = match query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_owned(),
    };
    Miss {
        status,
        headers: HeaderValue::try_from(location)
            .map(|to| vec![(LOCATION, to)])
            .unwrap_or_default(),
        body: String::new(),
    }
}

impl Context {
    // ANCHOR: param
    /// A route parameter: `c.param("name")` is `geektutu` for `/hello/:name` and the path
    /// `/hello/geektutu`; a catch-all `*filepath` gives the rest of the path without its
    /// leading '/'. Values are percent-decoded. `""` when the route has no such parameter.
    pub fn param(&self, name: &str) -> &str {
        let Some(i) = self.route.param_names.iter().position(|n| &**n == name) else {
            return "";
        };
        match self.decoded.get(i) {
            Some(value) => value,
            None => self.params.value(self.parts.uri.path(), i).unwrap_or(""),
        }
    }
    // ANCHOR_END: param
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_uses_get_and_405_lists_the_allowed_methods() {
        let mut router = Router::new();
        router.insert(Method::GET, "/a", 1).unwrap();
        router.insert(Method::POST, "/a", 2).unwrap();
        let mut params = Params::new();
        assert!(matches!(
            router.lookup(&Method::HEAD, "/a", &mut params),
            Lookup::Found(leaf) if leaf.value == 1
        ));
        match router.lookup(&Method::DELETE, "/a", &mut params) {
            Lookup::MethodNotAllowed(allow) => assert_eq!(allow, "GET, HEAD, POST"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn trailing_slash_redirects_both_ways() {
        let mut router = Router::new();
        router.insert(Method::GET, "/v1/", 1).unwrap();
        router.insert(Method::GET, "/users", 2).unwrap();
        let mut params = Params::new();
        assert!(
            matches!(router.lookup(&Method::GET, "/v1", &mut params), Lookup::Redirect(p) if p == "/v1/")
        );
        assert!(
            matches!(router.lookup(&Method::GET, "/users/", &mut params), Lookup::Redirect(p) if p == "/users")
        );
        assert!(matches!(
            router.lookup(&Method::GET, "/", &mut params),
            Lookup::NotFound
        ));
    }
}

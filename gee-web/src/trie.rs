//! Day 3 — a prefix tree (trie) of path segments, with `:param` and `*catch-all` segments.
//!
//! A map from exact paths (day 1) cannot answer `/hello/geektutu` with the route
//! `/hello/:name`. A trie can: every node is one path *segment*, the routes sharing a prefix
//! share the nodes of that prefix, and matching a request walks the tree one segment at a
//! time. `/hello/:name`, `/hello/b/c` and `/assets/*filepath` make this tree:
//!
//! ```text
//! (root)
//! ├── "hello"
//! │   ├── "b" ── "c"          → /hello/b/c
//! │   └── :name               → /hello/:name
//! └── "assets"
//!     └── *filepath           → /assets/*filepath
//! ```
//!
//! The Go original keeps all children in one list and, when inserting, reuses the first
//! child that is "equal **or wild**". So registering `/hello/b/c` after `/hello/:name` walks
//! *into* the `:name` node and the routes get tangled: `/hello/21/c` then matches a route
//! nobody wrote. Here a node keeps its three kinds of children apart (exact segments, one
//! `:param`, one `*catch-all`), and lookup tries them in that order of priority, backing up
//! when a branch fails: **static beats param beats catch-all**, whatever the registration
//! order, like gin (since 1.7) and matchit. Two routes that could never be told apart
//! (`/a/:x` and `/a/:y`) are an error when registered, not a silent overwrite.
//!
//! Lookup allocates nothing: it slices the path in place and records each parameter as a
//! byte range of the path in a [`Params`] that lives on the caller's stack.

pub use crate::routes::Params;

/// One segment of a route pattern, as [`parse_pattern`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'p> {
    /// An exact segment: `hello` in `/hello/:name`. The empty segment is the root `/` or a
    /// trailing slash (`/v1/`).
    Static(&'p str),
    /// `:name`: matches any one non-empty segment and captures it.
    Param(&'p str),
    /// `*name`: matches the rest of the path (at least one byte) and captures it. Last only.
    CatchAll(&'p str),
}

/// Why a route pattern cannot be registered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// Patterns are absolute paths.
    #[error("route pattern {0:?} must start with '/'")]
    NoLeadingSlash(String),
    /// `/a//b`: an empty segment anywhere but at the end.
    #[error("route pattern {0:?} has an empty segment ('//')")]
    EmptySegment(String),
    /// `/a/:` or `/a/*`: a wildcard needs a name to be read back with `c.param(name)`.
    #[error("route pattern {0:?} has a wildcard without a name")]
    UnnamedWildcard(String),
    /// `/a/*rest/b`: nothing can follow a catch-all, it already took the rest of the path.
    #[error("route pattern {0:?}: a catch-all '*' must be the last segment")]
    CatchAllNotLast(String),
    /// `/a:b` or `/a/:b:c`: ':' and '*' may only start a segment.
    #[error("route pattern {0:?}: ':' and '*' may only start a segment")]
    MisplacedWildcard(String),
    /// `/a/:id/:id`: two parameters with one name could not both be read back.
    #[error("route pattern {0:?} uses the parameter name {1:?} twice")]
    DuplicateName(String, String),
}

/// Why a route cannot go into the tree: it would collide with one already there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConflictError {
    /// The same pattern (for the same method) twice.
    #[error("route {0:?} is already registered")]
    Duplicate(String),
    /// `/a/:x` and `/a/:y`: the same position, two names; a request could not say which.
    #[error(
        "route {new:?} conflicts with {existing:?}: ':{new_name}' and ':{existing_name}' at the same position"
    )]
    ParamName {
        /// The pattern being registered.
        new: String,
        /// The pattern that owns the parameter already.
        existing: String,
        /// Its parameter name.
        new_name: String,
        /// The existing parameter name.
        existing_name: String,
    },
    /// Two catch-alls at the same position.
    #[error("route {new:?} conflicts with {existing:?}: two catch-alls at the same position")]
    CatchAll {
        /// The pattern being registered.
        new: String,
        /// The pattern that owns the catch-all already.
        existing: String,
    },
}

// ANCHOR: parse_pattern
/// Splits a pattern into segments and checks it: `/p/:name/*rest` → `[p, :name, *rest]`.
///
/// The Go original silently dropped everything after the first `*` segment (`/p/*name/*`
/// became `/p/*name`); here that is an error, like every other malformed pattern.
pub fn parse_pattern(pattern: &str) -> Result<Vec<Segment<'_>>, PatternError> {
    // ANCHOR: ex_parse_pattern
    let err = || pattern.to_owned();
    let rest = pattern
        .strip_prefix('/')
        .ok_or_else(|| PatternError::NoLeadingSlash(err()))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let segment = if let Some(name) = part.strip_prefix(':') {
            Segment::Param(name)
        } else if let Some(name) = part.strip_prefix('*') {
            if !last {
                return Err(PatternError::CatchAllNotLast(err()));
            }
            Segment::CatchAll(name)
        } else {
            if part.is_empty() && !last {
                return Err(PatternError::EmptySegment(err()));
            }
            Segment::Static(part)
        };
        if let Segment::Param(name) | Segment::CatchAll(name) = segment {
            if name.is_empty() {
                return Err(PatternError::UnnamedWildcard(err()));
            }
            if segments
                .iter()
                .any(|s| matches!(s, Segment::Param(n) if *n == name))
            {
                return Err(PatternError::DuplicateName(err(), name.to_owned()));
            }
        }
        let text = match segment {
            Segment::Static(s) => s,
            Segment::Param(n) | Segment::CatchAll(n) => n,
        };
        if text.contains([':', '*']) {
            return Err(PatternError::MisplacedWildcard(err()));
        }
        segments.push(segment);
    }
    Ok(segments)
    // ANCHOR_END: ex_parse_pattern
}
// ANCHOR_END: parse_pattern

/// The byte a static segment is indexed by: its first, or `/` for the empty segment.
fn first_byte(segment: &str) -> u8 {
    segment.as_bytes().first().copied().unwrap_or(b'/')
}

/// What a node stores for the route that ends there: its pattern (for error messages and
/// `c.full_path()`) and the caller's value (the engine stores a route index).
#[derive(Debug, Clone)]
pub struct Leaf<T> {
    /// The pattern as registered, e.g. `/hello/:name`.
    pub pattern: Box<str>,
    /// The value registered with it.
    pub value: T,
}

/// The `:param` child of a node: its name, the pattern that introduced it, and its subtree.
#[derive(Debug, Clone)]
struct ParamChild<T> {
    name: Box<str>,
    first_pattern: Box<str>,
    node: Node<T>,
}

/// The `*catch-all` child of a node: always a leaf.
#[derive(Debug, Clone)]
struct CatchAllChild<T> {
    name: Box<str>,
    leaf: Leaf<T>,
}

/// One node of the trie: the routes whose pattern has walked to here.
///
/// The three kinds of children are kept apart, which is the whole fix over the Go version:
/// exact segments in `statics`, at most one `:param`, at most one `*catch-all`.
#[derive(Debug, Clone)]
pub struct Node<T> {
    /// The first byte of each static child's text (`/` for the empty segment, which no real
    /// segment starts with), scanned before comparing whole segments: matchit's trick.
    first_bytes: Vec<u8>,
    statics: Vec<(Box<str>, Node<T>)>,
    /// How many routes pass through this node; busier static siblings are tried first.
    weight: usize,
    param: Option<Box<ParamChild<T>>>,
    catch_all: Option<Box<CatchAllChild<T>>>,
    leaf: Option<Leaf<T>>,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            first_bytes: Vec::new(),
            statics: Vec::new(),
            weight: 0,
            param: None,
            catch_all: None,
            leaf: None,
        }
    }
}

impl<T> Node<T> {
    /// An empty tree: the root, matching nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    // ANCHOR: insert
    /// Adds the route `pattern` (already split by [`parse_pattern`]) with its value.
    ///
    /// Fails, leaving the tree unchanged, when the route would be ambiguous with one already
    /// registered: the same pattern, a parameter of another name at the same place, or a
    /// second catch-all.
    pub fn insert(
        &mut self,
        pattern: &str,
        segments: &[Segment<'_>],
        value: T,
    ) -> Result<(), ConflictError> {
        // Check first, then write: a failed insert must not leave half a route behind.
        self.check_insert(pattern, segments)?;
        let mut node = self;
        for segment in segments {
            node = match *segment {
                Segment::Static(text) => {
                    let mut at = match node.statics.iter().position(|(s, _)| &**s == text) {
                        Some(at) => at,
                        None => {
                            node.first_bytes.push(first_byte(text));
                            node.statics.push((text.into(), Node::new()));
                            node.statics.len() - 1
                        }
                    };
                    // Keep the busiest children first: lookup tries them in order.
                    node.statics[at].1.weight += 1;
                    while at > 0 && node.statics[at - 1].1.weight < node.statics[at].1.weight {
                        node.statics.swap(at - 1, at);
                        node.first_bytes.swap(at - 1, at);
                        at -= 1;
                    }
                    &mut node.statics[at].1
                }
                Segment::Param(name) => {
                    let child = node.param.get_or_insert_with(|| {
                        Box::new(ParamChild {
                            name: name.into(),
                            first_pattern: pattern.into(),
                            node: Node::new(),
                        })
                    });
                    &mut child.node
                }
                Segment::CatchAll(name) => {
                    node.catch_all = Some(Box::new(CatchAllChild {
                        name: name.into(),
                        leaf: Leaf {
                            pattern: pattern.into(),
                            value,
                        },
                    }));
                    return Ok(());
                }
            };
        }
        node.leaf = Some(Leaf {
            pattern: pattern.into(),
            value,
        });
        Ok(())
    }
    // ANCHOR_END: insert

    /// Walks the route's path and reports the first collision, without changing anything.
    fn check_insert(&self, pattern: &str, segments: &[Segment<'_>]) -> Result<(), ConflictError> {
        let mut node = Some(self);
        for segment in segments {
            let Some(current) = node else { return Ok(()) };
            node = match *segment {
                Segment::Static(text) => current
                    .statics
                    .iter()
                    .find(|(s, _)| &**s == text)
                    .map(|(_, n)| n),
                Segment::Param(name) => match &current.param {
                    Some(p) if &*p.name != name => {
                        return Err(ConflictError::ParamName {
                            new: pattern.to_owned(),
                            existing: p.first_pattern.to_string(),
                            new_name: name.to_owned(),
                            existing_name: p.name.to_string(),
                        });
                    }
                    Some(p) => Some(&p.node),
                    None => None,
                },
                Segment::CatchAll(name) => {
                    return match &current.catch_all {
                        Some(c) if &*c.name == name && *c.leaf.pattern == *pattern => {
                            Err(ConflictError::Duplicate(pattern.to_owned()))
                        }
                        Some(c) => Err(ConflictError::CatchAll {
                            new: pattern.to_owned(),
                            existing: c.leaf.pattern.to_string(),
                        }),
                        None => Ok(()),
                    };
                }
            };
        }
        match node.and_then(|n| n.leaf.as_ref()) {
            Some(_) => Err(ConflictError::Duplicate(pattern.to_owned())),
            None => Ok(()),
        }
    }

    // ANCHOR: lookup
    /// Finds the route matching `path` (which starts with '/'), filling `params` with the
    /// captured ranges. Static segments are tried first, then the `:param`, then the
    /// `*catch-all`, backing up when a branch leads nowhere.
    pub fn at(&self, path: &str, params: &mut Params) -> Option<&Leaf<T>> {
        if path.len() > u32::MAX as usize {
            return None;
        }
        let rest = path.strip_prefix('/')?;
        let saved = params.len();
        let found = self.find(rest, path.len() - rest.len(), params);
        if found.is_none() {
            params.truncate(saved);
        }
        found
    }

    /// Matches `rest` (the path after the segments matched so far, which began at byte
    /// `offset` of the full path) against this node's children.
    ///
    /// Backing up needs recursion: a frame must survive to try the next kind of child. But
    /// most nodes offer no second choice, and there the walk simply moves down in a loop,
    /// which is what makes lookups cheap. A failed branch may leave parameters behind; the
    /// frame that tries the next alternative truncates them.
    fn find(&self, rest: &str, offset: usize, params: &mut Params) -> Option<&Leaf<T>> {
        // ANCHOR: ex_find
        let (mut node, mut rest, mut offset) = (self, rest, offset);
        loop {
            let (segment, tail) = match rest.bytes().position(|b| b == b'/') {
                Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
                None => (rest, None),
            };
            let next = offset + segment.len() + 1;
            // 1. An exact segment always wins...
            if let Some(child) = node.static_child(segment) {
                let fallback = node.param.is_some() || node.catch_all.is_some();
                match tail {
                    None if !fallback => return child.leaf.as_ref(),
                    Some(tail) if !fallback => {
                        (node, rest, offset) = (child, tail, next);
                        continue;
                    }
                    _ => {
                        if let Some(leaf) = child.descend(tail, next, params) {
                            return Some(leaf);
                        }
                    }
                }
            }
            // 2. ... then a parameter, which takes any one non-empty segment ...
            if let Some(param) = &node.param
                && !segment.is_empty()
            {
                let saved = params.len();
                params.push((offset, offset + segment.len()));
                match tail {
                    None if node.catch_all.is_none() => return param.node.leaf.as_ref(),
                    Some(tail) if node.catch_all.is_none() => {
                        (node, rest, offset) = (&param.node, tail, next);
                        continue;
                    }
                    _ => {
                        if let Some(leaf) = param.node.descend(tail, next, params) {
                            return Some(leaf);
                        }
                    }
                }
                params.truncate(saved);
            }
            // 3. ... and a catch-all takes whatever is left, if anything is.
            if let Some(catch_all) = &node.catch_all
                && !rest.is_empty()
            {
                params.push((offset, offset + rest.len()));
                return Some(&catch_all.leaf);
            }
            return None;
        }
        // ANCHOR_END: ex_find
    }

    /// The static child whose text is exactly `segment`: first bytes first, then lengths
    /// (stored next to the text's pointer), and only then the bytes themselves.
    fn static_child(&self, segment: &str) -> Option<&Node<T>> {
        let first = first_byte(segment);
        self.first_bytes
            .iter()
            .zip(&self.statics)
            .find(|(byte, (text, _))| {
                **byte == first && text.len() == segment.len() && **text == *segment
            })
            .map(|(_, (_, child))| child)
    }
    // ANCHOR_END: lookup

    /// Continues the match below this node, or stops here when no segment remains.
    fn descend(&self, tail: Option<&str>, offset: usize, params: &mut Params) -> Option<&Leaf<T>> {
        match tail {
            None => self.leaf.as_ref(),
            Some(tail) => self.find(tail, offset, params),
        }
    }

    /// Every route in the tree, depth first (the Go `travel`); used by tests and route lists.
    pub fn patterns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'n>(&'n self, out: &mut Vec<&'n str>) {
        if let Some(leaf) = &self.leaf {
            out.push(&leaf.pattern);
        }
        for (_, child) in &self.statics {
            child.collect(out);
        }
        if let Some(param) = &self.param {
            param.node.collect(out);
        }
        if let Some(catch_all) = &self.catch_all {
            out.push(&catch_all.leaf.pattern);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(patterns: &[&str]) -> Node<usize> {
        let mut root = Node::new();
        for (i, p) in patterns.iter().enumerate() {
            root.insert(p, &parse_pattern(p).unwrap(), i).unwrap();
        }
        root
    }

    fn matched<'t>(root: &'t Node<usize>, path: &'t str) -> Option<(&'t str, Vec<&'t str>)> {
        let mut params = Params::new();
        let leaf = root.at(path, &mut params)?;
        let values = (0..params.len())
            .map(|i| params.value(path, i).unwrap())
            .collect();
        Some((&leaf.pattern, values))
    }

    #[test]
    fn parse_pattern_like_the_go_tests() {
        use Segment::*;
        assert_eq!(
            parse_pattern("/p/:name").unwrap(),
            [Static("p"), Param("name")]
        );
        assert_eq!(
            parse_pattern("/p/*name").unwrap(),
            [Static("p"), CatchAll("name")]
        );
        assert_eq!(parse_pattern("/").unwrap(), [Static("")]);
        assert_eq!(parse_pattern("/v1/").unwrap(), [Static("v1"), Static("")]);
    }

    #[test]
    fn params_spill_past_the_inline_capacity() {
        let pattern = "/:a/:b/:c/:d/:e/:f/:g/:h";
        let root = tree(&[pattern]);
        let (p, values) = matched(&root, "/1/2/3/4/5/6/7/8").unwrap();
        assert_eq!(p, pattern);
        assert_eq!(values, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    }

    #[test]
    fn a_failed_param_branch_falls_back_to_the_catch_all() {
        let root = tree(&["/f/*rest", "/f/:x/y", "/f/s/t"]);
        assert_eq!(matched(&root, "/f/1/y").unwrap(), ("/f/:x/y", vec!["1"]));
        assert_eq!(matched(&root, "/f/1/z").unwrap(), ("/f/*rest", vec!["1/z"]));
        assert_eq!(matched(&root, "/f/s/t").unwrap(), ("/f/s/t", vec![]));
        assert_eq!(matched(&root, "/f/s/y").unwrap(), ("/f/:x/y", vec!["s"]));
        assert_eq!(matched(&root, "/f/s/u").unwrap(), ("/f/*rest", vec!["s/u"]));
        let mut params = Params::new();
        assert!(root.at("/g/1", &mut params).is_none());
        assert!(params.is_empty(), "a miss leaves no parameters behind");
    }

    #[test]
    fn busier_static_siblings_come_first_but_all_match() {
        let root = tree(&["/a", "/b/1", "/b/2", "/b/3", "/c"]);
        assert_eq!(&*root.statics[0].0, "b");
        for path in ["/a", "/b/1", "/b/3", "/c"] {
            assert_eq!(matched(&root, path).unwrap().0, path);
        }
    }

    #[test]
    fn backtracking_restores_params() {
        let root = tree(&["/:a/x/:b", "/:a/y"]);
        assert_eq!(matched(&root, "/1/y").unwrap(), ("/:a/y", vec!["1"]));
        assert_eq!(
            matched(&root, "/1/x/2").unwrap(),
            ("/:a/x/:b", vec!["1", "2"])
        );
    }
}

//! Day 6 — Discovery: where the servers are, and which one to use next.
//!
//! A [`Discovery`] answers two questions: "give me one server" (chosen by a
//! [`SelectMode`]) and "give me all of them" (for a broadcast). Day 6's
//! [`MultiServersDiscovery`] holds a list you set by hand; day 7 fills the same trait from a
//! registry. The methods return futures because a real discovery asks the network.

use std::sync::{Mutex, MutexGuard, PoisonError};

use futures_util::future::BoxFuture;
use rand::Rng;

use crate::error::{Error, Result};

/// How to pick one server among several.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectMode {
    /// Any server, uniformly at random.
    Random,
    /// Each server in turn.
    RoundRobin,
}

/// A source of server addresses (`protocol@addr`, as [`x_dial`](crate::http::x_dial) takes).
pub trait Discovery: Send + Sync + 'static {
    /// Fetches the list anew, if this discovery has a source.
    fn refresh(&self) -> BoxFuture<'_, Result<()>>;
    /// Replaces the list.
    fn update(&self, servers: Vec<String>);
    /// One server, chosen by `mode`.
    fn get(&self, mode: SelectMode) -> BoxFuture<'_, Result<String>>;
    /// Every server.
    fn get_all(&self) -> BoxFuture<'_, Result<Vec<String>>>;
}

#[derive(Debug, Default)]
struct List {
    servers: Vec<String>,
    index: usize,
}

/// A discovery over a list set by hand (Go's `MultiServersDiscovery`).
#[derive(Debug, Default)]
pub struct MultiServersDiscovery {
    list: Mutex<List>,
}

impl MultiServersDiscovery {
    /// A discovery over `servers`; round-robin starts at a random place, so that many
    /// clients do not all hit the first server first.
    pub fn new(servers: Vec<String>) -> Self {
        let index = rand::rng().random_range(0..u32::MAX as usize);
        MultiServersDiscovery {
            list: Mutex::new(List { servers, index }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, List> {
        self.list.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: pick
    /// One server by `mode`, without waiting.
    pub fn pick(&self, mode: SelectMode) -> Result<String> {
        // ANCHOR: ex_pick
        let mut list = self.lock();
        let n = list.servers.len();
        if n == 0 {
            return Err(Error::Discovery("no available servers".into()));
        }
        let i = match mode {
            SelectMode::Random => rand::rng().random_range(0..n),
            SelectMode::RoundRobin => {
                let i = list.index % n;
                list.index = (i + 1) % n;
                i
            }
        };
        Ok(list.servers[i].clone())
        // ANCHOR_END: ex_pick
    }
    // ANCHOR_END: pick

    /// A copy of the list.
    pub fn all(&self) -> Vec<String> {
        self.lock().servers.clone()
    }

    /// Replaces the list.
    pub fn set(&self, servers: Vec<String>) {
        self.lock().servers = servers;
    }
}

impl Discovery for MultiServersDiscovery {
    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }

    fn update(&self, servers: Vec<String>) {
        self.set(servers);
    }

    fn get(&self, mode: SelectMode) -> BoxFuture<'_, Result<String>> {
        let server = self.pick(mode);
        Box::pin(async move { server })
    }

    fn get_all(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        let servers = self.all();
        Box::pin(async move { Ok(servers) })
    }
}

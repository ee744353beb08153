//! Day 7 — Discovery from the registry: the server list, fetched and cached.
//!
//! [`RegistryDiscovery`] is day 6's [`MultiServersDiscovery`] with a source: before handing
//! out a server it refreshes the list from the registry's `X-Geerpc-Servers` header if the
//! list is older than `update_every` (10 s by default, as in Go).
//!
//! Two of Go's choices are reversed. The HTTP request is made with no lock held (Go held the
//! discovery's mutex across the GET, so every call waited on the registry), and a failed
//! refresh keeps the last good list instead of failing the call: a registry restarting for a
//! few seconds should not take the whole system down with it.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use http::Request;
use http_body_util::{BodyExt, Empty};
use tokio::time::Instant;

use super::discovery::{Discovery, MultiServersDiscovery, SelectMode};
use crate::error::{Error, Result};
use crate::registry::{REQUEST_TIMEOUT, SERVERS_HEADER, http_client};

/// How long a fetched list is used before asking the registry again.
pub const DEFAULT_UPDATE_EVERY: Duration = Duration::from_secs(10);

/// A discovery fed by a registry (Go's `GeeRegistryDiscovery`).
#[derive(Debug)]
pub struct RegistryDiscovery {
    servers: MultiServersDiscovery,
    registry_url: String,
    update_every: Duration,
    last_update: Mutex<Option<Instant>>,
}

impl RegistryDiscovery {
    /// A discovery asking `registry_url` at most every `update_every` (zero: 10 s).
    pub fn new(registry_url: &str, update_every: Duration) -> Self {
        RegistryDiscovery {
            servers: MultiServersDiscovery::new(Vec::new()),
            registry_url: registry_url.to_string(),
            update_every: if update_every.is_zero() {
                DEFAULT_UPDATE_EVERY
            } else {
                update_every
            },
            last_update: Mutex::new(None),
        }
    }

    /// Asks the registry for the list.
    async fn fetch(&self) -> Result<Vec<String>> {
        let request = Request::get(&self.registry_url)
            .body(Empty::new())
            .map_err(|e| Error::Registry(e.to_string()))?;
        let exchange = async {
            let response = http_client()
                .request(request)
                .await
                .map_err(|e| Error::Registry(e.to_string()))?;
            let status = response.status();
            let list = response
                .headers()
                .get(SERVERS_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            response
                .into_body()
                .collect()
                .await
                .map_err(|e| Error::Registry(e.to_string()))?;
            if !status.is_success() {
                return Err(Error::Registry(format!("registry answered {status}")));
            }
            Ok(list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect())
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .unwrap_or(Err(Error::Registry("registry request timed out".into())))
    }

    // ANCHOR: refresh
    async fn refresh_if_stale(&self) -> Result<()> {
        // ANCHOR: ex_refresh
        let stale = {
            let last = self
                .last_update
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            last.is_none_or(|at| at.elapsed() >= self.update_every)
        };
        if !stale {
            return Ok(());
        }
        match self.fetch().await {
            Ok(servers) => {
                self.servers.set(servers);
                *self
                    .last_update
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                Ok(())
            }
            Err(e) if !self.servers.all().is_empty() => {
                tracing::warn!("rpc discovery: keeping the last list, refresh failed: {e}");
                Ok(())
            }
            Err(e) => Err(e),
        }
        // ANCHOR_END: ex_refresh
    }
    // ANCHOR_END: refresh
}

impl Discovery for RegistryDiscovery {
    fn refresh(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(self.refresh_if_stale())
    }

    fn update(&self, servers: Vec<String>) {
        self.servers.set(servers);
        *self
            .last_update
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    fn get(&self, mode: SelectMode) -> BoxFuture<'_, Result<String>> {
        Box::pin(async move {
            self.refresh_if_stale().await?;
            self.servers.pick(mode)
        })
    }

    fn get_all(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            self.refresh_if_stale().await?;
            Ok(self.servers.all())
        })
    }
}

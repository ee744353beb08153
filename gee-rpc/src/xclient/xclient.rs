//! Day 6 — The load-balancing client: one connection per server, calls spread over them.
//!
//! An [`XClient`] asks its [`Discovery`] for a server, reuses the connection it already has
//! to it (dialing one if not, or if the old one died), and makes the call. A server that
//! cannot be reached is skipped: the call moves on to the next one, each tried at most once.
//! [`XClient::broadcast`] calls every server at once; the first error wins and cancels the
//! others (dropping a call frees its slot), otherwise the first reply is returned.
//!
//! Dialing happens **outside** the lock on the connection map. Go's `XClient.dial` held its
//! mutex while dialing, so one slow or dead server (up to the 10 s connect timeout) stalled
//! every call to every other server.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::discovery::{Discovery, SelectMode};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::x_dial;
use crate::option::Options;

/// A client over many servers (Go's `xclient.XClient`).
pub struct XClient<D> {
    discovery: D,
    mode: SelectMode,
    opt: Options,
    clients: Mutex<HashMap<String, Client>>,
}

impl<D> std::fmt::Debug for XClient<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XClient")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<D: Discovery> XClient<D> {
    /// A client choosing servers from `discovery` by `mode`, dialing with `opt`.
    pub fn new(discovery: D, mode: SelectMode, opt: Options) -> Self {
        XClient {
            discovery,
            mode,
            opt,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The discovery in use.
    pub fn discovery(&self) -> &D {
        &self.discovery
    }

    fn clients(&self) -> MutexGuard<'_, HashMap<String, Client>> {
        self.clients.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes every connection.
    pub fn close(&self) {
        for (_, client) in self.clients().drain() {
            client.close();
        }
    }

    /// Calls waiting for a reply, over all connections (dropped calls are not counted).
    pub fn pending_calls(&self) -> usize {
        self.clients().values().map(Client::pending_calls).sum()
    }

    // ANCHOR: dial
    /// The connection to `rpc_addr`: the cached one if it is alive, else a new one. The map
    /// is locked only to look and to insert, never while dialing.
    async fn dial(&self, rpc_addr: &str) -> Result<Client> {
        // ANCHOR: ex_dial
        if let Some(client) = self.clients().get(rpc_addr)
            && client.is_available()
        {
            return Ok(client.clone());
        }
        let client = x_dial(rpc_addr, self.opt.clone()).await?;
        let mut clients = self.clients();
        if let Some(existing) = clients.get(rpc_addr)
            && existing.is_available()
        {
            // Another call dialed meanwhile: keep one connection per server.
            client.close();
            return Ok(existing.clone());
        }
        clients.insert(rpc_addr.to_string(), client.clone());
        Ok(client)
        // ANCHOR_END: ex_dial
    }
    // ANCHOR_END: dial

    // ANCHOR: call
    /// Calls one server chosen by the select mode. A server that cannot be dialed is
    /// skipped for the next; each is tried at most once.
    pub async fn call<A, R>(&self, service_method: &str, args: &A) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let first = self.discovery.get(self.mode).await?;
        let mut candidates = vec![first.clone()];
        candidates.extend(
            self.discovery
                .get_all()
                .await?
                .into_iter()
                .filter(|s| *s != first),
        );
        let mut last_error = None;
        for addr in candidates {
            match self.dial(&addr).await {
                Ok(client) => return client.call(service_method, args).await,
                Err(e) => {
                    tracing::warn!("rpc xclient: skipping {addr}: {e}");
                    last_error = Some(e);
                }
            }
        }
        Err(last_error.unwrap_or_else(|| Error::Discovery("no available servers".into())))
    }
    // ANCHOR_END: call

    /// [`XClient::call`] within `limit`.
    pub async fn call_timeout<A, R>(
        &self,
        limit: Duration,
        service_method: &str,
        args: &A,
    ) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        crate::timeout::call_within(limit, self.call(service_method, args)).await
    }

    // ANCHOR: broadcast
    /// Calls every server at once. The first error is returned and the other calls are
    /// cancelled; otherwise the first reply is.
    pub async fn broadcast<A, R>(&self, service_method: &str, args: &A) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let servers = self.discovery.get_all().await?;
        if servers.is_empty() {
            return Err(Error::Discovery("no available servers".into()));
        }
        // ANCHOR: ex_broadcast
        let mut calls: FuturesUnordered<_> = servers
            .iter()
            .map(|addr| async move {
                let client = self.dial(addr).await?;
                client.call::<A, R>(service_method, args).await
            })
            .collect();
        let mut reply = None;
        while let Some(result) = calls.next().await {
            match result {
                // Returning drops `calls`: every call still running is cancelled.
                Err(e) => return Err(e),
                Ok(r) => {
                    reply.get_or_insert(r);
                }
            }
        }
        reply.ok_or_else(|| Error::Discovery("no available servers".into()))
        // ANCHOR_END: ex_broadcast
    }
    // ANCHOR_END: broadcast

    /// [`XClient::broadcast`] within `limit`; on timeout every call is cancelled.
    pub async fn broadcast_timeout<A, R>(
        &self,
        limit: Duration,
        service_method: &str,
        args: &A,
    ) -> Result<R>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        crate::timeout::call_within(limit, self.broadcast(service_method, args)).await
    }
}

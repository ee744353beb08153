//! Day 4 — Timeouts: on connecting, on a call, and on handling a call.
//!
//! Three deadlines, three owners:
//!
//! | deadline | who sets it | what happens when it passes |
//! |---|---|---|
//! | connect | the client (`Options::connect_timeout`) | the dial is dropped: no half-made client lingers |
//! | call | the caller ([`Client::call_timeout`]) | the call leaves the pending table; a late reply is discarded |
//! | handle | the client, for the server (`Options::handle_timeout`) | the server answers with an error and **drops** the method's future |
//!
//! In Go each of these needed a goroutine, a channel and a `select`, and two of them leaked:
//! the connect goroutine blocked forever on an unbuffered channel after a timeout, and so did
//! the handler goroutine (it kept running and then waited for a receiver that had left). In
//! async Rust a timeout is `tokio::time::timeout` around a future, and losing the race
//! *drops* the future: its task, its sockets and its pending entry go with it. (Work a
//! handler moved to `spawn_blocking` is the exception: a thread cannot be cancelled.)

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::Client;
use crate::error::{Error, Result};
use crate::option::Options;
use crate::server::Reply;

// ANCHOR: handle_within
/// Runs a handler's future within `limit` (zero means no limit). On timeout the future is
/// dropped, which cancels it, and the reply is Go's error text.
pub async fn handle_within(limit: Duration, handler: impl Future<Output = Reply>) -> Reply {
    // ANCHOR: ex_handle_within
    if limit.is_zero() {
        return handler.await;
    }
    match tokio::time::timeout(limit, handler).await {
        Ok(reply) => reply,
        Err(_) => Err(format!(
            "rpc server: request handle timeout: expect within {limit:?}"
        )),
    }
    // ANCHOR_END: ex_handle_within
}
// ANCHOR_END: handle_within

// ANCHOR: connect_within
/// Runs a connect future within `limit` (zero means no limit). On timeout the future is
/// dropped, with whatever socket or client it had made so far.
pub async fn connect_within<T>(
    limit: Duration,
    connect: impl Future<Output = Result<T>>,
) -> Result<T> {
    if limit.is_zero() {
        return connect.await;
    }
    tokio::time::timeout(limit, connect)
        .await
        .unwrap_or(Err(Error::Timeout {
            what: "connect",
            limit,
        }))
}
// ANCHOR_END: connect_within

/// Runs a call future within `limit`; on timeout the future is dropped (with the calls it
/// was making) and the error is a call timeout. The load-balanced client's `call_timeout`
/// and `broadcast_timeout` (day 6) share it.
pub async fn call_within<T>(limit: Duration, call: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(Error::Timeout {
            what: "call",
            limit,
        }))
}

impl Client {
    /// Dials like [`Client::dial`], within the Option's `connect_timeout` (Go's
    /// `dialTimeout`).
    pub async fn dial_timeout(addr: &str, opt: Options) -> Result<Client> {
        connect_within(opt.connect_timeout, Client::dial(addr, opt.clone())).await
    }

    // ANCHOR: call_timeout
    /// Calls like [`Client::call`], giving up after `limit` (Go's `Call(ctx, ...)` with a
    /// deadline). The abandoned call leaves the pending table at once.
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
        // ANCHOR: ex_call_timeout
        match tokio::time::timeout(limit, self.go(service_method, args)).await {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                what: "call",
                limit,
            }),
        }
        // ANCHOR_END: ex_call_timeout
    }
    // ANCHOR_END: call_timeout
}

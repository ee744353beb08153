//! Day 3 — dispatch: how one request finds its command and runs against the database.
//!
//! [`crate::Server`] is what day 2's connection loop hands every request to: this module
//! implements day 2's [`Executor`] for it. For each request [`dispatch`] finds the command
//! in the table ([`super::lookup_indexed`]), checks authentication and the argument count
//! with Redis's exact error words, locks the shards of the keys the command's table entry
//! names ([`crate::db::Db::lock`]), and runs it. All of that is read from the command
//! table, so the database itself never needs to know a command's name.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::{Ctx, Keys, NO_AUTH};
use crate::connection::{Conn, Executor, Flow, OutputLimit};
use crate::db::clients::Client;
use crate::db::{Server, Session, now_ms};
use crate::resp::{Output, ReplyWriter};

// ANCHOR: dispatch
/// Runs one request for `session` on `server`, appending the reply to `out`.
pub fn dispatch(server: &Server, session: &mut Session, args: &[Bytes], out: &mut Output) -> Flow {
    // Day 6: every command takes a shared turn at the EXEC gate; EXEC runs alone.
    let _turn = super::tx::turn(server, session);
    session.command_ran = false;
    let Some((index, command)) = super::lookup_indexed(&args[0]) else {
        out.error(&super::unknown_command_message(args));
        return Flow::Continue;
    };
    // ANCHOR: ex_dispatch
    if !session.authenticated && command.flags & NO_AUTH == 0 {
        out.error("NOAUTH Authentication required.");
        return Flow::Continue;
    }
    let argc = args.len() as i32;
    if (command.arity > 0 && argc != command.arity) || argc < -command.arity {
        out.error(&format!(
            "ERR wrong number of arguments for '{}' command",
            command.name
        ));
        return Flow::Continue;
    }
    // Day 3: what CLIENT LIST shows about this client.
    let sub = (args.len() > 1 && super::client::HAS_SUBCOMMANDS.contains(&command.name))
        .then(|| args[1].as_ref());
    // One clock read per batch of pipelined requests (see `batch_started`) serves this
    // record and the TTL checks below; outside a batch, one per command.
    let now = session.batch_time.unwrap_or_else(now_ms);
    session
        .client
        .record(command.name, sub, out.protocol(), now);
    // Day 3: CLIENT PAUSE holds this command until the pause ends (see `pause`).
    if let Some(flow) = super::pause::hold(server, session, command, args) {
        return flow;
    }
    let Some(db) = server.db(session.db) else {
        out.error("ERR DB index is out of range");
        return Flow::Continue;
    };
    // Day 5: cross-database writers hold the AOF's order lock (see aof::propagate).
    let _order = crate::aof::propagate::order_guard(server, command);
    let mut locked = match command.keys {
        Keys::None => db.lock(std::iter::empty(), now),
        Keys::All => db.lock_all(now),
        Keys::Range(first, last, step) => db.lock(key_args(args, first, last, step), now),
    };
    locked.count_reads = command.flags & super::READONLY != 0; // Day 3: keyspace_hits/misses
    let reply_mark = out.len(); // Day 3: CLIENT REPLY OFF|SKIP drops the reply.
    session.changes = None;
    let mut ctx = Ctx {
        db: locked,
        out,
        session,
        server,
    };
    let flow = match (command.run)(&mut ctx, args) {
        Ok(flow) => flow,
        Err(err) => {
            ctx.out.error(&err.to_string());
            Flow::Continue
        }
    };
    // ANCHOR_END: ex_dispatch
    // Day 3: INFO's counts. As in Redis, a command counts once it has run (so INFO's own
    // call is not in the figures it shows), and a refused one only as a rejected call.
    ctx.session.command_ran = true;
    // Day 4: a command that blocked (BLPOP with nothing to pop) counts once, when it is
    // served, times out or is unblocked (see `blocking::wait`), not at every look.
    let blocked = flow == Flow::Wait && ctx.session.blocked.is_some();
    if !blocked {
        server.stats.count_answered(index, &ctx.out[reply_mark..]);
    }
    // Day 5: count a write for the save points and INFO (while its keys are still locked,
    // so a snapshot's count matches its contents).
    if command.flags & super::WRITE != 0 {
        server.rdb.add_changes(ctx.session.changes.unwrap_or(1));
    }
    // Day 5: log the change to the AOF while the keys are still locked (it reads the
    // reply, so this comes before CLIENT REPLY may drop it).
    crate::aof::propagate::after_command(&mut ctx, command, args, reply_mark, flow);
    if !ctx.session.tx.executing {
        // Day 3: CLIENT REPLY OFF|SKIP (inside EXEC, the EXEC reply as a whole is what counts).
        super::client::after_command(ctx.session, args, ctx.out, reply_mark);
    }
    super::monitor::feed(server, ctx.session, command, args); // Day 3: MONITOR
    // Day 6: a write makes the EXEC of the clients WATCHing its keys fail.
    super::tx::touch_watched(server, ctx.session.db, command, args, flow);
    over_output_limit(server, ctx.out).unwrap_or(flow)
}
// ANCHOR_END: dispatch

/// `client-output-buffer-limit normal <hard> ...`: a client whose unsent replies pass the
/// hard limit is disconnected, its replies dropped, as Redis does. Only replies past a few
/// kilobytes are worth the look at the configuration.
fn over_output_limit(server: &Server, out: &mut Output) -> Option<Flow> {
    if out.len() < 4096 {
        return None;
    }
    let hard = server.config.read().output_limit_normal;
    if hard == 0 || out.len() as u64 <= hard {
        return None;
    }
    tracing::debug!("client over client-output-buffer-limit normal: closing it");
    out.clear();
    Some(Flow::Close)
}

/// The key arguments named by a `(first, last, step)` key spec; `last < 0` counts from
/// the end, as in Redis's command table.
pub fn key_args(args: &[Bytes], first: i32, last: i32, step: usize) -> impl Iterator<Item = &[u8]> {
    let len = args.len() as i32;
    let last = if last < 0 {
        len + last
    } else {
        last.min(len - 1)
    };
    let first = first.max(1);
    (first..=last)
        .step_by(step.max(1))
        .filter_map(move |i| args.get(i as usize).map(|a| a.as_ref()))
}

/// Every command called (or refused, or failed) at least once, with its position in the
/// command table and its call count (INFO commandstats).
pub fn command_calls(server: &Server) -> Vec<(usize, &'static super::Command, u64)> {
    let stats = &server.stats;
    super::all_commands()
        .enumerate()
        .map(|(i, c)| {
            (
                i,
                c,
                stats.calls.get(i).map_or(0, |n| n.load(Ordering::Relaxed)),
            )
        })
        .filter(|&(i, _, calls)| {
            let any = |counters: &[std::sync::atomic::AtomicU64]| {
                counters
                    .get(i)
                    .is_some_and(|n| n.load(Ordering::Relaxed) > 0)
            };
            calls > 0 || any(&stats.rejected_calls) || any(&stats.failed_calls)
        })
        .collect()
}

impl Executor for Server {
    type Session = Session;

    fn open_session(&self, stream: &TcpStream) -> Result<Session, String> {
        // Redis answers a client past `maxclients` and closes it (it does not leave it
        // waiting): read per connection, so CONFIG SET maxclients takes effect at once.
        let connected = self.stats.connected_clients.fetch_add(1, Ordering::Relaxed) + 1;
        if connected > self.config.read().maxclients {
            self.stats.connected_clients.fetch_sub(1, Ordering::Relaxed);
            self.stats
                .rejected_connections
                .fetch_add(1, Ordering::Relaxed);
            return Err("ERR max number of clients reached".into());
        }
        self.stats.total_connections.fetch_add(1, Ordering::Relaxed);
        let id = self.stats.next_client_id();
        let addr = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        // Day 3: register the client for CLIENT LIST / KILL.
        let laddr = stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let fd = {
            use std::os::fd::AsRawFd;
            i64::from(stream.as_raw_fd())
        };
        let client = std::sync::Arc::new(Client::new(id, addr.clone(), laddr, fd));
        self.clients.register(client.clone());
        Ok(Session::new(
            client,
            self.config.read().requirepass.is_none(),
        ))
    }

    fn connection_token(
        &self,
        session: &Session,
        shutdown: CancellationToken,
    ) -> CancellationToken {
        // Day 3: CLIENT KILL ends this connection through a token of its own.
        let token = shutdown.child_token();
        session.client.set_closer(token.clone());
        token
    }

    fn batch_started(&self, session: &mut Session) {
        // Requests read together are run as if they arrived at the same instant (they
        // did, within microseconds): the clock is read once per batch, not per command. A
        // vDSO clock read was 5 % of the server's time under `PING -P 16`.
        session.batch_time = Some(now_ms());
    }

    fn authenticated(&self, session: &Session) -> bool {
        session.authenticated
    }

    fn execute(&self, session: &mut Session, args: Vec<Bytes>, out: &mut Output) -> Flow {
        // Day 7: in a cluster, a key another node serves is redirected or relayed.
        if let Some(flow) = crate::cluster::redirect::check(self, session, &args, out) {
            return flow;
        }
        // Day 6: MULTI queues requests and EXEC runs them; a RESP2 subscriber is limited.
        let mark = out.len();
        session.command_ran = false;
        let flow = match super::tx::intercept(self, session, &args, out) {
            Some(flow) => {
                // Day 3: MONITOR sees EXEC and DISCARD after the commands they ran (queued
                // requests show when EXEC runs them), as in Redis.
                if let Some(command) = super::lookup(&args[0])
                    .filter(|c| !session.tx.in_multi() && matches!(c.name, "exec" | "discard"))
                {
                    super::monitor::feed(self, session, command, &args);
                }
                // Day 3: CLIENT REPLY applies to +QUEUED and to EXEC's reply as well.
                super::client::after_command(session, &args, out, mark);
                flow
            }
            None => dispatch(self, session, &args, out),
        };
        // Day 3: an error for a request whose command never ran (unknown, wrong arity,
        // NOAUTH, refused in MULTI) is a rejected call (INFO commandstats, errorstats).
        if !session.command_ran && out.get(mark) == Some(&b'-') {
            let index = super::lookup_indexed(&args[0]).map(|(i, _)| i);
            self.stats.count_error(&out[mark + 1..], index, true);
        }
        // Day 4: this command may have fed a client blocked in BLPOP and friends.
        super::blocking::after_command(self, flow);
        if flow == Flow::Wait {
            // A held or blocked request runs again later: it reads the clock then.
            session.batch_time = None;
        }
        super::pubsub::publish_client_fields(session); // Day 6: CLIENT LIST's sub=, multi=
        flow
    }

    fn output_limit(&self, _session: &Session) -> Option<OutputLimit> {
        // Day 3: client-output-buffer-limit normal's soft limit.
        let config = self.config.read();
        (config.output_limit_normal_soft > 0).then(|| OutputLimit {
            soft: usize::try_from(config.output_limit_normal_soft).unwrap_or(usize::MAX),
            seconds: std::time::Duration::from_secs(config.output_limit_normal_seconds),
        })
    }

    fn close_session(&self, session: &mut Session) {
        // Day 6: a client that leaves stops watching and unsubscribes.
        super::tx::forget(self, session);
        super::pubsub::forget(self, session);
        self.stats.connected_clients.fetch_sub(1, Ordering::Relaxed);
        self.clients.unregister(session.id); // Day 3
    }

    fn wait<'a>(
        &'a self,
        session: &'a mut Session,
        conn: Conn<'a>,
    ) -> impl Future<Output = std::io::Result<bool>> + Send + 'a {
        // Day 3: a command held by CLIENT PAUSE waits in `pause`; day 4: a blocking
        // command (BLPOP ...) in `blocking`. Either may hand over to the other.
        let mut conn = conn;
        async move {
            loop {
                let close = if self
                    .cluster
                    .as_ref()
                    .is_some_and(|cluster| cluster.has_parked(session.id))
                {
                    // Day 7: a request parked for the cluster relay (proxy mode).
                    crate::cluster::relay::wait(self, session, conn.reborrow()).await?
                } else if session.monitor.is_some() {
                    super::monitor::wait(self, session, conn.reborrow()).await?
                } else if session.paused.is_some() {
                    let close = super::pause::wait(self, session, conn.reborrow()).await?;
                    super::blocking::after_command(self, Flow::Continue);
                    close
                } else if session.blocked.is_some() || session.pubsub.active() {
                    // Day 4: a blocking command (BLPOP ...); day 6: a subscriber.
                    super::subscribed::wait(self, session, conn.reborrow()).await?
                } else {
                    return Ok(false);
                };
                if close {
                    return Ok(true);
                }
            }
        }
    }
}

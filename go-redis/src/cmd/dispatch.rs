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

use super::{Ctx, Keys, NO_AUTH};
use crate::connection::{Conn, Executor, Flow};
use crate::db::{Server, Session, now_ms};
use crate::resp::{Output, ReplyWriter};

// ANCHOR: dispatch
/// Runs one request for `session` on `server`, appending the reply to `out`.
pub fn dispatch(server: &Server, session: &mut Session, args: &[Bytes], out: &mut Output) -> Flow {
    server.stats.total_commands.fetch_add(1, Ordering::Relaxed);
    let Some((index, command)) = super::lookup_indexed(&args[0]) else {
        out.error(&super::unknown_command_message(args));
        return Flow::Continue;
    };
    if let Some(calls) = server.stats.calls.get(index) {
        calls.fetch_add(1, Ordering::Relaxed);
    }
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
    let Some(db) = server.db(session.db) else {
        out.error("ERR DB index is out of range");
        return Flow::Continue;
    };
    // Day 5: cross-database writers hold the AOF's order lock (see aof::propagate).
    let _order = crate::aof::propagate::order_guard(server, command);
    let now = now_ms();
    let locked = match command.keys {
        Keys::None => db.lock(std::iter::empty(), now),
        Keys::All => db.lock_all(now),
        Keys::Range(first, last, step) => db.lock(key_args(args, first, last, step), now),
    };
    let reply_start = out.len(); // Day 5: where this command's reply starts
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
    // Day 5: log the change to the AOF while the keys are still locked.
    crate::aof::propagate::after_command(&mut ctx, command, args, reply_start, flow);
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

/// Every command called at least once, with its call count (INFO commandstats).
pub fn command_calls(server: &Server) -> Vec<(&'static super::Command, u64)> {
    super::all_commands()
        .zip(server.stats.calls.iter())
        .map(|(c, n)| (c, n.load(Ordering::Relaxed)))
        .filter(|(_, n)| *n > 0)
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
        Ok(Session {
            id: self.stats.next_client_id(),
            db: 0,
            authenticated: self.config.read().requirepass.is_none(),
            name: None,
            blocked: None,
            propagate_as: None, // Day 5
            addr: stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        })
    }

    fn authenticated(&self, session: &Session) -> bool {
        session.authenticated
    }

    fn execute(&self, session: &mut Session, args: Vec<Bytes>, out: &mut Output) -> Flow {
        let flow = dispatch(self, session, &args, out);
        // Day 4: this command may have fed a client blocked in BLPOP and friends.
        super::blocking::after_command(self, flow);
        flow
    }

    fn close_session(&self, _session: &mut Session) {
        self.stats.connected_clients.fetch_sub(1, Ordering::Relaxed);
    }

    fn wait<'a>(
        &'a self,
        session: &'a mut Session,
        conn: Conn<'a>,
    ) -> impl Future<Output = std::io::Result<bool>> + Send + 'a {
        // Day 4: the only commands that answer Flow::Wait are the blocking ones.
        super::blocking::wait(self, session, conn)
    }
}

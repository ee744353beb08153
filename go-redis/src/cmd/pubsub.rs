//! Day 6 — pub/sub commands: SUBSCRIBE and friends, PUBLISH, PUBSUB.
//!
//! A client SUBSCRIBEs to channels (or PSUBSCRIBEs to glob patterns over channel names);
//! PUBLISH sends a message to every client subscribed to the channel, and to every client
//! whose pattern matches it, and answers how many received it. Nothing is stored: a
//! message published while nobody listens is gone.
//!
//! The replies are Redis's, byte for byte: every (un)subscription is confirmed with a
//! `[kind, name, count]` array (a RESP3 push frame, `>3`, for a RESP3 client), and a
//! message arrives as `[message, channel, payload]` or `[pmessage, pattern, channel,
//! payload]`. A message is encoded once per PUBLISH and posted to each subscriber's
//! [`Mailbox`](crate::db::hub::Mailbox); the subscriber's connection
//! ([`super::subscribed`]) writes it out.

use bytes::{Bytes, BytesMut};

use super::args::glob_match;
use super::{CmdError, CmdResult, Command, Ctx, is};
use crate::command;
use crate::connection::Flow;
use crate::db::hub::{Kind, OutputLimits};
use crate::db::{Server, Session};
use crate::resp::ReplyWriter;

/// The pub/sub commands.
pub const COMMANDS: &[Command] = &[
    command!("subscribe", -2, 0, none, subscribe),
    command!("psubscribe", -2, 0, none, psubscribe),
    command!("ssubscribe", -2, 0, none, ssubscribe),
    command!("unsubscribe", -1, 0, none, unsubscribe),
    command!("punsubscribe", -1, 0, none, punsubscribe),
    command!("sunsubscribe", -1, 0, none, sunsubscribe),
    command!(
        "publish",
        3,
        super::FAST | super::MAY_REPLICATE,
        none,
        publish
    ),
    command!(
        "spublish",
        3,
        super::FAST | super::MAY_REPLICATE,
        none,
        spublish
    ),
    command!("pubsub", -2, 0, none, pubsub),
];

/// The reply words of each kind: (subscribe, unsubscribe, message).
fn words(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Channel => ("subscribe", "unsubscribe", "message"),
        Kind::Pattern => ("psubscribe", "punsubscribe", "pmessage"),
        Kind::Shard => ("ssubscribe", "sunsubscribe", "smessage"),
    }
}

/// The count a (un)subscription reply carries: shard channels are counted apart.
fn count(session: &Session, kind: Kind) -> i64 {
    match kind {
        Kind::Shard => session.pubsub.names[Kind::Shard as usize].len() as i64,
        _ => session.pubsub.count() as i64,
    }
}

fn subscribe_to(cx: &mut Ctx<'_>, args: &[Bytes], kind: Kind) -> CmdResult {
    let mailbox = cx.session.pubsub.mailbox();
    for name in &args[1..] {
        if cx.session.pubsub.names[kind as usize].insert(name.clone()) {
            cx.server.hub.subscribe(kind, name, cx.session.id, &mailbox);
        }
        // Redis confirms every name, even one the client was already subscribed to.
        cx.out.push(3);
        cx.out.bulk(words(kind).0.as_bytes());
        cx.out.bulk(name);
        cx.out.int(count(cx.session, kind));
    }
    // The connection now listens to its mailbox too (see `subscribed::serve`).
    Ok(Flow::Wait)
}

fn subscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_to(cx, args, Kind::Channel)
}

fn psubscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_to(cx, args, Kind::Pattern)
}

fn ssubscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    subscribe_to(cx, args, Kind::Shard)
}

fn unsubscribe_from(cx: &mut Ctx<'_>, args: &[Bytes], kind: Kind) -> CmdResult {
    let names: Vec<Bytes> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        cx.session.pubsub.names[kind as usize]
            .iter()
            .cloned()
            .collect()
    };
    let word = words(kind).1.as_bytes();
    if names.is_empty() {
        // Nothing to leave: Redis still answers, with a null name.
        cx.out.push(3);
        cx.out.bulk(word);
        cx.out.null();
        cx.out.int(count(cx.session, kind));
    }
    for name in names {
        if cx.session.pubsub.names[kind as usize].shift_remove(&name) {
            cx.server.hub.unsubscribe(kind, &name, cx.session.id);
        }
        cx.out.push(3);
        cx.out.bulk(word);
        cx.out.bulk(&name);
        cx.out.int(count(cx.session, kind));
    }
    Ok(Flow::Continue)
}

fn unsubscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_from(cx, args, Kind::Channel)
}

fn punsubscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_from(cx, args, Kind::Pattern)
}

fn sunsubscribe(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    unsubscribe_from(cx, args, Kind::Shard)
}

/// Encodes a message as Redis writes it to a RESP2 subscriber: `*3` message, channel,
/// payload (or `*4` pmessage, pattern, channel, payload). A RESP3 subscriber's copy only
/// differs in its first byte (`>`), which the mailbox swaps when it hands it out.
pub fn encode_message(word: &str, pattern: Option<&[u8]>, channel: &[u8], payload: &[u8]) -> Bytes {
    let mut frame = BytesMut::with_capacity(32 + channel.len() + payload.len());
    frame.array(if pattern.is_some() { 4 } else { 3 });
    frame.bulk(word.as_bytes());
    if let Some(pattern) = pattern {
        frame.bulk(pattern);
    }
    frame.bulk(channel);
    frame.bulk(payload);
    frame.freeze()
}

/// The subscribers' output limits, from `client-output-buffer-limit pubsub`.
fn limits(server: &Server) -> OutputLimits {
    let [hard, soft, soft_seconds] = server.config.read().output_limit_pubsub;
    OutputLimits {
        hard,
        soft,
        soft_seconds,
    }
}

// ANCHOR: publish
/// Posts `payload` to every subscriber of `channel` (of this `kind`), and for plain
/// channels to every subscriber of a matching pattern; returns how many received it.
pub fn publish_to(server: &Server, kind: Kind, channel: &[u8], payload: &[u8]) -> usize {
    let limits = limits(server);
    // ANCHOR: ex_publish
    let frame = encode_message(words(kind).2, None, channel, payload);
    let mut receivers = server.hub.for_each_subscriber(kind, channel, |mailbox| {
        mailbox.post(frame.clone(), limits);
    });
    if kind == Kind::Channel {
        server
            .hub
            .for_each_name(Kind::Pattern, |pattern, mailboxes| {
                if glob_match(pattern, channel) {
                    let frame = encode_message("pmessage", Some(pattern), channel, payload);
                    for mailbox in mailboxes {
                        mailbox.post(frame.clone(), limits);
                        receivers += 1;
                    }
                }
            });
    }
    receivers
    // ANCHOR_END: ex_publish
}
// ANCHOR_END: publish

fn publish_reply(cx: &mut Ctx<'_>, args: &[Bytes], kind: Kind) -> CmdResult {
    let receivers = publish_to(cx.server, kind, &args[1], &args[2]);
    // A subscriber publishing to itself sees the message before the reply, as in Redis.
    if let Some(mailbox) = &cx.session.pubsub.mailbox
        && cx.session.pubsub.active()
    {
        let resp3 = cx.out.resp3();
        mailbox.take_into(cx.out, resp3);
    }
    cx.out.int(receivers as i64);
    Ok(Flow::Continue)
}

fn publish(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    publish_reply(cx, args, Kind::Channel)
}

fn spublish(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    publish_reply(cx, args, Kind::Shard)
}

const PUBSUB_HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP: who listens to what.
fn pubsub(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    let sub = &args[1];
    let hub = &cx.server.hub;
    if is(sub, "help") && args.len() == 2 {
        cx.out.array(PUBSUB_HELP.len());
        for line in PUBSUB_HELP {
            cx.out.simple(line);
        }
    } else if (is(sub, "channels") || is(sub, "shardchannels")) && args.len() <= 3 {
        let kind = if is(sub, "channels") {
            Kind::Channel
        } else {
            Kind::Shard
        };
        let mut names = Vec::new();
        hub.for_each_name(kind, |name, _| {
            if args.get(2).is_none_or(|p| glob_match(p, name)) {
                names.push(name.clone());
            }
        });
        cx.out.array(names.len());
        for name in names {
            cx.out.bulk(&name);
        }
    } else if is(sub, "numsub") || is(sub, "shardnumsub") {
        let kind = if is(sub, "numsub") {
            Kind::Channel
        } else {
            Kind::Shard
        };
        cx.out.array((args.len() - 2) * 2);
        for channel in &args[2..] {
            cx.out.bulk(channel);
            cx.out.int(hub.subscribers(kind, channel) as i64);
        }
    } else if is(sub, "numpat") && args.len() == 2 {
        cx.out.int(hub.len(Kind::Pattern) as i64);
    } else {
        return Err(CmdError::err(format!(
            "unknown subcommand or wrong number of arguments for '{}'. Try PUBSUB HELP.",
            String::from_utf8_lossy(sub)
        )));
    }
    Ok(Flow::Continue)
}

/// Whether `name` is (P|S)SUBSCRIBE or one of their UNSUBSCRIBEs, whose replies are
/// pushes that CLIENT REPLY OFF does not silence.
pub fn is_subscription_command(name: &[u8]) -> bool {
    [
        "subscribe",
        "psubscribe",
        "ssubscribe",
        "unsubscribe",
        "punsubscribe",
        "sunsubscribe",
    ]
    .iter()
    .any(|w| is(name, w))
}

/// The client left: unsubscribe it from everything.
pub fn forget(server: &Server, session: &mut Session) {
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in std::mem::take(&mut session.pubsub.names[kind as usize]) {
            server.hub.unsubscribe(kind, &name, session.id);
        }
    }
    session.pubsub.mailbox = None;
}

/// Day 6: stores what CLIENT LIST shows of this client's subscriptions and MULTI queue
/// (`sub=`, `psub=`, `ssub=`, `multi=`) in its shared record, after each command.
pub fn publish_client_fields(session: &Session) {
    use std::sync::atomic::Ordering::Relaxed;
    for (count, names) in session
        .client
        .subscriptions
        .iter()
        .zip(&session.pubsub.names)
    {
        count.store(names.len(), Relaxed);
    }
    let multi = session.tx.queue.as_ref().map_or(-1, |q| q.len() as i64);
    session.client.multi.store(multi, Relaxed);
}

/// INFO's pub/sub counters (in its Stats section).
pub fn info_fields(server: &Server) -> String {
    format!(
        "pubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\n",
        server.hub.len(Kind::Channel),
        server.hub.len(Kind::Pattern),
        server.hub.len(Kind::Shard)
    )
}

//! Day 5 — the snapshot commands: SAVE, BGSAVE, DEBUG RELOAD (LASTSAVE lives with the
//! server commands).
//!
//! Thin wrappers: the work is in [`crate::rdb::snapshot`]. SAVE writes before it answers
//! (the client knows the data is on disk), BGSAVE answers as soon as its copy of the
//! keyspace is made and leaves the writing to a background thread. Unlike godis, which
//! saves through its AOF rewrite and so refuses SAVE unless `appendonly yes`, these work
//! whatever the AOF setting.

use bytes::Bytes;

use super::{ADMIN, CmdError, CmdResult, Command, Ctx, is};
use crate::command;
use crate::connection::Flow;
use crate::rdb::snapshot;
use crate::resp::ReplyWriter;

/// The snapshot commands.
pub const COMMANDS: &[Command] = &[
    command!("save", 1, ADMIN, none, save),
    command!("bgsave", -1, ADMIN, none, bgsave),
    command!("debug", -2, ADMIN, none, debug),
];

fn failed(err: snapshot::SaveError) -> CmdError {
    CmdError::Other(err.to_string())
}

fn save(cx: &mut Ctx<'_>, _args: &[Bytes]) -> CmdResult {
    snapshot::save(cx.server).map_err(failed)?;
    cx.out.ok();
    Ok(Flow::Continue)
}

/// `BGSAVE [SCHEDULE]`. SCHEDULE only matters in Redis when another child process (an
/// AOF rewrite) is running; here the snapshot never waits for one, so it starts at once.
fn bgsave(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    match args.len() {
        1 => {}
        2 if is(&args[1], "schedule") => {}
        _ => return Err(CmdError::Syntax),
    }
    snapshot::bgsave(cx.server).map_err(failed)?;
    cx.out.simple("Background saving started");
    Ok(Flow::Continue)
}

/// `DEBUG RELOAD`: save, empty, load back (the TCL suite checks values survive it).
/// Redis's other DEBUG subcommands are not built.
fn debug(cx: &mut Ctx<'_>, args: &[Bytes]) -> CmdResult {
    if is(&args[1], "reload") {
        snapshot::reload(cx.server).map_err(failed)?;
        cx.out.ok();
        return Ok(Flow::Continue);
    }
    Err(CmdError::err(format!(
        "unknown subcommand or wrong number of arguments for '{}'. Try DEBUG HELP.",
        String::from_utf8_lossy(&args[1])
            .chars()
            .take(128)
            .collect::<String>()
    )))
}

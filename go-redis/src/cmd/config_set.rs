//! Day 3 — CONFIG SET's checks, in Redis's order and with Redis's words.
//!
//! `CONFIG SET a 1 b 2` is all or nothing: Redis first looks at every *name* (is it a
//! parameter that can change at run time? is it given twice?), then at every *value*, and
//! only then changes anything; on an error it names the argument at fault. The values are
//! checked by [`crate::Config::set`] on a copy of the configuration, which replaces the
//! live one only when every pair passed. This module holds the name checks, and the
//! address parameters (`port`, `bind`) that this server cannot move while it runs.

use bytes::Bytes;

use super::CmdError;
use crate::Config;
use crate::config::{IMMUTABLE, canonical_name};

/// The error CONFIG SET answers for argument `name`.
pub fn failed(name: &str, why: impl std::fmt::Display) -> CmdError {
    CmdError::err(format!(
        "CONFIG SET failed (possibly related to argument '{name}') - {why}"
    ))
}

/// The names of `pairs` (`name value name value ...`): none immutable, none twice (an
/// alias and its name count as the same parameter).
pub fn check_names(pairs: &[Bytes]) -> Result<(), CmdError> {
    let mut seen: Vec<String> = Vec::new();
    for pair in pairs.chunks_exact(2) {
        let given = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
        let name = canonical_name(&given).to_owned();
        if IMMUTABLE.contains(&name.as_str()) {
            return Err(failed(&given, "can't set immutable config"));
        }
        if seen.contains(&name) {
            return Err(failed(&given, "duplicate parameter"));
        }
        seen.push(name);
    }
    Ok(())
}

/// `port` and `bind`: setting the value they already have succeeds and changes nothing
/// (`Ok(true)`); another value is refused, with Redis's words when the port is taken.
/// Any other parameter: `Ok(false)`, go on.
pub fn unchanged_address(config: &Config, name: &str, value: &str) -> Result<bool, CmdError> {
    match name {
        "port" => {
            let port: u16 = value
                .parse()
                .map_err(|_| failed(name, "argument couldn't be parsed into an integer"))?;
            if port == config.port {
                return Ok(true);
            }
            if std::net::TcpListener::bind((config.bind.as_str(), port)).is_err() {
                return Err(failed(
                    name,
                    "Unable to listen on this port. Check server logs.",
                ));
            }
            Err(failed(
                name,
                "go-redis cannot move to another port while it runs",
            ))
        }
        "bind" => {
            if value.split_whitespace().next() == Some(config.bind.as_str()) {
                return Ok(true);
            }
            Err(failed(
                name,
                "go-redis cannot move to another address while it runs",
            ))
        }
        _ => Ok(false),
    }
}

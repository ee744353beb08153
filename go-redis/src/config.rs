//! Day 3 — the server's configuration: `redis.conf` syntax, command-line overrides, CONFIG GET/SET.
//!
//! Redis reads `directive arg...` lines (quotes allowed, `#` comments) and the same
//! directives as `--name value` flags. The few we act on are typed fields; every other
//! directive is kept as text so CONFIG GET returns what CONFIG SET stored, because test
//! suites and tools set tuning knobs (`list-max-listpack-size`, `save`, ...) that mean
//! nothing to this server but must not fail.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::Error;
use crate::resp::parser::split_args;

pub mod rewrite; // Day 3: CONFIG REWRITE writes the running configuration back to its file

/// The configuration the server runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port (`port`, default 6399 for this course; Redis uses 6379).
    pub port: u16,
    /// Address to bind (`bind`, default 127.0.0.1).
    pub bind: String,
    /// Number of databases (`databases`, default 16).
    pub databases: usize,
    /// The password AUTH must give (`requirepass`), if any.
    pub requirepass: Option<Bytes>,
    /// `appendonly yes|no`: whether writes are logged to the append-only file (day 5).
    pub appendonly: bool,
    /// The most clients served at once (`maxclients`); one more is answered
    /// `-ERR max number of clients reached` and closed.
    pub maxclients: usize,
    /// How long shutdown waits for connections to finish, in seconds (`shutdown-timeout`,
    /// default 10). Connections end as soon as shutdown starts (a blocked BLPOP, a client
    /// that reads no replies): this only bounds a stuck handler.
    pub shutdown_timeout: u64,
    /// The hard limit, in bytes, of `client-output-buffer-limit normal` (0 = none): a
    /// client whose unsent replies pass it is disconnected.
    pub output_limit_normal: u64,
    /// Day 3: the soft limit of `client-output-buffer-limit normal`, in bytes (0 = none):
    /// a client may hold more unsent replies than this for at most
    /// [`Config::output_limit_normal_seconds`].
    pub output_limit_normal_soft: u64,
    /// Day 3: how long a client may stay over the soft limit, in seconds.
    pub output_limit_normal_seconds: u64,
    /// Day 6: `client-output-buffer-limit pubsub <hard> <soft> <seconds>`: a subscriber
    /// whose undelivered messages pass these limits is disconnected.
    pub output_limit_pubsub: [u64; 3],
    /// Every other directive, as text.
    pub other: BTreeMap<String, String>,
    /// Day 7: the `cluster-node <id> <host:port> <slots>` lines, one per node (a
    /// directive that repeats, so it cannot live in `other`).
    pub cluster_nodes: Vec<String>,
    /// Day 3: the config file the server was started from, as an absolute path (CONFIG
    /// REWRITE writes the running configuration back into it); `None` without one.
    pub file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let mut other = BTreeMap::new();
        for (k, v) in [
            ("save", ""),
            ("appendfsync", "everysec"),
            ("maxmemory", "0"),
            ("maxmemory-policy", "noeviction"),
            ("timeout", "0"),
            ("proto-max-bulk-len", "536870912"),
            ("hz", "10"),
            ("dir", "."),
            ("dbfilename", "dump.rdb"),
            ("appendfilename", "appendonly.aof"),
            // Day 5: the AOF's directory and loading policy (see crate::aof).
            ("appenddirname", "appendonlydir"),
            ("aof-load-truncated", "yes"),
            ("aof-use-rdb-preamble", "no"),
            ("aof-timestamp-enabled", "no"),
            ("io-threads", "1"),
            ("list-max-listpack-size", "-2"),
            ("hash-max-listpack-entries", "128"),
            ("set-max-intset-entries", "512"),
            ("zset-max-listpack-entries", "128"),
            // Day 3: more of Redis's parameters, with Redis's defaults (CONFIG GET answers).
            ("replicaof", ""),
            ("maxmemory-samples", "5"),
            ("maxmemory-clients", "0"),
            ("maxmemory-eviction-tenacity", "10"),
            ("client-query-buffer-limit", "1073741824"),
            ("repl-backlog-size", "1048576"),
            ("daemonize", "no"),
            ("lazyfree-lazy-user-del", "no"),
            (
                "client-output-buffer-limit",
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
            ),
        ] {
            other.insert(k.to_owned(), v.to_owned());
        }
        Self {
            port: 6399,
            bind: "127.0.0.1".into(),
            databases: 16,
            requirepass: None,
            appendonly: false,
            maxclients: 10_000,
            output_limit_normal: 0,
            output_limit_normal_soft: 0,
            output_limit_normal_seconds: 0,
            output_limit_pubsub: [32 << 20, 8 << 20, 60], // Day 6
            shutdown_timeout: 10,
            other,
            cluster_nodes: Vec::new(), // Day 7
            file: None,                // Day 3: CONFIG REWRITE
        }
    }
}

impl Config {
    /// Reads a `redis.conf`-style file on top of the defaults.
    pub fn from_file(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        let mut config = Self::default();
        config.apply_text(&text)?;
        // Day 3: remembered for CONFIG REWRITE, absolute as Redis keeps it, so a later
        // change of directory does not move the file.
        config.file = Some(std::path::absolute(path)?);
        Ok(config)
    }

    /// Applies `directive value...` lines.
    pub fn apply_text(&mut self, text: &str) -> Result<(), Error> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let args = split_args(line.as_bytes())
                .map_err(|e| Error::Config(format!("line {}: {e}", n + 1)))?;
            let Some((name, values)) = args.split_first() else {
                continue;
            };
            let name = String::from_utf8_lossy(name).to_ascii_lowercase();
            let value = values
                .iter()
                .map(|v| String::from_utf8_lossy(v).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            self.set(&name, &value)
                .map_err(|e| Error::Config(format!("line {}: {e}", n + 1)))?;
        }
        Ok(())
    }

    /// Sets one directive (CONFIG SET, the config file, `--name value` flags).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        let name = canonical_name(name); // Day 3: `slaveof` is `replicaof`, ...
        check_value(name, value)?; // Day 3: the values Redis checks
        let bad = || format!("invalid value '{value}' for '{name}'");
        match name {
            "port" => self.port = value.parse().map_err(|_| bad())?,
            "bind" => {
                self.bind = value
                    .split_whitespace()
                    .next()
                    .unwrap_or("127.0.0.1")
                    .to_owned()
            }
            "databases" => {
                self.databases = value
                    .parse()
                    .ok()
                    .filter(|&n: &usize| (1..=1024).contains(&n))
                    .ok_or_else(bad)?
            }
            "requirepass" => {
                self.requirepass =
                    (!value.is_empty()).then(|| Bytes::copy_from_slice(value.as_bytes()))
            }
            "appendonly" => {
                self.appendonly = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(bad()),
                }
            }
            "maxclients" => {
                self.maxclients = value
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n >= 1)
                    .ok_or_else(bad)?
            }
            // Day 6: a size is checked like Redis does (EXEC reports CONFIG SET's error).
            "maxmemory" => {
                parse_memory(value).ok_or("argument must be a memory value")?;
                self.other.insert(name.to_owned(), value.to_owned());
            }
            "shutdown-timeout" => self.shutdown_timeout = value.parse().map_err(|_| bad())?,
            // Day 7: each line names one cluster node; checked as it is read.
            "cluster-node" => {
                crate::cluster::topology::parse_node(value)?;
                self.cluster_nodes.push(value.to_owned());
            }
            "client-output-buffer-limit" => {
                let mut classes = self
                    .other
                    .get(name)
                    .map(|v| parse_output_limits(v))
                    .transpose()?
                    .unwrap_or_default();
                for (class, limits) in parse_output_limits(value)? {
                    match classes.iter_mut().find(|(c, _)| *c == class) {
                        Some(slot) => slot.1 = limits,
                        None => classes.push((class, limits)),
                    }
                }
                let normal = classes
                    .iter()
                    .find(|(c, _)| c == "normal")
                    .map_or([0; 3], |(_, l)| *l);
                self.output_limit_normal = normal[0];
                // Day 3: the soft limit and its seconds.
                self.output_limit_normal_soft = normal[1];
                self.output_limit_normal_seconds = normal[2];
                // Day 6: the pubsub class bounds subscribers' mailboxes.
                if let Some((_, l)) = classes.iter().find(|(c, _)| c == "pubsub") {
                    self.output_limit_pubsub = *l;
                }
                let text: Vec<String> = classes
                    .iter()
                    .map(|(c, l)| format!("{c} {} {} {}", l[0], l[1], l[2]))
                    .collect();
                self.other.insert(name.to_owned(), text.join(" "));
            }
            _ => {
                // Day 5: the AOF's directives are checked (appendfsync always|everysec|no, ...).
                let value =
                    crate::aof::check_directive(name, value)?.unwrap_or_else(|| value.to_owned());
                self.other.insert(name.to_owned(), value);
            }
        }
        Ok(())
    }

    /// Why CONFIG SET refuses `name` = `value`, if it does: day 5's snapshot settings are
    /// checked as Redis checks them (its AOF settings are checked by [`crate::aof`]), and
    /// day 7's cluster topology is fixed at start.
    pub fn refuses(name: &str, value: &str) -> Option<&'static str> {
        match name {
            // Day 7: the topology is static, read at start-up.
            name if name.starts_with("cluster-") => Some("can't set immutable config"),
            // Day 5: RDB snapshots go to `dir/dbfilename`, at the `save` points.
            "dir" if !Path::new(value).is_dir() => Some("No such file or directory"),
            "dbfilename" if value.contains('/') => {
                Some("dbfilename can't be a path, just a filename")
            }
            "save" if !crate::rdb::snapshot::valid_save_points(value) => {
                Some("Invalid save parameters")
            }
            _ => None,
        }
    }

    /// Every directive and its value as text, for CONFIG GET.
    pub fn all(&self) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = vec![
            ("port".into(), self.port.to_string()),
            ("bind".into(), self.bind.clone()),
            ("databases".into(), self.databases.to_string()),
            (
                "requirepass".into(),
                self.requirepass
                    .as_ref()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .unwrap_or_default(),
            ),
            (
                "appendonly".into(),
                if self.appendonly { "yes" } else { "no" }.into(),
            ),
            ("maxclients".into(), self.maxclients.to_string()),
            ("shutdown-timeout".into(), self.shutdown_timeout.to_string()),
        ];
        all.extend(self.other.iter().map(|(k, v)| (k.clone(), v.clone())));
        // Day 3: the old names answer too (CONFIG GET *of shows replicaof and slaveof).
        for (alias, name) in ALIASES {
            if let Some(value) = self.other.get(*name) {
                all.push(((*alias).to_owned(), value.clone()));
            }
        }
        all
    }

    /// Day 3: a hidden parameter's value: CONFIG GET shows one only when it is named
    /// exactly, never for a pattern (Redis's HIDDEN_CONFIG).
    pub fn hidden(name: &str) -> Option<&'static str> {
        HIDDEN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }

    /// Parses command-line flags: `--port N`, `--config FILE` (or a bare file name first,
    /// like `redis-server redis.conf`), and `--<directive> <value>` for any directive.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, Error> {
        let args: Vec<String> = args.into_iter().collect();
        let mut config = Self::default();
        let mut i = 0;
        if let Some(first) = args.first()
            && !first.starts_with("--")
        {
            config = Self::from_file(Path::new(first))?;
            i = 1;
        }
        while i < args.len() {
            let Some(name) = args[i].strip_prefix("--") else {
                return Err(Error::Config(format!("unexpected argument `{}`", args[i])));
            };
            let value = args.get(i + 1).cloned().unwrap_or_default();
            if name == "config" {
                let overrides = std::mem::take(&mut config);
                config = Self::from_file(Path::new(&value))?;
                // Flags given before --config still win over the file for port/bind.
                if overrides.port != Self::default().port {
                    config.port = overrides.port;
                }
            } else {
                config
                    .set(&name.to_ascii_lowercase(), &value)
                    .map_err(Error::Config)?;
            }
            i += 2;
        }
        Ok(config)
    }
}

/// Day 3: the parameters Redis refuses to change at run time (`IMMUTABLE_CONFIG` in
/// `config.c`): CONFIG SET answers `can't set immutable config`.
pub const IMMUTABLE: &[&str] = &[
    "rdbchecksum",
    "daemonize",
    "io-threads-do-reads",
    "always-show-logo",
    "set-proc-title",
    "syslog-enabled",
    "cluster-enabled",
    "disable-thp",
    "aclfile",
    "unixsocket",
    "pidfile",
    "cluster-config-file",
    "syslog-ident",
    "appendfilename",
    "appenddirname",
    "logfile",
    "supervised",
    "syslog-facility",
    "enable-protected-configs",
    "enable-debug-command",
    "enable-module-command",
    "databases",
    "io-threads",
    "tcp-backlog",
    "cluster-port",
    "unixsocketperm",
    "socket-mark-id",
];

/// Day 3: hidden parameters and their values: shown only when named exactly.
const HIDDEN: &[(&str, &str)] = &[
    ("key-load-delay", "0"),
    ("rdb-key-save-delay", "0"),
    ("watchdog-period", "0"),
    ("use-exit-on-panic", "no"),
    ("loading-process-events-interval-bytes", "2097152"),
];

/// Day 3: Redis's old parameter names, `(alias, name)`: setting either sets the name.
pub const ALIASES: &[(&str, &str)] = &[
    ("slaveof", "replicaof"),
    ("list-max-ziplist-size", "list-max-listpack-size"),
    ("hash-max-ziplist-entries", "hash-max-listpack-entries"),
    ("hash-max-ziplist-value", "hash-max-listpack-value"),
    ("zset-max-ziplist-entries", "zset-max-listpack-entries"),
    ("zset-max-ziplist-value", "zset-max-listpack-value"),
    ("slave-read-only", "replica-read-only"),
    ("slave-serve-stale-data", "replica-serve-stale-data"),
    ("slave-priority", "replica-priority"),
    ("slave-lazy-flush", "replica-lazy-flush"),
    ("min-slaves-to-write", "min-replicas-to-write"),
    ("min-slaves-max-lag", "min-replicas-max-lag"),
    ("lua-time-limit", "busy-reply-threshold"),
];

/// Day 3: the name an alias stands for (any other name unchanged).
pub fn canonical_name(name: &str) -> &str {
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == name)
        .map_or(name, |(_, canonical)| canonical)
}

/// Day 3: the checks Redis makes of a value before it sets anything, with its words:
/// memory sizes, and `maxmemory-clients`' percentage.
fn check_value(name: &str, value: &str) -> Result<(), String> {
    match name {
        "maxmemory" | "client-query-buffer-limit" | "repl-backlog-size" | "proto-max-bulk-len" => {
            parse_memory(value)
                .map(drop)
                .ok_or_else(|| "argument must be a memory value".to_owned())
        }
        "maxmemory-clients" => match value.strip_suffix('%') {
            Some(percent) => match percent.parse::<u64>() {
                Ok(p) if p <= 100 => Ok(()),
                Ok(_) => Err("percentage argument must be less or equal to 100".into()),
                Err(_) => Err("argument must be a memory or percent value".into()),
            },
            None => parse_memory(value)
                .map(drop)
                .ok_or_else(|| "argument must be a memory or percent value".to_owned()),
        },
        _ => Ok(()),
    }
}

/// Parses `class hard soft seconds ...` (sizes may end in kb, mb, gb) into
/// `(class, [hard, soft, seconds])`; `replica` is stored under Redis's reply name `slave`.
fn parse_output_limits(text: &str) -> Result<Vec<(String, [u64; 3])>, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() || !words.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    words
        .chunks_exact(4)
        .map(|w| {
            let class = match w[0].to_ascii_lowercase().as_str() {
                "normal" => "normal",
                "replica" | "slave" => "slave",
                "pubsub" => "pubsub",
                _ => {
                    return Err(
                        "Invalid client class specified in buffer limit configuration.".into(),
                    );
                }
            };
            let hard = parse_memory(w[1]);
            let soft = parse_memory(w[2]);
            let secs = w[3].parse::<u64>().ok();
            match (hard, soft, secs) {
                (Some(h), Some(s), Some(t)) => Ok((class.to_owned(), [h, s, t])),
                _ => Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .into(),
                ),
            }
        })
        .collect()
}

/// A size like Redis's `memtoull`: digits with an optional `b`, `k`, `kb`, `m`, `mb`, `g`, `gb`.
fn parse_memory(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(lower.len());
    let (digits, unit) = lower.split_at(split);
    let unit = match unit {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_redis_conf_syntax() {
        let mut config = Config::default();
        config
            .apply_text("# comment\nport 7000\nbind 0.0.0.0 ::1\nrequirepass \"s3 cret\"\nappendonly yes\nsave 900 1\n")
            .unwrap();
        assert_eq!(config.port, 7000);
        assert_eq!(config.bind, "0.0.0.0");
        assert_eq!(config.requirepass.as_deref(), Some(&b"s3 cret"[..]));
        assert!(config.appendonly);
        assert_eq!(config.other["save"], "900 1");
        assert!(config.apply_text("databases nope\n").is_err());
    }
}

//! Installing what a step needs, and saying so.
//!
//! The course's promise is that a fresh machine needs nothing but the Rust toolchain before
//! `cargo xtask test`. The few system tools the courses use (the real `sqlite3` CLI, Go for the
//! gee-rpc interop test, Chromium for the wasm demos, Redis's own tools) come from Debian's
//! packages: when a tool is missing and we run as root, we install its package with apt-get
//! and print what we are doing; otherwise we say which command would install it.

use std::process::Command;

use anyhow::{Result, bail};

/// A command-line tool and the Debian package that provides it.
#[derive(Clone, Copy, Debug)]
pub struct Tool {
    /// The binary looked up on PATH, e.g. `sqlite3`.
    pub binary: &'static str,
    /// The Debian package that ships it, e.g. `sqlite3`.
    pub package: &'static str,
}

/// True when `binary` is found on PATH.
pub fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
}

/// True when this process runs as root (so apt-get can install packages).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Makes sure every tool is on PATH, installing the missing ones' packages in one apt-get call
/// when running as root. Errors (naming the packages) when something is still missing.
pub fn ensure_tools(tools: &[Tool]) -> Result<()> {
    let mut missing: Vec<&str> = tools
        .iter()
        .filter(|t| !on_path(t.binary))
        .map(|t| t.package)
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    let list = missing.join(" ");
    if !is_root() {
        bail!(
            "missing Debian packages: {list} (install them with `sudo apt-get install -y {list}`)"
        );
    }
    eprintln!("xtask: installing Debian packages: {list} ...");
    let apt = |args: &[&str]| -> Result<bool> {
        Ok(Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()?
            .success())
    };
    // A fresh machine has no package lists yet; one update is cheap next to a failed install.
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(missing.iter().copied());
    let installed = apt(&install)? || (apt(&["update", "-qq"])? && apt(&install)?);
    if !installed {
        bail!("apt-get could not install: {list}");
    }
    let still: Vec<&str> = tools
        .iter()
        .filter(|t| !on_path(t.binary))
        .map(|t| t.binary)
        .collect();
    if !still.is_empty() {
        bail!("still missing after apt-get: {}", still.join(" "));
    }
    Ok(())
}

/// The command-line clients chapters tell the reader to run, and their Debian packages.
///
/// A chapter's "Run it" section is a promise that its commands work; on a fresh machine
/// `redis-cli` or `nc` may be missing. `cargo xtask run` and `tour` read the day's chapter
/// and install the clients its commands use (see [`chapter_tools`]).
pub const CLIENTS: &[Tool] = &[
    Tool {
        binary: "redis-cli",
        package: "redis-tools",
    },
    Tool {
        binary: "redis-benchmark",
        package: "redis-tools",
    },
    Tool {
        binary: "nc",
        package: "netcat-openbsd",
    },
    Tool {
        binary: "curl",
        package: "curl",
    },
    Tool {
        binary: "xxd",
        package: "xxd",
    },
];

/// The [`CLIENTS`] that a chapter's shell commands (lines `$ ...` in its code blocks) use.
pub fn chapter_tools(chapter: &str) -> Vec<Tool> {
    let mut used: Vec<Tool> = Vec::new();
    for line in chapter.lines() {
        let Some(command) = line.trim_start().strip_prefix("$ ") else {
            continue;
        };
        // Every word that starts a command: after `|`, `&&`, `;`, or the first word.
        let words = command
            .split(['|', ';', '&'])
            .filter_map(|part| part.split_whitespace().next());
        for word in words {
            if let Some(tool) = CLIENTS.iter().find(|t| t.binary == word)
                && !used.iter().any(|u| u.binary == tool.binary)
            {
                used.push(*tool);
            }
        }
    }
    used
}

/// Makes `target/pyvenv` a Python virtual environment with redis-py (from PyPI), unless it
/// has one already. go-redis's tests look there for the client most Redis users run.
pub fn ensure_redis_py(root: &std::path::Path) -> Result<()> {
    let venv = root.join("target/pyvenv");
    let python = venv.join("bin/python");
    let has_redis = |python: &std::path::Path| {
        Command::new(python)
            .args(["-c", "import redis"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if has_redis(&python) {
        return Ok(());
    }
    if !on_path("python3") {
        bail!("python3 is not on PATH");
    }
    eprintln!("xtask: installing redis-py into {} ...", venv.display());
    let venv_ok = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()?
        .success();
    let pip_ok = venv_ok
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "redis"])
            .status()?
            .success();
    if !pip_ok || !has_redis(&python) {
        bail!("could not install redis-py into {}", venv.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_clients_a_chapter_runs() {
        let chapter = "Run `nc` if you like.\n```console\n$ cargo run -p go-redis --example day2_resp\n$ redis-cli -p 6399 ping\nPONG\n$ printf 'PING\\r\\n' | nc -q1 localhost 6399\n$ curl -s x && curl y | xxd\n```\n";
        let names: Vec<&str> = chapter_tools(chapter).iter().map(|t| t.binary).collect();
        assert_eq!(names, ["redis-cli", "nc", "curl", "xxd"]);
        assert!(chapter_tools("no commands: redis-cli is mentioned\n").is_empty());
    }
}

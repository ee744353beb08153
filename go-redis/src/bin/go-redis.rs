//! Day 3 — the go-redis server binary: `go-redis [redis.conf] [--port N] [--config FILE] [--<directive> value]`.
//!
//! Starts the database with active expiry, serves RESP on the configured address, and
//! shuts down gracefully on SIGTERM or SIGINT (Ctrl-C): it stops accepting, ends every
//! connection at once (a client blocked in BLPOP, or one that never reads its replies,
//! does not hold it up) and exits with status 0. The signal handlers are installed before
//! the server starts, so a signal that comes early is a graceful shutdown too, not the
//! default sudden death; a second signal exits at once, as Redis does when you insist. clap gives it `--help` and `--version`; every
//! other argument is Redis's own syntax (a config file, then `--<directive> <value>` pairs,
//! exactly as `redis-server` takes them), which [`Config::from_args`] reads.

use std::process::ExitCode;

use std::future::Future;

use clap::Parser;
use go_redis::{Config, run_server};
use tokio::signal::unix::{SignalKind, signal};

// Day 3: the allocator. A write command frees the value it replaces and allocates the
// new one; glibc's malloc reads and relinks the freed chunk's neighbours (cold memory in a
// big keyspace), which measured as more than half of SET's cache misses. Redis links
// jemalloc for the same reason; mimalloc does the same job and builds in seconds.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Redis-compatible server speaking RESP (the go-redis course).
#[derive(Parser)]
#[command(
    name = "go-redis",
    version,
    about,
    after_help = "Examples:\n  go-redis --port 6399\n  go-redis redis.conf --maxclients 100\n  go-redis --config redis.conf --requirepass secret"
)]
struct Cli {
    /// A redis.conf file to read first (optional), then `--<directive> <value>` pairs as
    /// redis-server takes them: --port N, --bind ADDR, --config FILE, --requirepass PASS,
    /// --databases N, --maxclients N, or any other redis.conf directive.
    #[arg(
        value_name = "[redis.conf] [--<directive> <value>]...",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    common::init_tracing();
    let config = match Config::from_args(cli.args) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("go-redis: {err} (see `go-redis --help`)");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("go-redis: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let served = runtime.block_on(async {
        let stop = signals()?;
        run_server(config, stop).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("go-redis: {err}");
            ExitCode::FAILURE
        }
    }
}

// ANCHOR: signals
/// Installs the SIGTERM and SIGINT handlers now, and returns the future that completes on
/// the first of them (the server then shuts down gracefully). After it, a second signal
/// ends the process at once: a graceful shutdown that hangs can always be cut short.
fn signals() -> Result<impl Future<Output = ()>, go_redis::Error> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!("received {name}: shutting down");
        tokio::spawn(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            eprintln!("go-redis: second signal, exiting now");
            std::process::exit(1);
        });
    })
}
// ANCHOR_END: signals

//! Day 3 — the go-redis server binary: `go-redis [redis.conf] [--port N] [--config FILE] [--<directive> value]`.
//!
//! Starts the database with active expiry, serves RESP on the configured address, and
//! shuts down gracefully on Ctrl-C or SIGTERM.

use std::process::ExitCode;

use go_redis::{Config, run_server};

fn main() -> ExitCode {
    common::init_tracing();
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("go-redis: {err}");
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
    match runtime.block_on(run_server(config, go_redis::server::shutdown_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("go-redis: {err}");
            ExitCode::FAILURE
        }
    }
}

//! `cargo xtask`: the course runner.
//!
//! Everything a learner, a teacher or CI does with the course goes through here, in plain
//! Rust (the cargo-xtask pattern: no shell scripts, one binary, `cargo xtask <command>`).
//! `course.toml` is the single source of truth it reads; see `cargo xtask --help`.

mod book;
mod check;
mod ci;
mod course;
mod exercise;
#[cfg(test)]
mod fixture;
mod install;
mod redis_suite;
mod tour;
mod util;
mod wasm;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use course::{Curriculum, workspace_root};

/// The course runner of "7 Days of Rust from Scratch".
#[derive(Parser)]
#[command(name = "cargo xtask", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The course map: every course and day, with its status, example and chapter.
    List,
    /// Runs one day's example interactively: `cargo xtask run gee-web 1 [-- args]`.
    Run {
        /// The course crate, e.g. gee-web.
        krate: String,
        /// The day number.
        day: u32,
        /// demo-wasm only: write a PNG of the page after its interaction instead of serving.
        #[arg(long)]
        screenshot: bool,
        /// Arguments for the example.
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Runs every built day's example unattended and checks its output.
    Tour {
        /// Only this course.
        krate: Option<String>,
    },
    /// Everything CI checks: fmt, clippy, tests, consistency, book, exercises, tour, wasm.
    Test,
    /// Makes an exercise copy (`exercise gee-web 1 [--out DIR] [--force]`) or proves every
    /// exercise sound (`exercise verify [crate] [--each-region]`).
    Exercise {
        /// A course crate, or `verify`.
        target: String,
        /// The day number (or, after `verify`, an optional course crate).
        day_or_crate: Option<String>,
        /// Where to put the copy (default exercises/CRATE-dayN).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace an existing copy (the work in it is lost).
        #[arg(long)]
        force: bool,
        /// With `verify`: also blank each region of a multi-region day alone (slower).
        #[arg(long)]
        each_region: bool,
        /// With `verify`: skip running the reference's tests first (when they just passed).
        #[arg(long)]
        skip_reference: bool,
    },
    /// Runs every test that can reach a day's exercise in a learner's copy. Inside a copy,
    /// plain `cargo xtask check` knows which exercise it holds.
    Check {
        /// The course crate (default: from the copy's .exercise.toml).
        krate: Option<String>,
        /// The day number (default: from the copy's .exercise.toml).
        day: Option<u32>,
        /// The copy (default: this workspace if it is a copy, else exercises/CRATE-dayN).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Builds the book (installing mdBook if needed).
    Docs {
        /// Open it in a browser afterwards.
        #[arg(long)]
        open: bool,
    },
    /// Runs the side-by-side benchmarks against the peers, in release mode.
    Bench {
        /// Only this course.
        krate: Option<String>,
        /// Options for the course's suite, e.g. `go-redis --persistence` (the AOF against Redis).
        #[arg(allow_hyphen_values = true, trailing_var_arg = true)]
        options: Vec<String>,
    },
    /// Runs the Redis TCL suite (a 7.0.15 test tree at DIR) against go-redis and prints a table.
    RedisSuite {
        /// The exported Redis test tree (holds `runtest` and `tests/`).
        #[arg(long)]
        tests: PathBuf,
        /// Only these units (default: every unit of days 1-4: strings, keys, TTL, collections, protocol, introspection; and day 6's multi and pubsub).
        #[arg(long)]
        unit: Vec<String>,
    },
    /// Regenerates docs/src/SUMMARY.md and the README course map from course.toml.
    Sync,
    /// Internal: cargo's runner for demo-wasm's wasm32 tests (see xtask/src/wasm.rs).
    #[command(hide = true)]
    WasmTestRunner {
        /// The test `.wasm` and the test harness's arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

fn main() -> ExitCode {
    match real_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> Result<bool> {
    let cli = Cli::parse();
    let root = workspace_root();
    let curriculum = Curriculum::load(&root)?;
    match cli.command {
        Command::List => {
            list(&curriculum);
            Ok(true)
        }
        Command::Run {
            krate,
            day,
            screenshot,
            args,
        } => {
            if krate == wasm::KRATE {
                return wasm::run(&root, curriculum.course(&krate)?, day, screenshot)
                    .map(|()| true);
            }
            tour::run_interactive(&root, &curriculum, &krate, day, &args).map(|()| true)
        }
        Command::Tour { krate } => {
            let (_, failed, _) = tour::tour(&root, &curriculum, krate.as_deref())?;
            Ok(failed == 0)
        }
        Command::Test => ci::test_all(&root, &curriculum),
        Command::Exercise {
            target,
            day_or_crate,
            out,
            force,
            each_region,
            skip_reference,
        } => {
            if target == "verify" {
                let failed = exercise::verify(
                    &root,
                    &curriculum,
                    day_or_crate.as_deref(),
                    each_region,
                    !skip_reference,
                )?;
                return Ok(failed == 0);
            }
            let Some(day) = day_or_crate else {
                bail!(
                    "usage: cargo xtask exercise <crate> <day> [--out DIR] [--force] | cargo xtask exercise verify [<crate>] [--each-region]"
                );
            };
            let day: u32 = day
                .parse()
                .map_err(|_| anyhow::anyhow!("`{day}` is not a day number"))?;
            exercise::make(&root, &curriculum, &target, day, out, force).map(|()| true)
        }
        Command::Check { krate, day, dir } => {
            exercise::check(&root, &curriculum, krate.as_deref(), day, dir)
        }
        Command::Docs { open } => book::build(&root, &curriculum, open).map(|()| true),
        Command::Bench { krate, options } => {
            ci::bench(&root, &curriculum, krate.as_deref(), &options).map(|()| true)
        }
        Command::RedisSuite { tests, unit } => redis_suite::run(&root, &tests, &unit),
        Command::Sync => book::sync(&root, &curriculum).map(|()| true),
        Command::WasmTestRunner { args } => wasm::test_runner(&root, &args),
    }
}

/// Prints the course map.
fn list(curriculum: &Curriculum) {
    for course in &curriculum.courses {
        println!("\n{} — {}", course.krate, course.title);
        for day in &course.days {
            let status = if day.is_built() { "built  " } else { "planned" };
            let example = if day.is_built() {
                day.stem()
            } else {
                String::new()
            };
            println!(
                "  day {}  {status}  {:<42} {:<28} {}",
                day.number,
                day.title,
                example,
                if day.is_built() { &day.chapter } else { "" }
            );
        }
    }
    println!(
        "\n{} of {} days planned (not built yet)",
        curriculum.planned_count(),
        curriculum.days().count()
    );
}

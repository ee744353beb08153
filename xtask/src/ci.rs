//! `cargo xtask test`: everything CI checks, in one command, with one summary line.
//!
//! Each step runs even when an earlier one failed, so one run shows every problem. The steps
//! install what they need (mdBook; later the wasm toolchain and a browser) and say so. The
//! last line is `xtask: N passed, M failed`, the form CI and people both read.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::course::Curriculum;
use crate::install;
use crate::util::{self, cargo, human};
use crate::{book, check, exercise, tour, wasm};

/// What one step of `cargo xtask test` ended as.
enum StepResult {
    Passed,
    Failed(String),
    Skipped(String),
}

/// Runs every check; returns Ok(true) when all passed.
pub fn test_all(root: &Path, curriculum: &Curriculum) -> Result<bool> {
    type Step<'a> = (&'static str, Box<dyn Fn() -> StepResult + 'a>);
    let from = |r: Result<bool>| match r {
        Ok(true) => StepResult::Passed,
        Ok(false) => StepResult::Failed("see the output above".into()),
        Err(err) => StepResult::Failed(format!("{err:#}")),
    };
    let cargo_ok = |args: &'static [&'static str]| {
        move || from(util::status(cargo().current_dir(root).args(args)).map(|s| s.success()))
    };
    let steps: Vec<Step> = vec![
        (
            "fmt",
            Box::new(cargo_ok(&["fmt", "--all", "--", "--check"])),
        ),
        (
            "clippy",
            Box::new(cargo_ok(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
        ),
        // `bench` compiles the peers, so it stays out of `cargo test` (clippy still lints it).
        (
            "cargo test",
            Box::new(|| {
                // go-redis's smoke test drives it with redis-py, as users do: give it one.
                if let Err(err) = install::ensure_redis_py(root) {
                    println!(
                        "xtask: no redis-py ({err:#}); go-redis's redis-py test will say SKIPPED"
                    );
                }
                cargo_ok(&["test", "--workspace", "--exclude", "bench"])()
            }),
        ),
        (
            // Every public item documents itself, and a broken intra-doc link is a bug.
            "cargo doc",
            Box::new(|| {
                from(
                    util::status(
                        cargo()
                            .current_dir(root)
                            .env("RUSTDOCFLAGS", "-D warnings")
                            .args(["doc", "--workspace", "--no-deps", "--exclude", "bench"]),
                    )
                    .map(|s| s.success()),
                )
            }),
        ),
        (
            "course.toml consistency",
            Box::new(|| match check::consistency(root, curriculum) {
                Ok(problems) if problems.is_empty() => StepResult::Passed,
                Ok(problems) => {
                    for p in &problems {
                        println!("  - {p}");
                    }
                    StepResult::Failed(format!("{} problem(s), listed above", problems.len()))
                }
                Err(err) => StepResult::Failed(format!("{err:#}")),
            }),
        ),
        (
            "book builds",
            Box::new(|| from(book::build(root, curriculum, false).map(|()| true))),
        ),
        (
            "exercise verify",
            Box::new(|| {
                // Regions of a day together plus the known-wrong answers (not each region
                // alone: see `exercise::verify` for the cost), and no second reference run:
                // the `cargo test` step above ran every test on the reference.
                from(
                    exercise::verify(root, curriculum, None, false, false)
                        .map(|failed| failed == 0),
                )
            }),
        ),
        (
            "tour",
            Box::new(|| from(tour::tour(root, curriculum, None).map(|(_, failed, _)| failed == 0))),
        ),
        (
            "wasm in a browser",
            Box::new(|| match wasm::browser_tests(root, curriculum) {
                Ok(None) => StepResult::Skipped("demo-wasm has no built days yet".into()),
                Ok(Some(true)) => StepResult::Passed,
                Ok(Some(false)) => StepResult::Failed("see the output above".into()),
                Err(err) => StepResult::Failed(format!("{err:#}")),
            }),
        ),
    ];

    let mut results: Vec<(&str, StepResult, Duration)> = Vec::new();
    for (i, (name, step)) in steps.iter().enumerate() {
        println!("\n=== [{}/{}] {name} ===", i + 1, steps.len());
        let (result, time) = util::timed(step);
        match &result {
            StepResult::Passed => println!("=== {name}: passed ({}) ===", human(time)),
            StepResult::Failed(why) => println!("=== {name}: FAILED ({}): {why} ===", human(time)),
            StepResult::Skipped(why) => println!("=== {name}: skipped: {why} ==="),
        }
        results.push((name, result, time));
    }

    println!("\n| step | result | time |\n|---|---|---|");
    for (name, result, time) in &results {
        let shown = match result {
            StepResult::Passed => "passed".to_owned(),
            StepResult::Failed(why) => format!("FAILED: {}", why.lines().next().unwrap_or("")),
            StepResult::Skipped(why) => format!("skipped: {why}"),
        };
        println!("| {name} | {shown} | {} |", human(*time));
    }
    let planned: Vec<String> = curriculum
        .days()
        .filter(|(_, d)| !d.is_built())
        .map(|(c, d)| format!("{} {}", c.krate, d.number))
        .collect();
    println!(
        "\n{} of {} days planned (not built yet)",
        planned.len(),
        curriculum.days().count()
    );
    let passed = results
        .iter()
        .filter(|(_, r, _)| matches!(r, StepResult::Passed))
        .count();
    let failed = results
        .iter()
        .filter(|(_, r, _)| matches!(r, StepResult::Failed(_)))
        .count();
    let skipped = results.len() - passed - failed;
    if skipped > 0 {
        println!("xtask: {passed} passed, {failed} failed, {skipped} skipped");
    } else {
        println!("xtask: {passed} passed, {failed} failed");
    }
    Ok(failed == 0)
}

/// `cargo xtask bench [<crate>]`: the side-by-side benchmarks, in release mode.
pub fn bench(
    root: &Path,
    curriculum: &Curriculum,
    krate: Option<&str>,
    options: &[String],
) -> Result<()> {
    if let Some(k) = krate {
        curriculum.course(k)?;
    }
    // demo-wasm measures .wasm sizes against Go, in xtask: no peer crate to compile.
    if krate == Some(wasm::KRATE) {
        return wasm::bench(root, curriculum);
    }
    let mut cmd = cargo();
    cmd.current_dir(root)
        .args(["run", "--release", "-p", "bench", "--"]);
    if let Some(k) = krate {
        cmd.arg(k);
    }
    cmd.args(options);
    if !util::status(&mut cmd)?.success() {
        bail!("the benchmarks failed");
    }
    if krate.is_none() {
        wasm::bench(root, curriculum)?;
    }
    Ok(())
}

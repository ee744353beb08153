//! Classroom exercises: blank a day's marked regions, check a learner's copy, prove it all works.
//!
//! One marker pair serves the book and the exercise: the code a chapter shows with
//! `{{#include file.rs:ex_name}}` is the code `cargo xtask exercise` replaces by `todo!()`.
//! The learner gets a full copy of the workspace that compiles, whose day tests fail until
//! the blanks are filled. `exercise verify` is the rustlings-style self-test: for every built
//! day, the blanked copy must compile and its tests must FAIL (so blanking matters), and the
//! reference must pass them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

use crate::check::marker_name;
use crate::course::{Course, Curriculum, Day};
use crate::util::{self, human};

/// The file written at the root of a learner's copy, naming the exercise it holds.
pub const MARKER_FILE: &str = ".exercise.toml";

/// Replaces the lines between `ANCHOR: region` and `ANCHOR_END: region` with a `todo!()`
/// carrying the hint. The markers stay, so the copy can be diffed against the reference.
pub fn blank(text: &str, region: &str, hint: &str) -> Result<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| marker_name(lines[i], "ANCHOR:") == Some(region))
        .collect();
    let ends: Vec<usize> = (0..lines.len())
        .filter(|&i| marker_name(lines[i], "ANCHOR_END:") == Some(region))
        .collect();
    let (start, end) = match (starts.as_slice(), ends.as_slice()) {
        ([s], [e]) if s < e => (*s, *e),
        ([], _) | (_, []) => bail!(
            "exercise region `{region}` has no `ANCHOR: {region}` / `ANCHOR_END: {region}` pair"
        ),
        _ => bail!("exercise region `{region}` must appear exactly once, start before end"),
    };
    let body = &lines[start + 1..end];
    ensure!(
        body.iter().any(|l| !l.trim().is_empty()),
        "exercise region `{region}` is empty"
    );
    let indent: String = lines[start]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let message = format!("exercise `{region}`: {hint}");
    let mut out = String::with_capacity(text.len());
    lines[..=start].iter().for_each(|l| out.push_str(l));
    // The message is an argument, not the format string: a hint may contain `{` and `}`.
    out.push_str(&format!("{indent}todo!(\"{{}}\", {message:?})\n"));
    lines[end..].iter().for_each(|l| out.push_str(l));
    Ok(out)
}

/// Writes the blanked version of every exercise region of `day` into the copy at `dir`.
fn blank_day_into(root: &Path, dir: &Path, day: &Day) -> Result<()> {
    let mut files: Vec<&str> = day.exercises.iter().map(|e| e.file.as_str()).collect();
    files.sort();
    files.dedup();
    for file in files {
        let mut text =
            std::fs::read_to_string(root.join(file)).with_context(|| format!("reading {file}"))?;
        for ex in day.exercises.iter().filter(|e| e.file == file) {
            text = blank(&text, &ex.region, &ex.hint).with_context(|| format!("in {file}"))?;
        }
        util::write_if_changed(&dir.join(file), text.as_bytes())?;
    }
    Ok(())
}

/// Makes (or refreshes) a copy of the workspace at `dir`, skipping build output.
fn copy_workspace(root: &Path, dir: &Path) -> Result<()> {
    let dir_abs = dir.to_path_buf();
    util::copy_tree(root, dir, &|path| path == dir_abs)
}

/// `cargo xtask exercise <crate> <day> [--out DIR]`.
pub fn make(
    root: &Path,
    curriculum: &Curriculum,
    krate: &str,
    number: u32,
    out: Option<PathBuf>,
) -> Result<()> {
    let course = curriculum.course(krate)?;
    let day = course.day(number)?;
    ensure!(
        day.is_built(),
        "{krate} day {number} is planned: there is nothing to practise yet"
    );
    let dir = out.unwrap_or_else(|| default_dir(root, krate, number));
    copy_workspace(root, &dir)?;
    blank_day_into(root, &dir, day)?;
    util::write_if_changed(
        &dir.join(MARKER_FILE),
        format!("crate = \"{krate}\"\nday = {number}\n").as_bytes(),
    )?;
    let guide = guide(course, day);
    util::write_if_changed(&dir.join("EXERCISE.md"), guide.as_bytes())?;
    println!("{guide}");
    println!("Your copy is in {}", dir.display());
    Ok(())
}

fn default_dir(root: &Path, krate: &str, number: u32) -> PathBuf {
    root.join("target")
        .join("exercise")
        .join(format!("{krate}-day{number}"))
}

/// The instructions written to EXERCISE.md and printed for the learner.
fn guide(course: &Course, day: &Day) -> String {
    let mut text = format!(
        "# Exercise: {} day {} — {}\n\nRead the chapter first: {}\n\nFill in these `todo!()`s:\n\n",
        course.krate, day.number, day.title, day.chapter
    );
    for ex in &day.exercises {
        text.push_str(&format!("- `{}` in {}: {}\n", ex.region, ex.file, ex.hint));
    }
    text.push_str(&format!(
        "\nThen, in this copy, check your work:\n\n    cargo xtask check {} {}\n\nwhich runs the day's tests ({}). They fail until the blanks are filled correctly.\n",
        course.krate, day.number, day.test
    ));
    text
}

/// `cargo xtask check <crate> <day> [--dir DIR]`: runs the day's tests in a learner's copy.
///
/// Inside a copy made by `exercise` (it has `.exercise.toml`), the default DIR is the copy
/// itself; in the reference workspace it is the default copy under `target/exercise/`.
pub fn check(
    root: &Path,
    curriculum: &Curriculum,
    krate: &str,
    number: u32,
    dir: Option<PathBuf>,
) -> Result<bool> {
    let day = curriculum.course(krate)?.day(number)?;
    let dir = match dir {
        Some(dir) => dir,
        None if root.join(MARKER_FILE).is_file() => root.to_path_buf(),
        None => default_dir(root, krate, number),
    };
    ensure!(
        dir.join("Cargo.toml").is_file(),
        "no workspace at {}: run `cargo xtask exercise {krate} {number}` first",
        dir.display()
    );
    println!("checking {krate} day {number} in {} ...", dir.display());
    let mut test = crate::wasm::cargo_for(root, krate)?;
    test.current_dir(&dir)
        .args(["test", "-p", krate, "--test", &day.stem()]);
    if dir != root && std::env::var_os("CARGO_TARGET_DIR").is_none() {
        // Share one target directory between copies: only the changed crate recompiles.
        test.env(
            "CARGO_TARGET_DIR",
            root.join("target").join("exercise").join("target"),
        );
    }
    let passed = util::status(&mut test)?.success();
    if passed {
        println!("\n{krate} day {number}: all tests pass. Exercise solved!");
    } else {
        println!(
            "\n{krate} day {number}: not yet — the tests above fail. Keep going (hints: EXERCISE.md)."
        );
    }
    Ok(passed)
}

/// `cargo xtask exercise verify [<crate>]`: every built day's exercise is solvable and matters.
/// Returns the number of days that failed verification.
pub fn verify(root: &Path, curriculum: &Curriculum, krate: Option<&str>) -> Result<usize> {
    let days: Vec<(&Course, &Day)> = curriculum
        .select(krate)?
        .into_iter()
        .filter(|(_, d)| d.is_built())
        .collect();
    let dir = root.join("target").join("exercise").join("verify");
    let target = root.join("target").join("exercise").join("verify-target");
    let mut failures = 0;
    for (i, (course, day)) in days.iter().enumerate() {
        print!(
            "[{}/{}] verify {} day {} ... ",
            i + 1,
            days.len(),
            course.krate,
            day.number
        );
        let _ = std::io::Write::flush(&mut std::io::stdout());
        let (result, time) = util::timed(|| verify_day(root, &dir, &target, course, day));
        match result {
            Ok(()) => println!("ok ({})", human(time)),
            Err(err) => {
                failures += 1;
                println!("FAILED ({})\n        {err:#}", human(time));
            }
        }
    }
    let planned = curriculum
        .select(krate)?
        .iter()
        .filter(|(_, d)| !d.is_built())
        .count();
    println!(
        "exercise verify: {} passed, {failures} failed, {planned} planned",
        days.len() - failures
    );
    Ok(failures)
}

/// How long a `cargo test` that may have to compile gets in `verify`: generous, because a
/// cold build on a busy 2-core machine takes minutes.
const BUILD_LIMIT: Duration = Duration::from_secs(900);
/// How long the blanked copy's already-built tests may run before they count as hung.
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn verify_day(root: &Path, dir: &Path, target: &Path, course: &Course, day: &Day) -> Result<()> {
    let stem = day.stem();
    let day_test =
        |cwd: &Path, target: Option<&Path>, extra: &[&str], limit| -> Result<util::Bounded> {
            let mut cmd = crate::wasm::cargo_for(root, &course.krate)?;
            cmd.current_dir(cwd)
                .args(["test", "--quiet", "-p", &course.krate, "--test", &stem])
                .args(extra);
            if let Some(t) = target {
                cmd.env("CARGO_TARGET_DIR", t);
            }
            util::output_with_timeout(&mut cmd, limit)
        };
    let tail = |run: &util::Bounded, n| crate::tour::tail(&run.output, n);
    // The reference solves it.
    let reference = day_test(root, None, &[], BUILD_LIMIT)?;
    ensure!(
        reference.status.is_some_and(|s| s.success()),
        "the reference fails (or hangs in) its own day tests:\n{}",
        tail(&reference, 20)
    );
    // The blanked copy compiles ...
    copy_workspace(root, dir)?;
    blank_day_into(root, dir, day)?;
    let build = day_test(dir, Some(target), &["--no-run"], BUILD_LIMIT)?;
    ensure!(
        build.status.is_some_and(|s| s.success()),
        "the blanked copy does not compile:\n{}",
        tail(&build, 30)
    );
    // ... and its tests fail. A hang counts as failing, but is worth a warning: a learner
    // would wait for it too, so the day's tests should bound their waits.
    let run = day_test(dir, Some(target), &[], RUN_LIMIT)?;
    match run.status {
        Some(status) => ensure!(
            !status.success(),
            "the day's tests still pass with the regions blanked: the exercise tests nothing"
        ),
        None => println!("(warning: the blanked tests hung and were killed after {RUN_LIMIT:?}) "),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_a_region_keeping_markers_and_indent() {
        let code = "fn f() -> u32 {\n    // ANCHOR: ex_f\n    let x = 1;\n    x + 1\n    // ANCHOR_END: ex_f\n}\n";
        let blanked = blank(code, "ex_f", "add \"one\" {x}").unwrap();
        assert_eq!(
            blanked,
            "fn f() -> u32 {\n    // ANCHOR: ex_f\n    todo!(\"{}\", \"exercise `ex_f`: add \\\"one\\\" {x}\")\n    // ANCHOR_END: ex_f\n}\n"
        );
    }

    #[test]
    fn rejects_missing_duplicate_or_empty_regions() {
        assert!(blank("fn f() {}\n", "ex_f", "").is_err());
        let twice =
            "// ANCHOR: ex_f\nx\n// ANCHOR_END: ex_f\n// ANCHOR: ex_f\ny\n// ANCHOR_END: ex_f\n";
        assert!(blank(twice, "ex_f", "").is_err());
        assert!(blank("// ANCHOR: ex_f\n\n// ANCHOR_END: ex_f\n", "ex_f", "").is_err());
        assert!(blank("// ANCHOR_END: ex_f\nx\n// ANCHOR: ex_f\n", "ex_f", "").is_err());
    }
}

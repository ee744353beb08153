//! Classroom exercises: blank a day's marked regions, check a learner's copy, prove it all works.
//!
//! One marker pair serves the book and the exercise: the code a chapter shows with
//! `{{#include file.rs:ex_name}}` is the code `cargo xtask exercise` replaces by `todo!()`.
//! The learner gets a full copy of the workspace that compiles, whose tests fail until the
//! blanks are filled; the copy's own book (`cargo xtask docs` in the copy) shows the
//! `todo!()`s, so reading the chapter there does not give the answer away.
//!
//! Two promises make an exercise worth doing, and this module keeps both:
//!
//! - **`check` cannot be fooled.** It runs every test that can reach the blanked code: the
//!   crate's unit tests, every integration test of the crate (all built days, not just the
//!   exercise's own: a day-2 answer that breaks day 4 is wrong), its examples (they must
//!   compile), and the unit tests of any other crate a region lives in (e.g. `common`).
//! - **`exercise verify` proves every region matters** (see [`verify`] for what runs in CI and
//!   what it costs): the reference passes, each blanked copy compiles and fails some test,
//!   and every known-wrong answer written down in course.toml fails some test too.
//!
//! The learner's copy is theirs: it lives in `exercises/<crate>-day<N>/` at the workspace
//! root (git-ignored, outside `target/`, so `cargo clean` keeps it), `exercise` refuses to
//! overwrite it without `--force`, and every copy builds into one shared target directory so
//! the second copy and every `check` recompile only the crate that changed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

use crate::check::{anchor_body, marker_name};
use crate::course::{Course, Curriculum, Day};
use crate::util::{self, human};

/// The file written at the root of a learner's copy, naming the exercise it holds.
pub const MARKER_FILE: &str = ".exercise.toml";

/// The directory, at the workspace root, that holds the learners' copies (git-ignored).
pub const COPIES_DIR: &str = "exercises";

/// How long a test run may take once built, in `check` and `verify`, before it counts as
/// hung: a wrong answer can make a test wait forever (a blocked client never served), and a
/// course runner must not wait with it.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// How long the already-built tests of one `cargo test` may run in `verify`. Shorter than for
/// a learner: a crate's whole test run takes seconds, and a known-wrong answer that makes a
/// test wait forever should cost CI little. Long enough for libtest to name the test that
/// hangs (it reports tests running for over 60 s).
const VERIFY_RUN_LIMIT: Duration = Duration::from_secs(75);

/// How long a `cargo test` that may have to compile gets in `verify`: generous, because a
/// cold build on a busy 2-core machine takes minutes.
const BUILD_LIMIT: Duration = Duration::from_secs(1200);

/// Replaces the lines between `ANCHOR: region` and `ANCHOR_END: region` with `body` (whole
/// lines, each ending in a newline). The markers stay, so the copy can be diffed against the
/// reference.
pub fn replace_region(text: &str, region: &str, body: &str) -> Result<String> {
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
    ensure!(
        lines[start + 1..end].iter().any(|l| !l.trim().is_empty()),
        "exercise region `{region}` is empty"
    );
    let mut out = String::with_capacity(text.len() + body.len());
    lines[..=start].iter().for_each(|l| out.push_str(l));
    out.push_str(body);
    if !body.is_empty() && !body.ends_with('\n') {
        out.push('\n');
    }
    lines[end..].iter().for_each(|l| out.push_str(l));
    Ok(out)
}

/// Replaces a region's body with a `todo!()` carrying the hint, indented like the marker.
pub fn blank(text: &str, region: &str, hint: &str) -> Result<String> {
    let indent: String = text
        .lines()
        .find(|l| marker_name(l, "ANCHOR:") == Some(region))
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let message = format!("exercise `{region}`: {hint}");
    // The message is an argument, not the format string: a hint may contain `{` and `}`.
    replace_region(
        text,
        region,
        &format!("{indent}todo!(\"{{}}\", {message:?})\n"),
    )
}

/// What goes into a region of a copy.
#[derive(Clone, Copy)]
enum Fill<'a> {
    /// `todo!()` with this hint: what the learner starts from.
    Blank(&'a str),
    /// This body: a known-wrong answer.
    Body(&'a str),
}

/// One edit of a copy: region `region` of `file` gets `fill`.
#[derive(Clone, Copy)]
struct Edit<'a> {
    file: &'a str,
    region: &'a str,
    fill: Fill<'a>,
}

/// The edits that blank every region of `day`: the learner's starting point.
fn blank_edits(day: &Day) -> Vec<Edit<'_>> {
    day.exercises
        .iter()
        .map(|ex| Edit {
            file: &ex.file,
            region: &ex.region,
            fill: Fill::Blank(&ex.hint),
        })
        .collect()
}

/// Writes every file an edit touches into the copy at `dir`: the reference text with the
/// edits applied. Files no edit touches are left as [`copy_workspace`] wrote them.
fn apply_edits(root: &Path, dir: &Path, edits: &[Edit]) -> Result<()> {
    let files: BTreeSet<&str> = edits.iter().map(|e| e.file).collect();
    for file in files {
        let mut text =
            std::fs::read_to_string(root.join(file)).with_context(|| format!("reading {file}"))?;
        for edit in edits.iter().filter(|e| e.file == file) {
            text = match edit.fill {
                Fill::Blank(hint) => blank(&text, edit.region, hint),
                Fill::Body(body) => replace_region(&text, edit.region, body),
            }
            .with_context(|| format!("in {file}"))?;
        }
        util::write_if_changed(&dir.join(file), text.as_bytes())?;
    }
    Ok(())
}

/// Makes (or refreshes) a copy of the workspace at `dir`: everything but build output, git,
/// and the learners' copies themselves. Unchanged files are not rewritten, so cargo rebuilds
/// only what an exercise touches.
fn copy_workspace(root: &Path, dir: &Path) -> Result<()> {
    let dir_abs = dir.to_path_buf();
    let copies = root.join(COPIES_DIR);
    let marker = root.join(MARKER_FILE);
    util::copy_tree(root, dir, &|path| {
        path == dir_abs || path == copies || path == marker
    })
}

/// Where `cargo xtask exercise <crate> <day>` puts the copy by default.
pub fn default_dir(root: &Path, krate: &str, number: u32) -> PathBuf {
    root.join(COPIES_DIR).join(format!("{krate}-day{number}"))
}

/// The one target directory every learner's copy builds into. It is only a build cache (so
/// it may live under `target/` and `cargo clean` may delete it); the copies are elsewhere.
pub fn shared_target(root: &Path) -> PathBuf {
    root.join("target").join("exercise-cache")
}

/// `cargo xtask exercise <crate> <day> [--out DIR] [--force]`: the learner's copy.
pub fn make(
    root: &Path,
    curriculum: &Curriculum,
    krate: &str,
    number: u32,
    out: Option<PathBuf>,
    force: bool,
) -> Result<()> {
    let course = curriculum.course(krate)?;
    let day = course.day(number)?;
    ensure!(
        day.is_built(),
        "{krate} day {number} is planned: there is nothing to practise yet"
    );
    let dir = out.unwrap_or_else(|| default_dir(root, krate, number));
    let occupied = std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some());
    if occupied {
        ensure!(
            force,
            "{} already exists: your work is in it. Check it with `cargo xtask check` there, \
             or start over with `cargo xtask exercise {krate} {number} --force` (which deletes it)",
            dir.display()
        );
        // --force deletes only what `exercise` made: a typo in --out must not wipe a folder.
        ensure!(
            dir.join(MARKER_FILE).is_file(),
            "{} is not an exercise copy (it has no {MARKER_FILE}): choose another --out",
            dir.display()
        );
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    copy_workspace(root, &dir)?;
    apply_edits(root, &dir, &blank_edits(day))?;
    write_copy_config(root, &dir)?;
    util::write_if_changed(
        &dir.join(MARKER_FILE),
        format!("crate = \"{krate}\"\nday = {number}\n").as_bytes(),
    )?;
    let guide = guide(course, day, &dir);
    util::write_if_changed(&dir.join("EXERCISE.md"), guide.as_bytes())?;
    println!("{guide}");
    println!("Your copy is in {}", dir.display());
    Ok(())
}

/// Points the copy's cargo at the shared build cache: `.cargo/config.toml` in the copy is the
/// reference's plus a `[build] target-dir`, so `cargo xtask check`, `cargo test` and
/// `cargo xtask docs` run inside the copy all share it, whoever starts them.
fn write_copy_config(root: &Path, dir: &Path) -> Result<()> {
    let path = dir.join(".cargo").join("config.toml");
    let mut config = std::fs::read_to_string(&path).unwrap_or_default();
    let target = shared_target(root);
    let target = target.to_str().context("the workspace path is not UTF-8")?;
    config.push_str(&format!(
        "\n# Written by `cargo xtask exercise`: every exercise copy shares one build cache.\n[build]\ntarget-dir = {target:?}\n"
    ));
    util::write_if_changed(&path, config.as_bytes())
}

/// The instructions written to EXERCISE.md and printed for the learner.
fn guide(course: &Course, day: &Day, dir: &Path) -> String {
    let mut text = format!(
        "# Exercise: {} day {} — {}\n\n\
         Read the chapter in this copy's own book, not in the reference book: the reference book \
         shows the code you are about to write. Here, in {}, run\n\n    cargo xtask docs --open\n\n\
         and read \"Day {} — {}\" ({}): where the reference shows the answer, this book shows \
         the `todo!()`s.\n\n\
         Fill in these `todo!()`s:\n\n",
        course.krate,
        day.number,
        day.title,
        dir.display(),
        day.number,
        day.title,
        day.chapter,
    );
    for ex in &day.exercises {
        text.push_str(&format!("- `{}` in {}: {}\n", ex.region, ex.file, ex.hint));
    }
    text.push_str(&format!(
        "\nThen check your work, in this copy:\n\n    cargo xtask check\n\n\
         It runs every test that can reach your code: {}'s unit tests, the tests of every built \
         day of the course (a day-{} answer that breaks a later day is not an answer), and it \
         builds the examples. They fail until the blanks are filled correctly.\n\n\
         This copy is yours: `cargo xtask exercise {} {}` will not overwrite it unless you add \
         `--force`.\n",
        course.krate, day.number, course.krate, day.number
    ));
    text
}

/// Which exercise a copy holds, as `.exercise.toml` says.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Marker {
    #[serde(rename = "crate")]
    krate: String,
    day: u32,
}

fn read_marker(dir: &Path) -> Result<Option<Marker>> {
    let path = dir.join(MARKER_FILE);
    match std::fs::read_to_string(&path) {
        Err(_) => Ok(None),
        Ok(text) => toml::from_str(&text)
            .map(Some)
            .with_context(|| format!("parsing {}", path.display())),
    }
}

/// The tests that can reach a day's exercise regions: what `check` runs and `verify` proves.
struct TestPlan {
    /// The course crate: all its tests run (unit, every integration test, examples built).
    krate: String,
    /// The day's own integration test, run first by `verify` (the quick tier).
    day_test: String,
    /// Other packages holding a region of the day (e.g. `common`): their unit tests run too.
    other_libs: Vec<String>,
}

impl TestPlan {
    fn new(root: &Path, course: &Course, day: &Day) -> Result<Self> {
        let mut other_libs = BTreeSet::new();
        for ex in &day.exercises {
            let package = package_of(root, &ex.file)?;
            if package != course.krate {
                other_libs.insert(package);
            }
        }
        Ok(TestPlan {
            krate: course.krate.clone(),
            day_test: day.stem(),
            other_libs: other_libs.into_iter().collect(),
        })
    }

    /// The `cargo test` runs of the full plan, each without `--no-run`.
    fn full(&self) -> Vec<Run> {
        let mut runs = vec![Run::new(&self.krate, &["--tests", "--examples"])];
        for lib in &self.other_libs {
            runs.push(Run::new(lib, &["--lib"]));
        }
        runs
    }

    /// The quick tier: the crate's unit tests and the day's own test (and other libs).
    fn quick(&self) -> Vec<Run> {
        let mut runs = vec![Run::new(&self.krate, &["--lib", "--test", &self.day_test])];
        for lib in &self.other_libs {
            runs.push(Run::new(lib, &["--lib"]));
        }
        runs
    }
}

/// One `cargo test -p <package> <targets...>`.
#[derive(Clone)]
struct Run {
    package: String,
    args: Vec<String>,
}

impl Run {
    fn new(package: &str, targets: &[&str]) -> Self {
        let mut args: Vec<String> = vec!["test".into(), "-p".into(), package.into()];
        args.extend(targets.iter().map(|t| (*t).to_owned()));
        Run {
            package: package.to_owned(),
            args,
        }
    }

    /// The same run, building only.
    fn no_run(&self) -> Self {
        let mut build = self.clone();
        build.args.push("--no-run".into());
        build
    }

    /// `cargo test ...`, for messages.
    fn shown(&self) -> String {
        format!("cargo {}", self.args.join(" "))
    }

    /// The command, in `cwd`. Every test run of `check` and `verify` is made here, so a
    /// package whose tests need a runner of their own has one place to say so.
    /// demo-wasm's tests run in a browser: [`crate::wasm::cargo_for`] sets its target and runner
    /// (the copy at `cwd` has the workspace's Cargo.lock, which pins the wasm-bindgen version).
    fn command(&self, cwd: &Path) -> Result<Command> {
        let mut cmd = crate::wasm::cargo_for(cwd, &self.package)?;
        cmd.current_dir(cwd).args(&self.args);
        Ok(cmd)
    }
}

/// The package a workspace file belongs to: the nearest Cargo.toml above it names it.
fn package_of(root: &Path, file: &str) -> Result<String> {
    let mut dir = root.join(file);
    while dir.pop() && dir.starts_with(root) {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = std::fs::read_to_string(&manifest) {
            let table: toml::Table =
                toml::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
            if let Some(name) = table
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
            {
                return Ok(name.to_owned());
            }
        }
    }
    bail!("{file} belongs to no package of the workspace")
}

/// `cargo xtask check [<crate> <day>] [--dir DIR]`: runs the tests of a learner's copy.
///
/// Inside a copy made by `exercise`, plain `cargo xtask check` reads crate and day from its
/// `.exercise.toml`. In the reference workspace, crate and day name the copy in `exercises/`.
pub fn check(
    root: &Path,
    curriculum: &Curriculum,
    krate: Option<&str>,
    number: Option<u32>,
    dir: Option<PathBuf>,
) -> Result<bool> {
    let in_copy = root.join(MARKER_FILE).is_file();
    let (krate, number, dir) = match (krate, number, dir) {
        (Some(k), Some(n), Some(dir)) => (k.to_owned(), n, dir),
        (Some(k), Some(n), None) if in_copy => (k.to_owned(), n, root.to_path_buf()),
        (Some(k), Some(n), None) => (k.to_owned(), n, default_dir(root, k, n)),
        (None, None, dir) => {
            let dir = dir.unwrap_or_else(|| root.to_path_buf());
            let marker = read_marker(&dir)?.with_context(|| {
                format!(
                    "{} is not an exercise copy (no {MARKER_FILE}): run `cargo xtask check` inside \
                     the copy, or name it: `cargo xtask check <crate> <day>`",
                    dir.display()
                )
            })?;
            (marker.krate, marker.day, dir)
        }
        _ => bail!("usage: cargo xtask check [<crate> <day>] [--dir DIR]"),
    };
    let course = curriculum.course(&krate)?;
    let day = course.day(number)?;
    ensure!(
        dir.join("Cargo.toml").is_file(),
        "no workspace at {}: run `cargo xtask exercise {krate} {number}` first",
        dir.display()
    );
    let plan = TestPlan::new(root, course, day)?;
    println!(
        "checking {krate} day {number} in {}: all of {krate}'s tests{} ...",
        dir.display(),
        plan.other_libs
            .iter()
            .map(|l| format!(" and {l}'s unit tests"))
            .collect::<String>()
    );
    let mut passed = true;
    for run in plan.full() {
        // Build first, with cargo's progress on screen and no time limit; then run the tests
        // with one, so a hanging answer ends with a message instead of a frozen terminal.
        println!("\n{}'s tests: {}", run.package, run.shown());
        if !util::status(&mut run.no_run().command(&dir)?)?.success() {
            passed = false;
            break;
        }
        match util::status_with_timeout(&mut run.command(&dir)?, RUN_LIMIT)? {
            Some(status) if status.success() => {}
            Some(_) => {
                passed = false;
                break;
            }
            None => {
                println!(
                    "\nthe tests were still running after {}: something waits forever (and was stopped)",
                    human(RUN_LIMIT)
                );
                passed = false;
                break;
            }
        }
    }
    if passed {
        println!("\n{krate} day {number}: all tests pass. Exercise solved!");
    } else {
        println!(
            "\n{krate} day {number}: not yet — the tests above fail. Keep going (hints: EXERCISE.md)."
        );
    }
    Ok(passed)
}

/// One thing `verify` proves: with these edits, the copy compiles and some test fails.
struct Case<'a> {
    /// What the case is, for the report: "blank ex_a + ex_b", "wrong ex_a: forgets ...".
    label: String,
    edits: Vec<Edit<'a>>,
}

/// The cases of one day.
///
/// - always: every region blanked together (the learner's starting point);
/// - with `each_region`, for a day of two or more regions: each region blanked alone;
/// - always: each known-wrong answer of course.toml, alone.
fn cases(day: &Day, each_region: bool) -> Vec<Case<'_>> {
    let names = |edits: &[Edit]| -> String {
        edits
            .iter()
            .map(|e| e.region)
            .collect::<Vec<_>>()
            .join(" + ")
    };
    let together = blank_edits(day);
    let mut cases = vec![Case {
        label: format!("blank {}", names(&together)),
        edits: together.clone(),
    }];
    if each_region && together.len() > 1 {
        for edit in &together {
            cases.push(Case {
                label: format!("blank {} alone", edit.region),
                edits: vec![*edit],
            });
        }
    }
    for ex in &day.exercises {
        for wrong in &ex.wrong {
            cases.push(Case {
                label: format!("wrong {}: {}", ex.region, wrong.why),
                edits: vec![Edit {
                    file: &ex.file,
                    region: &ex.region,
                    fill: Fill::Body(&wrong.code),
                }],
            });
        }
    }
    cases
}

/// `cargo xtask exercise verify [<crate>] [--each-region]`: every built day's exercise is
/// solvable, and no blank and no known-wrong answer gets past `check`. Returns the number of
/// failed proofs.
///
/// Cost, and what CI runs. Every case rewrites a module of the crate, so cargo recompiles the
/// crate and relinks its test binaries: one incremental build per case. Measured on this
/// 2-core machine while four other engineers compiled (load average 8-16, so indicative):
///
/// | run | cases | time |
/// |---|---|---|
/// | gee-web, `--each-region --skip-reference` | 20 | 287 s (~14 s a case) |
/// | gee-web, as CI but with the reference | 8 | 268 s (reference 81 s) |
/// | go-redis, as CI (`--skip-reference`) | 5 | 193 s (the hanging known-wrong case 108 s) |
/// | the first case on a cold target directory (builds every dependency) | 1 | 6.4 min |
///
/// Blanking each region alone would be ~80 cases once the six courses are built (~20 min at
/// these rates), too long for CI's 30-minute budget next to clippy, the tests and the tour.
/// So:
///
/// - `cargo xtask exercise verify` (and CI) proves per day: all its regions blanked together
///   (one build) plus each known-wrong answer (one build each): about 45 cases for 39 days;
/// - `cargo xtask exercise verify --each-region` also blanks each region of a multi-region
///   day alone, proving that every region, not just the day, is covered by some test. Run it
///   when you add or change a region.
///
/// With `reference`, the reference runs first, once per course, in the same copy and target
/// directory: it must pass every test `check` runs. `cargo xtask test` turns it off, because
/// its `cargo test` step has just run every test of the workspace on the reference (that
/// saves relinking every test binary of every course once more, ~1.5 min for gee-web here).
///
/// Each case runs the quick tier first (the crate's unit tests and the day's own test): a
/// failure there already proves the case, and most cases stop there. Only when those pass does it build and run the rest of what `check`
/// runs (every other test and example of the crate).
pub fn verify(
    root: &Path,
    curriculum: &Curriculum,
    krate: Option<&str>,
    each_region: bool,
    reference: bool,
) -> Result<usize> {
    let selected = curriculum.select(krate)?;
    let built: Vec<(&Course, &Day)> = selected
        .iter()
        .copied()
        .filter(|(_, d)| d.is_built())
        .collect();
    let planned = selected.len() - built.len();
    let dir = root.join("target").join("exercise").join("verify");
    let target = root.join("target").join("exercise").join("verify-target");
    let mut failures = 0;
    let mut proved = 0;
    let mut reference_ok: Vec<(&str, bool)> = Vec::new();
    for (i, (course, day)) in built.iter().enumerate() {
        println!(
            "[{}/{}] verify {} day {}",
            i + 1,
            built.len(),
            course.krate,
            day.number
        );
        // The reference must pass what `check` runs, once per course.
        let ok = match reference_ok.iter().find(|(k, _)| *k == course.krate) {
            Some((_, ok)) => *ok,
            None if !reference => true,
            None => {
                let (result, time) = util::timed(|| reference_passes(root, &dir, &target, course));
                let ok = match result {
                    Ok(()) => {
                        println!("    reference passes every test ... ok ({})", human(time));
                        true
                    }
                    Err(err) => {
                        failures += 1;
                        println!(
                            "    reference ... FAILED ({})\n        {err:#}",
                            human(time)
                        );
                        false
                    }
                };
                reference_ok.push((&course.krate, ok));
                ok
            }
        };
        if !ok {
            continue;
        }
        let plan = TestPlan::new(root, course, day)?;
        for case in cases(day, each_region) {
            print!("    {} ... ", case.label);
            let _ = std::io::Write::flush(&mut std::io::stdout());
            let (result, time) = util::timed(|| prove(root, &dir, &target, &plan, &case));
            match result {
                Ok(evidence) => {
                    proved += 1;
                    println!("ok ({}; {evidence})", human(time));
                }
                Err(err) => {
                    failures += 1;
                    println!(
                        "FAILED ({})\n        {}",
                        human(time),
                        format!("{err:#}").replace('\n', "\n        ")
                    );
                }
            }
        }
    }
    // Leave the verify copy as the reference again, so it never holds a stale blank.
    if dir.exists() {
        copy_workspace(root, &dir)?;
    }
    println!(
        "exercise verify: {proved} case(s) proved, {failures} failed, {} day(s) built, {planned} planned{}",
        built.len(),
        if each_region {
            " (each region alone)"
        } else {
            " (regions of a day together; --each-region for one by one)"
        }
    );
    Ok(failures)
}

/// Runs the full plan's tests on an unedited copy of the reference, in verify's own target
/// directory: the build it needs is the one every case of the course starts from anyway, so
/// proving the reference costs the test run, not an extra build.
fn reference_passes(root: &Path, dir: &Path, target: &Path, course: &Course) -> Result<()> {
    let mut libs = BTreeSet::new();
    for day in course.days.iter().filter(|d| d.is_built()) {
        libs.extend(TestPlan::new(root, course, day)?.other_libs);
    }
    let plan = TestPlan {
        krate: course.krate.clone(),
        day_test: String::new(),
        other_libs: libs.into_iter().collect(),
    };
    copy_workspace(root, dir)?;
    for run in plan.full() {
        let out = bounded_cargo(dir, Some(target), &run, BUILD_LIMIT)?;
        ensure!(
            out.status.is_some_and(|s| s.success()),
            "`{}` fails (or hangs) on the reference:\n{}",
            run.shown(),
            crate::tour::tail(&out.output, 25)
        );
    }
    Ok(())
}

/// Proves one case: writes it into the verify copy, builds, and finds a failing test, first
/// in the quick tier, then in the rest of the plan. Returns where it failed, for the report.
fn prove(root: &Path, dir: &Path, target: &Path, plan: &TestPlan, case: &Case) -> Result<String> {
    copy_workspace(root, dir)?;
    apply_edits(root, dir, &case.edits)?;
    for (tier, runs) in [("quick", plan.quick()), ("full", plan.full())] {
        for run in runs {
            let build = run.no_run();
            let built = bounded_cargo(dir, Some(target), &build, BUILD_LIMIT)?;
            ensure!(
                built.status.is_some_and(|s| s.success()),
                "the copy does not compile (`{}`):\n{}",
                build.shown(),
                crate::tour::tail(&built.output, 30)
            );
            let ran = bounded_cargo(dir, Some(target), &run, VERIFY_RUN_LIMIT)?;
            match ran.status {
                None => {
                    let hung = hanging_tests(&ran.output);
                    return Ok(format!(
                        "hangs in `{}`{}, killed after {} ({tier} tier)",
                        run.shown(),
                        if hung.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", hung.join(", "))
                        },
                        human(VERIFY_RUN_LIMIT)
                    ));
                }
                Some(status) if !status.success() => {
                    let test = first_failure(&ran.output)
                        .map(|t| format!("fails {t}"))
                        .unwrap_or_else(|| "fails".into());
                    return Ok(format!("{test} ({tier} tier)"));
                }
                Some(_) => {}
            }
        }
    }
    bail!("every test `cargo xtask check` runs passes: check would call this solved")
}

/// `run` in `cwd`, optionally with its own target directory, output captured.
fn bounded_cargo(
    cwd: &Path,
    target: Option<&Path>,
    run: &Run,
    limit: Duration,
) -> Result<util::Bounded> {
    let mut cmd = run.command(cwd)?;
    if let Some(t) = target {
        cmd.env("CARGO_TARGET_DIR", t);
    }
    util::output_with_timeout(&mut cmd, limit)
}

/// The tests libtest reports as still running (`test name has been running for over 60 seconds`).
fn hanging_tests(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter_map(|l| l.strip_prefix("test ")?.split_once(" has been running for"))
        .map(|(name, _)| name)
        .collect()
}

/// The first failing test's name in `cargo test` output (`test name ... FAILED`).
fn first_failure(output: &str) -> Option<&str> {
    output.lines().find_map(|l| {
        l.strip_prefix("test ")
            .and_then(|rest| rest.strip_suffix(" ... FAILED"))
    })
}

/// Problems with the known-wrong answers of course.toml, for the consistency check: each
/// must name an existing region and differ from the reference body.
pub fn wrong_answer_problems(root: &Path, curriculum: &Curriculum) -> Vec<String> {
    let mut problems = Vec::new();
    for (course, day) in curriculum.days() {
        for ex in &day.exercises {
            for wrong in &ex.wrong {
                let at = format!("{} day {} `{}`", course.krate, day.number, ex.region);
                if wrong.why.trim().is_empty() || wrong.code.trim().is_empty() {
                    problems.push(format!("{at}: a wrong answer needs `why` and `code`"));
                }
                let reference = std::fs::read_to_string(root.join(&ex.file)).unwrap_or_default();
                if anchor_body(&reference, &ex.region).map(str::trim) == Some(wrong.code.trim()) {
                    problems.push(format!(
                        "{at}: the wrong answer \"{}\" is the reference itself",
                        wrong.why
                    ));
                }
            }
        }
    }
    problems
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

    #[test]
    fn puts_a_wrong_body_in_a_region() {
        let code = "fn f() -> u32 {\n    // ANCHOR: ex_f\n    1\n    // ANCHOR_END: ex_f\n}\n";
        assert_eq!(
            replace_region(code, "ex_f", "    2").unwrap(),
            "fn f() -> u32 {\n    // ANCHOR: ex_f\n    2\n    // ANCHOR_END: ex_f\n}\n"
        );
    }

    #[test]
    fn finds_the_first_failing_test() {
        let out = "running 3 tests\ntest a ... ok\ntest trie::tests::params ... FAILED\ntest c ... FAILED\n";
        assert_eq!(first_failure(out), Some("trie::tests::params"));
        assert_eq!(first_failure("test a ... ok\n"), None);
        let hung = "test a ... ok\ntest blpop_waits has been running for over 60 seconds\n";
        assert_eq!(hanging_tests(hung), ["blpop_waits"]);
    }

    fn day_with(regions: &[&str], wrong: usize) -> Day {
        let exercises: Vec<String> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let wrongs = if i == 0 {
                    "[[exercise.wrong]]\nwhy = \"forgets\"\ncode = \"x\"\n".repeat(wrong)
                } else {
                    String::new()
                };
                format!("[[exercise]]\nfile = \"a.rs\"\nregion = \"{r}\"\nhint = \"h\"\n{wrongs}")
            })
            .collect();
        let text = format!(
            "number = 1\nslug = \"s\"\ntitle = \"t\"\nstatus = \"built\"\nexample = \"e\"\ntest = \"t\"\nchapter = \"c\"\nmodules = []\n{}",
            exercises.concat()
        );
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn cases_blank_together_then_alone_then_each_wrong_answer() {
        let day = day_with(&["ex_a", "ex_b"], 1);
        let labels = |each| -> Vec<String> {
            cases(&day, each)
                .into_iter()
                .map(|c| c.label.clone())
                .collect()
        };
        assert_eq!(labels(false), ["blank ex_a + ex_b", "wrong ex_a: forgets"]);
        assert_eq!(
            labels(true),
            [
                "blank ex_a + ex_b",
                "blank ex_a alone",
                "blank ex_b alone",
                "wrong ex_a: forgets"
            ]
        );
        // One region: "alone" is the same case as "together", so it is not run twice.
        assert_eq!(cases(&day_with(&["ex_a"], 0), true).len(), 1);
    }

    /// A throw-away workspace, to make a copy in.
    fn scratch(name: &str) -> PathBuf {
        let root = crate::fixture::scratch("ex", name);
        let write = |path: &str, text: &str| crate::fixture::write(&root, path, text);
        write(
            "course.toml",
            &(crate::fixture::DEMO_COURSE.to_owned()
                + r#"[[course.day]]
number = 1
slug = "first"
title = "First"
status = "built"
example = "demo/examples/day1_first.rs"
test = "demo/tests/day1_first.rs"
chapter = "docs/src/demo/day1-first.md"
modules = ["demo/src/lib.rs"]
[[course.day.exercise]]
file = "demo/src/lib.rs"
region = "ex_one"
hint = "return 1"
"#),
        );
        write(
            ".cargo/config.toml",
            "[alias]\nxtask = \"run --package xtask --\"\n",
        );
        write("Cargo.toml", "[workspace]\nmembers = [\"demo\"]\n");
        write("demo/Cargo.toml", "[package]\nname = \"demo\"\n");
        write(
            "demo/src/lib.rs",
            "pub fn one() -> u32 {\n    // ANCHOR: ex_one\n    1\n    // ANCHOR_END: ex_one\n}\n",
        );
        root
    }

    #[test]
    fn a_copy_lives_outside_target_and_is_never_overwritten_without_force() {
        let root = scratch("copy");
        let curriculum = Curriculum::load(&root).unwrap();
        make(&root, &curriculum, "demo", 1, None, false).unwrap();
        let copy = root.join("exercises/demo-day1");
        let lib = copy.join("demo/src/lib.rs");
        assert!(std::fs::read_to_string(&lib).unwrap().contains("todo!("));
        // The copy shares one build cache, and knows which exercise it holds.
        let config = std::fs::read_to_string(copy.join(".cargo/config.toml")).unwrap();
        assert!(config.contains("xtask = "), "{config}");
        assert!(config.contains("target-dir") && config.contains("exercise-cache"));
        let marker = read_marker(&copy).unwrap().unwrap();
        assert_eq!((marker.krate.as_str(), marker.day), ("demo", 1));
        let guide = std::fs::read_to_string(copy.join("EXERCISE.md")).unwrap();
        assert!(guide.contains("cargo xtask docs"), "{guide}");

        // The learner's work survives a second `exercise`; --force starts over.
        std::fs::write(&lib, "solved").unwrap();
        let err = make(&root, &curriculum, "demo", 1, None, false).unwrap_err();
        assert!(format!("{err:#}").contains("--force"), "{err:#}");
        assert_eq!(std::fs::read_to_string(&lib).unwrap(), "solved");
        make(&root, &curriculum, "demo", 1, None, true).unwrap();
        assert!(std::fs::read_to_string(&lib).unwrap().contains("todo!("));
        // A copy of the workspace never contains the copies.
        assert!(!copy.join("exercises").exists());

        // --force never deletes a folder `exercise` did not make.
        let stranger = root.join("mine");
        std::fs::create_dir_all(&stranger).unwrap();
        std::fs::write(stranger.join("notes.txt"), "keep").unwrap();
        assert!(make(&root, &curriculum, "demo", 1, Some(stranger.clone()), true).is_err());
        assert!(stranger.join("notes.txt").is_file());
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn finds_the_package_a_region_lives_in() {
        let root = scratch("package");
        assert_eq!(package_of(&root, "demo/src/lib.rs").unwrap(), "demo");
        assert!(package_of(&root, "elsewhere/x.rs").is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}

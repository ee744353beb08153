//! The consistency check: course.toml, the files on disk, the README and the book agree.
//!
//! A course rots quietly: a chapter is renamed, an example is added without a tour entry,
//! an `{{#include file.rs:anchor}}` names an anchor someone deleted (mdBook then renders an
//! *empty* code block without a warning). This module finds all of that and reports every
//! problem with the file it concerns, so `cargo xtask test` fails with a message a person can act on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::book;
use crate::course::Curriculum;
use crate::exercise;

/// Every problem found; empty means consistent.
pub fn consistency(root: &Path, curriculum: &Curriculum) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    check_days(root, curriculum, &mut problems);
    check_orphans(root, curriculum, &mut problems)?;
    check_generated(root, curriculum, &mut problems)?;
    problems.extend(check_includes(root)?);
    problems.extend(check_layering(root, curriculum));
    problems.extend(exercise::wrong_answer_problems(root, curriculum));
    Ok(problems)
}

/// A day adds, it does not rewrite: a day-N chapter includes code only from modules that
/// course.toml lists for day N or earlier, and a day-N exercise region lies in such a module.
/// Otherwise the chapter (or the exercise) shows a student day N ideas of a later day.
///
/// Files course.toml lists for no day (`lib.rs`, examples, tests) are not judged: they belong
/// to the crate as a whole. Modules of planned days count, so a built chapter cannot lean on
/// code a later day will introduce.
pub fn check_layering(root: &Path, curriculum: &Curriculum) -> Vec<String> {
    let mut problems = Vec::new();
    for course in &curriculum.courses {
        let first_day = |file: &str| -> Option<u32> {
            course
                .days
                .iter()
                .filter(|d| d.modules.iter().any(|m| m == file))
                .map(|d| d.number)
                .min()
        };
        for day in course.days.iter().filter(|d| d.is_built()) {
            let at = format!("{} day {}", course.krate, day.number);
            if let Ok(chapter) = std::fs::read_to_string(root.join(&day.chapter)) {
                let base = Path::new(&day.chapter)
                    .parent()
                    .unwrap_or(Path::new(""))
                    .to_path_buf();
                let mut seen = HashSet::new();
                for spec in include_specs(&chapter) {
                    let file = spec.split(':').next().unwrap_or("").trim();
                    let Some(path) = normalize(&base.join(file)) else {
                        continue;
                    };
                    if let Some(later) = first_day(&path).filter(|&n| n > day.number)
                        && seen.insert(path.clone())
                    {
                        problems.push(format!(
                            "{at}: chapter {} includes {path}, a module of day {later}: \
                             a chapter shows only modules of its day or earlier ones",
                            day.chapter
                        ));
                    }
                }
            }
            for ex in &day.exercises {
                if let Some(later) = first_day(&ex.file).filter(|&n| n > day.number) {
                    problems.push(format!(
                        "{at}: exercise region `{}` lies in {}, a module of day {later}: \
                         a day's exercise lies in a module of that day (or an earlier one)",
                        ex.region, ex.file
                    ));
                }
            }
        }
    }
    problems
}

/// `a/b/../c` as `a/c`, with `/` separators, relative to the workspace root; `None` when the
/// path climbs out of it.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

fn check_days(root: &Path, curriculum: &Curriculum, problems: &mut Vec<String>) {
    for course in &curriculum.courses {
        if !root.join(&course.krate).join("Cargo.toml").is_file() {
            problems.push(format!(
                "course `{}` has no crate directory {}/",
                course.krate, course.krate
            ));
        }
        let mut slugs = HashSet::new();
        for (index, day) in course.days.iter().enumerate() {
            let at = format!("{} day {}", course.krate, day.number);
            if day.number as usize != index + 1 {
                problems.push(format!("{at}: days must be numbered 1, 2, 3, ... in order"));
            }
            if !slugs.insert(&day.slug) {
                problems.push(format!("{at}: slug `{}` is used twice", day.slug));
            }
            for (what, expected, actual) in day.expected_paths(&course.krate) {
                if expected != *actual {
                    problems.push(format!("{at}: {what} is `{actual}`, expected `{expected}`"));
                }
            }
            if !day.is_built() {
                for (what, path) in [
                    ("example", &day.example),
                    ("test", &day.test),
                    ("chapter", &day.chapter),
                ] {
                    if root.join(path).exists() {
                        problems.push(format!(
                            "{at}: {what} {path} exists but the day is `planned`: mark it `built`"
                        ));
                    }
                }
                continue;
            }
            for (what, path) in [
                ("example", &day.example),
                ("test", &day.test),
                ("chapter", &day.chapter),
            ] {
                if !root.join(path).is_file() {
                    problems.push(format!("{at}: {what} {path} is missing"));
                }
            }
            if day.modules.is_empty() {
                problems.push(format!("{at}: lists no modules"));
            }
            for module in &day.modules {
                match std::fs::read_to_string(root.join(module)) {
                    Err(_) => problems.push(format!("{at}: module {module} is missing")),
                    Ok(text) => {
                        let opening = format!("//! Day {} — ", day.number);
                        if !text.starts_with(&opening) {
                            problems.push(format!(
                                "{at}: module {module} must open with `{opening}<idea>`"
                            ));
                        }
                    }
                }
            }
            if day.tour.is_none() {
                problems.push(format!(
                    "{at}: no [course.day.tour]: the tour cannot run its example"
                ));
            }
            if day.exercises.is_empty() {
                problems.push(format!("{at}: no [[course.day.exercise]] regions"));
            }
            for ex in &day.exercises {
                if !ex.region.starts_with("ex_") {
                    problems.push(format!(
                        "{at}: exercise region `{}` must start with `ex_`",
                        ex.region
                    ));
                }
                match std::fs::read_to_string(root.join(&ex.file)) {
                    Err(_) => problems.push(format!("{at}: exercise file {} is missing", ex.file)),
                    Ok(text) => {
                        if let Err(err) = exercise::blank(&text, &ex.region, &ex.hint) {
                            problems.push(format!("{at}: {}: {err:#}", ex.file));
                        }
                    }
                }
            }
            if let Ok(chapter) = std::fs::read_to_string(root.join(&day.chapter))
                && !chapter.contains("{{#include")
            {
                problems.push(format!(
                    "{at}: chapter {} includes no code (use {{{{#include ...:anchor}}}})",
                    day.chapter
                ));
            }
        }
    }
}

/// Every day-named example, test and chapter on disk must be listed (and built) in course.toml.
fn check_orphans(root: &Path, curriculum: &Curriculum, problems: &mut Vec<String>) -> Result<()> {
    let listed: HashSet<&str> = curriculum
        .days()
        .filter(|(_, d)| d.is_built())
        .flat_map(|(_, d)| [d.example.as_str(), d.test.as_str(), d.chapter.as_str()])
        .collect();
    for course in &curriculum.courses {
        let dirs = [
            (format!("{}/examples", course.krate), "rs", "example"),
            (format!("{}/tests", course.krate), "rs", "test"),
            (format!("docs/src/{}", course.krate), "md", "chapter"),
        ];
        for (dir, ext, what) in dirs {
            for file in files_in(&root.join(&dir), ext)? {
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let relative = format!("{dir}/{name}");
                // Only day files must be listed; e.g. tests/bad_input.rs may span days.
                let is_day_file =
                    name.starts_with("day") && name[3..].starts_with(|c: char| c.is_ascii_digit());
                let must_be_listed = is_day_file || what == "example";
                if must_be_listed && !listed.contains(relative.as_str()) {
                    problems.push(format!(
                        "{what} {relative} is on disk but not a built day in course.toml"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn files_in(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == ext) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn check_generated(root: &Path, curriculum: &Curriculum, problems: &mut Vec<String>) -> Result<()> {
    let summary = std::fs::read_to_string(root.join("docs/src/SUMMARY.md")).unwrap_or_default();
    if summary != book::summary(root, curriculum) {
        problems
            .push("docs/src/SUMMARY.md disagrees with course.toml: run `cargo xtask sync`".into());
    }
    let readme = std::fs::read_to_string(root.join("README.md")).context("reading README.md")?;
    match book::readme_with_map(&readme, curriculum) {
        Ok(fresh) if fresh == readme => {}
        Ok(_) => problems.push(
            "README.md's course map disagrees with course.toml: run `cargo xtask sync`".into(),
        ),
        Err(err) => problems.push(format!("README.md: {err:#}")),
    }
    // Every page of the Go-bugs appendix belongs to a course (SUMMARY lists only those).
    for page in files_in(&root.join("docs/src/go-bugs"), "md")? {
        let stem = page
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if curriculum.course(&stem).is_err() {
            problems.push(format!(
                "docs/src/go-bugs/{stem}.md is named after no course: name it <crate>.md"
            ));
        }
    }
    Ok(())
}

/// Checks every `{{#include path}}`, `{{#include path:anchor}}` and `{{#rustdoc_include ...}}`
/// in the book: the file exists and a named anchor has both markers and a non-empty body.
pub fn check_includes(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let src = root.join("docs/src");
    for md in markdown_files(&src)? {
        let text = std::fs::read_to_string(&md)?;
        let shown = md.strip_prefix(root).unwrap_or(&md).display().to_string();
        for spec in include_specs(&text) {
            let mut parts = spec.splitn(2, ':');
            let file = parts.next().unwrap_or("").trim();
            let selector = parts.next().map(str::trim);
            let target = md.parent().unwrap_or(&src).join(file);
            let Ok(code) = std::fs::read_to_string(&target) else {
                problems.push(format!("{shown}: includes {file}, which does not exist"));
                continue;
            };
            // Line ranges (`file:10:20`) start with a digit; anything else is an anchor name.
            if let Some(anchor) =
                selector.filter(|s| !s.is_empty() && !s.starts_with(|c: char| c.is_ascii_digit()))
            {
                match anchor_body(&code, anchor) {
                    None => problems.push(format!("{shown}: anchor `{anchor}` not found in {file} (mdBook would render an empty block)")),
                    Some(body) if body.trim().is_empty() => problems.push(format!("{shown}: anchor `{anchor}` in {file} is empty")),
                    Some(_) => {}
                }
            }
        }
    }
    Ok(problems)
}

/// The text between `ANCHOR: name` and `ANCHOR_END: name`, if both exist in that order.
pub fn anchor_body<'a>(code: &'a str, name: &str) -> Option<&'a str> {
    let lines: Vec<(usize, &str)> = code
        .split_inclusive('\n')
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line))
        })
        .collect();
    let start = lines
        .iter()
        .position(|(_, l)| marker_name(l, "ANCHOR:") == Some(name))?;
    let end = lines[start + 1..]
        .iter()
        .position(|(_, l)| marker_name(l, "ANCHOR_END:") == Some(name))?
        + start
        + 1;
    let from = lines[start].0 + lines[start].1.len();
    Some(&code[from..lines[end].0])
}

/// The anchor name after `marker` on this line (mdBook's `ANCHOR:\s*([\w_-]+)`).
pub fn marker_name<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let at = line.find(marker)?;
    let rest = line[at + marker.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

fn include_specs(text: &str) -> Vec<&str> {
    let mut specs = Vec::new();
    for opener in ["{{#include ", "{{#rustdoc_include "] {
        let mut rest = text;
        while let Some(at) = rest.find(opener) {
            let after = &rest[at + opener.len()..];
            match after.find("}}") {
                Some(end) => {
                    specs.push(after[..end].trim());
                    rest = &after[end..];
                }
                None => break,
            }
        }
    }
    specs
}

fn markdown_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(markdown_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "fn a() {\n    // ANCHOR: ex_body\n    1 + 1\n    // ANCHOR_END: ex_body\n}\n// ANCHOR: empty\n// ANCHOR_END: empty\n";

    #[test]
    fn finds_anchor_bodies() {
        assert_eq!(anchor_body(CODE, "ex_body"), Some("    1 + 1\n"));
        assert_eq!(anchor_body(CODE, "empty"), Some(""));
        assert_eq!(
            anchor_body(CODE, "ex_bod"),
            None,
            "names match whole words only"
        );
        assert_eq!(anchor_body(CODE, "missing"), None);
    }

    /// The real workspace: course.toml, the files, the README and the book agree.
    /// (`cargo xtask test` runs the same check; having it here makes plain `cargo test` catch drift.)
    #[test]
    fn the_workspace_is_consistent() {
        let root = crate::course::workspace_root();
        let curriculum = Curriculum::load(&root).unwrap();
        let problems = consistency(&root, &curriculum).unwrap();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// A throw-away workspace with one built day, to break on purpose.
    struct Fixture {
        root: PathBuf,
    }

    impl Fixture {
        fn new(name: &str) -> Self {
            let root = crate::fixture::scratch("fixture", name);
            let write = |path: &str, text: &str| crate::fixture::write(&root, path, text);
            write(
                "course.toml",
                &(crate::fixture::DEMO_COURSE.to_owned()
                    + r#"[[course.day]]
number = 1
slug = "first-step"
title = "First step"
status = "built"
example = "demo/examples/day1_first_step.rs"
test = "demo/tests/day1_first_step.rs"
chapter = "docs/src/demo/day1-first-step.md"
modules = ["demo/src/step.rs"]
[course.day.tour]
mode = "exit"
[[course.day.exercise]]
file = "demo/src/step.rs"
region = "ex_step"
hint = "return 1"
[[course.day]]
number = 2
slug = "later"
title = "Later"
status = "planned"
example = "demo/examples/day2_later.rs"
test = "demo/tests/day2_later.rs"
chapter = "docs/src/demo/day2-later.md"
modules = ["demo/src/later.rs"]
"#),
            );
            write("demo/Cargo.toml", "[package]\nname = \"demo\"\n");
            write(
                "demo/src/step.rs",
                "//! Day 1 — a step\n// ANCHOR: step\npub fn step() -> u32 {\n    // ANCHOR: ex_step\n    1\n    // ANCHOR_END: ex_step\n}\n// ANCHOR_END: step\n",
            );
            write("demo/examples/day1_first_step.rs", "fn main() {}\n");
            write("demo/tests/day1_first_step.rs", "");
            write(
                "docs/src/demo/day1-first-step.md",
                "# Day 1\n{{#include ../../../demo/src/step.rs:step}}\n",
            );
            write(
                "README.md",
                &format!("# Demo\n\n{}\n{}\n", book::MAP_START, book::MAP_END),
            );
            let fixture = Fixture { root };
            let curriculum = fixture.curriculum();
            book::sync(&fixture.root, &curriculum).unwrap();
            fixture
        }

        fn curriculum(&self) -> Curriculum {
            Curriculum::load(&self.root).unwrap()
        }

        fn problems(&self) -> Vec<String> {
            consistency(&self.root, &self.curriculum()).unwrap()
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    #[test]
    fn a_complete_fixture_is_consistent() {
        assert_eq!(Fixture::new("ok").problems(), Vec::<String>::new());
    }

    #[test]
    fn deleting_a_chapter_or_an_example_is_reported_by_name() {
        let fixture = Fixture::new("deleted");
        std::fs::remove_file(fixture.root.join("docs/src/demo/day1-first-step.md")).unwrap();
        std::fs::remove_file(fixture.root.join("demo/examples/day1_first_step.rs")).unwrap();
        let problems = fixture.problems().join("\n");
        assert!(
            problems.contains("chapter docs/src/demo/day1-first-step.md is missing"),
            "{problems}"
        );
        assert!(
            problems.contains("example demo/examples/day1_first_step.rs is missing"),
            "{problems}"
        );
    }

    #[test]
    fn unlisted_files_missing_anchors_and_stale_maps_are_reported() {
        let fixture = Fixture::new("drift");
        let root = &fixture.root;
        std::fs::write(root.join("demo/examples/day3_extra.rs"), "fn main() {}\n").unwrap();
        std::fs::write(root.join("demo/examples/day2_later.rs"), "fn main() {}\n").unwrap();
        std::fs::write(
            root.join("docs/src/demo/day1-first-step.md"),
            "{{#include ../../../demo/src/step.rs:gone}}\n",
        )
        .unwrap();
        std::fs::write(
            root.join("demo/src/step.rs"),
            "//! no day header\npub fn step() -> u32 { 1 }\n",
        )
        .unwrap();
        std::fs::write(root.join("docs/src/SUMMARY.md"), "# Summary\n").unwrap();
        let problems = fixture.problems().join("\n");
        for expected in [
            "example demo/examples/day3_extra.rs is on disk but not a built day",
            "example demo/examples/day2_later.rs exists but the day is `planned`",
            "anchor `gone` not found in ../../../demo/src/step.rs",
            "module demo/src/step.rs must open with `//! Day 1 — <idea>`",
            "exercise region `ex_step` has no `ANCHOR: ex_step`",
            "SUMMARY.md disagrees with course.toml",
        ] {
            assert!(
                problems.contains(expected),
                "missing {expected:?} in:\n{problems}"
            );
        }
    }

    #[test]
    fn a_chapter_including_a_later_days_module_is_reported() {
        let fixture = Fixture::new("later-include");
        let root = &fixture.root;
        std::fs::write(
            root.join("demo/src/later.rs"),
            "//! Day 2 — later\n// ANCHOR: later\npub fn later() {}\n// ANCHOR_END: later\n",
        )
        .unwrap();
        std::fs::write(
            root.join("docs/src/demo/day1-first-step.md"),
            "# Day 1\n{{#include ../../../demo/src/step.rs:step}}\n{{#include ./../../../demo/src/later.rs:later}}\n",
        )
        .unwrap();
        let problems = fixture.problems();
        assert_eq!(
            problems,
            [
                "demo day 1: chapter docs/src/demo/day1-first-step.md includes demo/src/later.rs, \
              a module of day 2: a chapter shows only modules of its day or earlier ones"
            ]
        );
    }

    #[test]
    fn an_exercise_region_in_a_later_days_module_is_reported() {
        let fixture = Fixture::new("later-region");
        let root = &fixture.root;
        std::fs::write(
            root.join("demo/src/later.rs"),
            "//! Day 2 — later\npub fn later() -> u32 {\n    // ANCHOR: ex_step\n    2\n    // ANCHOR_END: ex_step\n}\n",
        )
        .unwrap();
        let toml = std::fs::read_to_string(root.join("course.toml")).unwrap();
        let moved = toml.replace(
            "file = \"demo/src/step.rs\"\nregion = \"ex_step\"",
            "file = \"demo/src/later.rs\"\nregion = \"ex_step\"",
        );
        assert_ne!(toml, moved);
        std::fs::write(root.join("course.toml"), moved).unwrap();
        let problems = fixture.problems();
        assert_eq!(
            problems,
            [
                "demo day 1: exercise region `ex_step` lies in demo/src/later.rs, a module of day 2: \
              a day's exercise lies in a module of that day (or an earlier one)"
            ]
        );
    }

    #[test]
    fn a_wrong_answer_equal_to_the_reference_is_reported() {
        let fixture = Fixture::new("wrong-same");
        let root = &fixture.root;
        let toml = std::fs::read_to_string(root.join("course.toml")).unwrap();
        let with_wrong = toml.replace(
            "hint = \"return 1\"\n",
            "hint = \"return 1\"\n[[course.day.exercise.wrong]]\nwhy = \"same\"\ncode = '''\n    1\n'''\n",
        );
        std::fs::write(root.join("course.toml"), with_wrong).unwrap();
        assert_eq!(
            fixture.problems(),
            ["demo day 1 `ex_step`: the wrong answer \"same\" is the reference itself"]
        );
    }

    #[test]
    fn the_appendix_lists_the_go_bug_pages_on_disk() {
        let fixture = Fixture::new("appendix");
        let root = &fixture.root;
        std::fs::create_dir_all(root.join("docs/src/go-bugs")).unwrap();
        std::fs::write(root.join("docs/src/go-bugs.md"), "# Go bugs\n").unwrap();
        std::fs::write(root.join("docs/src/go-bugs/demo.md"), "# demo\n").unwrap();
        let problems = fixture.problems().join("\n");
        assert!(problems.contains("SUMMARY.md disagrees"), "{problems}");
        book::sync(root, &fixture.curriculum()).unwrap();
        assert_eq!(fixture.problems(), Vec::<String>::new());
        let summary = std::fs::read_to_string(root.join("docs/src/SUMMARY.md")).unwrap();
        assert!(
            summary.ends_with(
                "# Appendix\n\n- [Go bugs the course fixes](go-bugs.md)\n  - [demo](go-bugs/demo.md)\n"
            ),
            "{summary}"
        );
        std::fs::write(root.join("docs/src/go-bugs/nope.md"), "# ?\n").unwrap();
        let problems = fixture.problems().join("\n");
        assert!(
            problems.contains("docs/src/go-bugs/nope.md is named after no course"),
            "{problems}"
        );
    }

    #[test]
    fn normalizes_include_paths() {
        assert_eq!(
            normalize(Path::new("docs/src/a/../../../x/src/y.rs")).as_deref(),
            Some("x/src/y.rs")
        );
        assert_eq!(normalize(Path::new("../x")), None);
    }

    #[test]
    fn finds_include_specs() {
        let md = "x {{#include ../../a.rs:one}} y\n```\n{{#rustdoc_include b.rs}}\n```\n{{#include c.rs:3:5}}";
        assert_eq!(
            include_specs(md),
            vec!["../../a.rs:one", "c.rs:3:5", "b.rs"]
        );
    }
}

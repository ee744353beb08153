//! The curriculum as data: `course.toml`, parsed into [`Curriculum`].
//!
//! Every other xtask command reads the course from here, so the list of days, their files
//! and how to run them are written down exactly once. The structs mirror the TOML (the
//! header of course.toml documents every key); unknown keys are an error so a typo in
//! course.toml fails loudly instead of being ignored.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// The whole of course.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curriculum {
    /// Bumped when the file's shape changes.
    pub format_version: u32,
    /// The mdBook version `cargo xtask docs` installs and builds with.
    pub mdbook_version: String,
    /// The six courses, in the order the book and the README show them.
    #[serde(rename = "course")]
    pub courses: Vec<Course>,
}

/// One course: one crate, seven (or four) days.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    /// The crate's package name and directory, e.g. `gee-web`.
    #[serde(rename = "crate")]
    pub krate: String,
    /// The course's title in the book.
    pub title: String,
    /// One sentence on what it builds.
    pub summary: String,
    /// The real systems it is measured against.
    pub peers: String,
    /// The days, numbered from 1.
    #[serde(rename = "day")]
    pub days: Vec<Day>,
}

/// Whether a day exists yet.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Module, example, tests, chapter and exercises all exist and are checked.
    Built,
    /// Not written yet: listed so the map is complete, skipped (not failed) by every check.
    Planned,
}

/// One day of a course.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Day {
    /// 1-based position in the course.
    pub number: u32,
    /// Short name used in file names, e.g. `http-base`.
    pub slug: String,
    /// The chapter title.
    pub title: String,
    /// Built or planned.
    pub status: Status,
    /// `<crate>/examples/day<N>_<slug>.rs`.
    pub example: String,
    /// `<crate>/tests/day<N>_<slug>.rs`.
    pub test: String,
    /// `docs/src/<crate>/day<N>-<slug>.md`.
    pub chapter: String,
    /// Source files the day introduces, relative to the workspace root.
    pub modules: Vec<String>,
    /// How the tour runs the example unattended (required once built).
    pub tour: Option<Tour>,
    /// The regions `cargo xtask exercise` blanks.
    #[serde(default, rename = "exercise")]
    pub exercises: Vec<Exercise>,
}

/// How the tour runs one example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tour {
    /// `exit`, `server` or `browser`.
    pub mode: TourMode,
    /// Names of the free ports to reserve; `{name}` in `args` and requests expands to the port.
    #[serde(default)]
    pub ports: Vec<String>,
    /// Arguments passed to the example.
    #[serde(default)]
    pub args: Vec<String>,
    /// Substrings that must appear in the example's stdout + stderr.
    #[serde(default)]
    pub expect_output: Vec<String>,
    /// Requests sent, in order, once every port listens (server mode).
    #[serde(default, rename = "request")]
    pub requests: Vec<TourRequest>,
    /// Seconds before the example is considered hung (default 60).
    pub timeout_secs: Option<u64>,
}

/// The two ways an example can be run unattended.
#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TourMode {
    /// Runs to completion and exits 0.
    Exit,
    /// Listens on ports until stopped.
    Server,
    /// A WebAssembly page (demo-wasm): built for wasm32, served, and loaded in headless
    /// Chromium; `args` is the page's query, `expect_output` strings its DOM must contain.
    Browser,
}

/// One request the tour sends to a server example.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourRequest {
    /// Name of the reserved port to talk to.
    pub port: String,
    /// `"METHOD /path"` for an HTTP/1.1 request.
    pub http: Option<String>,
    /// Extra HTTP headers, `"Name: value"`.
    #[serde(default)]
    pub headers: Vec<String>,
    /// HTTP request body.
    #[serde(default)]
    pub body: String,
    /// Raw bytes for a plain TCP exchange (escape sequences as TOML allows).
    pub send: Option<String>,
    /// Expected HTTP status.
    pub expect_status: Option<u16>,
    /// Substrings the body (or TCP reply) must contain.
    #[serde(default)]
    pub expect_body: Vec<String>,
}

/// A region of code the learner writes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    /// The file, relative to the workspace root.
    pub file: String,
    /// The anchor name, `ex_...`.
    pub region: String,
    /// What to do, shown by `cargo xtask exercise`: everything the region must do.
    pub hint: String,
    /// Plausible wrong answers that `check` must reject (`exercise verify` proves it).
    #[serde(default)]
    pub wrong: Vec<WrongAnswer>,
}

/// A known-wrong body for an exercise region, kept as a regression case.
///
/// A test suite can pass a wrong answer as easily as it fails a blank one: a student who
/// forgets one line (a `truncate`, a match arm) must not be told "solved". Each entry is a
/// whole region body written down once; `cargo xtask exercise verify` puts it in place of the
/// reference and requires that the copy compiles and that some test `check` runs fails.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrongAnswer {
    /// What the answer gets wrong, in one line (shown when verify finds it accepted).
    pub why: String,
    /// The region's body, wrong: the lines between the markers.
    pub code: String,
}

impl Curriculum {
    /// Reads and parses `course.toml` at the workspace root.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join("course.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let curriculum: Curriculum =
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        if curriculum.format_version != 1 {
            bail!(
                "course.toml format_version {} is not supported",
                curriculum.format_version
            );
        }
        Ok(curriculum)
    }

    /// The course for `krate`, or an error listing the known ones.
    pub fn course(&self, krate: &str) -> Result<&Course> {
        self.courses
            .iter()
            .find(|c| c.krate == krate)
            .with_context(|| {
                let known: Vec<&str> = self.courses.iter().map(|c| c.krate.as_str()).collect();
                format!("no course `{krate}`; the courses are {}", known.join(", "))
            })
    }

    /// Every (course, day) pair in order.
    pub fn days(&self) -> impl Iterator<Item = (&Course, &Day)> {
        self.courses
            .iter()
            .flat_map(|c| c.days.iter().map(move |d| (c, d)))
    }

    /// The days of one course (`Some(crate)`) or of all courses (`None`); errors on an unknown crate.
    pub fn select(&self, krate: Option<&str>) -> Result<Vec<(&Course, &Day)>> {
        if let Some(k) = krate {
            self.course(k)?;
        }
        Ok(self
            .days()
            .filter(|(c, _)| krate.is_none_or(|k| c.krate == k))
            .collect())
    }

    /// Number of planned days.
    pub fn planned_count(&self) -> usize {
        self.days()
            .filter(|(_, d)| d.status == Status::Planned)
            .count()
    }
}

impl Course {
    /// Day `number` of this course, or an error.
    pub fn day(&self, number: u32) -> Result<&Day> {
        self.days
            .iter()
            .find(|d| d.number == number)
            .with_context(|| format!("{} has no day {number}", self.krate))
    }
}

impl Day {
    /// The file stem shared by the example and the test: `day<N>_<slug with underscores>`.
    pub fn stem(&self) -> String {
        format!("day{}_{}", self.number, self.slug.replace('-', "_"))
    }

    /// The paths this day's fields must have, derived from crate, number and slug.
    pub fn expected_paths(&self, krate: &str) -> [(&'static str, String, &str); 3] {
        let stem = self.stem();
        [
            (
                "example",
                format!("{krate}/examples/{stem}.rs"),
                &self.example,
            ),
            ("test", format!("{krate}/tests/{stem}.rs"), &self.test),
            (
                "chapter",
                format!("docs/src/{krate}/day{}-{}.md", self.number, self.slug),
                &self.chapter,
            ),
        ]
    }

    /// Whether the day is built.
    pub fn is_built(&self) -> bool {
        self.status == Status::Built
    }

    /// The chapter's path relative to `docs/src` (for SUMMARY.md).
    pub fn chapter_in_book(&self) -> &str {
        self.chapter
            .strip_prefix("docs/src/")
            .unwrap_or(&self.chapter)
    }
}

/// The workspace root: the parent of xtask's own manifest directory.
pub fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

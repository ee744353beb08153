//! Test fixtures: throw-away workspaces in the temp directory, written file by file, for
//! the tests that break a course on purpose (the consistency check, the exercise runner).

use std::path::{Path, PathBuf};

/// The top of a one-course `course.toml` (crate `demo`); a test appends its days.
pub const DEMO_COURSE: &str = r#"format_version = 1
mdbook_version = "0.5.4"
[[course]]
crate = "demo"
title = "Demo"
summary = "A demo."
peers = "none"
"#;

/// An empty directory `xtask-<kind>-<name>-<pid>` in the temp directory (emptied if a
/// previous run left it).
pub fn scratch(kind: &str, name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("xtask-{kind}-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    root
}

/// Writes `text` to `root/path`, making the directories on the way.
pub fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a file path has a parent"))
        .expect("create the fixture's directories");
    std::fs::write(path, text).expect("write a fixture file");
}

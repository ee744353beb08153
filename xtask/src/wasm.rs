//! demo-wasm's side of xtask: build a demo for the browser, serve it, drive it, measure it.
//!
//! A demo page is three things: `www/<demo>/index.html`, the day's example compiled to
//! `wasm32-unknown-unknown` (with the size-first `wasm-release` profile), and the JavaScript
//! glue `wasm-bindgen --target web` writes next to it (`pkg/demo.js` + `pkg/demo_bg.wasm`).
//! [`build_demo`] assembles them under `target/wasm-site/<demo>/`, [`Server`] serves that
//! directory on a free local port (plain std threads, GET only), and headless Chromium
//! loads it: `--dump-dom` for the tour, `--screenshot` for `run --screenshot`.
//!
//! The tool chain installs itself (DESIGN: a fresh machine needs only Rust): the wasm32
//! target through rustup, the wasm-bindgen CLI through `cargo install` at exactly the version
//! of the `wasm-bindgen` crate in Cargo.lock (a different version refuses the `.wasm`),
//! Chromium, chromedriver and binaryen's `wasm-opt` through Debian packages. wasm-pack is not
//! used: it downloads binaries at run time, which a closed network does not allow.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};

use crate::course::{Course, Curriculum, Day, Tour};
use crate::install::{self, Tool};
use crate::tour::{tail, target_dir};
use crate::util::{self, cargo};

/// The crate whose days run in a browser.
pub const KRATE: &str = "demo-wasm";
/// The compilation target of every demo.
const TARGET: &str = "wasm32-unknown-unknown";
/// The Cargo profile for the pages (root Cargo.toml: opt-level "z", LTO, panic = "abort").
const PROFILE: &str = "wasm-release";
/// How long a cold build may take on a busy 2-core machine before it counts as hung.
const BUILD_LIMIT: Duration = Duration::from_secs(900);
/// How long the browser tests (or one page load) may run once built.
const RUN_LIMIT: Duration = Duration::from_secs(180);

const CHROMIUM: Tool = Tool {
    binary: "chromium",
    package: "chromium",
};
const CHROMEDRIVER: Tool = Tool {
    binary: "chromedriver",
    package: "chromium-driver",
};
const WASM_OPT: Tool = Tool {
    binary: "wasm-opt",
    package: "binaryen",
};
const GO: Tool = Tool {
    binary: "go",
    package: "golang-go",
};

/// The installed wasm-bindgen tools, both of the version Cargo.lock pins.
pub struct Bindgen {
    /// `wasm-bindgen`: turns the raw `.wasm` into `.wasm` + JS glue.
    pub cli: PathBuf,
    /// `wasm-bindgen-test-runner`: cargo's runner for wasm32 tests, drives a browser.
    pub test_runner: PathBuf,
}

/// Makes sure the wasm32 target, the pinned wasm-bindgen CLI, Chromium and chromedriver are
/// installed, installing what is missing (and saying so).
pub fn ensure_toolchain(root: &Path) -> Result<Bindgen> {
    ensure_target()?;
    let bindgen = ensure_bindgen(root)?;
    install::ensure_tools(&[CHROMIUM, CHROMEDRIVER])?;
    Ok(bindgen)
}

fn ensure_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup (needed to add the wasm32-unknown-unknown target)")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == TARGET)
    {
        return Ok(());
    }
    eprintln!("xtask: installing the Rust target {TARGET} (rustup target add) ...");
    util::run(Command::new("rustup").args(["target", "add", TARGET]))
}

/// The `wasm-bindgen` crate's version in Cargo.lock: the CLI must be exactly this one.
pub fn locked_bindgen_version(root: &Path) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"wasm-bindgen\"" {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
                .context("Cargo.lock: no version after name = \"wasm-bindgen\"")?;
            return Ok(version.to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen package")
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

/// The version a `wasm-bindgen --version` prints ("wasm-bindgen 0.2.130" -> "0.2.130").
fn tool_version(binary: &Path) -> Option<String> {
    let out = Command::new(binary).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_owned)
}

fn ensure_bindgen(root: &Path) -> Result<Bindgen> {
    let version = locked_bindgen_version(root)?;
    let bin = cargo_bin_dir();
    let tools = Bindgen {
        cli: bin.join("wasm-bindgen"),
        test_runner: bin.join("wasm-bindgen-test-runner"),
    };
    let matches = |p: &Path| tool_version(p).as_deref() == Some(version.as_str());
    if matches(&tools.cli) && matches(&tools.test_runner) {
        return Ok(tools);
    }
    // Without --locked: the CLI's own lockfile names crate versions a registry mirror may not
    // have yet; the version that matters, the CLI's, is pinned exactly by `=`.
    eprintln!(
        "xtask: installing wasm-bindgen-cli {version} (the version Cargo.lock pins; takes minutes) ..."
    );
    util::run(cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
        "--force",
    ]))?;
    ensure!(
        matches(&tools.cli) && matches(&tools.test_runner),
        "wasm-bindgen-cli {version} was installed but {} does not report that version",
        tools.cli.display()
    );
    Ok(tools)
}

/// A `cargo` command for `krate`'s tests: for demo-wasm it targets wasm32 and runs the test
/// binaries in headless Chromium through wasm-bindgen-test-runner; other crates get plain
/// cargo. Callers add `test -p <krate> ...` as usual.
pub fn cargo_for(root: &Path, krate: &str) -> Result<Command> {
    let mut cmd = cargo();
    if krate == KRATE {
        let tools = ensure_toolchain(root)?;
        // The runner is xtask itself (`wasm-test-runner`), which drops the harness flags
        // wasm-bindgen-test-runner refuses (`cargo test --quiet` passes `--quiet` on).
        let xtask = std::env::current_exe().context("finding xtask's own executable")?;
        cmd.env("CARGO_BUILD_TARGET", TARGET)
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                format!("{} wasm-test-runner", xtask.display()),
            )
            .env("XTASK_WASM_BINDGEN_TEST_RUNNER", &tools.test_runner)
            .env(
                "CHROMEDRIVER",
                std::env::var_os("CHROMEDRIVER").unwrap_or_else(|| "/usr/bin/chromedriver".into()),
            )
            // The runner's default (20 s per test binary) is short for a loaded 2-core machine.
            .env("WASM_BINDGEN_TEST_TIMEOUT", "90");
    }
    Ok(cmd)
}

/// Harness flags wasm-bindgen-test-runner does not accept, dropped by [`test_runner`].
const UNSUPPORTED_FLAGS: [&str; 2] = ["--quiet", "-q"];

/// `xtask wasm-test-runner <test.wasm> [args]`: cargo's runner for the wasm32 tests. Passes
/// everything but [`UNSUPPORTED_FLAGS`] to wasm-bindgen-test-runner and exits as it does.
pub fn test_runner(root: &Path, args: &[String]) -> Result<bool> {
    let runner = match std::env::var_os("XTASK_WASM_BINDGEN_TEST_RUNNER") {
        Some(path) => PathBuf::from(path),
        None => ensure_bindgen(root)?.test_runner,
    };
    let kept = args
        .iter()
        .filter(|a| !UNSUPPORTED_FLAGS.contains(&a.as_str()));
    Ok(util::status(Command::new(runner).args(kept))?.success())
}

/// `cargo xtask test`'s browser step: every built demo-wasm day's tests in headless Chromium.
/// Returns Ok(None) when no day is built yet (the step is skipped), else whether all passed.
pub fn browser_tests(root: &Path, curriculum: &Curriculum) -> Result<Option<bool>> {
    let course = curriculum.course(KRATE)?;
    let stems: Vec<String> = course
        .days
        .iter()
        .filter(|d| d.is_built())
        .map(Day::stem)
        .collect();
    if stems.is_empty() {
        return Ok(None);
    }
    let command = |extra: &[&str]| -> Result<Command> {
        let mut cmd = cargo_for(root, KRATE)?;
        cmd.current_dir(root).args(["test", "-p", KRATE]);
        for stem in &stems {
            cmd.args(["--test", stem]);
        }
        cmd.args(extra);
        Ok(cmd)
    };
    println!("building the browser tests of {} day(s) ...", stems.len());
    let build = util::output_with_timeout(&mut command(&["--no-run"])?, BUILD_LIMIT)?;
    if !build.status.is_some_and(|s| s.success()) {
        println!("{}", tail(&build.output, 40));
        return Ok(Some(false));
    }
    println!("running them in headless Chromium ...");
    let run = util::output_with_timeout(&mut command(&[])?, RUN_LIMIT)?;
    let summary: Vec<&str> = run
        .output
        .lines()
        .filter(|l| l.contains("test result:") || l.contains("Running") || l.contains("FAILED"))
        .collect();
    match run.status {
        Some(status) if status.success() => {
            println!("{}", summary.join("\n"));
            Ok(Some(true))
        }
        Some(_) => {
            println!("{}", tail(&run.output, 60));
            Ok(Some(false))
        }
        None => {
            println!(
                "{}\n(the browser tests were killed after {RUN_LIMIT:?})",
                tail(&run.output, 40)
            );
            Ok(Some(false))
        }
    }
}

/// The directory a day's page is named by: `www/<slug>/` in the crate, `target/wasm-site/<slug>/`
/// once built.
fn site_dir(root: &Path, day: &Day) -> PathBuf {
    target_dir(root).join("wasm-site").join(&day.slug)
}

/// The page's files after [`build_demo`].
pub struct Site {
    /// The directory served as `/`.
    pub dir: PathBuf,
    /// The example compiled by rustc, before wasm-bindgen.
    pub raw_wasm: PathBuf,
    /// The `.wasm` the page loads (after wasm-bindgen).
    pub wasm: PathBuf,
}

/// Builds day `day`'s page: the example for wasm32 in the size profile, wasm-bindgen's
/// `--target web` glue into `pkg/`, and the day's `www/<slug>/` files next to it.
pub fn build_demo(root: &Path, day: &Day) -> Result<Site> {
    let tools = ensure_toolchain(root)?;
    let stem = day.stem();
    let build = util::output_with_timeout(
        cargo().current_dir(root).args([
            "build",
            "--quiet",
            "-p",
            KRATE,
            "--example",
            &stem,
            "--target",
            TARGET,
            "--profile",
            PROFILE,
        ]),
        BUILD_LIMIT,
    )?;
    ensure!(
        build.status.is_some_and(|s| s.success()),
        "building {stem} for {TARGET} failed:\n{}",
        tail(&build.output, 30)
    );
    let raw_wasm = target_dir(root)
        .join(TARGET)
        .join(PROFILE)
        .join("examples")
        .join(format!("{stem}.wasm"));
    let dir = site_dir(root, day);
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg)?;
    util::run(
        Command::new(&tools.cli)
            .args(["--target", "web", "--no-typescript", "--out-name", "demo"])
            // Function names and tool versions are debugging aids, a third of a small module.
            .args(["--remove-name-section", "--remove-producers-section"])
            .arg("--out-dir")
            .arg(&pkg)
            .arg(&raw_wasm),
    )?;
    let www = root.join(KRATE).join("www").join(&day.slug);
    ensure!(
        www.join("index.html").is_file(),
        "{} has no index.html",
        www.display()
    );
    util::copy_tree(&www, &dir, &|_| false)?;
    Ok(Site {
        dir,
        raw_wasm,
        wasm: pkg.join("demo_bg.wasm"),
    })
}

/// A tiny static file server for one directory: GET only, on 127.0.0.1.
///
/// The demos need exactly this: an `http://` origin (ES modules and `fetch` do not work from
/// `file://`) and `.wasm` served as `application/wasm` (else the glue falls back to a slower
/// instantiation with a console warning). Written with std because xtask must stay light.
pub struct Server {
    /// The port it listens on.
    pub port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `dir` on a free port until the server is dropped.
    pub fn start(dir: PathBuf) -> Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).context("binding a local port")?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let dir = Arc::new(dir);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    // One thread per connection: a browser opens spare connections it may
                    // never use, and one idle socket must not hold up the page's requests.
                    // A broken connection concerns only that request.
                    let dir = Arc::clone(&dir);
                    std::thread::spawn(move || serve_one(&dir, stream));
                }
            }
        });
        Ok(Self {
            port,
            stop,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Blocks until the process is stopped (Ctrl-C): for `cargo xtask run`.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The content type for a file name, by extension.
fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// Maps a request target to a file under `dir`: drops the query, maps `/` to `index.html`,
/// and refuses anything that could leave `dir` (`..`, backslashes, absolute parts).
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let path = path.strip_prefix('/')?;
    let path = if path.is_empty() { "index.html" } else { path };
    let clean = path
        .split('/')
        .all(|part| !part.is_empty() && part != "." && part != ".." && !part.contains('\\'));
    clean.then(|| dir.join(path))
}

fn serve_one(dir: &Path, stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Read (and ignore) the headers up to the blank line.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let file = resolve(dir, target).filter(|p| p.is_file());
    let mut out = stream;
    match (method, file) {
        ("GET" | "HEAD", Some(path)) => {
            let body = std::fs::read(&path)?;
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                content_type(&path),
                body.len()
            )?;
            if method == "GET" {
                out.write_all(&body)?;
            }
        }
        ("GET" | "HEAD", None) => {
            out.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n")?;
        }
        _ => {
            out.write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        }
    }
    out.flush()
}

/// Headless Chromium's arguments for this machine: root needs `--no-sandbox`; a closed
/// network needs every background download (updates, sync, safe browsing lists) switched
/// off, or the browser waits on them; a throwaway profile keeps runs independent.
fn chromium(root: &Path, what: &str) -> Result<Command> {
    install::ensure_tools(&[CHROMIUM])?;
    let profile = target_dir(root)
        .join("wasm-site")
        .join(format!(".chromium-{what}"));
    let _ = std::fs::remove_dir_all(&profile);
    std::fs::create_dir_all(&profile)?;
    let mut cmd = Command::new(CHROMIUM.binary);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--hide-scrollbars",
        "--mute-audio",
        // Virtual time runs the page's timers at once (day 4's delay) and ends the run when
        // the page is idle, so a load never waits on the wall clock.
        "--virtual-time-budget=10000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    Ok(cmd)
}

/// The page's URL with the day's query (`args` of its tour entry, e.g. `?n=10`), which makes
/// the page play its interaction by itself (fill the input, click the button).
fn page_url(server: &Server, tour: Option<&Tour>) -> String {
    let query = tour.map(|t| t.args.concat()).unwrap_or_default();
    format!("{}index.html{query}", server.url())
}

/// Loads the page in headless Chromium and returns the DOM after its scripts ran.
fn dump_dom(root: &Path, url: &str) -> Result<String> {
    let mut cmd = chromium(root, "dom")?;
    cmd.arg("--dump-dom").arg(url);
    let run = util::output_with_timeout(&mut cmd, RUN_LIMIT)?;
    ensure!(
        run.status.is_some_and(|s| s.success()),
        "chromium --dump-dom {url} failed or hung:\n{}",
        tail(&run.output, 20)
    );
    Ok(run.output)
}

/// The tour's `browser` mode: build the day's page, serve it, load it (with its query) in
/// headless Chromium and check the DOM holds every `expect_output` string.
pub fn tour_day(root: &Path, day: &Day, tour: &Tour) -> Result<()> {
    let site = build_demo(root, day)?;
    let server = Server::start(site.dir)?;
    let url = page_url(&server, Some(tour));
    let dom = dump_dom(root, &url)?;
    for expected in &tour.expect_output {
        ensure!(
            dom.contains(expected.as_str()),
            "the page {url} lacks {expected:?}; its DOM ends with:\n{}",
            tail(&dom, 25)
        );
    }
    Ok(())
}

/// `cargo xtask run demo-wasm <n> [--screenshot]`: builds and serves the page, prints its URL
/// and serves until Ctrl-C; with `--screenshot`, writes a PNG of the page after its
/// interaction (the tour's query) and returns.
pub fn run(root: &Path, course: &Course, number: u32, screenshot: bool) -> Result<()> {
    let day = course.day(number)?;
    ensure!(
        day.is_built(),
        "{KRATE} day {number} ({}) is planned, not built yet",
        day.title
    );
    let site = build_demo(root, day)?;
    let shot_path = site.dir.with_extension("png");
    let server = Server::start(site.dir)?;
    let url = page_url(&server, day.tour.as_ref());
    if screenshot {
        let mut cmd = chromium(root, "shot")?;
        cmd.arg("--window-size=800,450")
            .arg(format!("--screenshot={}", shot_path.display()))
            .arg(&url);
        let run = util::output_with_timeout(&mut cmd, RUN_LIMIT)?;
        ensure!(
            run.status.is_some_and(|s| s.success()) && shot_path.is_file(),
            "chromium --screenshot failed:\n{}",
            tail(&run.output, 20)
        );
        println!("screenshot of {url}: {}", shot_path.display());
        return Ok(());
    }
    println!(
        "serving {} day {number} ({}) at {}\nopen {url} (Ctrl-C to stop)",
        KRATE,
        day.title,
        server.url()
    );
    server.wait();
    Ok(())
}

/// `cargo xtask bench demo-wasm`: each demo's `.wasm` size after wasm-bindgen and after
/// `wasm-opt -Oz`, next to the same demo written in Go and built in the same run.
pub fn bench(root: &Path, curriculum: &Curriculum) -> Result<()> {
    let course = curriculum.course(KRATE)?;
    install::ensure_tools(&[WASM_OPT, GO])?;
    let go_root = target_dir(root).join("go");
    let mut rows = Vec::new();
    for day in course.days.iter().filter(|d| d.is_built()) {
        println!("building {} ...", day.slug);
        let site = build_demo(root, day)?;
        let bindgen = file_size(&site.wasm)?;
        let opt_path = site.wasm.with_extension("opt.wasm");
        util::run(
            Command::new(WASM_OPT.binary)
                .args(["-Oz", "--enable-bulk-memory", "--enable-sign-ext"])
                .args([
                    "--enable-nontrapping-float-to-int",
                    "--enable-mutable-globals",
                    "--enable-multivalue",
                    "--enable-reference-types",
                ])
                .arg(&site.wasm)
                .arg("-o")
                .arg(&opt_path),
        )?;
        let opt = file_size(&opt_path)?;
        let go = go_size(root, &go_root, &day.slug)?;
        let sections = section_sizes(&std::fs::read(&site.wasm)?)?;
        let shown: Vec<String> = sections
            .iter()
            .map(|(name, size)| format!("{name} {size}"))
            .collect();
        println!(
            "  {} sections after wasm-bindgen: {}",
            day.slug,
            shown.join(", ")
        );
        rows.push((
            day.slug.clone(),
            file_size(&site.raw_wasm)?,
            bindgen,
            opt,
            go,
        ));
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\n.wasm sizes in bytes (Rust: profile {PROFILE}; Go: GOOS=js GOARCH=wasm go build)");
    println!(
        "| demo | rustc | after wasm-bindgen | after wasm-opt -Oz | Go | Go / Rust (bindgen) | Go / Rust (opt) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (slug, raw, bindgen, opt, go) in &rows {
        println!(
            "| {slug} | {raw} | {bindgen} | {opt} | {go} | {:.0}x | {:.0}x |",
            *go as f64 / *bindgen as f64,
            *go as f64 / *opt as f64
        );
    }
    println!(
        "(sizes do not depend on load; load average {})",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    Ok(())
}

/// The sections of a `.wasm` file and their sizes in bytes: where the bytes go. A module is
/// a magic number, a version, then sections, each an id byte and a LEB128 length; custom
/// sections (id 0) start with their name.
pub fn section_sizes(bytes: &[u8]) -> Result<Vec<(String, u64)>> {
    const NAMES: [&str; 14] = [
        "custom",
        "type",
        "import",
        "function",
        "table",
        "memory",
        "global",
        "export",
        "start",
        "element",
        "code",
        "data",
        "datacount",
        "tag",
    ];
    ensure!(bytes.starts_with(b"\0asm"), "not a wasm module");
    let mut at = 8;
    let mut sections = Vec::new();
    while at < bytes.len() {
        let id = bytes[at];
        let (len, after) = leb128(bytes, at + 1)?;
        let end = after
            .checked_add(usize::try_from(len)?)
            .filter(|&e| e <= bytes.len())
            .context("a section runs past the end of the file")?;
        let name = match NAMES.get(usize::from(id)) {
            Some(&"custom") => {
                let (name_len, name_at) = leb128(bytes, after)?;
                let name_end = (name_at + usize::try_from(name_len)?).min(end);
                format!(
                    "custom \"{}\"",
                    String::from_utf8_lossy(&bytes[name_at..name_end])
                )
            }
            Some(name) => (*name).to_owned(),
            None => format!("unknown ({id})"),
        };
        sections.push((name, (end - at) as u64));
        at = end;
    }
    Ok(sections)
}

/// Reads an unsigned LEB128 number at `at`; returns it and the position after it.
fn leb128(bytes: &[u8], mut at: usize) -> Result<(u64, usize)> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(at).context("truncated LEB128 number")?;
        at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
    bail!("LEB128 number too long")
}

fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .with_context(|| format!("no {}", path.display()))?
        .len())
}

/// Builds `demo-wasm/go/<slug>/main.go` for GOOS=js GOARCH=wasm and returns its size. Go's
/// caches live under `target/go`, so this works as root on a machine with no network and no
/// home directory set up.
fn go_size(root: &Path, go_root: &Path, slug: &str) -> Result<u64> {
    let source = root.join(KRATE).join("go").join(slug).join("main.go");
    ensure!(source.is_file(), "no Go demo at {}", source.display());
    let out = go_root.join(format!("{slug}.wasm"));
    std::fs::create_dir_all(go_root.join("home"))?;
    let build = util::output_with_timeout(
        Command::new(GO.binary)
            .args(["build", "-o"])
            .arg(&out)
            .arg(&source)
            .env("GOOS", "js")
            .env("GOARCH", "wasm")
            .env("GOCACHE", go_root.join("cache"))
            .env("GOPATH", go_root.join("path"))
            .env("HOME", go_root.join("home"))
            .env("GOPROXY", "off")
            .env("GO111MODULE", "off"),
        BUILD_LIMIT,
    )?;
    ensure!(
        build.status.is_some_and(|s| s.success()),
        "go build {} failed:\n{}",
        source.display(),
        tail(&build.output, 20)
    );
    file_size(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths_inside_the_site_only() {
        let dir = Path::new("/site");
        assert_eq!(resolve(dir, "/"), Some(PathBuf::from("/site/index.html")));
        assert_eq!(
            resolve(dir, "/index.html?n=10"),
            Some(PathBuf::from("/site/index.html"))
        );
        assert_eq!(
            resolve(dir, "/pkg/demo.js"),
            Some(PathBuf::from("/site/pkg/demo.js"))
        );
        assert_eq!(resolve(dir, "/../etc/passwd"), None);
        assert_eq!(resolve(dir, "/pkg/../../x"), None);
        assert_eq!(resolve(dir, "//etc/passwd"), None);
        assert_eq!(resolve(dir, "relative"), None);
    }

    #[test]
    fn serves_files_with_their_content_type() {
        let dir = std::env::temp_dir().join(format!("xtask-wasm-serve-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        std::fs::write(dir.join("pkg/demo_bg.wasm"), b"\0asm").unwrap();
        let server = Server::start(dir.clone()).unwrap();
        let get = |path: &str| {
            let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut raw = Vec::new();
            std::io::Read::read_to_end(&mut stream, &mut raw).unwrap();
            String::from_utf8_lossy(&raw).into_owned()
        };
        let page = get("/?n=3");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        assert!(page.contains("text/html") && page.ends_with("<p>hi</p>"));
        assert!(get("/pkg/demo_bg.wasm").contains("Content-Type: application/wasm"));
        assert!(get("/missing.js").starts_with("HTTP/1.1 404"));
        assert!(get("/../Cargo.toml").starts_with("HTTP/1.1 404"));
        drop(server);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn lists_the_sections_of_a_module() {
        // magic, version, a type section of 4 bytes, a custom section "name" of 2 bytes.
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        module.extend_from_slice(&[0, 7, 4, b'n', b'a', b'm', b'e', 1, 2]);
        let sections = section_sizes(&module).unwrap();
        assert_eq!(
            sections,
            [("type".to_owned(), 6), ("custom \"name\"".to_owned(), 9)]
        );
        assert!(section_sizes(b"\0asm\x01\0\0\0\x01\x7f").is_err());
        assert!(section_sizes(b"ELF").is_err());
    }

    #[test]
    fn reads_the_pinned_bindgen_version_from_the_lockfile() {
        let version = locked_bindgen_version(&crate::course::workspace_root()).unwrap();
        assert!(version.starts_with("0.2."), "{version}");
    }
}

//! `cargo xtask tour`: run every built day's example with nobody at the keyboard.
//!
//! This is the course's main check that "each day runs". The examples are built once, then
//! each is started the way `course.toml` says: an `exit` example must finish with status 0;
//! a `server` example is started on free ports, the tour waits until they listen, sends
//! the requests (HTTP or raw TCP) and checks the answers, then stops it with SIGTERM, which
//! it must survive by shutting down cleanly. Planned days are listed, not failed.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};

use crate::course::{Course, Curriculum, Day, Tour, TourMode, TourRequest};
use crate::install;
use crate::util::{self, cargo, human};

/// What happened to one day.
pub enum Outcome {
    /// The example ran and every expectation held.
    Passed,
    /// Something went wrong; the text says what.
    Failed(String),
    /// The day is not built yet.
    Planned,
}

/// One row of the tour's table.
pub struct Row {
    krate: String,
    day: u32,
    title: String,
    outcome: Outcome,
    time: Duration,
}

/// Runs the tour over one course or all of them; returns (passed, failed, planned).
pub fn tour(
    root: &Path,
    curriculum: &Curriculum,
    krate: Option<&str>,
) -> Result<(usize, usize, usize)> {
    let days = curriculum.select(krate)?;
    // Browser days are built for wasm32 by `wasm::tour_day`, not here.
    let built: Vec<&(&Course, &Day)> = days
        .iter()
        .filter(|(_, d)| d.is_built() && !d.tour.as_ref().is_some_and(is_browser))
        .collect();
    if !built.is_empty() {
        ensure_chapter_clients(root, built.iter().map(|(_, d)| *d));
        println!("tour: building {} example(s) ...", built.len());
        let mut build = cargo();
        build.current_dir(root);
        if krate.is_none() {
            // The whole tour builds the examples the way `cargo test --workspace` does (same
            // packages, so the same unified features): right after `cargo xtask test`'s test
            // step that is a no-op, where `cargo build -p .. --example ..` would resolve
            // features afresh and rebuild tokio and friends (about 3 minutes on CI).
            build.args(["test", "--workspace", "--exclude", "bench", "--no-run"]);
        } else {
            build.arg("build");
            for (course, day) in &built {
                build.args(["-p", &course.krate, "--example", &day.stem()]);
            }
        }
        util::run(&mut build)?;
    }

    let mut rows = Vec::new();
    let total = days.len();
    for (i, (course, day)) in days.iter().enumerate() {
        print!(
            "[{:>2}/{total}] {} day {}: {} ... ",
            i + 1,
            course.krate,
            day.number,
            day.title
        );
        let _ = std::io::stdout().flush();
        let (outcome, time) = if day.is_built() {
            util::timed(|| match run_day(root, course, day) {
                Ok(()) => Outcome::Passed,
                Err(err) => Outcome::Failed(format!("{err:#}")),
            })
        } else {
            (Outcome::Planned, Duration::ZERO)
        };
        match &outcome {
            Outcome::Passed => println!("ok ({})", human(time)),
            Outcome::Failed(why) => println!(
                "FAILED ({})\n        {}",
                human(time),
                why.replace('\n', "\n        ")
            ),
            Outcome::Planned => println!("planned"),
        }
        rows.push(Row {
            krate: course.krate.clone(),
            day: day.number,
            title: day.title.clone(),
            outcome,
            time,
        });
    }
    print_table(&rows);
    let passed = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Passed))
        .count();
    let failed = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    let planned = rows
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Planned))
        .count();
    println!("tour: {passed} passed, {failed} failed, {planned} planned");
    Ok((passed, failed, planned))
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|r| r.title.len()).max().unwrap_or(5).max(5);
    println!();
    println!(
        "| {:<10} | {:>3} | {:<width$} | {:<7} | {:>7} |",
        "crate", "day", "title", "result", "time"
    );
    println!(
        "|{}|{}|{}|{}|{}|",
        "-".repeat(12),
        "-".repeat(5),
        "-".repeat(width + 2),
        "-".repeat(9),
        "-".repeat(9)
    );
    for r in rows {
        let (result, time) = match r.outcome {
            Outcome::Passed => ("passed", human(r.time)),
            Outcome::Failed(_) => ("FAILED", human(r.time)),
            Outcome::Planned => ("planned", String::new()),
        };
        println!(
            "| {:<10} | {:>3} | {:<width$} | {:<7} | {:>7} |",
            r.krate, r.day, r.title, result, time
        );
    }
    println!();
}

/// Installs the clients the days' chapters tell the reader to run (`redis-cli`, `nc`,
/// `curl`, ...), so every command a chapter shows works on a fresh machine. Installing needs
/// root; otherwise this says what to install and goes on (the examples do not need them).
fn ensure_chapter_clients<'a>(root: &Path, days: impl Iterator<Item = &'a Day>) {
    let mut tools = Vec::new();
    for day in days {
        if let Ok(chapter) = std::fs::read_to_string(root.join(&day.chapter)) {
            tools.extend(install::chapter_tools(&chapter));
        }
    }
    if let Err(err) = install::ensure_tools(&tools) {
        println!("note: the chapters' commands use clients this machine lacks: {err:#}");
    }
}

/// The directory cargo builds into (honours `CARGO_TARGET_DIR`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// Runs one day's example as its tour entry says.
fn run_day(root: &Path, course: &Course, day: &Day) -> Result<()> {
    let tour = day
        .tour
        .as_ref()
        .context("course.toml has no [course.day.tour] for this built day")?;
    if is_browser(tour) {
        return crate::wasm::tour_day(root, day, tour);
    }
    let binary = target_dir(root)
        .join("debug")
        .join("examples")
        .join(day.stem());
    ensure!(
        binary.is_file(),
        "example binary {} was not built",
        binary.display()
    );

    let ports = reserve_ports(tour)?;
    let args: Vec<String> = tour
        .args
        .iter()
        .map(|a| expand(a, &ports))
        .collect::<Result<_>>()?;
    let log_path =
        target_dir(root)
            .join("tour")
            .join(format!("{}-{}.log", course.krate, day.stem()));
    std::fs::create_dir_all(log_path.parent().context("log path has a parent")?)?;
    let log = File::create(&log_path)?;
    let mut child = Command::new(&binary)
        .args(&args)
        .current_dir(root.join(&course.krate))
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let timeout = Duration::from_secs(tour.timeout_secs.unwrap_or(60));

    let result = match tour.mode {
        TourMode::Exit => wait_exit(&mut child, timeout).and_then(|status| {
            ensure!(status.success(), "exited with {status}");
            Ok(())
        }),
        TourMode::Server => serve_and_probe(&mut child, tour, &ports, timeout),
        TourMode::Browser => Err(anyhow::anyhow!("browser days run through wasm::tour_day")),
    };
    let _ = child.kill();
    let _ = child.wait();
    let output = std::fs::read_to_string(&log_path).unwrap_or_default();
    let with_output = |err: anyhow::Error| {
        err.context(format!(
            "output ({}):\n{}",
            log_path.display(),
            tail(&output, 15)
        ))
    };
    result.map_err(with_output)?;
    for expected in &tour.expect_output {
        let expected = expand(expected, &ports)?;
        if !output.contains(&expected) {
            return Err(with_output(anyhow::anyhow!("output lacks {expected:?}")));
        }
    }
    Ok(())
}

fn is_browser(tour: &Tour) -> bool {
    tour.mode == TourMode::Browser
}

fn serve_and_probe(
    child: &mut Child,
    tour: &Tour,
    ports: &[(String, u16)],
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    for (name, port) in ports {
        loop {
            if let Some(status) = child.try_wait()? {
                bail!("exited with {status} before listening on {name} ({port})");
            }
            if common::wait_for_port(("127.0.0.1", *port), Duration::from_millis(200)).is_ok() {
                break;
            }
            ensure!(
                Instant::now() < deadline,
                "nothing listens on {name} ({port}) after {timeout:?}"
            );
        }
    }
    for (i, request) in tour.requests.iter().enumerate() {
        probe(request, ports)
            .with_context(|| format!("request #{} ({})", i + 1, describe(request)))?;
    }
    terminate(child)?;
    let status = wait_exit(child, Duration::from_secs(15)).context("did not stop after SIGTERM")?;
    ensure!(
        status.success(),
        "did not shut down cleanly after SIGTERM: {status}"
    );
    Ok(())
}

fn describe(request: &TourRequest) -> String {
    match (&request.http, &request.send) {
        (Some(http), _) => http.clone(),
        (None, Some(send)) => format!("send {send:?}"),
        (None, None) => "empty request".into(),
    }
}

/// Sends SIGTERM (Unix), the polite request to stop that a server must handle.
fn terminate(child: &mut Child) -> Result<()> {
    #[cfg(unix)]
    {
        util::run(Command::new("kill").args(["-TERM", &child.id().to_string()]))
    }
    #[cfg(not(unix))]
    {
        child.kill().context("cannot stop the example")
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> Result<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= deadline {
            bail!("still running after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn reserve_ports(tour: &Tour) -> Result<Vec<(String, u16)>> {
    tour.ports
        .iter()
        .map(|name| Ok((name.clone(), common::free_port()?)))
        .collect()
}

/// Replaces every `{name}` of a reserved port in `text` with its number.
fn expand(text: &str, ports: &[(String, u16)]) -> Result<String> {
    let mut out = text.to_owned();
    for (name, port) in ports {
        out = out.replace(&format!("{{{name}}}"), &port.to_string());
    }
    Ok(out)
}

fn port_of(name: &str, ports: &[(String, u16)]) -> Result<u16> {
    ports
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, p)| *p)
        .with_context(|| {
            format!("request names port `{name}`, which the tour entry does not reserve")
        })
}

/// Sends one request and checks the answer.
fn probe(request: &TourRequest, ports: &[(String, u16)]) -> Result<()> {
    let port = port_of(&request.port, ports)?;
    let (status, body) = match (&request.http, &request.send) {
        (Some(line), None) => {
            let (status, body) =
                http_request(port, &expand(line, ports)?, &request.headers, &request.body)?;
            (Some(status), body)
        }
        (None, Some(bytes)) => (
            None,
            tcp_exchange(port, bytes.as_bytes(), &request.expect_body)?,
        ),
        _ => bail!("a tour request needs exactly one of `http` or `send`"),
    };
    if let Some(expected) = request.expect_status {
        ensure!(
            status == Some(expected),
            "status {status:?}, expected {expected}; body: {}",
            tail(&body, 5)
        );
    }
    for expected in &request.expect_body {
        let expected = expand(expected, ports)?;
        ensure!(
            body.contains(&expected),
            "reply lacks {expected:?}; got: {}",
            tail(&body, 10)
        );
    }
    Ok(())
}

/// A minimal HTTP/1.1 client: one request, `Connection: close`, read to EOF.
fn http_request(port: u16, line: &str, headers: &[String], body: &str) -> Result<(u16, String)> {
    let (method, path) = line
        .split_once(' ')
        .context("`http` must be \"METHOD /path\"")?;
    let mut stream = connect(port)?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .context("reading the response")?;
    parse_http_response(&raw)
}

/// Splits a raw HTTP/1.1 response into status and (de-chunked) body.
pub fn parse_http_response(raw: &[u8]) -> Result<(u16, String)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no end of headers in the response")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let status_line = head.lines().next().context("empty response")?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        ensure!(data.len() >= size + 2, "truncated chunk");
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Sends raw bytes and reads until every expected substring has arrived, EOF, or 10 s.
fn tcp_exchange(port: u16, bytes: &[u8], expect: &[String]) -> Result<String> {
    let mut stream = connect(port)?;
    stream.write_all(bytes)?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&reply);
        if !expect.is_empty() && expect.iter().all(|e| text.contains(e.as_str())) {
            return Ok(text.into_owned());
        }
        if Instant::now() >= deadline {
            return Ok(text.into_owned());
        }
        match stream.read(&mut buf) {
            Ok(0) => return Ok(text.into_owned()),
            Ok(n) => reply.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn connect(port: u16) -> Result<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port))
        .with_context(|| format!("connecting to port {port}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    Ok(stream)
}

/// The last `n` lines of `text`, for error messages.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// `cargo xtask run <crate> <day>`: the day's example, interactively (stdin/stdout inherited).
pub fn run_interactive(
    root: &Path,
    curriculum: &Curriculum,
    krate: &str,
    number: u32,
    args: &[String],
) -> Result<()> {
    let course = curriculum.course(krate)?;
    let day = course.day(number)?;
    ensure!(
        day.is_built(),
        "{krate} day {number} ({}) is planned, not built yet",
        day.title
    );
    ensure_chapter_clients(root, std::iter::once(day));
    println!("running {} (Ctrl-C to stop)", day.example);
    util::run(
        cargo()
            .current_dir(root.join(krate))
            .args(["run", "-p", krate, "--example", &day.stem(), "--"])
            .args(args),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\nnope\n";
        assert_eq!(parse_http_response(plain).unwrap(), (404, "nope\n".into()));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_http_response(chunked).unwrap(), (200, "abcde".into()));
        assert!(parse_http_response(b"garbage").is_err());
    }

    #[test]
    fn expands_port_names() {
        let ports = vec![("api".to_string(), 9999), ("node".to_string(), 8001)];
        assert_eq!(
            expand("--port={node} {api}", &ports).unwrap(),
            "--port=8001 9999"
        );
    }
}

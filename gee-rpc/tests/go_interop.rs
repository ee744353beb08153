//! Interoperability with Go, for real: Go programs (standard library only, in `go/`) talk to
//! gee-rpc over GeeRPC's wire format, a JSON Option line and then gob.
//!
//! The tests build the programs with `go build` into this test's target directory, with
//! modules off and every Go directory (cache, GOPATH, HOME) under it, so they run as root on
//! a fresh machine with no network. Without `go` on PATH they print why and pass.

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use gee_rpc::{Client, CodecType, Error, Options};
use support::{Args, bounded, start_foo};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Builds `go/<program>`; `None` (after saying so) when Go is not installed.
fn go_build(program: &str) -> Option<PathBuf> {
    static BUILD: Mutex<()> = Mutex::new(());
    let _one_at_a_time = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if std::process::Command::new("go")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: `go` is not on PATH; install golang-go to run the Go interop tests");
        return None;
    }
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-interop");
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("go")
        .join(program);
    let binary = work.join("bin").join(program);
    let output = std::process::Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg(".")
        .current_dir(&source)
        .env("HOME", work.join("home"))
        .env("GOCACHE", work.join("cache"))
        .env("GOPATH", work.join("gopath"))
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "0")
        .output()
        .expect("run go build");
    assert!(
        output.status.success(),
        "go build {program} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(binary)
}

/// Go's client (gob, the Option and five calls in one write) calls the Rust server.
#[tokio::test]
async fn a_go_client_calls_the_rust_server_over_gob() {
    let Some(client) = go_build("geeclient") else {
        return;
    };
    let (addr, services) = start_foo().await;
    let output = bounded(
        "the Go client",
        Command::new(client)
            .arg(addr.to_string())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("run the Go client");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Go client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Foo.Sum 5 + 25 = 30"), "{stdout}");
    assert!(
        stdout.contains("Foo.Nope error: rpc server: can't find method Nope"),
        "{stdout}"
    );
    assert!(stdout.contains("go client: ok"), "{stdout}");
    assert_eq!(services.num_calls("Foo.Sum"), Some(6));
}

/// The Rust client calls a Go server speaking geerpc's gob protocol.
#[tokio::test]
async fn the_rust_client_calls_a_go_server_over_gob() {
    let Some(server) = go_build("geeserver") else {
        return;
    };
    let mut child = Command::new(server)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start the Go server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = bounded("the Go server's address", lines.next_line())
        .await
        .expect("read")
        .expect("a line");
    let addr = line
        .strip_prefix("listening on ")
        .expect("an address line")
        .to_string();

    let client = Client::dial(&addr, Options::with_codec(CodecType::Gob))
        .await
        .unwrap();
    let calls: Vec<_> = (1..=5i64)
        .map(|i| {
            (
                i,
                client.go::<_, i64>(
                    "Foo.Sum",
                    &Args {
                        num1: i,
                        num2: i * i,
                    },
                ),
            )
        })
        .collect();
    for (i, call) in calls {
        assert_eq!(bounded("Foo.Sum", call).await.unwrap(), i + i * i);
    }
    match bounded(
        "Foo.Nope",
        client.call::<_, i64>("Foo.Nope", &Args::default()),
    )
    .await
    {
        Err(Error::Server(text)) => assert_eq!(text, "rpc server: can't find method Foo.Nope"),
        other => panic!("expected an error reply, got {other:?}"),
    }
    let zero_fields: i64 = bounded(
        "Foo.Sum",
        client.call("Foo.Sum", &Args { num1: 0, num2: 0 }),
    )
    .await
    .unwrap();
    assert_eq!(zero_fields, 0);
    let _ = tokio::time::timeout(Duration::from_secs(5), child.kill()).await;
}

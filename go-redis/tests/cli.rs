//! The server binary's command line: `--help` and `--version` answer and exit instead of
//! starting a server, and a bad directive is refused with a message (not a panic).

use std::process::Command;

fn go_redis(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_go-redis"))
        .args(args)
        .output()
        .expect("the go-redis binary runs")
}

#[test]
fn help_prints_usage_and_exits() {
    let out = go_redis(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Usage: go-redis"), "{text}");
    assert!(text.contains("--<directive> <value>"), "{text}");
}

#[test]
fn version_prints_the_version_and_exits() {
    let out = go_redis(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("go-redis "));
}

#[test]
fn a_bad_directive_value_is_refused_with_a_message() {
    let out = go_redis(&["--port", "not-a-port"]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("invalid value 'not-a-port' for 'port'"),
        "{text}"
    );
}

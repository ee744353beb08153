//! The server binary's command line: `--help` and `--version` answer and exit instead of
//! starting a server, and a bad directive is refused with a message (not a panic).

use std::process::Command;

mod support;

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

/// SIGTERM and SIGINT (sent with `kill`, as an operator or a service manager does) make
/// the binary exit with status 0 promptly, even with a client blocked in BLPOP and a
/// client that never reads the replies it asked for. The only time bound is a generous
/// one on waiting for the exit.
#[test]
fn sigterm_and_sigint_exit_cleanly_despite_blocked_and_non_reading_clients() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    for signal in ["-TERM", "-INT"] {
        let (mut server, port) = support::spawn_on_free_port(|port| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_go-redis"));
            command
                .args(["--port", &port.to_string()])
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            command
        });
        let addr = ("127.0.0.1", port);
        // A 1 MB value, so 64 unread GETs fill every socket buffer on the way.
        let mut setter = TcpStream::connect(addr).unwrap();
        let big = vec![b'x'; 1 << 20];
        setter
            .write_all(format!("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n${}\r\n", big.len()).as_bytes())
            .unwrap();
        setter.write_all(&big).unwrap();
        setter.write_all(b"\r\n").unwrap();
        let mut ok = [0u8; 5];
        setter.read_exact(&mut ok).unwrap();
        assert_eq!(&ok, b"+OK\r\n");
        let mut blocked = TcpStream::connect(addr).unwrap();
        blocked.write_all(b"BLPOP queue 0\r\n").unwrap();
        let mut deaf = TcpStream::connect(addr).unwrap();
        deaf.write_all(&b"GET big\r\n".repeat(64)).unwrap();
        // Signal only once the server reports the client as blocked.
        let give_up = Instant::now() + Duration::from_secs(30);
        loop {
            assert!(Instant::now() < give_up, "the BLPOP client never blocked");
            setter.write_all(b"INFO clients\r\n").unwrap();
            let mut reply = [0u8; 4096];
            let n = setter.read(&mut reply).unwrap();
            if String::from_utf8_lossy(&reply[..n]).contains("blocked_clients:1") {
                break;
            }
            std::thread::yield_now();
        }
        let killed = match Command::new("kill")
            .args([signal, &server.id().to_string()])
            .status()
        {
            Ok(status) => status,
            Err(err) => {
                let _ = server.kill();
                let _ = server.wait();
                eprintln!("SKIPPED: cannot run `kill` ({err}); install Debian's procps");
                return;
            }
        };
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = server.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = server.kill();
                let _ = server.wait();
                panic!("go-redis did not exit after kill {signal}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "kill {signal}: {status}");
        drop((blocked, deaf));
    }
}

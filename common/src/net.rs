//! Ports for examples and tests: ask the OS, then wait until someone listens.
//!
//! Tests run in parallel, so none of them may hard-code a port: they bind port 0 and let the
//! OS choose ([`free_port`] does the same when a port must be chosen before a server starts,
//! e.g. for a child process). And no test may `sleep` hoping a server is up by then:
//! [`wait_for_port`] polls with a short back-off until the port accepts a connection or a
//! deadline passes, so a fast machine does not wait and a slow one does not flake.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
///
/// The OS picks it (bind to port 0), then the listener is dropped. Another process could in
/// principle take it before you bind again; for tests and the tour that race is negligible.
/// Prefer binding port 0 yourself and reading `local_addr()` when the server is in-process.
pub fn free_port() -> io::Result<u16> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

/// Waits until `addr` accepts a TCP connection, or fails with `TimedOut` after `timeout`.
///
/// Polls every few milliseconds (doubling up to 100 ms), so it returns as soon as the
/// server is ready.
pub fn wait_for_port(addr: impl ToSocketAddrs, timeout: Duration) -> io::Result<()> {
    let addrs: Vec<SocketAddr> = addr.to_socket_addrs()?.collect();
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        for a in &addrs {
            if TcpStream::connect_timeout(a, Duration::from_millis(250)).is_ok() {
                return Ok(());
            }
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("nothing listens on {addrs:?} after {timeout:?}"),
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The address an example listens on: `127.0.0.1:<port>`, where the port is the value after
/// `--port` on the command line, or `default_port` (the port the Go course used).
///
/// The tour passes `--port <free port>` so examples never collide with each other or with
/// something already running on the machine; a learner just runs the example and gets the
/// familiar port.
pub fn listen_addr_from_args(default_port: u16) -> SocketAddr {
    let port = port_from(std::env::args(), default_port);
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn port_from(args: impl IntoIterator<Item = String>, default_port: u16) -> u16 {
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if let Some(value) = arg.strip_prefix("--port=") {
            return value.parse().unwrap_or(default_port);
        }
        if arg == "--port" {
            return args
                .next()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default_port);
        }
    }
    default_port
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn port_comes_from_flag_or_default() {
        assert_eq!(port_from(args(&["ex"]), 9999), 9999);
        assert_eq!(port_from(args(&["ex", "--port", "8001"]), 9999), 8001);
        assert_eq!(port_from(args(&["ex", "--port=8002"]), 9999), 8002);
        assert_eq!(port_from(args(&["ex", "--port", "nope"]), 9999), 9999);
        assert_eq!(port_from(args(&["ex", "--port"]), 9999), 9999);
    }

    #[test]
    fn wait_for_port_sees_a_listener_and_times_out_without_one() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let addr = listener.local_addr().unwrap();
        wait_for_port(addr, Duration::from_secs(5)).unwrap();
        drop(listener);
        let err = wait_for_port(addr, Duration::from_millis(50)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port().unwrap();
        assert_ne!(port, 0);
        TcpListener::bind(("127.0.0.1", port)).unwrap();
    }
}

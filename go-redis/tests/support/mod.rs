//! Shared helpers for go-redis's acceptance tests: start a server on port 0, talk to it with
//! raw bytes or with the `redis` crate.

#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use go_redis::Config;
use go_redis::resp::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A database server running in the background of a test.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Send (or drop) to shut it down gracefully.
    pub stop: Option<oneshot::Sender<()>>,
    /// The server task.
    pub task: JoinHandle<Result<(), go_redis::Error>>,
}

impl TestServer {
    /// A `redis` crate connection to it.
    pub async fn client(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(format!("redis://{}", self.addr))
            .expect("a valid redis URL")
            .get_multiplexed_async_connection()
            .await
            .expect("connect with the redis crate")
    }
}

/// Starts the full database server with `config` on 127.0.0.1:0.
pub async fn start_with(config: Config) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(go_redis::serve_database(listener, config, async move {
        let _ = stopped.await;
    }));
    TestServer {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Starts the database server with the default config.
pub async fn start() -> TestServer {
    start_with(Config::default()).await
}

/// Sends raw bytes and reads until `frames` complete RESP frames arrived (or EOF / 10 s).
pub async fn exchange(stream: &mut TcpStream, bytes: &[u8], frames: usize) -> Vec<Frame> {
    stream.write_all(bytes).await.expect("write request");
    read_frames(stream, frames).await
}

/// Reads until `frames` complete RESP frames arrived, the peer closed, or 10 s passed.
pub async fn read_frames(stream: &mut TcpStream, frames: usize) -> Vec<Frame> {
    let mut buf = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let parsed = Frame::parse_all(&buf).expect("server sent valid RESP");
        if parsed.len() >= frames {
            return parsed;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0)) | Err(_) => return parsed,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) => return parsed,
        }
    }
}

/// Whether the server closed `stream` (reads EOF or a reset within 10 s).
pub async fn is_closed(stream: &mut TcpStream) -> bool {
    let mut chunk = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk)).await,
        Ok(Ok(0)) | Ok(Err(_))
    )
}

/// A simple-string frame.
pub fn simple(text: &str) -> Frame {
    Frame::Simple(text.into())
}

/// A bulk frame.
pub fn bulk(text: &str) -> Frame {
    Frame::Bulk(bytes::Bytes::copy_from_slice(text.as_bytes()))
}

/// A `redis-server` 7.0.15 to compare with: `REDIS_SERVER`, `/usr/bin/redis-server`, or
/// Debian's `redis-check-rdb` under the name `redis-server` (it becomes the server when so
/// called: a symlink in a per-process temp directory). `None` when redis-tools is absent.
pub fn real_redis_server() -> Option<std::path::PathBuf> {
    if let Some(path) = std::env::var_os("REDIS_SERVER") {
        return Some(path.into());
    }
    if std::path::Path::new("/usr/bin/redis-server").is_file() {
        return Some("/usr/bin/redis-server".into());
    }
    let binary = std::path::Path::new("/usr/bin/redis-check-rdb");
    if !binary.is_file() {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("go-redis-real-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let link = dir.join("redis-server");
    // Tests run in parallel: another one may have just made the link.
    match std::os::unix::fs::symlink(binary, &link) {
        Ok(()) => Some(link),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Some(link),
        Err(_) => None,
    }
}

/// The Python interpreter with redis-py: `GO_REDIS_PYTHON`, else the venv xtask makes at
/// `target/pyvenv` (`python3 -m venv target/pyvenv && target/pyvenv/bin/pip install redis`),
/// else `python3`. `Err` (with the reason) when none can `import redis`.
pub fn python_with_redis() -> Result<String, String> {
    let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/pyvenv/bin/python");
    let candidates = [
        std::env::var("GO_REDIS_PYTHON").ok(),
        Some(venv.into()),
        Some("python3".into()),
    ];
    for python in candidates.into_iter().flatten() {
        let ok = std::process::Command::new(&python)
            .args(["-c", "import redis"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Ok(python);
        }
    }
    Err("no python3 with the `redis` package (pip install redis, or set GO_REDIS_PYTHON)".into())
}

/// A child process killed (and reaped) when dropped, so a failing test leaves no server
/// running behind it.
#[derive(Debug)]
pub struct KillOnDrop(pub std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl std::ops::Deref for KillOnDrop {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

/// Starts a server process that must be told its port (the real `redis-server`, the
/// go-redis binary) and returns it with the port it listens on. `command(port)` builds the
/// command line.
///
/// A port picked in advance can be taken before the server binds it: by another test's
/// server, or by a client's outgoing connection. Then the new server exits, and a test
/// that only waited for "something accepts on the port" would talk to the wrong server. So
/// this checks that the server on the port is *this* child (`INFO server`'s `process_id`)
/// and tries a new port if the child exited. Then it waits for `PING` to answer `PONG`:
/// Redis accepts connections *before* it has loaded its files and answers `-LOADING` to
/// most commands until then (a test that read the data set too early saw empty databases).
pub fn spawn_on_free_port(
    mut command: impl FnMut(u16) -> std::process::Command,
) -> (KillOnDrop, u16) {
    for _ in 0..10 {
        let port = common::free_port().expect("a free port");
        let mut child = KillOnDrop(command(port).spawn().expect("start the server process"));
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                break; // it exited (the port was taken): try another
            }
            if serving_pid(port) == Some(child.id()) {
                while std::time::Instant::now() < deadline && !answers_pong(port) {
                    std::thread::sleep(Duration::from_millis(5));
                }
                return (child, port);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    panic!("no server process came up on a free port in 10 tries (did it refuse its files?)");
}

/// Whether the server on `127.0.0.1:port` answers `PING` with `PONG` (not `-LOADING`).
fn answers_pong(port: u16) -> bool {
    use std::io::{Read, Write};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(250))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// A real `redis-server` (see [`real_redis_server`]) without persistence, on a free port.
pub fn spawn_real_redis(binary: &std::path::Path) -> (KillOnDrop, u16) {
    spawn_on_free_port(|port| {
        let mut command = std::process::Command::new(binary);
        command
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        command
    })
}

/// The `process_id` that the Redis-speaking server on `127.0.0.1:port` reports, if any.
fn serving_pid(port: u16) -> Option<u32> {
    use std::io::{Read, Write};
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(250)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream
        .write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
        .ok()?;
    let mut reply = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&reply);
        if let Some(rest) = text.split("process_id:").nth(1)
            && let Some((pid, _)) = rest.split_once("\r\n")
        {
            return pid.trim().parse().ok();
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => reply.extend_from_slice(&chunk[..n]),
        }
        if reply.len() > 64 * 1024 {
            return None;
        }
    }
}

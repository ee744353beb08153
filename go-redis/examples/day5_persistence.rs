//! go-redis day 5 — persistence: the append-only file survives a restart.
//!
//! The example lives twice before it serves: a first server writes a few keys with the AOF
//! on and stops; a second one, started on the same directory, finds them again. Then it
//! serves on the port with the AOF on, so you can watch the files grow:
//!
//! ```text
//! $ cargo run -p go-redis --example day5_persistence
//! $ redis-cli -p 6399 set greeting hello ex 100
//! $ redis-cli -p 6399 bgrewriteaof
//! $ redis-cli -p 6399 info persistence
//! $ ls /tmp/go-redis-day5-*/appendonlydir
//! ```

use std::net::SocketAddr;
use std::path::Path;

use go_redis::resp::Frame;
use go_redis::{Config, Error, run_server, serve_database};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A configuration with the AOF on, in `dir`.
fn aof_config(dir: &Path, port: u16) -> Result<Config, Error> {
    let mut config = Config {
        port,
        ..Config::default()
    };
    for (name, value) in [
        ("dir", dir.display().to_string()),
        ("appendonly", "yes".into()),
        ("appendfsync", "always".into()),
    ] {
        config.set(name, &value).map_err(Error::Config)?;
    }
    Ok(config)
}

/// Sends one command and reads its reply.
async fn ask(addr: SocketAddr, args: &[&str]) -> Result<Frame, Error> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(&Frame::command(args.iter().map(|a| a.as_bytes())).to_bytes())
        .await?;
    let mut buf = Vec::new();
    loop {
        if let Ok(Some((frame, _))) = Frame::parse(&buf) {
            return Ok(frame);
        }
        if stream.read_buf(&mut buf).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
}

// ANCHOR: main
/// One life of the server on `dir`: start, run `commands`, print the replies, stop.
async fn one_life(dir: &Path, commands: &[&[&str]]) -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_database(listener, aof_config(dir, 0)?, async {
        let _ = stopped.await;
    }));
    for command in commands {
        println!("  {} -> {:?}", command.join(" "), ask(addr, command).await?);
    }
    let _ = stop.send(());
    server.await.map_err(std::io::Error::other)?
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    common::init_tracing();
    let port = common::listen_addr_from_args(6399).port();
    let dir = std::env::temp_dir().join(format!("go-redis-day5-{}", std::process::id()));

    println!("first life: write with appendonly yes, then stop");
    one_life(
        &dir,
        &[
            &["SET", "greeting", "hello"],
            &["INCR", "visits"],
            &["RPUSH", "log", "started"],
            &["EXPIRE", "greeting", "3600"],
        ],
    )
    .await?;
    println!("second life: the same directory, read back");
    one_life(
        &dir,
        &[
            &["GET", "greeting"],
            &["INCR", "visits"],
            &["TTL", "greeting"],
        ],
    )
    .await?;
    println!("AOF files in {}:", dir.join("appendonlydir").display());
    for entry in std::fs::read_dir(dir.join("appendonlydir"))? {
        println!("  {}", entry?.file_name().to_string_lossy());
    }

    tracing::info!("try: redis-cli -p {port} bgrewriteaof");
    let served = run_server(aof_config(&dir, port)?, go_redis::server::shutdown_signal()).await;
    let _ = std::fs::remove_dir_all(&dir);
    served
}
// ANCHOR_END: main

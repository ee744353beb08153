//! Shared helpers for gee-rpc's acceptance tests: the Go course's `Foo` service, servers on
//! port 0, and a raw connection for speaking the wire protocol by hand.

#![allow(dead_code)] // each test file uses a different subset

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use gee_rpc::codec::{self, CodecType, Header, Inbound};
use gee_rpc::{Handler, Options, Server, Services};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};

/// The Go course's argument type. Go's field names on the wire; `default` because Go's gob
/// omits zero-valued fields.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Args {
    pub num1: i64,
    pub num2: i64,
}

/// The Go course's service.
pub struct Foo;

gee_rpc::service! {
    impl Foo {
        /// `Foo.Sum`: the sum of the two numbers.
        pub async fn sum(&self, args: Args) -> Result<i64, String> {
            Ok(args.num1 + args.num2)
        }

        /// `Foo.Sleep`: waits `num1` milliseconds, then answers the sum.
        pub async fn sleep(&self, args: Args) -> Result<i64, String> {
            tokio::time::sleep(Duration::from_millis(args.num1 as u64)).await;
            Ok(args.num1 + args.num2)
        }

        /// `Foo.Fail`: always an error, with `%` signs that are not a format string.
        pub async fn fail(&self, _args: Args) -> Result<i64, String> {
            Err("boom: 100% %d %s".to_string())
        }
    }
}

/// A `Services` table with `Foo` registered.
pub fn foo_services() -> Services {
    let services = Services::new();
    services.register(Foo).expect("register Foo");
    services
}

/// Starts `server` on a free port and returns its address.
pub async fn start_server(server: Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { server.accept(listener).await });
    addr
}

/// Starts a server with `Foo` registered.
pub async fn start_foo() -> (SocketAddr, Services) {
    let services = foo_services();
    (start_server(Server::new(services.clone())).await, services)
}

/// Starts a server with `handler`.
pub async fn start_handler(handler: impl Handler) -> SocketAddr {
    start_server(Server::new(handler)).await
}

/// Fails the test instead of hanging it.
pub async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 20 s (a hang)"))
}

/// A connection spoken by hand: bytes out, decoded messages in.
pub struct Raw {
    pub inbound: Inbound,
    pub write: OwnedWriteHalf,
    pub codec: Box<dyn codec::Codec>,
    pub writer_codec: Box<dyn codec::Codec>,
    pub codec_type: CodecType,
}

impl Raw {
    pub async fn connect(addr: SocketAddr, codec_type: CodecType) -> Raw {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (read, write) = stream.into_split();
        Raw {
            inbound: Inbound::new(read),
            write,
            codec: codec_type.new_codec(1 << 20),
            writer_codec: codec_type.new_codec(1 << 20),
            codec_type,
        }
    }

    /// The Option line followed by `n` requests, in ONE write (one TCP segment, usually).
    pub fn handshake_and_requests(&mut self, method: &str, args: &[Args]) -> BytesMut {
        let mut out = BytesMut::new();
        Options::with_codec(self.codec_type)
            .write_line(&mut out)
            .expect("option");
        self.append_requests(&mut out, method, args, 1);
        out
    }

    pub fn append_requests(
        &mut self,
        out: &mut BytesMut,
        method: &str,
        args: &[Args],
        first_seq: u64,
    ) {
        for (i, a) in args.iter().enumerate() {
            let header = Header {
                service_method: method.to_string(),
                seq: first_seq + i as u64,
                error: String::new(),
            };
            let body = self.codec_type.encode(a).expect("encode");
            self.writer_codec.write(&header, &body, out).expect("write");
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.expect("send");
    }

    /// Reads one reply: `None` when the server closed the connection.
    pub async fn reply(&mut self) -> Option<(Header, Bytes)> {
        let header = codec::read_header(&mut self.inbound, &mut *self.codec)
            .await
            .ok()??;
        let body = codec::read_body(&mut self.inbound, &mut *self.codec)
            .await
            .ok()?;
        Some((header, body))
    }
}

//! GeeRPC day 1 — a server and a client speaking the wire protocol by hand.
//!
//! Go's day 1 main starts a server whose handler answers every call with
//! `"geerpc resp <seq>"`, then writes the Option and five requests with a gob codec and
//! prints the replies. This example does the same with each of the three codecs, and sends
//! the Option and all five requests in ONE write: the case that hung Go's server.
//!
//! ```text
//! $ cargo run -p gee-rpc --example day1_codec
//! ```

use bytes::BytesMut;
use gee_rpc::codec::{self, CodecType, Header, Inbound};
use gee_rpc::{Options, Reply, Request, Server};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

// ANCHOR: handler
/// Day 1's "service": every call gets `geerpc resp <seq>`.
async fn handler(request: Request) -> Reply {
    let argv: String = request.decode().map_err(|e| e.to_string())?;
    tracing::info!("{} {argv}", request.header.service_method);
    request
        .encode(&format!("geerpc resp {}", request.header.seq))
        .map_err(|e| e.to_string())
}
// ANCHOR_END: handler

// ANCHOR: main
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    common::init_tracing();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("start rpc server on {addr}");
    tokio::spawn(async move { Server::new(handler).accept(listener).await });

    for codec_type in [CodecType::Json, CodecType::Bincode, CodecType::Gob] {
        let (read, mut write) = TcpStream::connect(addr).await?.into_split();
        // The Option line and five requests, all in one buffer, sent with one write.
        let mut out = BytesMut::new();
        Options::with_codec(codec_type).write_line(&mut out)?;
        let mut writer = codec_type.new_codec(codec::DEFAULT_MAX_FRAME);
        for seq in 1..=5 {
            let header = Header {
                service_method: "Foo.Sum".into(),
                seq,
                error: String::new(),
            };
            let body = codec_type.encode(&format!("geerpc req {seq}"))?;
            writer.write(&header, &body, &mut out)?;
        }
        write.write_all(&out).await?;

        let mut inbound = Inbound::new(read);
        let mut reader = codec_type.new_codec(codec::DEFAULT_MAX_FRAME);
        for _ in 0..5 {
            let header = codec::read_header(&mut inbound, &mut *reader)
                .await?
                .ok_or("server closed")?;
            let body = codec::read_body(&mut inbound, &mut *reader).await?;
            let reply: String = codec_type.decode(&body)?;
            println!("{}: seq {} reply: {reply}", codec_type.as_str(), header.seq);
        }
    }
    Ok(())
}
// ANCHOR_END: main

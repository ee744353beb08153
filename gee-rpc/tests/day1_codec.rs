//! Day 1 acceptance tests: the handshake, the three codecs, framing that never loses a
//! byte, and bad input that closes one connection and nothing else.

mod support;

use bytes::BytesMut;
use gee_rpc::codec::CodecType;
use gee_rpc::{Reply, Request, Server};
use support::{Args, Raw, bounded, start_handler, start_server};
use tokio::io::AsyncWriteExt;

const CODECS: [CodecType; 3] = [CodecType::Json, CodecType::Bincode, CodecType::Gob];

/// Day 1's handler: `Foo.Sum` adds, `Foo.Nope` is unknown, anything else echoes the seq.
async fn day1_handler(request: Request) -> Reply {
    match request.header.service_method.as_str() {
        "Foo.Sum" => {
            let args: Args = request.decode().map_err(|e| e.to_string())?;
            request
                .encode(&(args.num1 + args.num2))
                .map_err(|e| e.to_string())
        }
        "Foo.Nope" => Err("rpc server: can't find method Nope".to_string()),
        _ => request
            .encode(&format!("geerpc resp {}", request.header.seq))
            .map_err(|e| e.to_string()),
    }
}

async fn sum_of(raw: &mut Raw) -> i64 {
    let (header, body) = raw.reply().await.expect("a reply");
    assert_eq!(header.error, "");
    raw.codec_type.decode(&body).expect("an i64")
}

#[tokio::test]
async fn every_codec_answers_five_calls_in_order() {
    let addr = start_handler(day1_handler).await;
    for codec in CODECS {
        let mut raw = Raw::connect(addr, codec).await;
        let args: Vec<Args> = (0..5)
            .map(|i| Args {
                num1: i,
                num2: i * i,
            })
            .collect();
        let bytes = raw.handshake_and_requests("Foo.Sum", &args);
        raw.send(&bytes).await;
        for (i, a) in args.iter().enumerate() {
            let (header, body) = bounded("reply", raw.reply()).await.expect("reply");
            assert_eq!(header.seq, i as u64 + 1, "{codec:?}");
            let sum: i64 = codec.decode(&body).unwrap();
            assert_eq!(sum, a.num1 + a.num2, "{codec:?}");
        }
    }
}

/// Book appendix: Go bugs. Go's server JSON-decoded the Option with a buffered decoder and
/// then let gob read the raw socket, so a request arriving in the same segment as the
/// Option was swallowed and the call hung. Here: the Option and the first request in ONE
/// write, a fresh connection each time, 1,000 times per codec, never a hang.
#[tokio::test]
async fn go_bug_dial_then_call_immediately_never_hangs() {
    let addr = start_handler(day1_handler).await;
    for codec in CODECS {
        bounded("1,000 dial-and-call rounds", async {
            for i in 0..1000 {
                let mut raw = Raw::connect(addr, codec).await;
                let bytes = raw.handshake_and_requests("Foo.Sum", &[Args { num1: i, num2: 1 }]);
                raw.send(&bytes).await;
                assert_eq!(sum_of(&mut raw).await, i + 1, "{codec:?} round {i}");
            }
        })
        .await;
    }
}

#[tokio::test]
async fn a_request_dribbled_byte_by_byte_is_read_whole() {
    let addr = start_handler(day1_handler).await;
    for codec in CODECS {
        let mut raw = Raw::connect(addr, codec).await;
        let bytes = raw.handshake_and_requests("Foo.Sum", &[Args { num1: 20, num2: 22 }]);
        for b in bytes.iter() {
            raw.write.write_all(&[*b]).await.unwrap();
        }
        assert_eq!(bounded("reply", sum_of(&mut raw)).await, 42, "{codec:?}");
    }
}

/// Book appendix: Go bugs. An error reply left the request's body in the stream, where it
/// was read as the next header and broke the connection. Here the body is always read.
#[tokio::test]
async fn go_bug_error_reply_keeps_the_stream_in_sync() {
    let addr = start_handler(day1_handler).await;
    for codec in CODECS {
        let mut raw = Raw::connect(addr, codec).await;
        let mut bytes = raw.handshake_and_requests("Foo.Nope", &[Args { num1: 1, num2: 2 }]);
        raw.append_requests(&mut bytes, "Foo.Sum", &[Args { num1: 3, num2: 4 }], 2);
        raw.send(&bytes).await;
        let mut replies = Vec::new();
        for _ in 0..2 {
            replies.push(bounded("reply", raw.reply()).await.expect("reply"));
        }
        replies.sort_by_key(|(h, _)| h.seq);
        assert_eq!(
            replies[0].0.error, "rpc server: can't find method Nope",
            "{codec:?}"
        );
        assert_eq!(replies[1].0.error, "");
        assert_eq!(codec.decode::<i64>(&replies[1].1).unwrap(), 7);
    }
}

/// Sends `bytes` and expects the server to close the connection without a reply.
async fn expect_closed(addr: std::net::SocketAddr, bytes: &[u8]) {
    let mut raw = Raw::connect(addr, CodecType::Bincode).await;
    raw.send(bytes).await;
    let _ = raw.write.shutdown().await;
    assert!(bounded("close", raw.reply()).await.is_none(), "{bytes:?}");
}

#[tokio::test]
async fn bad_input_closes_that_connection_and_no_other() {
    let addr = start_handler(day1_handler).await;
    let mut good = Raw::connect(addr, CodecType::Json).await;
    let mut opt = BytesMut::new();
    gee_rpc::Options::with_codec(CodecType::Bincode)
        .write_line(&mut opt)
        .unwrap();
    let mut huge = opt.clone();
    huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0, 0, 0]); // a 4 GB frame
    let mut mid_frame = opt.clone();
    mid_frame.extend_from_slice(&[0, 0, 0, 100, 1, 2, 3]); // 3 bytes of 100, then EOF
    let cases: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        b"{\"MagicNumber\":1,\"CodecType\":\"application/json\"}\n".to_vec(),
        b"{\"MagicNumber\":3927900,\"CodecType\":\"application/xml\"}\n".to_vec(),
        vec![b'x'; 10_000], // an Option line that never ends
        huge.to_vec(),
        mid_frame.to_vec(),
    ];
    for bytes in &cases {
        expect_closed(addr, bytes).await;
    }
    let bytes = good.handshake_and_requests("Foo.Sum", &[Args { num1: 1, num2: 1 }]);
    good.send(&bytes).await;
    assert_eq!(bounded("reply", sum_of(&mut good)).await, 2);
}

#[tokio::test]
async fn a_frame_over_the_server_limit_is_refused() {
    let addr = start_server(Server::new(day1_handler).with_max_frame(1024)).await;
    for codec in CODECS {
        let mut raw = Raw::connect(addr, codec).await;
        let mut bytes = BytesMut::new();
        gee_rpc::Options::with_codec(codec)
            .write_line(&mut bytes)
            .unwrap();
        let header = gee_rpc::Header {
            service_method: "Echo".into(),
            seq: 1,
            error: String::new(),
        };
        let body = codec.encode(&"x".repeat(4096)).unwrap();
        raw.writer_codec.write(&header, &body, &mut bytes).unwrap();
        raw.send(&bytes).await;
        assert!(bounded("close", raw.reply()).await.is_none(), "{codec:?}");
    }
}

#[tokio::test]
async fn a_panicking_handler_answers_an_error() {
    let addr = start_handler(|request: Request| async move {
        if request.header.service_method == "Foo.Panic" {
            panic!("oops");
        }
        day1_handler(request).await
    })
    .await;
    let mut raw = Raw::connect(addr, CodecType::Json).await;
    let mut bytes = raw.handshake_and_requests("Foo.Panic", &[Args::default()]);
    raw.append_requests(&mut bytes, "Foo.Sum", &[Args { num1: 1, num2: 2 }], 2);
    raw.send(&bytes).await;
    let mut replies = Vec::new();
    for _ in 0..2 {
        replies.push(bounded("reply", raw.reply()).await.expect("reply"));
    }
    replies.sort_by_key(|(h, _)| h.seq);
    assert_eq!(replies[0].0.error, "rpc server: the method panicked: oops");
    assert_eq!(CodecType::Json.decode::<i64>(&replies[1].1).unwrap(), 3);
}

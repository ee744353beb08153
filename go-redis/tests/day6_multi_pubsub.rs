//! Day 6 acceptance tests: transactions (MULTI/EXEC/DISCARD/WATCH) and pub/sub, checked
//! byte for byte against Redis's replies in RESP2 and RESP3, with the `redis` crate, and
//! with redis-py when it is installed. The `go_bug_*` tests guard the fixes listed in the
//! book appendix: Go bugs.

mod support;

use std::time::Duration;

use go_redis::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{python_with_redis, start, start_with};

/// Sends `request` and reads exactly as many bytes as `expected` has, then compares.
async fn expect(stream: &mut TcpStream, request: &str, expected: &str) {
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut got))
        .await
        .expect("a reply within 10 s")
        .expect("read the reply");
    assert_eq!(
        String::from_utf8_lossy(&got),
        expected,
        "reply to {request:?}"
    );
}

async fn connect(server: &support::TestServer) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connect")
}

/// Switches a raw connection to RESP3 and skips HELLO's reply (a map of 7 pairs).
async fn resp3(stream: &mut TcpStream) {
    stream
        .write_all(b"HELLO 3\r\nPING\r\n")
        .await
        .expect("write");
    let mut seen = Vec::new();
    while !seen.ends_with(b"+PONG\r\n") {
        let mut byte = [0u8; 1];
        stream
            .read_exact(&mut byte)
            .await
            .expect("read HELLO's reply");
        seen.push(byte[0]);
    }
}

// ---------------------------------------------------------------- transactions

#[tokio::test]
async fn multi_queues_and_exec_answers_every_reply() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "RPUSH l a b c\r\n", ":3\r\n").await;
    expect(&mut s, "MULTI\r\n", "+OK\r\n").await;
    expect(&mut s, "LRANGE l 0 -1\r\n", "+QUEUED\r\n").await;
    expect(&mut s, "PING\r\n", "+QUEUED\r\n").await;
    expect(
        &mut s,
        "EXEC\r\n",
        "*2\r\n*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n+PONG\r\n",
    )
    .await;
    // An empty transaction answers an empty array; DISCARD drops the queue.
    expect(&mut s, "MULTI\r\nEXEC\r\n", "+OK\r\n*0\r\n").await;
    expect(
        &mut s,
        "MULTI\r\nDEL l\r\nDISCARD\r\n",
        "+OK\r\n+QUEUED\r\n+OK\r\n",
    )
    .await;
    expect(&mut s, "LLEN l\r\n", ":3\r\n").await;
}

/// godis undoes a transaction when one of its commands fails; Redis runs the rest and
/// reports the error in its place (book appendix: Go bugs).
#[tokio::test]
async fn go_bug_exec_rolls_back_on_a_runtime_error() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "SET n 1\r\n", "+OK\r\n").await;
    expect(
        &mut s,
        "MULTI\r\nINCR n\r\nLPUSH n x\r\nINCR n\r\nSET other v\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    )
    .await;
    expect(
        &mut s,
        "EXEC\r\n",
        "*4\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n:3\r\n+OK\r\n",
    )
    .await;
    expect(&mut s, "GET n\r\nGET other\r\n", "$1\r\n3\r\n$1\r\nv\r\n").await;
}

#[tokio::test]
async fn queue_time_errors_make_exec_abort_and_run_nothing() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "MULTI\r\nSET a 1\r\n", "+OK\r\n+QUEUED\r\n").await;
    expect(
        &mut s,
        "NOSUCH x\r\n",
        "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n",
    )
    .await;
    expect(&mut s, "SET b 2\r\n", "+QUEUED\r\n").await;
    expect(
        &mut s,
        "EXEC\r\n",
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    )
    .await;
    expect(&mut s, "EXISTS a b\r\n", ":0\r\n").await;
    // A wrong argument count is a queue-time error too, and the client leaves MULTI.
    expect(
        &mut s,
        "MULTI\r\nGET\r\nEXEC\r\nPING\r\n",
        "+OK\r\n-ERR wrong number of arguments for 'get' command\r\n-EXECABORT Transaction discarded because of previous errors.\r\n+PONG\r\n",
    )
    .await;
}

#[tokio::test]
async fn misplaced_transaction_commands_get_redis_errors() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "EXEC\r\n", "-ERR EXEC without MULTI\r\n").await;
    expect(&mut s, "DISCARD\r\n", "-ERR DISCARD without MULTI\r\n").await;
    expect(&mut s, "MULTI\r\n", "+OK\r\n").await;
    expect(
        &mut s,
        "MULTI\r\n",
        "-ERR MULTI calls can not be nested\r\n",
    )
    .await;
    expect(
        &mut s,
        "WATCH x\r\n",
        "-ERR WATCH inside MULTI is not allowed\r\n",
    )
    .await;
    // Neither error dooms the transaction.
    expect(&mut s, "SET x 1\r\nEXEC\r\n", "+QUEUED\r\n*1\r\n+OK\r\n").await;
    expect(
        &mut s,
        "MULTI\r\nSET k v\r\nSHUTDOWN\r\nEXEC\r\nEXISTS k\r\n",
        "+OK\r\n+QUEUED\r\n-ERR Command not allowed inside a transaction\r\n\
         -EXECABORT Transaction discarded because of previous errors.\r\n:0\r\n",
    )
    .await;
}

#[tokio::test]
async fn blocking_commands_inside_multi_do_not_block() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "MULTI\r\nBLPOP none 0\r\nBRPOPLPUSH none other 0\r\nBZPOPMIN z 0\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n*-1\r\n$-1\r\n*-1\r\n",
    )
    .await;
}

/// Runs `MULTI; PING; EXEC` on `s` and returns whether EXEC ran (false: null reply).
async fn exec_ran(s: &mut TcpStream) -> bool {
    s.write_all(b"MULTI\r\nPING\r\nEXEC\r\n")
        .await
        .expect("write");
    let frames = support::read_frames(s, 3).await;
    match frames.get(2) {
        Some(go_redis::resp::Frame::Array(_)) => true,
        Some(go_redis::resp::Frame::NullArray) => false,
        other => panic!("unexpected EXEC reply {other:?}"),
    }
}

#[tokio::test]
async fn watch_fails_exec_when_another_client_writes_the_key() {
    let server = start().await;
    let mut s = connect(&server).await;
    let mut other = connect(&server).await;
    expect(&mut s, "SET x 30\r\nWATCH x\r\n", "+OK\r\n+OK\r\n").await;
    expect(&mut other, "SET x 40\r\n", "+OK\r\n").await;
    expect(
        &mut s,
        "MULTI\r\nINCR x\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*-1\r\n",
    )
    .await;
    expect(&mut s, "GET x\r\n", "$2\r\n40\r\n").await;
    // Deleted by another client counts too.
    expect(&mut s, "WATCH x\r\n", "+OK\r\n").await;
    expect(&mut other, "DEL x\r\n", ":1\r\n").await;
    assert!(!exec_ran(&mut s).await);
    // Untouched: EXEC runs, and afterwards the key is no longer watched.
    expect(&mut s, "WATCH x y\r\n", "+OK\r\n").await;
    assert!(exec_ran(&mut s).await);
    expect(&mut other, "SET x 1\r\n", "+OK\r\n").await;
    assert!(exec_ran(&mut s).await);
}

/// godis answers an EXEC whose watched key changed with an empty array (`*0`), which a
/// client cannot tell from an empty transaction; Redis answers a null array (book
/// appendix: Go bugs).
#[tokio::test]
async fn go_bug_watch_abort_answers_an_empty_array() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "WATCH x\r\nSET x 1\r\n", "+OK\r\n+OK\r\n").await;
    expect(&mut s, "MULTI\r\nEXEC\r\n", "+OK\r\n*-1\r\n").await;
    expect(&mut s, "MULTI\r\nEXEC\r\n", "+OK\r\n*0\r\n").await;
}

#[tokio::test]
async fn watch_sees_the_clients_own_writes_and_expire() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "SET x 1\r\nWATCH x\r\nSET x 2\r\n",
        "+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    assert!(!exec_ran(&mut s).await, "own write before MULTI");
    expect(&mut s, "WATCH x\r\nEXPIRE x 100\r\n", "+OK\r\n:1\r\n").await;
    assert!(!exec_ran(&mut s).await, "EXPIRE touches the key");
    // After a failed EXEC the watch is gone.
    expect(&mut s, "SET x 3\r\n", "+OK\r\n").await;
    assert!(exec_ran(&mut s).await);
}

#[tokio::test]
async fn watch_fails_exec_when_the_key_expires_before_exec() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(&mut s, "SET k v PX 150\r\nWATCH k\r\n", "+OK\r\n+OK\r\n").await;
    // Wait for the key to expire (not for the server: it answers at once every time).
    let mut probe = connect(&server).await;
    loop {
        probe.write_all(b"PTTL k\r\n").await.expect("write");
        let frames = support::read_frames(&mut probe, 1).await;
        if frames.first() == Some(&go_redis::resp::Frame::Integer(-2)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!exec_ran(&mut s).await);
    // A key already expired when watched counts as missing: no change, EXEC runs.
    expect(&mut s, "WATCH k\r\n", "+OK\r\n").await;
    assert!(exec_ran(&mut s).await);
}

#[tokio::test]
async fn flushdb_and_flushall_touch_only_watched_keys_that_exist() {
    let server = start().await;
    let mut s = connect(&server).await;
    for flush in ["FLUSHDB", "FLUSHALL"] {
        expect(&mut s, "SET x 30\r\nWATCH x\r\n", "+OK\r\n+OK\r\n").await;
        expect(&mut s, &format!("{flush}\r\n"), "+OK\r\n").await;
        assert!(!exec_ran(&mut s).await, "{flush} deletes a watched key");
        expect(&mut s, "WATCH x\r\n", "+OK\r\n").await;
        expect(&mut s, &format!("{flush}\r\n"), "+OK\r\n").await;
        assert!(
            exec_ran(&mut s).await,
            "{flush} leaves a missing key missing"
        );
    }
}

#[tokio::test]
async fn swapdb_touches_watched_keys_that_exist_on_either_side() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "SET x 30\r\nWATCH x\r\nSWAPDB 0 1\r\n",
        "+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    assert!(!exec_ran(&mut s).await, "x left db 0");
    // x is now missing in db 0 and present in db 1: the swap brings it back.
    expect(&mut s, "WATCH x\r\nSWAPDB 0 1\r\n", "+OK\r\n+OK\r\n").await;
    assert!(!exec_ran(&mut s).await, "x appeared in db 0");
    expect(
        &mut s,
        "FLUSHALL\r\nWATCH x\r\nSWAPDB 0 1\r\n",
        "+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    assert!(exec_ran(&mut s).await, "missing on both sides: no change");
}

#[tokio::test]
async fn watch_remembers_the_db_and_unwatch_discard_forget() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "SELECT 5\r\nSET x 30\r\nWATCH x\r\nSELECT 1\r\nSET x 10\r\nSELECT 5\r\n",
        "+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    assert!(exec_ran(&mut s).await, "x in db 1 is another key");
    expect(
        &mut s,
        "WATCH x\r\nSET x 1\r\nUNWATCH\r\n",
        "+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    assert!(exec_ran(&mut s).await, "UNWATCH forgets");
    expect(
        &mut s,
        "WATCH x\r\nSET x 1\r\nMULTI\r\nDISCARD\r\n",
        "+OK\r\n+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    expect(
        &mut s,
        "MULTI\r\nINCR x\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*1\r\n:2\r\n",
    )
    .await;
}

#[tokio::test]
async fn exec_null_reply_is_resp3_null_for_a_resp3_client() {
    let server = start().await;
    let mut s = connect(&server).await;
    resp3(&mut s).await;
    expect(&mut s, "WATCH x\r\nSET x 1\r\n", "+OK\r\n+OK\r\n").await;
    expect(
        &mut s,
        "MULTI\r\nGET x\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n_\r\n",
    )
    .await;
    expect(
        &mut s,
        "MULTI\r\nHSET h f v\r\nHGETALL h\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n%1\r\n$1\r\nf\r\n$1\r\nv\r\n",
    )
    .await;
}

/// Writers increment two counters in one transaction while readers read both: no reader
/// ever sees one incremented without the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exec_is_atomic_for_other_clients() {
    let server = start().await;
    let mut writers = Vec::new();
    for _ in 0..4 {
        let mut con = server.client().await;
        writers.push(tokio::spawn(async move {
            for _ in 0..300 {
                let _: () = redis::pipe()
                    .atomic()
                    .incr("a", 1)
                    .ignore()
                    .incr("{x}b", 1)
                    .ignore()
                    .incr("c", 1)
                    .ignore()
                    .query_async(&mut con)
                    .await
                    .expect("EXEC");
            }
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let mut con = server.client().await;
        readers.push(tokio::spawn(async move {
            for _ in 0..600 {
                let (a, b, c): (Option<i64>, Option<i64>, Option<i64>) = redis::cmd("MGET")
                    .arg("a")
                    .arg("{x}b")
                    .arg("c")
                    .query_async(&mut con)
                    .await
                    .expect("MGET");
                assert!(
                    a == b && b == c,
                    "saw half a transaction: {a:?} {b:?} {c:?}"
                );
            }
        }));
    }
    for task in writers.into_iter().chain(readers) {
        task.await.expect("client task");
    }
    let mut con = server.client().await;
    let total: i64 = redis::cmd("GET")
        .arg("c")
        .query_async(&mut con)
        .await
        .expect("GET");
    assert_eq!(total, 1200);
}

#[tokio::test]
async fn client_list_and_info_show_transaction_and_subscriptions() {
    let server = start().await;
    let mut s = connect(&server).await;
    s.write_all(b"CLIENT LIST\r\n").await.expect("write");
    let text = format!("{:?}", support::read_frames(&mut s, 1).await);
    assert!(text.contains("sub=0 psub=0 ssub=0 multi=-1"), "{text}");
    // A RESP3 subscriber can still ask.
    let mut sub3 = connect(&server).await;
    resp3(&mut sub3).await;
    expect(&mut sub3, "SUBSCRIBE a b\r\nPING\r\n", ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n+PONG\r\n").await;
    sub3.write_all(b"CLIENT LIST\r\n").await.expect("write");
    let mut got = vec![0u8; 512];
    let n = sub3.read(&mut got).await.expect("read");
    let text = String::from_utf8_lossy(&got[..n]);
    assert!(text.contains("sub=2 psub=0 ssub=0 multi=-1"), "{text}");
    let mut sub = connect(&server).await;
    expect(
        &mut sub,
        "PSUBSCRIBE p*\r\n",
        "*3\r\n$10\r\npsubscribe\r\n$2\r\np*\r\n:1\r\n",
    )
    .await;
    s.write_all(b"INFO stats\r\n").await.expect("write");
    let text = format!("{:?}", support::read_frames(&mut s, 1).await);
    assert!(
        text.contains("pubsub_channels:2\\r\\npubsub_patterns:1"),
        "{text}"
    );
}

// ---------------------------------------------------------------- pub/sub

#[tokio::test]
async fn subscribe_publish_and_patterns_in_resp2_frames() {
    let server = start().await;
    let mut sub = connect(&server).await;
    let mut publisher = connect(&server).await;
    expect(
        &mut sub,
        "SUBSCRIBE news sport\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n",
    )
    .await;
    expect(
        &mut sub,
        "PSUBSCRIBE n*\r\n",
        "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n",
    )
    .await;
    expect(&mut publisher, "PUBLISH news hello\r\n", ":2\r\n").await;
    expect(
        &mut sub,
        "",
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n",
    )
    .await;
    expect(&mut publisher, "PUBLISH nobody x\r\n", ":1\r\n").await; // n* matches
    expect(&mut publisher, "PUBLISH other x\r\n", ":0\r\n").await;
    expect(
        &mut sub,
        "",
        "*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$6\r\nnobody\r\n$1\r\nx\r\n",
    )
    .await;
    // Leaving everything returns the connection to normal commands.
    expect(
        &mut sub,
        "PUNSUBSCRIBE\r\nUNSUBSCRIBE news\r\n",
        "*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:2\r\n*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:1\r\n",
    )
    .await;
    expect(
        &mut sub,
        "UNSUBSCRIBE\r\nGET k\r\n",
        "*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:0\r\n$-1\r\n",
    )
    .await;
}

#[tokio::test]
async fn a_resp2_subscriber_may_only_subscribe_ping_and_quit() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "SUBSCRIBE c\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    expect(
        &mut s,
        "GET k\r\n",
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    )
    .await;
    expect(
        &mut s,
        "PING\r\nPING hi\r\n",
        "*2\r\n$4\r\npong\r\n$0\r\n\r\n*2\r\n$4\r\npong\r\n$2\r\nhi\r\n",
    )
    .await;
    expect(&mut s, "QUIT\r\n", "+OK\r\n").await;
    assert!(support::is_closed(&mut s).await);
}

#[tokio::test]
async fn a_resp3_subscriber_gets_push_frames_and_keeps_every_command() {
    let server = start().await;
    let mut s = connect(&server).await;
    resp3(&mut s).await;
    expect(
        &mut s,
        "SUBSCRIBE c\r\n",
        ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    expect(
        &mut s,
        "SET k v\r\nGET k\r\nPING\r\n",
        "+OK\r\n$1\r\nv\r\n+PONG\r\n",
    )
    .await;
    // Publishing to itself: the push comes before PUBLISH's reply, as in Redis.
    expect(
        &mut s,
        "PUBLISH c hi\r\n",
        ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n:1\r\n",
    )
    .await;
    expect(
        &mut s,
        "UNSUBSCRIBE x\r\n",
        ">3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n",
    )
    .await;
    expect(
        &mut s,
        "UNSUBSCRIBE\r\nUNSUBSCRIBE\r\n",
        ">3\r\n$11\r\nunsubscribe\r\n$1\r\nc\r\n:0\r\n>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n",
    )
    .await;
}

/// godis answers UNSUBSCRIBE-from-nothing with `$-1\n` (no `\r`): invalid RESP that
/// desynchronises a client (book appendix: Go bugs).
#[tokio::test]
async fn go_bug_unsubscribe_from_nothing_is_malformed_resp() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nPING\r\n",
        "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n*3\r\n$12\r\npunsubscribe\r\n$-1\r\n:0\r\n+PONG\r\n",
    )
    .await;
}

/// godis writes nothing when a client subscribes to a channel it already has, or
/// unsubscribes from one it never had: a client waiting for one reply per channel hangs
/// (book appendix: Go bugs).
#[tokio::test]
async fn go_bug_repeated_or_unknown_channels_get_no_reply() {
    let server = start().await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "SUBSCRIBE a a\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n",
    )
    .await;
    expect(
        &mut s,
        "UNSUBSCRIBE never a\r\n",
        "*3\r\n$11\r\nunsubscribe\r\n$5\r\nnever\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n",
    )
    .await;
}

#[tokio::test]
async fn pubsub_introspection() {
    let server = start().await;
    let mut sub = connect(&server).await;
    let mut s = connect(&server).await;
    expect(
        &mut sub,
        "SUBSCRIBE ab ac\r\nPSUBSCRIBE x* y*\r\nSSUBSCRIBE sh\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$2\r\nab\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$2\r\nac\r\n:2\r\n\
         *3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:3\r\n*3\r\n$10\r\npsubscribe\r\n$2\r\ny*\r\n:4\r\n\
         *3\r\n$10\r\nssubscribe\r\n$2\r\nsh\r\n:1\r\n",
    )
    .await;
    expect(&mut s, "PUBSUB NUMPAT\r\n", ":2\r\n").await;
    expect(
        &mut s,
        "PUBSUB NUMSUB ab zz\r\n",
        "*4\r\n$2\r\nab\r\n:1\r\n$2\r\nzz\r\n:0\r\n",
    )
    .await;
    expect(&mut s, "PUBSUB CHANNELS a[b]\r\n", "*1\r\n$2\r\nab\r\n").await;
    expect(&mut s, "PUBSUB SHARDCHANNELS\r\n", "*1\r\n$2\r\nsh\r\n").await;
    expect(&mut s, "SPUBLISH sh m\r\n", ":1\r\n").await;
    expect(
        &mut sub,
        "",
        "*3\r\n$8\r\nsmessage\r\n$2\r\nsh\r\n$1\r\nm\r\n",
    )
    .await;
    expect(
        &mut s,
        "PUBSUB HELP\r\n",
        "*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
    )
    .await;
    let _ = support::read_frames(&mut s, 0).await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "PUBSUB NOPE\r\n",
        "-ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try PUBSUB HELP.\r\n",
    )
    .await;
}

/// Polls PUBSUB NUMSUB `channel` until it reports `want` (the server updates it when the
/// subscriber's connection task ends, which this test cannot await directly).
async fn wait_numsub(s: &mut TcpStream, channel: &str, want: i64) {
    for _ in 0..500 {
        s.write_all(format!("PUBSUB NUMSUB {channel}\r\n").as_bytes())
            .await
            .expect("write");
        let frames = support::read_frames(s, 1).await;
        if let Some(go_redis::resp::Frame::Array(items)) = frames.first()
            && items.get(1) == Some(&go_redis::resp::Frame::Integer(want))
        {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("NUMSUB {channel} never reached {want}");
}

#[tokio::test]
async fn closing_a_connection_unsubscribes_it() {
    let server = start().await;
    let mut s = connect(&server).await;
    let mut sub = connect(&server).await;
    expect(
        &mut sub,
        "SUBSCRIBE c\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    wait_numsub(&mut s, "c", 1).await;
    drop(sub);
    wait_numsub(&mut s, "c", 0).await;
    expect(&mut s, "PUBLISH c x\r\n", ":0\r\n").await;
}

#[tokio::test]
async fn a_subscriber_receives_messages_while_it_sends_commands() {
    let server = start().await;
    let mut sub = connect(&server).await;
    let mut publisher = connect(&server).await;
    expect(
        &mut sub,
        "SUBSCRIBE c\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    for i in 0..20 {
        expect(&mut publisher, &format!("PUBLISH c m{i:02}\r\n"), ":1\r\n").await;
        // The message was posted before PUBLISH answered: it comes before the pong.
        expect(
            &mut sub,
            "PING\r\n",
            &format!(
                "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$3\r\nm{i:02}\r\n*2\r\n$4\r\npong\r\n$0\r\n\r\n"
            ),
        )
        .await;
    }
}

#[tokio::test]
async fn subscribe_inside_multi_subscribes_after_exec() {
    let server = start().await;
    let mut s = connect(&server).await;
    let mut publisher = connect(&server).await;
    expect(
        &mut s,
        "MULTI\r\nSUBSCRIBE c\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*1\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    expect(&mut publisher, "PUBLISH c x\r\n", ":1\r\n").await;
    expect(&mut s, "", "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n").await;
    // Subscribing and leaving in one transaction leaves a normal connection.
    let mut t = connect(&server).await;
    expect(
        &mut t,
        "MULTI\r\nSUBSCRIBE d\r\nUNSUBSCRIBE d\r\nEXEC\r\nGET k\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*3\r\n$9\r\nsubscribe\r\n$1\r\nd\r\n:1\r\n\
         *3\r\n$11\r\nunsubscribe\r\n$1\r\nd\r\n:0\r\n$-1\r\n",
    )
    .await;
}

/// godis writes every message to every subscriber's socket inside PUBLISH: a subscriber
/// that stops reading blocks the publisher, and the server buffers without limit. Here a
/// subscriber past `client-output-buffer-limit pubsub` is disconnected, and publishers
/// never wait (book appendix: Go bugs).
#[tokio::test]
async fn go_bug_slow_subscriber_stalls_publishers() {
    let server = start_with(Config::default()).await;
    let mut s = connect(&server).await;
    expect(
        &mut s,
        "CONFIG SET client-output-buffer-limit \"pubsub 256kb 128kb 60\"\r\n",
        "+OK\r\n",
    )
    .await;
    s.write_all(b"CONFIG GET client-output-buffer-limit\r\n")
        .await
        .expect("write");
    let text = format!("{:?}", support::read_frames(&mut s, 1).await);
    assert!(text.contains("pubsub 262144 131072 60"), "{text}");
    // A subscriber that never reads.
    let mut slow = connect(&server).await;
    expect(
        &mut slow,
        "SUBSCRIBE c\r\n",
        "*3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n",
    )
    .await;
    let payload = "x".repeat(64 * 1024);
    let mut cut_off = false;
    for _ in 0..4000 {
        let request = format!(
            "*3\r\n$7\r\nPUBLISH\r\n$1\r\nc\r\n${}\r\n{payload}\r\n",
            payload.len()
        );
        s.write_all(request.as_bytes()).await.expect("write");
        let frames = support::read_frames(&mut s, 1).await;
        if frames.first() == Some(&go_redis::resp::Frame::Integer(0)) {
            cut_off = true;
            break;
        }
    }
    assert!(cut_off, "the slow subscriber was never disconnected");
    // Its connection is closed: reading drains what was sent, then hits the end.
    let mut buf = vec![0u8; 1 << 16];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => return true,
                Ok(_) => {}
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(closed);
}

#[tokio::test]
async fn the_redis_crate_pubsub_and_transactions() {
    let server = start().await;
    let addr = server.addr;
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let listener = std::thread::spawn(move || {
        let client = redis::Client::open(format!("redis://{addr}")).expect("url");
        let mut con = client.get_connection().expect("connect");
        let mut pubsub = con.as_pubsub();
        pubsub.subscribe("orders").expect("SUBSCRIBE");
        pubsub.psubscribe("log.*").expect("PSUBSCRIBE");
        ready_tx.send(()).expect("signal");
        let mut got = Vec::new();
        for _ in 0..2 {
            let msg = pubsub.get_message().expect("a message");
            let payload: String = msg.get_payload().expect("payload");
            got.push((msg.get_channel_name().to_owned(), payload));
        }
        got
    });
    // Wait off the runtime's thread: the server runs on it.
    tokio::task::spawn_blocking(move || ready_rx.recv())
        .await
        .expect("join")
        .expect("subscribed");
    let mut con = server.client().await;
    let n: i64 = redis::cmd("PUBLISH")
        .arg("orders")
        .arg("one")
        .query_async(&mut con)
        .await
        .expect("PUBLISH");
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("PUBLISH")
        .arg("log.err")
        .arg("two")
        .query_async(&mut con)
        .await
        .expect("PUBLISH");
    assert_eq!(n, 1);
    let got = tokio::task::spawn_blocking(move || listener.join().expect("listener"))
        .await
        .expect("join");
    assert_eq!(
        got,
        vec![
            ("orders".to_owned(), "one".to_owned()),
            ("log.err".to_owned(), "two".to_owned())
        ]
    );
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .incr("t", 5)
        .incr("t", 1)
        .query_async(&mut con)
        .await
        .expect("MULTI/EXEC");
    assert_eq!((a, b), (5, 6));
}

/// redis-py with its default settings (RESP3 where the version sends HELLO 3): a
/// transaction pipeline, WATCH with a conflict, and pub/sub.
const PY_SMOKE: &str = r#"
import sys, time, redis
port = int(sys.argv[1])
r = redis.Redis(host="127.0.0.1", port=port, decode_responses=True)
r.flushall()
p = r.pipeline(transaction=True)
p.set("a", 1).incr("a").lpush("a", "x").get("a")
res = p.execute(raise_on_error=False)
assert res[0] is True and res[1] == 2 and isinstance(res[2], redis.ResponseError) and res[3] == "2", res
with r.pipeline() as p:
    p.watch("a")
    r.set("a", 10)
    p.multi()
    p.incr("a")
    try:
        p.execute()
        raise SystemExit("EXEC should have failed")
    except redis.WatchError:
        pass
ps = r.pubsub()
ps.subscribe("chan")
ps.psubscribe("ch*")
assert ps.get_message(timeout=5)["type"] == "subscribe"
assert ps.get_message(timeout=5)["type"] == "psubscribe"
assert r.publish("chan", "hi") == 2
kinds = sorted(m["type"] for m in [ps.get_message(timeout=5), ps.get_message(timeout=5)])
assert kinds == ["message", "pmessage"], kinds
assert r.pubsub_numsub("chan") == [("chan", 1)], r.pubsub_numsub("chan")
ps.close()
print("ok", "protocol", r.connection_pool.get_connection().protocol)
"#;

#[tokio::test]
async fn redis_py_transactions_and_pubsub() {
    let python = match python_with_redis() {
        Ok(python) => python,
        Err(why) => {
            eprintln!("SKIPPED redis_py_transactions_and_pubsub: {why}");
            return;
        }
    };
    let server = start().await;
    let port = server.addr.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", PY_SMOKE, &port])
            .output()
    })
    .await
    .expect("join")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.starts_with("ok"),
        "redis-py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("redis-py: {}", stdout.trim());
}

#[tokio::test]
async fn a_transaction_feeds_a_blocked_client() {
    let server = start().await;
    let mut blocked = connect(&server).await;
    let mut s = connect(&server).await;
    blocked.write_all(b"BLPOP q 0\r\n").await.expect("write");
    // Once BLPOP is waiting, INFO counts it.
    let mut waiting = false;
    for _ in 0..10_000 {
        s.write_all(b"INFO clients\r\n").await.expect("write");
        let text = format!("{:?}", support::read_frames(&mut s, 1).await);
        if text.contains("blocked_clients:1") {
            waiting = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(waiting, "BLPOP never blocked");
    expect(
        &mut s,
        "MULTI\r\nRPUSH q x\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*1\r\n:1\r\n",
    )
    .await;
    expect(&mut blocked, "", "*2\r\n$1\r\nq\r\n$1\r\nx\r\n").await;
}

#[tokio::test]
async fn client_reply_off_silences_replies_but_not_messages() {
    let server = start().await;
    let mut s = connect(&server).await;
    let mut publisher = connect(&server).await;
    resp3(&mut s).await;
    // SKIP drops the next reply only; OFF drops all but subscription traffic.
    expect(
        &mut s,
        "CLIENT REPLY SKIP\r\nSET a 1\r\nGET a\r\n",
        "$1\r\n1\r\n",
    )
    .await;
    s.write_all(b"CLIENT REPLY OFF\r\nSET a 2\r\nSUBSCRIBE c\r\n")
        .await
        .expect("write");
    expect(&mut s, "", ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n").await;
    expect(&mut publisher, "PUBLISH c m\r\n", ":1\r\n").await;
    expect(&mut s, "", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n").await;
    expect(
        &mut s,
        "GET a\r\nCLIENT REPLY ON\r\nGET a\r\n",
        "+OK\r\n$1\r\n2\r\n",
    )
    .await;
}

/// Waits until INFO reports `n` blocked clients.
async fn wait_blocked(s: &mut TcpStream, n: usize) {
    for _ in 0..10_000 {
        s.write_all(b"INFO clients\r\n").await.expect("write");
        let text = format!("{:?}", support::read_frames(s, 1).await);
        if text.contains(&format!("blocked_clients:{n}\\r")) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("never {n} blocked clients");
}

#[tokio::test]
async fn a_transaction_leaving_another_type_keeps_a_blocked_client_waiting() {
    let server = start().await;
    let mut blocked = connect(&server).await;
    let mut s = connect(&server).await;
    blocked.write_all(b"BLPOP k 0\r\n").await.expect("write");
    wait_blocked(&mut s, 1).await;
    expect(
        &mut s,
        "MULTI\r\nLPUSH k a\r\nDEL k\r\nSET k s\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n:1\r\n:1\r\n+OK\r\n",
    )
    .await;
    // Still waiting (no WRONGTYPE): a list under the key serves it.
    wait_blocked(&mut s, 1).await;
    expect(&mut s, "DEL k\r\nRPUSH k b\r\n", ":1\r\n:1\r\n").await;
    expect(&mut blocked, "", "*2\r\n$1\r\nk\r\n$1\r\nb\r\n").await;
}

#[tokio::test]
async fn a_client_blocked_in_brpoplpush_does_not_touch_a_watched_key() {
    let server = start().await;
    let mut blocked = connect(&server).await;
    let mut s = connect(&server).await;
    blocked
        .write_all(b"BRPOPLPUSH src dst 0\r\n")
        .await
        .expect("write");
    wait_blocked(&mut s, 1).await;
    expect(
        &mut s,
        "SET other v\r\nWATCH dst\r\nSET other w\r\n",
        "+OK\r\n+OK\r\n+OK\r\n",
    )
    .await;
    expect(
        &mut s,
        "MULTI\r\nGET other\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*1\r\n$1\r\nw\r\n",
    )
    .await;
}

#[tokio::test]
async fn a_blocked_brpoplpush_into_a_wrong_type_still_gets_wrongtype() {
    let server = start().await;
    let mut blocked = connect(&server).await;
    let mut s = connect(&server).await;
    expect(&mut s, "SET dst nolist\r\n", "+OK\r\n").await;
    blocked
        .write_all(b"BRPOPLPUSH src dst 0\r\n")
        .await
        .expect("write");
    wait_blocked(&mut s, 1).await;
    expect(&mut s, "RPUSH src foo\r\n", ":1\r\n").await;
    expect(
        &mut blocked,
        "",
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    )
    .await;
    expect(&mut s, "LRANGE src 0 -1\r\n", "*1\r\n$3\r\nfoo\r\n").await;
}

/// MONITOR shows a transaction as Redis does: MULTI, then each queued command when EXEC
/// runs it, then EXEC; a transaction aborted at queue time shows MULTI and EXEC.
#[tokio::test]
async fn monitor_shows_multi_the_queued_commands_then_exec() {
    let server = start().await;
    let mut watcher = connect(&server).await;
    expect(&mut watcher, "MONITOR\r\n", "+OK\r\n").await;
    let mut c = connect(&server).await;
    expect(&mut c, "MULTI\r\n", "+OK\r\n").await;
    expect(&mut c, "SET foo bar\r\n", "+QUEUED\r\n").await;
    expect(&mut c, "EXEC\r\n", "*1\r\n+OK\r\n").await;
    expect(&mut c, "MULTI\r\n", "+OK\r\n").await;
    expect(
        &mut c,
        "SYNTAX error\r\n",
        "-ERR unknown command 'SYNTAX', with args beginning with: 'error' \r\n",
    )
    .await;
    expect(
        &mut c,
        "EXEC\r\n",
        "-EXECABORT Transaction discarded because of previous errors.\r\n",
    )
    .await;
    let lines = support::read_frames(&mut watcher, 5).await;
    let commands: Vec<String> = lines
        .iter()
        .map(|frame| match frame {
            go_redis::resp::Frame::Simple(line) => line
                .split_once("] ")
                .map(|(_, c)| c.to_owned())
                .unwrap_or_default(),
            other => panic!("a MONITOR line, not {other:?}"),
        })
        .collect();
    assert_eq!(
        commands,
        [
            "\"MULTI\"",
            "\"SET\" \"foo\" \"bar\"",
            "\"EXEC\"",
            "\"MULTI\"",
            "\"EXEC\""
        ]
    );
}

/// EXEC runs its queue outside the dispatcher, and is counted all the same: INFO
/// commandstats shows MULTI, EXEC and each queued command once, as Redis does (queued
/// requests count when they run, not when they are queued).
#[tokio::test]
async fn exec_and_the_commands_it_ran_are_counted_once() {
    let server = start().await;
    let mut c = connect(&server).await;
    expect(&mut c, "CONFIG RESETSTAT\r\n", "+OK\r\n").await;
    expect(
        &mut c,
        "MULTI\r\nSET k v\r\nEXEC\r\n",
        "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n",
    )
    .await;
    c.write_all(b"INFO commandstats\r\n").await.expect("write");
    let frames = support::read_frames(&mut c, 1).await;
    let go_redis::resp::Frame::Bulk(info) = &frames[0] else {
        panic!("INFO is a bulk string: {frames:?}");
    };
    let info = String::from_utf8_lossy(info);
    for command in ["multi", "set", "exec"] {
        assert!(
            info.contains(&format!("\r\ncmdstat_{command}:calls=1,")),
            "{command}: {info}"
        );
    }
}

//! Go bug (book appendix: Go bugs): Go's static handler opened every requested file as an existence
//! check and never closed it, leaking a file descriptor per request. This test has a file of
//! its own so that its process runs nothing else while it counts open descriptors.

mod support;

use std::path::PathBuf;

use gee_web::{Engine, StatusCode};
use support::{get, start};

/// The number of file descriptors this process has open.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn go_bug_static_file_descriptor_leak() {
    let mut r = Engine::new();
    r.static_dir(
        "/assets",
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("static"),
    );
    let server = start(r).await;
    // Warm up (the runtime, the first connection), then count.
    assert_eq!(
        get(server.addr, "/assets/file1.txt").await.status,
        StatusCode::OK
    );
    let before = open_fds();
    for _ in 0..200 {
        assert_eq!(
            get(server.addr, "/assets/file1.txt").await.status,
            StatusCode::OK
        );
        assert_eq!(
            get(server.addr, "/assets/missing.txt").await.status,
            StatusCode::NOT_FOUND
        );
    }
    let after = open_fds();
    assert!(
        after < before + 20,
        "{before} descriptors before 400 requests, {after} after: a leak"
    );
}

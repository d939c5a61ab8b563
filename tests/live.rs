//! Faults a real API server cannot be made to show on demand, against tiny
//! in-process servers: nothing listening, a server that accepts and never
//! answers, one that drops every connection, and one that never finishes the
//! TLS handshake. Everything else runs against a real kube-apiserver
//! (tests/live_real.rs).

use crate::bin;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

const TOKEN: &str = "test-token-6f1d2e0a9b";

fn kubeconfig_for(server: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: faulty\n  cluster:\n    server: {server}\n    insecure-skip-tls-verify: true\nusers:\n- name: deployer\n  user:\n    token: {TOKEN}\ncontexts:\n- name: faulty\n  context:\n    cluster: faulty\n    user: deployer\n    namespace: shop\ncurrent-context: faulty\n"
    )
}

#[derive(Clone, Copy)]
enum Fault {
    /// Reads the request and never answers (keeps the connection open).
    Silent,
    /// Reads the request and closes the connection without an answer.
    Drop,
}

/// A server with one fault on a loopback port; lives as long as the test process.
fn faulty(fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = s.read(&mut buf);
            match fault {
                Fault::Silent => held.push(s),
                Fault::Drop => drop(s),
            }
        }
    });
    format!("http://{addr}")
}

/// Runs kubectl-strategy against a kubeconfig for `server`; returns (code, stderr, seconds).
fn run(dir: &Path, server: &str, args: &[&str]) -> (i32, String, f64) {
    let kubeconfig = dir.join(format!("kubeconfig-{}", server.replace([':', '/'], "_")));
    std::fs::write(&kubeconfig, kubeconfig_for(server)).unwrap();
    std::fs::create_dir_all(dir.join("deploy")).unwrap();
    let talk = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/strategies/talk/api-status.yaml")).unwrap();
    std::fs::write(dir.join("deploy/api-status.yaml"), talk).unwrap();
    let started = Instant::now();
    let out = bin().current_dir(dir).args(args).arg("--kubeconfig").arg(&kubeconfig).env_remove("KUBECONFIG").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!err.contains(TOKEN), "the token leaked: {err}");
    (out.status.code().unwrap_or(-1), err, started.elapsed().as_secs_f64())
}

#[test]
fn unreachable_servers_fail_fast_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}");
    for args in [&["diff", "deploy"][..], &["status", "deployment/api-status"], &["lint", "--cluster"]] {
        let (code, err, secs) = run(dir.path(), &dead, args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.contains(&format!("cannot reach the API server at {dead} (context faulty): connection refused")), "{err}");
        assert!(secs < 10.0);
        assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    }
    // A server that drops every connection: one clear line too.
    let (code, err, secs) = run(dir.path(), &faulty(Fault::Drop), &["status", "deployment/api-status"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach the API server at http://127.0.0.1:"), "{err}");
    assert_eq!(err.lines().count(), 1, "one clear line: {err}");
    assert!(secs < 10.0);
}

#[test]
fn silent_and_frozen_servers_are_bounded_by_request_timeout() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts and never answers: --request-timeout bounds the wait.
    let (code, err, secs) = run(dir.path(), &faulty(Fault::Silent), &["status", "deployment/api-status", "--request-timeout", "1s"]);
    assert_eq!(code, 2);
    assert!(err.contains("no answer in time"), "{err}");
    assert!(secs < 8.0, "{secs}");
    // Frozen: the kernel accepts the TCP connection, the TLS handshake never gets an
    // answer. --request-timeout bounds connecting too (the connect timeout alone is 10 s).
    let frozen = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("https://{}", frozen.local_addr().unwrap());
    let (code, err, secs) = run(dir.path(), &server, &["status", "deployment/api-status", "--request-timeout", "2s"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot reach the API server") && err.contains("no answer in time"), "{err}");
    assert!(secs < 6.0, "{secs}");
}

//! File descriptors through the real binary: a `max_sessions` the descriptor limit cannot
//! hold is refused at start, and a server whose descriptors run out (idle TCP connections
//! under a low `RLIMIT_NOFILE`, set with `prlimit`) logs and counts the failed accepts and
//! answers `/healthz` again once the header timeout has dropped the idle connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::server;

/// How long any single wait may take.
const WAIT: Duration = Duration::from_secs(15);

#[test]
fn max_sessions_beyond_the_descriptor_limit_is_refused_at_start() {
    let child = server()
        .args(["--bind", "127.0.0.1:0", "--max-sessions", "4000000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary should run");
    let mut running = Running(child);
    let started = Instant::now();
    while running.0.try_wait().expect("the child's status").is_none() {
        assert!(started.elapsed() < WAIT, "the server should refuse to start, not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = running.output();
    assert!(!output.status.success(), "the server should refuse to start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("limits.max_sessions") && stderr.contains("RLIMIT_NOFILE"),
        "the refusal should name the setting and the limit: {stderr}"
    );
    assert!(output.stdout.is_empty(), "a refused server should not say it listens");
}

/// The server process, killed when the test ends however it ends.
struct Running(Child);

impl Running {
    /// Stops the server if it still runs and collects what it printed.
    fn output(&mut self) -> Output {
        let _ = self.0.kill();
        let collect = |child: &mut Child| -> std::io::Result<Output> {
            let status = child.wait()?;
            let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
            if let Some(mut pipe) = child.stdout.take() {
                pipe.read_to_end(&mut stdout)?;
            }
            if let Some(mut pipe) = child.stderr.take() {
                pipe.read_to_end(&mut stderr)?;
            }
            Ok(Output { status, stdout, stderr })
        };
        collect(&mut self.0)
            .unwrap_or_else(|error| panic!("the server's output should be readable: {error}"))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(address: SocketAddr, path: &str) -> String {
    let exchange = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(address)?;
        stream.set_read_timeout(Some(WAIT))?;
        write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    exchange()
        .unwrap_or_else(|error| panic!("GET {path} should be answered within {WAIT:?}: {error}"))
}

#[test]
fn out_of_descriptors_the_server_logs_counts_and_recovers() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        eprintln!("skipped: `prlimit` (util-linux) is not installed");
        return;
    }
    let config =
        std::env::temp_dir().join(format!("tickwire-descriptors-test-{}.toml", std::process::id()));
    std::fs::write(&config, "npcs = 0\n[limits]\nmax_sessions = 32\nheader_timeout_secs = 1.0\n")
        .expect("the test should write its config");
    let mut child = Command::new("prlimit");
    child
        .args(["--nofile=128:128", "--"])
        .arg(env!("CARGO_BIN_EXE_tickwire-server"))
        .args(["--bind", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut running = Running(child.spawn().expect("prlimit should start the server"));
    let mut line = String::new();
    let stdout = running.0.stdout.take().expect("piped stdout");
    BufReader::new(stdout).read_line(&mut line).expect("the server should print its address");
    let address: SocketAddr = line
        .trim()
        .strip_prefix("tickwire listening on http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .and_then(|address| address.parse().ok())
        .unwrap_or_else(|| panic!("the first line should be the address: {line:?}"));

    // More idle connections than the server has descriptors; the kernel queues the rest.
    let idle: Vec<TcpStream> =
        (0..200).map(|_| TcpStream::connect(address).expect("connect")).collect();
    let health = get(address, "/healthz");
    assert!(
        health.ends_with("ok"),
        "/healthz should answer once idle connections are dropped: {health}"
    );
    drop(idle);
    let metrics = get(address, "/metrics");
    let errors = metrics
        .lines()
        .find_map(|line| line.strip_prefix("tickwire_accept_errors_total "))
        .and_then(|value| value.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("/metrics should count failed accepts:\n{metrics}"));
    assert!(errors >= 1.0, "failed accepts should be counted: {errors}");

    let stderr = String::from_utf8_lossy(&running.output().stderr).into_owned();
    let _ = std::fs::remove_file(&config);
    assert!(
        stderr.contains("cannot accept a connection") && stderr.contains("Too many open files"),
        "failed accepts should be logged with their cause:\n{stderr}"
    );
}

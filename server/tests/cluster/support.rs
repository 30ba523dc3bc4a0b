//! What the cluster tests run: a private `redis-server` on a free loopback port, and
//! `tickwire-server` processes pointed at it, each stopped when its handle drops.
//! Waiting is polling with a deadline: these are separate processes, whose clocks a test
//! cannot pause.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The longest any one wait may take (a dead process's entry expires within 5 s).
pub const WAIT: Duration = Duration::from_secs(20);

/// A private Redis: no persistence, its own port; killed on drop.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
}

impl Redis {
    /// Starts one on a free port and waits until it answers `PING`.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self { child: None, port };
        redis.restart();
        redis
    }

    /// `redis://127.0.0.1:PORT/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Kills it (its data is gone: nothing is persisted).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server should run (scripts/test installs it)");
        self.child = Some(child);
        eventually("redis answers PING", || self.ping().then_some(()));
    }

    fn ping(&self) -> bool {
        let exchange = || -> std::io::Result<bool> {
            let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
            stream.set_read_timeout(Some(Duration::from_secs(1)))?;
            stream.write_all(b"PING\r\n")?;
            let mut answer = [0u8; 7];
            stream.read_exact(&mut answer)?;
            Ok(&answer == b"+PONG\r\n")
        };
        exchange().unwrap_or(false)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One `tickwire-server` process in the cluster; killed on drop.
pub struct Node {
    child: Child,
    pub id: String,
    pub address: SocketAddr,
}

impl Node {
    /// Starts process `id` against `redis` with `extra` flags, and waits until it listens
    /// and has registered in the directory.
    pub fn start(redis: &Redis, id: &str, extra: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tickwire-server"));
        for (name, _) in std::env::vars() {
            if name.starts_with("TICKWIRE_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .args(["--bind", "127.0.0.1:0", "--directory", &redis.url(), "--process-id", id])
            .args(["--npcs", "0", "--tick-rate", "10", "--broadcast-every", "1"])
            .args(["--input-every", "1", "--sim-threads", "1"])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server binary should run");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the listening line");
        let address = line
            .trim()
            .strip_prefix("tickwire listening on http://")
            .and_then(|rest| rest.trim_end_matches('/').parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let node = Self { child, id: id.to_owned(), address };
        eventually(&format!("process {id} in the directory"), || {
            owners(&node).contains(&node.id).then_some(())
        });
        node
    }

    /// `http://ADDRESS`.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `kill -9`.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM (the orchestrator's stop).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill should run");
        assert!(status.success(), "kill -TERM should succeed");
    }

    /// Whether the process has exited, with success.
    pub fn exited_cleanly(&mut self) -> Option<bool> {
        self.child.try_wait().expect("the child's status").map(|status| status.success())
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An HTTP/1.1 exchange with `node`: the status and the body as JSON (`Null` if it is
/// not JSON).
pub fn http(node: &Node, method: &str, path: &str, body: &str) -> (u16, Value) {
    let (status, text) = http_text(node, method, path, body);
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An HTTP/1.1 exchange with `node`: the status and the body.
pub fn http_text(node: &Node, method: &str, path: &str, body: &str) -> (u16, String) {
    let exchange = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(node.address)?;
        stream.set_read_timeout(Some(WAIT))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            node.address,
            body.len()
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    let answer = exchange().unwrap_or_else(|error| panic!("{method} {path}: {error}"));
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

/// The rooms `GET /rooms` on `node` lists (panics on an error status).
pub fn rooms(node: &Node) -> Vec<Value> {
    let (status, body) = http(node, "GET", "/rooms", "");
    assert_eq!(status, 200, "GET /rooms: {body}");
    body["rooms"].as_array().cloned().unwrap_or_default()
}

/// The owners of the rooms `node` lists (each process has its default room), or none
/// while the directory is unreachable.
pub fn owners(node: &Node) -> Vec<String> {
    let (status, body) = http(node, "GET", "/rooms", "");
    if status != 200 {
        return Vec::new();
    }
    let rooms = body["rooms"].as_array().cloned().unwrap_or_default();
    let mut owners: Vec<String> =
        rooms.iter().filter_map(|room| room["owner"].as_str().map(str::to_owned)).collect();
    owners.sort();
    owners.dedup();
    owners
}

/// Polls `check` every 50 ms until it gives a value, failing after [`WAIT`].
pub fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < WAIT, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

//! The server under Agones, end to end: the real server binary (`agones-test-server`,
//! `--agones true`) against [`FakeSdk`], with real WebSocket players. Ready once serving,
//! health pings only while every world ticks, the `rooms` Counter and `players` List
//! following the rooms and players, and `Shutdown` as the last call after SIGTERM and
//! the drain; and a server whose sidecar never answers serving anyway. Every wait polls
//! with a deadline.
#![cfg(feature = "agones")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tickwire_agones_tests::{Call, FAKE_ADDRESS, FAKE_PORT, FakeSdk, Record};
use tickwire_client::{Client, ClientBuilder, Label, MatchRequest, Matchmaker};

/// How long any single wait may take.
const WAIT: Duration = Duration::from_secs(15);
/// A silence on the health stream this long means pings have stopped: the server pings
/// every 2 s.
const SILENCE: Duration = Duration::from_millis(4500);

/// The test server binary, killed if the test ends before it exits.
struct ServerProcess {
    child: Child,
    /// `http://ADDR`.
    url: String,
    /// Its log lines so far (stderr), also echoed to the test's output.
    log: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    fn start(sdk_port: u16, stall_file: &PathBuf) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agones-test-server"))
            .args(["--bind", "127.0.0.1:0", "--agones", "true", "--npcs", "3"])
            .args(["--autotune", "false", "--sim-threads", "2"])
            .env("AGONES_SDK_GRPC_PORT", sdk_port.to_string())
            .env("TICKWIRE_TEST_STALL_FILE", stall_file)
            .env("RUST_LOG", "warn,tickwire_server::agones=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the test server should start");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("the server's stderr is piped");
        let lines = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("server: {line}");
                lines.lock().expect("the log").push(line);
            }
        });
        let stdout = child.stdout.take().expect("the server's stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("the server should print its address");
        let url = line
            .trim()
            .strip_prefix("tickwire listening on ")
            .expect("the first stdout line should name the address")
            .trim_end_matches('/')
            .to_owned();
        Self { child, url, log }
    }

    async fn logged(&self, text: &str) {
        let deadline = Instant::now() + WAIT;
        while !self.log.lock().expect("the log").iter().any(|line| line.contains(text)) {
            assert!(Instant::now() < deadline, "the server should log {text:?} within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill should run");
        assert!(status.success(), "SIGTERM should reach the server");
    }

    async fn exited(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                return status;
            }
            assert!(Instant::now() < deadline, "the server should exit within {WAIT:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes the stall file however the test ends, so no world stays blocked.
struct StallFile(PathBuf);

impl Drop for StallFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn players(record: &Record) -> Vec<String> {
    record.list("players").unwrap_or_default()
}

fn player(client: &Client) -> String {
    format!("{}/{}", client.welcome().room, client.welcome().session_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agones_follows_the_server_from_ready_to_shutdown() {
    let sdk = FakeSdk::start(&[("rooms", 10)], &[("players", 10)]).await;
    let stall = StallFile(
        std::env::temp_dir().join(format!("tickwire-agones-stall-{}", std::process::id())),
    );
    let mut server = ServerProcess::start(sdk.addr.port(), &stall.0);
    let matchmaker = Matchmaker::new(&server.url).expect("a matchmaker URL");

    // Ready: after connecting, before anything else, while the server answers.
    sdk.wait_until("Ready", WAIT, |record| record.position(&Call::Ready).is_some()).await;
    matchmaker.list(None, &Label::new()).await.expect("a Ready server should answer");
    {
        let record = sdk.record();
        let calls = record.calls();
        let ready = record.position(&Call::Ready).unwrap_or(usize::MAX);
        assert!(
            calls[..ready].iter().all(|call| *call == Call::GetGameServer) && ready > 0,
            "only the SDK's connection check should come before Ready: {calls:?}"
        );
    }

    // The GameServer's address and port become where players are sent.
    server.logged(&format!("ws://{FAKE_ADDRESS}:{FAKE_PORT}/ws")).await;

    // Health while the default room ticks; the Counter counts it.
    let pings = sdk.record().pings();
    sdk.wait_until("two more health pings", WAIT, |record| record.pings() >= pings + 2).await;
    sdk.wait_until("rooms = 1", WAIT, |record| record.counter("rooms") == Some(1)).await;

    // Players joining: one in the default room, one in a new `stall` room.
    let alice = ClientBuilder::new(format!("{}/ws", server.url.replace("http", "ws")))
        .connect()
        .await
        .expect("alice should join the default room");
    let seat = matchmaker.create(&MatchRequest::new("stall")).await.expect("a stall room");
    let bob = ClientBuilder::seat(seat).connect().await.expect("bob should join the stall room");
    let both = {
        let mut both = vec![player(&alice), player(&bob)];
        both.sort();
        both
    };
    sdk.wait_until("rooms = 2", WAIT, |record| record.counter("rooms") == Some(2)).await;
    sdk.wait_until("both players listed", WAIT, |record| players(record) == both).await;

    // A stuck world: health pings stop, and come back once it ticks again.
    std::fs::write(&stall.0, b"stall").expect("create the stall file");
    sdk.wait_until("silence on the health stream", WAIT + SILENCE, |record| {
        record.last_ping().is_some_and(|at| at.elapsed() >= SILENCE)
    })
    .await;
    let pings = sdk.record().pings();
    std::fs::remove_file(&stall.0).expect("remove the stall file");
    sdk.wait_until("pings again", WAIT, |record| record.pings() > pings).await;

    // A player leaving leaves the List.
    drop(bob);
    let alone = vec![player(&alice)];
    sdk.wait_until("bob unlisted", WAIT, |record| players(record) == alone).await;

    // SIGTERM: the server drains while alice plays (no new rooms, no Shutdown yet), and
    // keeps pinging.
    server.terminate();
    let deadline = Instant::now() + WAIT;
    while matchmaker.create(&MatchRequest::new("stall")).await.is_ok() {
        assert!(Instant::now() < deadline, "a draining server should refuse new rooms");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pings = sdk.record().pings();
    sdk.wait_until("pings while draining", WAIT, |record| record.pings() > pings).await;
    assert_eq!(
        sdk.record().position(&Call::Shutdown),
        None,
        "no Shutdown should come while a player is inside"
    );

    // The last player leaves: drained, then Shutdown, the last call; the process exits.
    drop(alice);
    sdk.wait_until("Shutdown", WAIT, |record| record.position(&Call::Shutdown).is_some()).await;
    let status = server.exited().await;
    assert!(status.success(), "the server should exit cleanly, not {status}");
    let calls = sdk.record().calls();
    assert_eq!(calls.last(), Some(&Call::Shutdown), "Shutdown should be the last call: {calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_sidecar_never_answers_serves_anyway_and_says_so() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let stall = StallFile(
        std::env::temp_dir().join(format!("tickwire-agones-unreachable-{}", std::process::id())),
    );
    let mut server = ServerProcess::start(closed_port, &stall.0);
    server.logged("SDK sidecar unreachable; serving without Agones").await;
    let matchmaker = Matchmaker::new(&server.url).expect("a matchmaker URL");
    let seat = matchmaker.create(&MatchRequest::new("stall")).await;
    assert!(seat.is_ok(), "the server should make rooms without its sidecar: {seat:?}");
    let player = ClientBuilder::seat(seat.expect("checked")).connect().await;
    assert!(player.is_ok(), "a player should join without the sidecar");
    drop(player);
    server.terminate();
    let status = server.exited().await;
    assert!(status.success(), "the server should exit cleanly, not {status}");
}

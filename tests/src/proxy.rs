//! A TCP proxy between test clients and the server that can cut every connection at
//! once: a network failure, with no WebSocket goodbye.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// One forwarded connection: its pipe, and when it opened.
struct Connection {
    pipe: AbortHandle,
    opened: Instant,
}

/// Forwards `127.0.0.1:<port>` to a server.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    connections: Arc<Mutex<Vec<Connection>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts forwarding to `server`.
    pub async fn start(server: SocketAddr) -> Self {
        let listener =
            TcpListener::bind("127.0.0.1:0").await.expect("the proxy should bind a loopback port");
        let addr = listener.local_addr().expect("the proxy should have an address");
        let connections = Arc::new(Mutex::new(Vec::new()));
        let tracked = Arc::clone(&connections);
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let Ok(mut upstream) = TcpStream::connect(server).await else { continue };
                let pipe = tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
                tracked
                    .lock()
                    .expect("the proxy's list should not be poisoned")
                    .push(Connection { pipe: pipe.abort_handle(), opened: Instant::now() });
            }
        });
        Self { addr, connections, accept }
    }

    /// The WebSocket URL through the proxy.
    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    /// Drops each live connection open for at least `min_age` with probability `share`,
    /// as a flaky network would. Returns how many were dropped. A connection cut younger
    /// may still be in its WebSocket handshake, which a client sees as a failed attempt
    /// rather than a lost connection.
    pub fn cut_some(&self, share: f64, min_age: Duration, rng: &mut fastrand::Rng) -> usize {
        let mut connections =
            self.connections.lock().expect("the proxy's list should not be poisoned");
        connections.retain(|connection| !connection.pipe.is_finished());
        let before = connections.len();
        connections.retain(|connection| {
            let cut = connection.opened.elapsed() >= min_age && rng.f64() < share;
            if cut {
                connection.pipe.abort();
            }
            !cut
        });
        before - connections.len()
    }

    /// Drops every connection through the proxy, as a network failure would; new ones
    /// still work.
    pub fn cut(&self) {
        for connection in
            self.connections.lock().expect("the proxy's list should not be poisoned").drain(..)
        {
            connection.pipe.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

//! The Tickwire server: one process, one port.
//!
//! # Layout
//! - [`run`]: starts the sim thread and the network side, serves HTTP until the
//!   shutdown future resolves, then closes every session and stops the sim. The binary
//!   and the integration tests both call it (tests with a port-0 listener).
//! - [`ServerConfig`]: everything `run` needs, with working defaults.
//! - [`ServeArgs`], [`ConfigLayer`]: configuration from defaults, a TOML file, the
//!   environment and flags.
//! - `http`: the routes: `/` and `/app.js` (the browser demo, embedded at compile
//!   time), `/ws` (WebSocket sessions), `/healthz`.
//! - `admin`: `/admin/settings`, to read and change settings live.
//! - `telemetry`: `/metrics`, Prometheus text from the server's own recorder.
//! - `access`: who may use `/admin/settings` and `/metrics` (token, or loopback only).
//! - `http_server`: the accept loop and HTTP/1 on each connection, with the deadlines and
//!   caps a connection is held to until it becomes a session.
//! - `descriptors`: room for `max_sessions` in the open-file limit.
//!
//! # Threads
//! The sim runs on its own OS thread ([`tickwire_sim::SimThread`]); sessions and HTTP run
//! on the caller's tokio runtime. They meet only in channels: crossbeam into the sim, a
//! `watch` of the newest frame out of it.

mod access;
mod admin;
mod config;
mod descriptors;
mod http;
mod http_server;
mod telemetry;

use std::future::Future;
use std::net::SocketAddr;

use access::{Access, Guard};
use admin::Admin;
use http_server::HttpServer;
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;

use tickwire_net::{AllowAll, Authenticator, Net, NetConfig, SignedTokens, SnapshotPublisher};

use telemetry::Telemetry;
use tickwire_net::NetMetrics;
use tickwire_sim::{
    Autotuner, Game, RunnerOptions, SimMetrics, SimThread, Simulation, sim_channels,
};
use tokio::net::TcpListener;
use tracing::{info, warn};

pub use config::{AutotuneLayer, ConfigError, ConfigLayer, LimitsLayer, ServeArgs, ServerConfig};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The metrics recorder could not be built.
    #[error("cannot set up metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The address could not be bound, or the runtime not started.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The listener has no local address.
    #[error("cannot read the listener's address: {0}")]
    Listener(std::io::Error),
    /// The sim thread could not be started.
    #[error("could not start the sim thread: {0}")]
    SimThread(std::io::Error),
}

/// Runs the server on `listener` until `shutdown` resolves, then shuts down gracefully:
/// stops accepting, sends every session a `Disconnect`, waits for them (bounded by
/// `config.shutdown_grace`), and stops the sim thread.
///
/// # Errors
/// [`ServerError`] for an invalid configuration (settings that do not fit together, a
/// `max_sessions` beyond the descriptor limit) or a sim thread that cannot start.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    run_game(listener, config, |_: &mut Simulation| {}, shutdown).await
}

/// [`run`], with `game` adding gameplay (components, resources, systems) to the
/// simulation before the first tick. See [`tickwire_sim::Game`].
///
/// # Errors
/// As [`run`].
pub async fn run_game(
    listener: TcpListener,
    config: ServerConfig,
    game: impl Game,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    preflight(&config)?;
    let (sim_sender, sim_inbox) = sim_channels(config.input_queue_capacity);
    // The ring must hold exactly the frames the sim keeps ids quarantined for.
    let (mut publisher, frames) = SnapshotPublisher::new(config.sim.frame_history);
    let telemetry = Telemetry::new()?;
    let net_metrics = NetMetrics::register(telemetry.recorder());
    let autotuner = Autotuner::new(config.autotune, net_metrics.outbound_bytes(), Instant::now());
    let options = RunnerOptions {
        max_catch_up_ticks: config.max_catch_up_ticks,
        metrics: SimMetrics::register(telemetry.recorder()),
        autotuner: Some(autotuner),
    };
    let mut simulation = Simulation::new(config.sim);
    game.build(&mut simulation);
    let publish_metrics = net_metrics.clone();
    let sim = SimThread::spawn(
        simulation,
        sim_inbox,
        move |publication| publish_metrics.snapshot_published(publisher.publish(publication)),
        options,
    )
    .map_err(ServerError::SimThread)?;
    let upkeep = telemetry.spawn_upkeep();

    let local = listener.local_addr().map_err(ServerError::Listener)?;
    let admin_access = Access::for_bind(config.admin_token.as_deref(), local, "--admin-token");
    let metrics_access =
        Access::for_bind(config.metrics_token.as_deref(), local, "--metrics-token");
    for (endpoint, access) in [("admin API", &admin_access), ("/metrics", &metrics_access)] {
        if let Access::Disabled { token_flag } = access {
            warn!(%local, endpoint, "{endpoint} off: non-loopback bind without {token_flag}");
        }
    }
    let admin = Admin {
        sim: sim_sender.clone(),
        frames: frames.clone(),
        initial: config.sim.settings,
        max_client_messages_per_second: config.net.max_messages_per_second,
    };
    // One grace window: tokens stay redeemable exactly as long as the sim keeps actors.
    let net_config = NetConfig { resume_grace: config.sim.resume_grace, ..config.net.clone() };
    let authenticator: Arc<dyn Authenticator> = match (&config.authenticator, &config.auth_secret) {
        (Some(authenticator), _) => Arc::clone(authenticator),
        (None, Some(secret)) => Arc::new(SignedTokens::new(secret.as_bytes())),
        (None, None) => Arc::new(AllowAll),
    };
    let net = Net::new(net_config, sim_sender, frames, net_metrics, authenticator);
    let recorder = telemetry.recorder();
    let app = http::router(net.clone())
        .merge(admin::router(admin, Guard::new("admin", admin_access, recorder)))
        .merge(telemetry.router(Guard::new("metrics", metrics_access, recorder)));
    let http = HttpServer::new(app, config.header_timeout, config.net.send_buffer_bytes, recorder);
    let on_shutdown = {
        let net = net.clone();
        async move {
            shutdown.await;
            info!("shutting down");
            // Sessions are told first: upgraded connections are no longer HTTP's to wait for.
            net.shut_down(config.shutdown_grace).await;
        }
    };
    http.run(listener, on_shutdown, config.shutdown_grace).await;

    upkeep.abort();
    // Joining the sim thread waits at most one tick.
    let _ = tokio::task::spawn_blocking(move || sim.stop()).await;
    info!("stopped");
    Ok(())
}

/// Runs a server the way `tickwire-server` does, with `game`: reads the configuration
/// from `args` (flags, environment, config file), binds, prints the one stdout line
/// `tickwire listening on http://ADDR/`, and serves until Ctrl-C or SIGTERM. What a game's
/// own `main` calls.
///
/// # Errors
/// [`ServerError`] for bad configuration, an address that cannot be bound, or a failing
/// server.
pub fn serve(args: &ServeArgs, game: impl Game) -> Result<(), ServerError> {
    let config = args.config()?;
    // Before binding, so a refused configuration never prints the listening line.
    preflight(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServerError::Bind { address: config.bind, source })?;
        let address = listener.local_addr().map_err(ServerError::Listener)?;
        // The one line on stdout: scripts and the browser tests read the address from it.
        println!("tickwire listening on http://{address}/");
        run_game(listener, config, game, shutdown_signal()).await
    })
}

/// What must hold before serving: the configuration as a whole, and room for
/// `max_sessions` in the descriptor limit (raised to its hard limit here).
fn preflight(config: &ServerConfig) -> Result<(), ConfigError> {
    config.validate()?;
    descriptors::ensure_room_for(config.net.max_sessions)
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`), coloured only on a terminal.
pub fn init_logging() {
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

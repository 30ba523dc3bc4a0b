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
//!
//! # Threads
//! The sim runs on its own OS thread ([`tickwire_sim::SimThread`]); sessions and HTTP run
//! on the caller's tokio runtime. They meet only in channels: crossbeam into the sim, a
//! `watch` of the newest frame out of it.

mod admin;
mod config;
mod http;
mod telemetry;

use std::future::Future;
use std::net::SocketAddr;

use admin::{Access, Admin};
use std::sync::Arc;
use std::time::Instant;
use thiserror::Error;

use tickwire_net::{
    AllowAll, Authenticator, FramePublisher, Net, NetConfig, PeerSocket, SignedTokens,
    TunedListener,
};
use tickwire_protocol::SettingsError;

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
    /// A setting is out of range.
    #[error(transparent)]
    InvalidSettings(#[from] SettingsError),
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
    /// Serving HTTP failed.
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// Runs the server on `listener` until `shutdown` resolves, then shuts down gracefully:
/// stops accepting, sends every session a `Disconnect`, waits for them (bounded by
/// `config.shutdown_grace`), and stops the sim thread.
///
/// # Errors
/// [`ServerError`] for invalid settings, a sim thread that cannot start, or a failing
/// HTTP server.
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
    config.sim.settings.validate()?;
    let (sim_sender, sim_inbox) = sim_channels(config.input_queue_capacity);
    // The ring must hold exactly the frames the sim keeps ids quarantined for.
    let (mut publisher, frames) = FramePublisher::new(config.sim.frame_history);
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
        move |publication| publish_metrics.frame_published(publisher.publish(publication)),
        options,
    )
    .map_err(ServerError::SimThread)?;
    let upkeep = telemetry.spawn_upkeep();

    let local = listener.local_addr().map_err(ServerError::Listener)?;
    let access = match &config.admin_token {
        Some(token) => Access::Token(token.as_str().into()),
        None if local.ip().is_loopback() => Access::Open,
        None => {
            warn!(%local, "admin API off: non-loopback bind without an admin token");
            Access::Disabled
        }
    };
    let admin = Admin {
        access,
        sim: sim_sender.clone(),
        frames: frames.clone(),
        initial: config.sim.settings,
    };
    let send_buffer_bytes = config.net.send_buffer_bytes;
    // One grace window: tokens stay redeemable exactly as long as the sim keeps actors.
    let net_config = NetConfig { resume_grace: config.sim.resume_grace, ..config.net.clone() };
    let authenticator: Arc<dyn Authenticator> = match (&config.authenticator, &config.auth_secret) {
        (Some(authenticator), _) => Arc::clone(authenticator),
        (None, Some(secret)) => Arc::new(SignedTokens::new(secret.as_bytes())),
        (None, None) => Arc::new(AllowAll),
    };
    let net = Net::new(net_config, sim_sender, frames, net_metrics, authenticator);
    let app = http::router(net.clone())
        .merge(admin::router(admin))
        .merge(telemetry.router())
        .into_make_service_with_connect_info::<PeerSocket>();
    // Tunes each socket, and hands sessions their socket to watch its send queue.
    let listener = TunedListener::new(listener, send_buffer_bytes);
    let on_shutdown = {
        let net = net.clone();
        async move {
            shutdown.await;
            info!("shutting down");
            // Sessions are told first: upgraded connections are not axum's to wait for.
            net.shut_down(config.shutdown_grace).await;
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(on_shutdown)
        .await
        .map_err(ServerError::Serve)?;

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

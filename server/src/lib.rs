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
#[cfg(feature = "agones")]
mod agones;
mod cluster;
mod config;
mod descriptors;
mod http;
mod http_server;
mod matchmaking;
mod network_threads;
pub use network_threads::give_way_to_simulation;
mod process_state;
mod rooms;
mod telemetry;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;
use tickwire_net::{
    AllowAll, Authenticator, Net, NetConfig, NetMetrics, RoomDirectory, SignedTokens,
};
use tickwire_sim::{Game, SimMetrics, Simulation};
use tokio::net::TcpListener;
use tracing::{info, warn};

use access::{Access, Guard};
use admin::Admin;
use cluster::directory::Directory;
use cluster::metrics::ClusterMetrics;
use cluster::routing::{Cluster, Me};
use http_server::HttpServer;
use matchmaking::Rooms;
use process_state::{Phase, ProcessStatus};
use rooms::registry::{Registry, WorldTemplate};
use telemetry::Telemetry;

pub use cluster::ClusterConfig;
pub use config::{
    AutotuneLayer, ClusterLayer, ConfigError, ConfigLayer, LimitsLayer, RoomsLayer, ServeArgs,
    ServerConfig,
};
pub use rooms::{
    DEFAULT_ROOM, ManualClock, RoomClock, RoomType, RoomTypes, RoomsConfig, SystemClock,
};

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
    /// The rooms could not start (sim threads, the default room, room type names).
    #[error("cannot start the rooms: {0}")]
    Rooms(String),
    /// The room directory's URL is not a Redis URL this server can use.
    #[error("cannot use the room directory: {0}")]
    Directory(String),
}

/// Runs the server on `listener` until `shutdown` resolves, then shuts down gracefully:
/// stops accepting, sends every session a `Disconnect`, waits for them (bounded by
/// `config.shutdown_grace`), and stops the sim threads.
///
/// # Errors
/// [`ServerError`] for an invalid configuration (settings that do not fit together, a
/// `max_sessions` beyond the descriptor limit) or sim threads that cannot start.
pub async fn run(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    run_game(listener, config, |_: &mut Simulation| {}, shutdown).await
}

/// [`run`], with `game` adding gameplay (components, resources, systems) to every room of
/// the built-in room type (the default room, and rooms created through matchmaking). See
/// [`tickwire_sim::Game`].
///
/// # Errors
/// As [`run`].
pub async fn run_game(
    listener: TcpListener,
    config: ServerConfig,
    game: impl Game,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    run_rooms(listener, config, |rooms| _ = rooms.define(DEFAULT_ROOM, game), shutdown).await
}

/// [`run`], with the room types `define` sets up (`rooms.define("arena", arena_game)`).
/// The type `config.rooms.default_room` names (the built-in `default`, unless changed)
/// gets a room at start that a `Hello` without a seat joins.
///
/// # Errors
/// As [`run`]; also a default room type that is not defined.
pub async fn run_rooms(
    listener: TcpListener,
    config: ServerConfig,
    define: impl FnOnce(&mut RoomTypes),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    preflight(&config)?;
    let mut types = RoomTypes::default();
    define(&mut types);
    let telemetry = Telemetry::new()?;
    let net_metrics = NetMetrics::register(telemetry.recorder());
    let template = WorldTemplate {
        sim: config.sim,
        input_queue_capacity: config.input_queue_capacity,
        max_catch_up_ticks: config.max_catch_up_ticks,
        autotune: config.autotune,
        sim_metrics: SimMetrics::register(telemetry.recorder()),
        net_metrics: net_metrics.clone(),
        max_clients: config.net.max_sessions,
        max_client_messages_per_second: config.net.max_messages_per_second,
    };
    let process = config.cluster.directory.as_ref().map(|_| config.cluster.process_id.as_str());
    let rooms = Registry::start(types, template, config.rooms.clone(), process)
        .map_err(|error| ServerError::Rooms(error.to_string()))?;
    let upkeep = telemetry.spawn_upkeep();
    let sweeper = spawn_sweeper(&rooms);

    let local = listener.local_addr().map_err(ServerError::Listener)?;
    let status = ProcessStatus::new();
    let watch = status.spawn_watch(&rooms);
    let cluster = join_cluster(&config, local, &rooms, &status, telemetry.recorder())?;
    let publisher = cluster.as_ref().map(Cluster::spawn_publisher);
    #[cfg(feature = "agones")]
    let agones = config.cluster.agones.then(|| agones::spawn(&status));
    let admin_access = Access::for_bind(config.admin_token.as_deref(), local, "--admin-token");
    let metrics_access =
        Access::for_bind(config.metrics_token.as_deref(), local, "--metrics-token");
    for (endpoint, access) in [("admin API", &admin_access), ("/metrics", &metrics_access)] {
        if let Access::Disabled { token_flag } = access {
            warn!(%local, endpoint, "{endpoint} off: non-loopback bind without {token_flag}");
        }
    }
    let admin = Admin {
        rooms: Arc::clone(&rooms),
        max_client_messages_per_second: config.net.max_messages_per_second,
    };
    // One grace window: tokens stay redeemable exactly as long as the sim keeps actors.
    let net_config = NetConfig { resume_grace: config.sim.resume_grace, ..config.net.clone() };
    let authenticator: Arc<dyn Authenticator> = match (&config.authenticator, &config.auth_secret) {
        (Some(authenticator), _) => Arc::clone(authenticator),
        (None, Some(secret)) => Arc::new(SignedTokens::new(secret.as_bytes())),
        (None, None) => Arc::new(AllowAll),
    };
    let directory: Arc<dyn RoomDirectory> = rooms.clone();
    let net = Net::new(net_config, directory, net_metrics, authenticator);
    let recorder = telemetry.recorder();
    let app = http::router(net.clone(), status.clone())
        .merge(matchmaking::router(match &cluster {
            Some(cluster) => Rooms::Cluster(Arc::clone(cluster)),
            None => Rooms::Alone(Arc::clone(&rooms)),
        }))
        .merge(admin::router(admin, Guard::new("admin", admin_access, recorder)))
        .merge(telemetry.router(
            Guard::new("metrics", metrics_access, recorder),
            Arc::clone(&rooms),
            &config.cluster.process_id,
        ));
    let http = HttpServer::new(app, config.header_timeout, config.net.send_buffer_bytes, recorder);
    let on_shutdown = {
        let net = net.clone();
        let status = status.clone();
        let rooms = Arc::clone(&rooms);
        let drain_grace = config.cluster.drain_grace();
        async move {
            shutdown.await;
            if !drain_grace.is_zero() {
                status.enter(Phase::Draining);
                drain(&rooms, drain_grace).await;
            }
            status.enter(Phase::Stopping);
            info!("shutting down");
            // Sessions are told first: upgraded connections are no longer HTTP's to wait for.
            net.shut_down(config.shutdown_grace).await;
        }
    };
    http.run(listener, on_shutdown, config.shutdown_grace).await;
    #[cfg(feature = "agones")]
    agones::finish(agones).await;

    upkeep.abort();
    sweeper.abort();
    watch.abort();
    if let (Some(cluster), Some(publisher)) = (&cluster, publisher) {
        publisher.abort();
        cluster.withdraw().await;
    }
    // Dropping the last handle stops the sim threads; joining them waits at most a tick.
    drop(net);
    let _ = tokio::task::spawn_blocking(move || drop(rooms)).await;
    info!("stopped");
    Ok(())
}

/// With a directory configured, this process's place in the cluster (its entry is
/// published by [`Cluster::spawn_publisher`]).
fn join_cluster(
    config: &ServerConfig,
    local: SocketAddr,
    rooms: &Arc<Registry>,
    status: &ProcessStatus,
    recorder: &dyn metrics::Recorder,
) -> Result<Option<Arc<Cluster>>, ServerError> {
    let Some(url) = &config.cluster.directory else { return Ok(None) };
    let directory =
        Directory::open(url).map_err(|error| ServerError::Directory(error.to_string()))?;
    let me = Me {
        id: config.cluster.process_id.clone(),
        url: config.cluster.public_url(local),
        url_fixed: config.cluster.public_url.is_some(),
        peer_url: config.cluster.peer_url(local),
    };
    info!(process = %me.id, url = %me.url, peer_url = %me.peer_url, "in a cluster");
    let metrics = ClusterMetrics::register(recorder);
    Ok(Some(Arc::new(Cluster::new(Arc::clone(rooms), directory, me, status.clone(), metrics))))
}

/// Drains: takes no new rooms or players and waits until every room is empty (no
/// players, no places held for a resume, no reserved seats) or `grace` has passed.
async fn drain(rooms: &Registry, grace: Duration) {
    rooms.drain();
    let deadline = tokio::time::Instant::now() + grace;
    let mut every = tokio::time::interval(Duration::from_millis(250));
    loop {
        every.tick().await;
        if !rooms.anyone_inside() {
            info!("drained: every room is empty");
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            warn!(grace_secs = grace.as_secs_f32(), "drain grace over with players inside");
            return;
        }
    }
}

/// Parks rooms nobody plays in and disposes rooms that stayed empty for the empty
/// timeout, checking once a second (matchmaking calls check as well), and now and then
/// gives the heap they (or a wave of sessions) freed back to the OS, off the sim threads;
/// abort the task to stop it.
fn spawn_sweeper(rooms: &Arc<Registry>) -> tokio::task::JoinHandle<()> {
    let rooms = Arc::downgrade(rooms);
    tokio::spawn(async move {
        let mut every_second = tokio::time::interval(Duration::from_secs(1));
        loop {
            every_second.tick().await;
            let Some(rooms) = rooms.upgrade() else { return };
            if rooms.sweep() {
                drop(tokio::task::spawn_blocking(rooms::heap_trim::trim_heap));
            }
        }
    })
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
    serve_rooms(args, |rooms| _ = rooms.define(DEFAULT_ROOM, game))
}

/// [`serve`], with the room types `define` sets up (see [`run_rooms`]).
///
/// # Errors
/// As [`serve`].
pub fn serve_rooms(
    args: &ServeArgs,
    define: impl FnOnce(&mut RoomTypes),
) -> Result<(), ServerError> {
    let config = args.config()?;
    // Before binding, so a refused configuration never prints the listening line.
    preflight(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(network_threads::give_way_to_simulation)
        .build()
        .map_err(ServerError::Runtime)?;
    runtime.block_on(async {
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServerError::Bind { address: config.bind, source })?;
        let address = listener.local_addr().map_err(ServerError::Listener)?;
        // The one line on stdout: scripts and the browser tests read the address from it.
        println!("tickwire listening on http://{address}/");
        run_rooms(listener, config, define, shutdown_signal()).await
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

//! The Tickwire load tool: N bot clients over real WebSockets, and a report of what the
//! server and the clients saw.
//!
//! It drives Tickwire itself and, for side-by-side runs, the peer servers under
//! `bench/peers/` (a Colyseus room and raw broadcast servers on µWebSockets.js and Node
//! `ws`), measuring all of them the same way from the same process:
//! - clients connect evenly over a ramp-up, then a warm-up passes before the measured
//!   window opens, so the report covers steady state only;
//! - delivery latency is the client's receive time minus the server's stamp of when the
//!   frame left its simulation (Tickwire's `SnapshotTiming`, the peers' embedded time);
//! - server CPU and RSS come from `/proc/<pid>` when the server runs on this machine,
//!   else from Tickwire's `/metrics`; tick timing and throttling only from `/metrics`.
//!
//! # Layout
//! - [`options`]: what to run ([`LoadOptions`], [`Target`]).
//! - [`bots`]: one connection's life per target.
//! - [`stats`]: counters and the latency histogram the bots share.
//! - [`probe`]: the server's CPU, memory and metrics.
//! - `rooms`: the rooms a `--rooms` run creates and spreads its Tickwire bots over.
//! - [`run()`]: the ramp, the progress bar, the sampling.
//! - [`report`]: the result as a table and JSON; [`plot`]: the timeline as SVG.

pub mod bots;
pub mod options;
pub mod plot;
pub mod probe;
pub mod report;
mod rooms;
mod run;
pub mod stats;

pub use options::{LoadOptions, Target};
pub use report::Report;
pub use run::{RunError, run};

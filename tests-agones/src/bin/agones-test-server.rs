//! The server the Agones tests run: `tickwire-server`'s serving path with one more room
//! type, `stall`, whose world really stops ticking (its gameplay system blocks the sim
//! thread) while the file named by `TICKWIRE_TEST_STALL_FILE` exists.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use tickwire_server::{DEFAULT_ROOM, ServeArgs};
use tickwire_sim::{SimSet, Simulation};

/// Serve like `tickwire-server`, with a `stall` room type.
#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() -> ExitCode {
    tickwire_server::init_logging();
    let cli = Cli::parse();
    let stall_file = std::env::var_os("TICKWIRE_TEST_STALL_FILE").map(PathBuf::from);
    let result = tickwire_server::serve_rooms(&cli.serve, |rooms| {
        rooms.define(DEFAULT_ROOM, |_: &mut Simulation| {});
        rooms.define("stall", move |simulation: &mut Simulation| {
            let stall_file = stall_file.clone();
            simulation
                .add_systems(SimSet::Simulate, move || block_while_exists(stall_file.as_ref()));
        });
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("agones-test-server: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A gameplay system that holds the tick (and its sim thread) while `file` exists.
fn block_while_exists(file: Option<&PathBuf>) {
    while file.is_some_and(|file| file.exists()) {
        std::thread::sleep(Duration::from_millis(20));
    }
}

//! What the binary's integration tests share.

use std::process::Command;

/// The `tickwire-server` binary, with only the `TICKWIRE_*` variables a test sets itself.
pub fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tickwire-server"));
    for (name, _) in std::env::vars() {
        if name.starts_with("TICKWIRE_") {
            command.env_remove(name);
        }
    }
    command
}

//! Configuration precedence through the real binary: embedded defaults < config file <
//! environment < flags, and refusals that name the setting.

use std::path::PathBuf;
use std::process::Output;

mod common;
use common::server;

fn config_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir()
        .join(format!("tickwire-config-test-{}-{name}.toml", std::process::id()));
    std::fs::write(&path, text)
        .unwrap_or_else(|error| panic!("the test should be able to write {path:?}: {error}"));
    path
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the command should succeed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "the command should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn later_layers_win_over_earlier_ones() {
    let file = config_file(
        "layers",
        "npcs = 7\nseed = 99\n[settings]\ntick_rate_hz = 40\nbroadcast_every = 3\nsmoothing = 0.25\n\
         [limits]\nmax_sessions = 500\nsend_buffer_bytes = 32768\nresume_grace_secs = 12.5\n",
    );
    let output = server()
        .arg("--config")
        .arg(&file)
        .env("TICKWIRE_TICK_RATE", "50")
        .env("TICKWIRE_NPCS", "9")
        .args(["--tick-rate", "60", "--print-config"])
        .output()
        .expect("the binary should run");
    let printed = stdout(&output);
    for expected in [
        "tick_rate_hz = 60",      // flag over environment over file
        "npcs = 9",               // environment over file
        "broadcast_every = 3",    // file over default
        "smoothing = 0.25",       // file over default
        "seed = 99",              // file over default
        "input_every = 2",        // default
        "movement_speed = 120.0", // default
        "max_sessions = 500",     // file
        "send_buffer_bytes = 32768",
        "resume_grace_secs = 12.5",
    ] {
        assert!(
            printed.contains(expected),
            "the effective config should have `{expected}`:\n{printed}"
        );
    }
}

#[test]
fn the_server_runs_with_no_config_at_all() {
    let printed = stdout(&server().arg("--print-config").output().expect("the binary should run"));
    assert!(printed.contains("tick_rate_hz = 30"), "defaults should be embedded:\n{printed}");
    assert!(
        printed.contains(r#"bind = "127.0.0.1:8080""#),
        "the default bind should be loopback:\n{printed}"
    );
}

#[test]
fn invalid_values_are_refused_naming_the_setting() {
    let flag =
        stderr(&server().args(["--broadcast-every", "0", "--print-config"]).output().expect("run"));
    assert!(flag.contains("broadcast_every"), "a bad flag value should name the setting: {flag}");

    let file = config_file("invalid", "[settings]\nsmoothing = 3.0\n");
    let from_file =
        stderr(&server().arg("--config").arg(&file).arg("--print-config").output().expect("run"));
    assert!(
        from_file.contains("smoothing"),
        "a bad file value should name the setting: {from_file}"
    );

    let unknown = config_file("unknown", "[settings]\ntick_rate = 60\n");
    let unknown_key = stderr(
        &server().arg("--config").arg(&unknown).arg("--print-config").output().expect("run"),
    );
    assert!(unknown_key.contains("tick_rate"), "an unknown key should be named: {unknown_key}");

    let env = stderr(
        &server().env("TICKWIRE_TICK_RATE", "fast").arg("--print-config").output().expect("run"),
    );
    assert!(env.contains("tick-rate"), "a bad environment value should name its flag: {env}");

    let arena =
        stderr(&server().args(["--arena-width=-5", "--print-config"]).output().expect("run"));
    assert!(arena.contains("arena_width"), "a bad arena size should name the setting: {arena}");
}

#[test]
fn settings_that_break_clients_together_are_refused_at_start() {
    for (flags, named, also) in [
        (&["--broadcast-every", "65535"][..], "broadcast_every", "tick_rate_hz"),
        (
            &["--tick-rate", "1000", "--input-every", "1"][..],
            "input_every",
            "max_messages_per_second",
        ),
        (&["--position-steps-per-unit", "1024"][..], "position_steps_per_unit", "movement_speed"),
    ] {
        let refusal = stderr(&server().args(flags).arg("--print-config").output().expect("run"));
        assert!(
            refusal.contains(named) && refusal.contains(also),
            "{flags:?} should be refused naming `{named}` and `{also}`: {refusal}"
        );
    }
    let bounds = config_file(
        "autotune-bounds",
        "[autotune]\nmax_broadcast_every = 12\nmin_tick_rate_hz = 10\n",
    );
    let refusal =
        stderr(&server().arg("--config").arg(&bounds).arg("--print-config").output().expect("run"));
    assert!(
        refusal.contains("autotune.max_broadcast_every") && refusal.contains("min_tick_rate_hz"),
        "auto-tuning bounds under one snapshot a second should be refused: {refusal}"
    );
    let pings = config_file("pings", "[limits]\nping_interval_secs = 6\nidle_timeout_secs = 10\n");
    let refusal =
        stderr(&server().arg("--config").arg(&pings).arg("--print-config").output().expect("run"));
    assert!(
        refusal.contains("limits.ping_interval_secs") && refusal.contains("idle_timeout_secs"),
        "pings further apart than half the idle timeout should be refused: {refusal}"
    );
    let halves =
        config_file("pings-half", "[limits]\nping_interval_secs = 5\nidle_timeout_secs = 10\n");
    let accepted =
        server().arg("--config").arg(&halves).arg("--print-config").output().expect("run");
    assert!(
        stdout(&accepted).contains("ping_interval_secs = 5.0"),
        "pings half the idle timeout apart are allowed: {}",
        stderr(&accepted)
    );
}

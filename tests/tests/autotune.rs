//! An expensive gameplay system makes the server trade snapshot rate, then tick rate, for
//! headroom; it settles instead of oscillating, and recovers when the cost goes away.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bevy_ecs::prelude::*;
use tickwire_client::{Client, Event};
use tickwire_protocol::Settings;
use tickwire_sim::{AutotuneConfig, SimSet};
use tickwire_tests::{TestServer, test_config, wait_for};

/// How long the gameplay system burns per tick, in microseconds (0: nothing).
#[derive(Resource, Clone)]
struct Cost(Arc<AtomicU64>);

fn burn(cost: Res<Cost>) {
    let busy = Duration::from_micros(cost.0.load(Ordering::Relaxed));
    let start = Instant::now();
    while start.elapsed() < busy {
        std::hint::spin_loop();
    }
}

/// Settings messages that arrive within `quiet`.
async fn changes_within(client: &mut Client, quiet: Duration) -> Vec<Settings> {
    let mut changes = Vec::new();
    let deadline = tokio::time::Instant::now() + quiet;
    while let Ok(event) = tokio::time::timeout_at(deadline, client.next_event()).await {
        match event {
            Some(Event::Settings(settings)) => changes.push(settings),
            Some(Event::Closed { reason, .. }) => {
                panic!("the client should stay connected: {reason}")
            }
            Some(_) => {}
            None => panic!("the client's events ended"),
        }
    }
    changes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expensive_system_triggers_autotuning_which_settles_and_recovers() {
    let mut config = test_config();
    config.sim.settings = Settings { tick_rate_hz: 30, broadcast_every: 1, ..config.sim.settings };
    config.autotune = AutotuneConfig {
        max_broadcast_every: 3,
        min_tick_rate_hz: 10,
        window: Duration::from_millis(300),
        cooldown: Duration::from_millis(300),
        ..AutotuneConfig::default()
    };
    let cost = Cost(Arc::new(AtomicU64::new(0)));
    let game_cost = cost.clone();
    let server = TestServer::start_game(
        "127.0.0.1:0",
        config,
        move |simulation: &mut tickwire_sim::Simulation| {
            simulation.world_mut().insert_resource(game_cost.clone());
            simulation.add_systems(SimSet::Simulate, burn);
        },
    )
    .await;
    let mut client = server.connect().await;

    // 25 ms of gameplay in a 33 ms tick: overloaded until the tick rate falls to 16 Hz.
    cost.0.store(25_000, Ordering::Relaxed);
    let degraded = wait_for(
        &mut client,
        "waiting for the tuner to lower the tick rate",
        |_, event| match event {
            Event::Settings(settings) if settings.tick_rate_hz < 30 => Some(settings),
            _ => None,
        },
    )
    .await;
    assert_eq!(
        degraded.broadcast_every, 3,
        "snapshot rate should be traded before tick rate: {degraded:?}"
    );
    // Settling: changes may continue for a while (a busy machine makes ticks costlier
    // still), but under a constant cost they only ever degrade, and they stop.
    let mut settled = degraded;
    let settle_by = Instant::now() + Duration::from_secs(15);
    loop {
        let changes = changes_within(&mut client, Duration::from_secs(2)).await;
        for change in &changes {
            assert!(
                change.tick_rate_hz <= settled.tick_rate_hz
                    && change.broadcast_every >= settled.broadcast_every,
                "under a constant cost the tuner should not restore anything: {settled:?} then {change:?}"
            );
            settled = *change;
        }
        if changes.is_empty() {
            break; // Two seconds without a change: settled.
        }
        assert!(
            Instant::now() < settle_by,
            "under a constant cost the settings should settle, still changing: {changes:?}"
        );
    }
    assert!(
        0.025 * f32::from(settled.tick_rate_hz) <= 0.5,
        "it should lower the tick rate until the cost fits half a tick: {settled:?}"
    );

    // The cost goes away: back to the configured settings, then quiet.
    cost.0.store(0, Ordering::Relaxed);
    let restored =
        wait_for(&mut client, "waiting for the tuner to restore the settings", |_, event| {
            match event {
                Event::Settings(settings)
                    if settings.tick_rate_hz == 30 && settings.broadcast_every == 1 =>
                {
                    Some(settings)
                }
                _ => None,
            }
        })
        .await;
    assert_eq!(restored.tick_rate_hz, 30, "the configured tick rate should come back");
    let after = changes_within(&mut client, Duration::from_secs(2)).await;
    assert!(after.is_empty(), "once recovered the settings should stay put: {after:?}");
    let (_, metrics) = server.http(hyper::Method::GET, "/metrics", "", None).await;
    for direction in ["degrade", "restore"] {
        let prefix = format!("tickwire_autotune_changes_total{{direction=\"{direction}\"}} ");
        let counted = metrics
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .and_then(|value| value.parse::<f64>().ok());
        assert!(
            counted.is_some_and(|count| count >= 2.0),
            "auto-tune {direction}s should be counted: {counted:?}"
        );
    }
    server.stop().await.expect("the server should stop cleanly");
}

//! Churn soak: 200 clients through a flaky network for a bounded time (30 s by default,
//! `TICKWIRE_SOAK_SECS` to change it). Every dropped connection must resume with its
//! actor, no actor may be lost or doubled, and when everyone leaves the server must be
//! back where it started: no sessions, only the NPCs, memory near its baseline.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use tickwire_client::{ClientBuilder, Event};
use tickwire_tests::{Proxy, TestServer, WAIT, test_config};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep};

const CLIENTS: usize = 200;

/// What one client saw.
#[derive(Debug, Default)]
struct Outcome {
    drops: u32,
    resumes: u32,
    failures: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_flaky_clients_never_lose_an_actor() {
    let soak = Duration::from_secs(
        std::env::var("TICKWIRE_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(30),
    );
    let mut config = test_config();
    config.sim.settings.tick_rate_hz = 30;
    config.sim.npcs = 10;
    config.net.max_sessions_per_address = 1000; // every client comes from 127.0.0.1
    let server = TestServer::start(config).await;
    let proxy = Proxy::start(server.addr).await;
    sleep(Duration::from_millis(500)).await;
    let rss_before = server.metric("process_resident_memory_bytes").await;

    let mut clients = JoinSet::new();
    let until = Instant::now() + soak;
    // Clients leave together, once every cut has been noticed and resumed (or a wait
    // has passed), so a slow machine cannot turn a late resume into a failure.
    let leave = Arc::new(AtomicBool::new(false));
    let drops_seen = Arc::new(AtomicU32::new(0));
    let resumes_seen = Arc::new(AtomicU32::new(0));
    for index in 0..CLIENTS {
        let url = proxy.ws_url();
        let (leave, drops_seen, resumes_seen) =
            (Arc::clone(&leave), Arc::clone(&drops_seen), Arc::clone(&resumes_seen));
        clients.spawn(async move {
            let mut outcome = Outcome::default();
            let connect = ClientBuilder::new(url)
                .retry(Duration::from_millis(50), Duration::from_secs(1), 100)
                .connect();
            let mut client = match tokio::time::timeout(WAIT, connect).await {
                Ok(Ok(client)) => client,
                other => {
                    outcome.failures.push(format!("client {index} could not connect: {other:?}"));
                    return outcome;
                }
            };
            let actor = client.welcome().actor_id;
            let mut rng = fastrand::Rng::with_seed(index as u64);
            while !leave.load(Ordering::Relaxed) {
                let event = tokio::time::timeout(WAIT, client.next_event()).await;
                match event {
                    Ok(Some(Event::Snapshot { .. })) if rng.u8(..8) == 0 => {
                        let direction = glam::Vec2::from_angle(rng.f32() * std::f32::consts::TAU);
                        let _ = client.send_input(direction);
                    }
                    Ok(Some(Event::Reconnecting { .. })) => {
                        outcome.drops += 1;
                        drops_seen.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Some(Event::Reconnected { resumed })) => {
                        outcome.resumes += u32::from(resumed);
                        resumes_seen.fetch_add(u32::from(resumed), Ordering::Relaxed);
                        if !resumed || client.welcome().actor_id != actor {
                            outcome.failures.push(format!(
                                "client {index} lost its actor {actor} on a reconnect"
                            ));
                        }
                    }
                    Ok(Some(Event::Closed { code, reason })) => {
                        outcome
                            .failures
                            .push(format!("client {index} closed ({code:?}): {reason}"));
                        return outcome;
                    }
                    Ok(Some(Event::Desync(error))) => {
                        outcome.failures.push(format!("client {index} desynced: {error}"))
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => return outcome,
                    Err(_) => {
                        outcome.failures.push(format!("client {index} heard nothing for {WAIT:?}"))
                    }
                }
            }
            outcome // Dropping the client says goodbye.
        });
    }

    // The flaky network: every half second, drop about 2% of the connections, until a few
    // seconds before the soak ends.
    let mut rng = fastrand::Rng::with_seed(2026);
    let mut cut = 0;
    while Instant::now() + Duration::from_secs(3) < until {
        sleep(Duration::from_millis(500)).await;
        cut += proxy.cut_some(0.02, Duration::from_secs(1), &mut rng);
    }
    sleep(until.saturating_duration_since(Instant::now())).await;
    let all_back = Instant::now() + WAIT;
    while Instant::now() < all_back
        && ((drops_seen.load(Ordering::Relaxed) as usize) < cut
            || resumes_seen.load(Ordering::Relaxed) < drops_seen.load(Ordering::Relaxed))
    {
        sleep(Duration::from_millis(50)).await;
    }
    leave.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    while let Some(outcome) = clients.join_next().await {
        outcomes.push(outcome.expect("a client task should not panic"));
    }
    let failures: Vec<&String> = outcomes.iter().flat_map(|outcome| &outcome.failures).collect();
    let (drops, resumes): (u32, u32) =
        outcomes.iter().fold((0, 0), |(d, r), o| (d + o.drops, r + o.resumes));
    eprintln!(
        "churn: {CLIENTS} clients for {soak:?}: {cut} connections cut, {drops} drops seen, {resumes} resumes"
    );
    assert!(
        failures.is_empty(),
        "every client should keep its actor through every drop: {failures:?}"
    );
    assert!(
        cut > 0 && resumes > 0,
        "the soak should really drop and resume connections ({cut} cut, {resumes} resumed)"
    );
    assert_eq!(drops, resumes, "every drop should end in a resume");
    assert_eq!(drops as usize, cut, "every cut connection should be noticed and resumed");

    // Everyone said goodbye: the server should be back where it started.
    let settle = Instant::now() + WAIT;
    loop {
        let sessions = server.metric("tickwire_sessions").await;
        let actors = server.metric("tickwire_actors").await;
        if sessions == 0.0 && actors <= 10.0 {
            break;
        }
        assert!(
            Instant::now() < settle,
            "sessions and actors should return to the baseline once everyone left: \
             {sessions} sessions and {actors} actors after {WAIT:?}"
        );
        sleep(Duration::from_millis(100)).await;
    }
    let rss_after = server.metric("process_resident_memory_bytes").await;
    eprintln!(
        "churn: RSS {:.1} MiB before, {:.1} MiB after",
        rss_before / 1048576.0,
        rss_after / 1048576.0
    );
    assert!(
        rss_after < rss_before + 64.0 * 1048576.0,
        "memory should return near its baseline: {rss_before} bytes before, {rss_after} after"
    );
    server.stop().await.expect("the server should stop cleanly");
}

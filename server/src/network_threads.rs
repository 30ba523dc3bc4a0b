//! The network runtime's threads give way to the simulation's.
//!
//! A world's tick has a deadline; a snapshot written a few microseconds later has none
//! that matters. When a sim thread publishes a frame it wakes the room's writers, and on
//! a busy core Linux lets the woken writer preempt the sim thread at once: the rest of the
//! tick then waits out a whole pass of socket writes, which is what the tick's p99 was
//! made of. The runtime's threads therefore run under `SCHED_BATCH`: the same share of
//! the CPU as any other thread, but a wakeup of theirs never preempts a running thread.
//! The sim thread finishes its tick, then the writers run. Any user may choose this
//! policy; where it is refused, the threads keep the default policy and a log line says
//! so. Threads inherit their creator's policy: the sim pool's threads are started from the
//! main thread (inside `block_on`), which keeps the default one.

/// Puts the calling thread under `SCHED_BATCH`, so that it never preempts a sim thread
/// when it wakes. `tickwire-server` calls it on each of its runtime's threads as they
/// start; a game running the server in a runtime of its own can pass it to
/// `tokio::runtime::Builder::on_thread_start`. Where the policy is refused, a log line
/// says so and the thread keeps its policy.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub fn give_way_to_simulation() {
    let parameters = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is the calling thread; `parameters` is a valid `sched_param` that
    // outlives the call.
    let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_BATCH, &parameters) } != 0;
    if refused {
        let error = std::io::Error::last_os_error();
        tracing::warn!(%error, "network thread keeps the default scheduling policy");
    }
}

/// Other systems have no such policy: the thread keeps its default one.
#[cfg(not(target_os = "linux"))]
pub fn give_way_to_simulation() {}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The calling thread's scheduling policy, from `/proc` (field 41 of its `stat`).
    fn policy_of_this_thread() -> Option<i32> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // The command name (field 2) may hold spaces: count fields after its `)`.
        let after_name = &stat[stat.rfind(')')? + 1..];
        after_name.split_whitespace().nth(38)?.parse().ok()
    }

    #[test]
    fn a_network_thread_runs_under_sched_batch() {
        let policies = std::thread::spawn(|| {
            let before = policy_of_this_thread();
            super::give_way_to_simulation();
            (before, policy_of_this_thread())
        })
        .join()
        .unwrap_or_default();
        assert_eq!(policies, (Some(libc::SCHED_OTHER), Some(libc::SCHED_BATCH)));
    }
}

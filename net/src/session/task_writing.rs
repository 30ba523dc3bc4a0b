//! A serving session's side of writing: its timer (pings, the quiet client's heartbeat,
//! the client's silence), its client's requests, and what the room's fan-out leaves it
//! (a write the socket did not take whole, an ending; see `delivery`).
//!
//! Polled by hand from the session's serving loop (see `serving`) rather than run as an
//! async function: every live connection holds this state for its whole life, and a
//! hand-written poll keeps it to the few fields below.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

use super::Ending;
use super::delivery::Delivery;
use super::wakeups::Wakeups;
use crate::config::NetConfig;
use crate::room::RoomLink;

/// A write the socket did not take whole, to be finished by the session itself.
pub(super) struct UnfinishedWrite {
    /// The session's snapshot interval, if it serves (see `Delivery::write_out`).
    pub(super) snapshot_interval: Option<Duration>,
}

/// `Delivery::write_out`, running.
type FinishingWrite = Pin<Box<dyn Future<Output = Result<(), Ending>> + Send>>;

/// A serving session's side of writing, until the session must end: the first snapshot
/// at once, then pings, heartbeats, client requests, and what the fan-out leaves it.
///
/// Polled by hand from the session's serving loop, so that a serving session holds no
/// more than this while it waits.
pub(super) struct TaskWriting {
    /// A session wakes on its own timer to ping, with a quiet client's heartbeat, less
    /// often while nothing changes (see `wakeups`). In a still world, a change a
    /// throttled session skipped waits for the next wakeup.
    wakeups: Wakeups,
    next_wakeup: Instant,
    /// Finishing a write the socket did not take whole. Boxed: this is rare, and its
    /// timers would otherwise add to the size of every serving session.
    unfinished_write: Option<FinishingWrite>,
    /// Write what the newest frame calls for before waiting again.
    plan: bool,
    /// Whether a ping may wait for the room's next pass (see [`Self::wakeup`]): only when
    /// one that waits a whole ping interval in vain still leaves its answer a ping
    /// interval within the idle timeout.
    pings_ride: bool,
}

impl TaskWriting {
    /// A session's writing, as `config` times it.
    pub(super) fn new(config: &NetConfig) -> Self {
        Self {
            wakeups: Wakeups::new(config.ping_interval, config.quiet_interval()),
            next_wakeup: Instant::now(),
            unfinished_write: None,
            plan: true,
            pings_ride: config.ping_interval * 3 <= config.idle_timeout,
        }
    }

    /// Writes and pings as due for `delivery`, serving `room`; `Ready` with the session's
    /// ending. `sleep` is the session's one timer, owned by the caller (it must stay
    /// pinned).
    pub(super) fn poll(
        &mut self,
        cx: &mut Context<'_>,
        (delivery, room): (&Arc<Delivery>, &RoomLink),
        mut sleep: Pin<&mut Sleep>,
    ) -> Poll<Ending> {
        loop {
            if let Some(write) = &mut self.unfinished_write {
                let written = ready!(write.as_mut().poll(cx));
                self.unfinished_write = None;
                if let Err(ending) = written {
                    return Poll::Ready(ending);
                }
                self.plan = true;
            }
            if std::mem::take(&mut self.plan) {
                // The view is let go at once: a session holding one while idle would
                // keep frames that left the ring alive, and make the publisher copy the
                // ring for every frame (it changes the ring in place only while nobody
                // holds it).
                let ring = Arc::clone(&room.snapshots.borrow());
                match delivery.write_newest(&ring) {
                    Err(ending) => return Poll::Ready(ending),
                    Ok(None) => {}
                    Ok(Some(UnfinishedWrite { snapshot_interval })) => {
                        let delivery = Arc::clone(delivery);
                        self.unfinished_write =
                            Some(Box::pin(
                                async move { delivery.write_out(snapshot_interval).await },
                            ));
                        continue;
                    }
                }
            }
            if delivery.attention_called(cx) {
                self.plan = true;
                continue;
            }
            let deadline = self.next_wakeup.min(delivery.silent_at());
            if sleep.deadline() != deadline {
                sleep.as_mut().reset(deadline);
            }
            ready!(sleep.as_mut().poll(cx));
            if let Err(ending) = delivery.still_heard() {
                return Poll::Ready(ending);
            }
            self.plan = true;
            // Woken before the next wakeup: the client spoke since, so it is not silent.
            if Instant::now() >= self.next_wakeup {
                self.wakeup(delivery, room);
            }
        }
    }

    /// The session timer's own wakeup: a ping is due (wakeups are a ping interval apart
    /// at least), and the next wakeup is planned.
    ///
    /// The ping leaves with the session's next write. While the world moves, the room's
    /// fan-out passes every session at its next frame (a snapshot, or the ping alone for a
    /// session with none due), so the ping rides in that write, stamped as it goes, and
    /// costs no write, segment and ACK of its own: 2.9% of the small benchmark's CPU. A
    /// still world has no pass to wait for: the session writes at once, with a quiet
    /// client's heartbeat. So does a session whose last ping found no pass in a whole
    /// interval (the world stopped just after it).
    fn wakeup(&mut self, delivery: &Delivery, room: &RoomLink) {
        let waited_in_vain = delivery.state.ping.want();
        let (moving, changed_at) = {
            let ring = room.snapshots.borrow();
            (ring.moving(), ring.newest().map(|newest| newest.changed_at()))
        };
        self.plan = waited_in_vain || !(self.pings_ride && moving);
        self.next_wakeup = Instant::now() + self.wakeups.after_wakeup(changed_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot_ring::SnapshotPublisher;
    use crate::snapshot_ring::test_frames::{frame_at, publication_of};

    #[test]
    fn a_ping_waits_for_the_next_pass_only_while_the_world_moves_and_only_once() {
        let (mut publisher, frames) = SnapshotPublisher::new(8);
        let room = RoomLink::for_tests(frames);
        let delivery = Delivery::for_tests(1);
        let mut writing = TaskWriting::new(&NetConfig::default());
        let wakeup = |writing: &mut TaskWriting| {
            writing.plan = true;
            writing.wakeup(&delivery, &room);
            writing.plan
        };

        for (tick, x) in [(1, 5), (2, 6)] {
            publisher.publish(publication_of(frame_at(tick, x)));
        }
        assert!(!wakeup(&mut writing), "a moving world: the ping rides with the next pass");
        assert!(wakeup(&mut writing), "a ping that found no pass in an interval is written");
        assert!(delivery.state.ping.take_wanted().is_some(), "the write takes it");

        publisher.publish(publication_of(frame_at(3, 6)));
        assert!(wakeup(&mut writing), "a still world has no pass to wait for");
        assert!(delivery.state.ping.take_wanted().is_some());

        for (tick, x) in [(4, 7), (5, 8)] {
            publisher.publish(publication_of(frame_at(tick, x)));
        }
        let mut tight = NetConfig::default();
        tight.ping_interval = tight.idle_timeout / 2;
        let mut tight = TaskWriting::new(&tight);
        assert!(wakeup(&mut tight), "no waiting when a late ping could go unanswered in time");
    }
}

//! The recent frames sessions may use as delta baselines, and their shared encodings.
//!
//! The sim thread publishes each frame through [`SnapshotPublisher`], which keeps the last
//! `capacity` frames and hands sessions an immutable [`SnapshotRing`] view of them through a
//! `watch` channel (newest view only: a slow session skips straight to the newest frame).
//!
//! A session remembers only the tick of the last snapshot it sent, not the frame itself,
//! so memory stays bounded by the ring however many sessions stall. If that tick has left
//! the ring, the session gets a full snapshot.
//!
//! Encoding happens on the network side, once per (frame, baseline): the first session
//! that needs a given delta encodes it and every other session holding the same baseline
//! sends the same `Bytes`. In-sync sessions all hold the previous frame, so the common case
//! is one encode per broadcast, whatever the number of clients.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tickwire_protocol::{GameEvent, ServerMessage, Settings, Snapshot, tick};
use tickwire_sim::{Publication, SessionId, WorldSnapshot};
use tokio::sync::watch;

use crate::ws_frame;

/// A published world snapshot and its encodings, made on first use and shared.
#[derive(Debug, Default)]
pub struct SharedSnapshot {
    /// The frame's tick.
    tick: u32,
    /// The replicated state at that tick. A frame that changed no actor shares the state of
    /// the frame before it, so a still world keeps one state however long the ring is
    /// (its `tick` field is then that of the first frame in the run: use `Self::tick`).
    frame: Arc<WorldSnapshot>,
    /// Wall clock when the sim published the frame, microseconds since the Unix epoch:
    /// what `SnapshotTiming` tells clients that measure delivery latency.
    published_unix_us: u64,
    /// That `SnapshotTiming` message, encoded once for every session that asked.
    timing: OnceLock<Bytes>,
    /// The settings the frame was built under; sessions push them to clients on change.
    settings: Settings,
    /// Gameplay events since the previous frame.
    events: Vec<GameEvent>,
    /// This frame's own events as a `GameEvents` message (none if there are none): what
    /// every in-sync session sends, encoded once.
    own_events: OnceLock<Option<Bytes>>,
    /// Each player's newest applied input, by session, sorted by session; shared with the
    /// frame before when no player's changed.
    input_acks: Arc<Vec<(SessionId, u32)>>,
    full: OnceLock<Bytes>,
    /// The tick of the frame published just before this one: the baseline of every
    /// in-sync session, served lock-free from `in_sync_wire`.
    previous_tick: Option<u32>,
    /// The tick of the newest frame, up to this one, that differs from the frame before
    /// it (actors or events): a client holding any frame from this tick on holds this
    /// frame's state, and a snapshot to it would be empty.
    changed_at: u32,
    /// The delta from the previous frame, framed with the timing message: what every
    /// in-sync session writes (see [`InSyncWire`]).
    in_sync_wire: OnceLock<InSyncWire>,
    /// Deltas from older baselines (sessions that fell behind), one cell per baseline
    /// tick; the lock is held only to find or add a cell, never while encoding. At most
    /// one entry per frame in the ring.
    from_older: Mutex<Vec<(u32, Arc<OnceLock<Bytes>>)>>,
}

impl SharedSnapshot {
    /// Wraps what the sim published, after `previous` (the frame published before it).
    pub fn new(publication: Publication, previous: Option<&SharedSnapshot>) -> Self {
        let Publication { snapshot: frame, settings, events, input_acks } = publication;
        let tick = frame.tick;
        let same_state = previous.filter(|previous| frame.same_actors(&previous.frame));
        let changed_at = match same_state {
            Some(previous) if events.is_empty() => previous.changed_at,
            _ => tick,
        };
        let frame = same_state.map_or(frame, |previous| Arc::clone(&previous.frame));
        let input_acks = match previous {
            Some(previous) if *previous.input_acks == input_acks => {
                Arc::clone(&previous.input_acks)
            }
            _ => Arc::new(input_acks),
        };
        let published_unix_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX));
        Self {
            tick,
            frame,
            published_unix_us,
            timing: OnceLock::new(),
            settings,
            events,
            own_events: OnceLock::new(),
            input_acks,
            full: OnceLock::new(),
            previous_tick: previous.map(SharedSnapshot::tick),
            changed_at,
            in_sync_wire: OnceLock::new(),
            from_older: Mutex::new(Vec::new()),
        }
    }

    /// The frame's replicated state, if neither another frame nor anyone else holds it
    /// (and this frame itself is held by nobody else): what may be written over.
    fn into_unshared_state(this: Arc<Self>) -> Option<WorldSnapshot> {
        Arc::into_inner(this).and_then(|shared| Arc::into_inner(shared.frame))
    }

    /// The frame's tick.
    pub fn tick(&self) -> u32 {
        self.tick
    }

    /// The `SnapshotTiming` message for this frame (when the sim published it), encoded
    /// once and shared by every session that asked for timing.
    pub fn timing_message(&self) -> Bytes {
        self.timing
            .get_or_init(|| {
                ServerMessage::SnapshotTiming {
                    tick: self.tick(),
                    published_unix_us: self.published_unix_us,
                }
                .encode()
            })
            .clone()
    }

    /// The settings the frame was built under.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The tick of the newest frame, up to this one, that changed something replicated
    /// (actors or events): a client holding any frame from this tick on would get an
    /// empty snapshot.
    pub fn changed_at(&self) -> u32 {
        self.changed_at
    }

    /// The newest input of `session` applied by this frame's tick, if it is a player.
    pub fn input_ack(&self, session: SessionId) -> Option<u32> {
        let index = self.input_acks.binary_search_by_key(&session, |&(session, _)| session).ok()?;
        Some(self.input_acks[index].1)
    }

    /// The snapshot message for a client holding `baseline`: a delta, or the full
    /// snapshot when there is no baseline. Encoded at most once per baseline.
    pub fn snapshot_from(&self, baseline: Option<&SharedSnapshot>) -> Bytes {
        self.encoding_from(baseline.map(|baseline| (baseline.tick(), baseline))).into_owned()
    }

    /// The snapshot message for a client that holds the frame of tick `holds` (none: a
    /// full snapshot), with `ring` the frames this one is newest of. Encoded at most once
    /// per baseline, and borrowed, not counted, for in-sync clients (holding the frame
    /// before this one) and full snapshots: what a writer shard hands each in-sync
    /// session costs no lookup and no reference count.
    ///
    /// A client whose frame has left the ring, with nothing changed since (a quiet
    /// client), still gets a delta: from the oldest frame kept, which holds the same
    /// state, labelled with the tick the client holds.
    ///
    /// Inlined, with everything but the in-sync case out of line: a shard pass calls this
    /// for every session, and the in-sync case is a compare and a load.
    #[inline]
    pub fn snapshot_for(&self, ring: &SnapshotRing, holds: Option<u32>) -> Cow<'_, Bytes> {
        if holds.is_some()
            && holds == self.previous_tick
            && let Some(in_sync) = self.in_sync_wire.get()
        {
            return Cow::Borrowed(&in_sync.delta);
        }
        self.snapshot_for_out_of_sync(ring, holds)
    }

    /// `snapshot_for` a client that is not in sync, or the first in-sync one.
    #[inline(never)]
    fn snapshot_for_out_of_sync(&self, ring: &SnapshotRing, holds: Option<u32>) -> Cow<'_, Bytes> {
        let baseline = holds.and_then(|holds| Some((holds, ring.baseline_for(holds)?)));
        self.encoding_from(baseline)
    }

    /// What a client that holds the frame before this one (an in-sync client) is written,
    /// framed, with `ring` the frames this one is newest of; none for any other client.
    /// Framed once for every in-sync session: each writes it straight from this frame's
    /// buffer, with no frame header of its own and no copy (see [`InSyncWire`]).
    pub(crate) fn in_sync_wire(
        &self,
        ring: &SnapshotRing,
        holds: Option<u32>,
    ) -> Option<&InSyncWire> {
        let holds = holds.filter(|&holds| Some(holds) == self.previous_tick)?;
        if let Some(in_sync) = self.in_sync_wire.get() {
            return Some(in_sync);
        }
        Some(self.in_sync_from(ring.baseline_for(holds)?, holds))
    }

    /// The in-sync wire, from `baseline`, the frame before this one (of tick `holds`).
    fn in_sync_from(&self, baseline: &SharedSnapshot, holds: u32) -> &InSyncWire {
        self.in_sync_wire.get_or_init(|| {
            let delta = self.encode(Some(&baseline.frame), holds);
            InSyncWire::new(&self.timing_message(), &delta)
        })
    }

    /// The encoding for a client holding the frame of tick `holds`, whose state is
    /// `baseline`'s (none: the full snapshot).
    fn encoding_from(&self, baseline: Option<(u32, &SharedSnapshot)>) -> Cow<'_, Bytes> {
        let Some((holds, baseline)) = baseline else {
            return Cow::Borrowed(self.full.get_or_init(|| self.encode(None, 0)));
        };
        if Some(holds) != self.previous_tick && tick::is_at_or_after(holds, self.changed_at) {
            // Nothing changed since the frame the client holds (a quiet client's
            // heartbeat): an empty delta, made without comparing a single actor, and not
            // cached (each quiet client holds its own tick).
            return Cow::Owned(self.empty_delta(holds));
        }
        if Some(holds) == self.previous_tick {
            return Cow::Borrowed(&self.in_sync_from(baseline, holds).delta);
        }
        let cell = {
            let mut deltas = self.from_older.lock().unwrap_or_else(PoisonError::into_inner);
            match deltas.iter().find(|(tick, _)| *tick == holds) {
                Some((_, cell)) => Arc::clone(cell),
                None => {
                    let cell = Arc::new(OnceLock::new());
                    deltas.push((holds, Arc::clone(&cell)));
                    cell
                }
            }
        };
        Cow::Owned(cell.get_or_init(|| self.encode(Some(&baseline.frame), holds)).clone())
    }

    /// The same frame without its encodings (they are made again on first use).
    fn without_encodings(&self) -> Self {
        Self {
            tick: self.tick,
            frame: Arc::clone(&self.frame),
            published_unix_us: self.published_unix_us,
            timing: OnceLock::new(),
            settings: self.settings,
            events: self.events.clone(),
            own_events: OnceLock::new(),
            input_acks: Arc::clone(&self.input_acks),
            full: OnceLock::new(),
            previous_tick: self.previous_tick,
            changed_at: self.changed_at,
            in_sync_wire: OnceLock::new(),
            from_older: Mutex::new(Vec::new()),
        }
    }

    /// The empty delta from the frame of tick `holds`, whose state is this frame's.
    fn empty_delta(&self, holds: u32) -> Bytes {
        let snapshot = Snapshot {
            tick: self.tick(),
            baseline_tick: Some(holds),
            steps_per_unit: self.frame.steps_per_unit,
            ..Snapshot::default()
        };
        ServerMessage::Snapshot(snapshot).encode()
    }

    /// Encodes this frame as a delta from `baseline`'s state, for a client holding the
    /// frame of tick `holds` (the same state), or as a full snapshot.
    fn encode(&self, baseline: Option<&Arc<WorldSnapshot>>, holds: u32) -> Bytes {
        if baseline.is_some_and(|baseline| Arc::ptr_eq(baseline, &self.frame)) {
            return self.empty_delta(holds);
        }
        let baseline = baseline.map(|baseline| (&**baseline, holds));
        ServerMessage::Snapshot(Snapshot::diff_at(baseline, &self.frame, self.tick)).encode()
    }
}

/// A frame's `SnapshotTiming` message and its delta from the frame before, as WebSocket
/// frames in one buffer: what every in-sync session writes (the timing only if its
/// client asked). A write from one buffer is one `send(2)` with no copy, where the
/// messages apart were four slices, copied into one (see `session::socket`).
#[derive(Debug)]
pub(crate) struct InSyncWire {
    wire: Bytes,
    /// Where the delta's frame starts.
    delta_start: usize,
    timing_len: usize,
    /// The delta's payload: part of `wire`, for a session that writes it unframed.
    delta: Bytes,
}

impl InSyncWire {
    fn new(timing: &[u8], delta: &[u8]) -> Self {
        let wire = ws_frame::binary_frames(&[timing, delta]);
        let delta_start = wire.len() - ws_frame::framed_len(delta.len());
        let delta = wire.slice(wire.len() - delta.len()..);
        Self { wire, delta_start, timing_len: timing.len(), delta }
    }

    /// The frames a session writes, from the start of `wire()`: both, or only the delta
    /// for a client that did not ask for timing.
    pub(crate) fn start(&self, timing: bool) -> usize {
        if timing { 0 } else { self.delta_start }
    }

    /// The buffer, both frames.
    pub(crate) fn wire(&self) -> &Bytes {
        &self.wire
    }

    /// The payload length of the timing message.
    pub(crate) fn timing_len(&self) -> usize {
        self.timing_len
    }

    /// The payload length of the delta.
    pub(crate) fn delta_len(&self) -> usize {
        self.delta.len()
    }
}

/// An immutable view of the recent frames, oldest first.
#[derive(Debug, Default)]
pub struct SnapshotRing {
    frames: VecDeque<Arc<SharedSnapshot>>,
    /// The room's game failed: no frame follows ([`SnapshotPublisher::fail`]).
    failed: bool,
}

/// A copy with the same room to grow, for a publisher whose view a session still holds.
impl Clone for SnapshotRing {
    fn clone(&self) -> Self {
        let mut frames = VecDeque::with_capacity(self.frames.capacity());
        frames.extend(self.frames.iter().cloned());
        Self { frames, failed: self.failed }
    }
}

impl SnapshotRing {
    /// Whether the room's game failed, so that no frame follows.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The newest frame, if any was published yet.
    pub fn newest(&self) -> Option<&Arc<SharedSnapshot>> {
        self.frames.back()
    }

    /// Whether something changed at each of the two newest frames: the world moves, and
    /// its next frame will most likely wake the room's fan-out too.
    pub fn moving(&self) -> bool {
        self.frames.len() >= 2
            && self.frames.iter().rev().take(2).all(|frame| frame.changed_at == frame.tick())
    }

    /// The tick of the oldest frame kept, if any: baselines older than it are gone.
    pub fn oldest_tick(&self) -> Option<u32> {
        self.frames.front().map(|oldest| oldest.tick())
    }

    /// The newest tick up to the oldest frame kept at which something changed: a client
    /// holding any frame from this tick on holds the oldest frame's state, so it can
    /// still be sent deltas (see [`SharedSnapshot::snapshot_for`]).
    pub fn oldest_changed_at(&self) -> Option<u32> {
        self.frames.front().map(|oldest| oldest.changed_at)
    }

    /// The frame whose state a client holding the frame of `tick` holds: that frame, or,
    /// once it has left the ring with nothing changed since, the oldest frame kept.
    pub fn baseline_for(&self, tick: u32) -> Option<&SharedSnapshot> {
        if let Some(frame) = self.get(tick) {
            return Some(frame);
        }
        let oldest = self.frames.front()?;
        (tick::is_after(oldest.tick(), tick) && tick::is_at_or_after(tick, oldest.changed_at))
            .then_some(&**oldest)
    }

    /// The `GameEvents` message for a session last sent the frame of `tick` (none if no
    /// event happened since), and whether the ring still reaches back that far (if not,
    /// older events are gone). In-sync sessions share the newest frame's encoding.
    pub fn events_message(&self, after: u32) -> (Option<Bytes>, bool) {
        let Some(newest) = self.newest() else { return (None, true) };
        if newest.previous_tick == Some(after) {
            let own = newest.own_events.get_or_init(|| {
                let events = newest.events.clone();
                (!events.is_empty())
                    .then(|| ServerMessage::GameEvents { tick: newest.tick(), events }.encode())
            });
            return (own.clone(), true);
        }
        let (events, complete) = self.events_after(after);
        let message = (!events.is_empty())
            .then(|| ServerMessage::GameEvents { tick: newest.tick(), events }.encode());
        (message, complete)
    }

    /// Every event of the frames after `tick` up to the newest, in order, and whether the
    /// ring still reaches back that far: it does while it holds the frame of `tick` or an
    /// older one, or nothing happened between `tick` and the oldest frame (if not, events
    /// of frames that left it are gone).
    pub fn events_after(&self, after: u32) -> (Vec<GameEvent>, bool) {
        let complete = self.frames.front().is_none_or(|oldest| {
            tick::is_at_or_after(after, oldest.tick())
                || tick::is_at_or_after(after, oldest.changed_at)
        });
        let events = self
            .frames
            .iter()
            .filter(|frame| tick::is_after(frame.tick(), after))
            .flat_map(|frame| frame.events.iter().copied());
        (events.collect(), complete)
    }

    /// How many frames after `after` and before `before` changed something (actors or
    /// events): what a client that got the frames of `after` and then `before` missed.
    /// Frames that changed nothing are not missed: there was nothing in them to send.
    pub fn changes_between(&self, after: u32, before: u32) -> u32 {
        // From the newest back: an in-sync session stops at the first frame it looks at.
        let changes = self
            .frames
            .iter()
            .rev()
            .skip_while(|frame| tick::is_at_or_after(frame.tick(), before))
            .take_while(|frame| tick::is_after(frame.tick(), after))
            .filter(|frame| frame.changed_at == frame.tick())
            .count();
        u32::try_from(changes).unwrap_or(u32::MAX)
    }

    /// The frame of `tick`, if it is still in the ring.
    pub fn get(&self, tick: u32) -> Option<&SharedSnapshot> {
        // Sorted by distance from the oldest frame, which holds across the tick wrap; a
        // tick before the oldest is far from it and not found.
        let oldest = self.frames.front()?.tick();
        self.frames
            .binary_search_by_key(&tick::since(tick, oldest), |frame| {
                tick::since(frame.tick(), oldest)
            })
            .ok()
            .map(|index| &*self.frames[index])
    }
}

/// The sim thread's end: adds each frame to the ring the sessions watch.
///
/// The ring is changed in place when no session holds the current view (the common case:
/// a session holds one only during a pass over it), so a frame costs no copy of the ring;
/// a view a session still holds is copied first, so every view a session sees stays as it
/// was when it took it.
#[derive(Debug)]
pub struct SnapshotPublisher {
    capacity: usize,
    views: watch::Sender<Arc<SnapshotRing>>,
    /// The state of the frame that last left the ring, if nothing else held it, or of a
    /// frame just published that changed nothing (it shares the previous state instead):
    /// the sim builds its next frame into these columns instead of allocating new ones.
    spare: Option<WorldSnapshot>,
}

impl SnapshotPublisher {
    /// A publisher keeping `capacity` frames (at least one), and the receiver sessions
    /// subscribe to.
    pub fn new(capacity: usize) -> (Self, watch::Receiver<Arc<SnapshotRing>>) {
        let capacity = capacity.max(1);
        let ring = SnapshotRing { frames: VecDeque::with_capacity(capacity + 1), failed: false };
        let (views, receiver) = watch::channel(Arc::new(ring));
        (Self { capacity, views, spare: None }, receiver)
    }

    /// Adds a frame, drops the oldest beyond capacity, and wakes every session unless the
    /// frame changed nothing (actors, events, input acks, settings); returns whether it
    /// woke them. Never blocks on a session: the watch channel only swaps in the new view.
    pub fn publish(&mut self, publication: Publication) -> bool {
        let previous = self.views.borrow().newest().cloned();
        let built = Arc::clone(&publication.snapshot);
        let frame = SharedSnapshot::new(publication, previous.as_deref());
        if !Arc::ptr_eq(&frame.frame, &built) {
            // Nothing changed: the frame shares the previous state, and the one just
            // built is spare at once (a still world then builds every frame in place).
            self.spare = Arc::into_inner(built);
        }
        // A frame that changes nothing any session would send updates the view without
        // waking anyone: quiet sessions wake on their own heartbeat timer instead.
        let wakes = previous.is_none_or(|previous| {
            frame.changed_at == frame.tick()
                || frame.input_acks != previous.input_acks
                || frame.settings != previous.settings
        });
        let capacity = self.capacity;
        let mut left = None;
        self.views.send_if_modified(|view| {
            let ring = Arc::make_mut(view);
            ring.frames.push_back(Arc::new(frame));
            if ring.frames.len() > capacity {
                left = ring.frames.pop_front();
            }
            wakes
        });
        // Taken apart outside the channel's lock.
        if let Some(state) = left.and_then(SharedSnapshot::into_unshared_state) {
            self.spare = Some(state);
        }
        wakes
    }

    /// A frame state nothing holds any more (see the `spare` field), for the sim to build
    /// its next frame into (`tickwire_sim::Publish::spare_frame`).
    pub fn spare_frame(&mut self) -> Option<WorldSnapshot> {
        self.spare.take()
    }

    /// Keeps only the newest frame, without its encodings, and wakes nobody: for a room
    /// nobody is connected to (its world parked), whose old frames no session can use as
    /// a baseline any more. A session that arrives later gets a full snapshot, and the ring
    /// fills again as frames are published.
    pub fn keep_newest_only(&mut self) {
        let mut left = VecDeque::new();
        self.views.send_if_modified(|view| {
            let ring = Arc::make_mut(view);
            let newest = ring.frames.back().map(|newest| Arc::new(newest.without_encodings()));
            left = std::mem::replace(&mut ring.frames, newest.into_iter().collect());
            false
        });
        drop(left);
        self.spare = None;
    }

    /// The room's game failed and its world is about to be dropped (and this publisher
    /// with it): marks the ring, so the sessions ended then are told the room failed, not
    /// that the server is stopping.
    pub fn fail(&mut self) {
        // Wakes nobody: dropping the publisher right after does, with the ring marked.
        self.views.send_if_modified(|view| {
            Arc::make_mut(view).failed = true;
            false
        });
    }
}

/// Frames for tests: one actor, placed as a test says.
#[cfg(test)]
pub(crate) mod test_frames {
    use std::sync::Arc;

    use tickwire_protocol::{ActorKind, ActorRow, Settings, WorldState};
    use tickwire_sim::{Publication, WorldSnapshot};

    /// A frame of one actor at `x`, at `tick`.
    pub(crate) fn frame_at(tick: u32, x: i32) -> Arc<WorldSnapshot> {
        let row = ActorRow { id: 1, x, y: 0, vx: 0, vy: 0, kind: ActorKind::Npc, fields: [0; 4] };
        Arc::new(WorldState::from_rows(tick, 8, [row]))
    }

    /// `snapshot` published with the default settings, no event and no input.
    pub(crate) fn publication_of(snapshot: Arc<WorldSnapshot>) -> Publication {
        Publication {
            snapshot,
            settings: Settings::default(),
            events: Vec::new(),
            input_acks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_frames::{frame_at, publication_of};
    use super::*;
    use crate::ws_frame::read_as_client;

    /// A frame of one actor, which moves every tick.
    fn frame(tick: u32) -> Arc<WorldSnapshot> {
        frame_at(tick, tick as i32)
    }

    fn publication(tick: u32) -> Publication {
        publication_of(frame(tick))
    }

    #[test]
    fn a_quiet_client_whose_frame_left_the_ring_still_gets_a_delta_it_can_apply() {
        let (mut publisher, views) = SnapshotPublisher::new(4);
        for tick in 1..=20 {
            publisher.publish(publication_of(frame_at(tick, 5))); // Still from tick 1 on.
        }
        publisher.publish(publication_of(frame_at(21, 9)));
        let ring = views.borrow().clone();
        let newest = ring.newest().expect("frames were published");
        assert!(ring.get(3).is_none(), "the client's frame has left the ring");

        let message = newest.snapshot_for(&ring, Some(3));
        let Ok(ServerMessage::Snapshot(delta)) = ServerMessage::decode(&message) else {
            panic!("a snapshot should be sent");
        };
        assert_eq!(delta.baseline_tick, Some(3), "a delta from the tick the client holds");
        let mut held = (*frame_at(3, 5)).clone();
        held.apply(&delta).expect("the client can apply it");
        assert_eq!(held, *frame_at(21, 9), "and then holds the newest state");

        for tick in 22..=24 {
            publisher.publish(publication_of(frame_at(tick, 9))); // Still again.
        }
        let ring = views.borrow().clone();
        let newest = ring.newest().expect("frames were published");
        let quiet = ServerMessage::decode(&newest.snapshot_for(&ring, Some(21)));
        let Ok(ServerMessage::Snapshot(heartbeat)) = quiet else { panic!("a heartbeat") };
        let diffed = Snapshot::diff(Some(&frame_at(21, 9)), &frame_at(24, 9));
        assert_eq!(heartbeat, diffed, "a quiet client's heartbeat: the empty delta");
        assert!(heartbeat.moved.is_empty() && heartbeat.spawned.is_empty());

        let mut moving = SnapshotPublisher::new(4);
        for tick in 1..=21 {
            moving.0.publish(publication_of(frame_at(tick, tick as i32)));
        }
        let ring = moving.1.borrow().clone();
        let newest = ring.newest().expect("frames were published");
        let message = newest.snapshot_for(&ring, Some(3));
        let Ok(ServerMessage::Snapshot(full)) = ServerMessage::decode(&message) else {
            panic!("a snapshot should be sent");
        };
        assert_eq!(full.baseline_tick, None, "after a change the client missed: a full one");
    }

    #[tokio::test]
    async fn an_in_sync_client_is_written_its_timing_and_delta_framed_once_and_no_other_is() {
        let (mut publisher, views) = SnapshotPublisher::new(4);
        for tick in 1..=3 {
            publisher.publish(publication(tick));
        }
        let ring = views.borrow().clone();
        let newest = ring.newest().expect("frames were published");
        assert!(newest.in_sync_wire(&ring, Some(1)).is_none(), "a client a frame behind");
        assert!(newest.in_sync_wire(&ring, None).is_none(), "a client that holds nothing");

        let in_sync = newest.in_sync_wire(&ring, Some(2)).expect("a client holding tick 2");
        let again = newest.in_sync_wire(&ring, Some(2)).expect("the same");
        assert!(std::ptr::eq(in_sync, again), "framed once for every in-sync session");
        let (timing, delta) = (newest.timing_message(), newest.snapshot_for(&ring, Some(2)));
        assert_eq!((in_sync.timing_len(), in_sync.delta_len()), (timing.len(), delta.len()));
        let (both, _) = read_as_client(in_sync.wire().to_vec()).await;
        assert_eq!(both, [timing, delta.clone().into_owned()], "a client reads both, in order");
        let (alone, _) = read_as_client(in_sync.wire()[in_sync.start(false)..].to_vec()).await;
        assert_eq!(alone, [delta.into_owned()], "without timing: the delta alone");
    }

    #[test]
    fn a_world_moves_while_its_two_newest_frames_both_changed_something() {
        let (mut publisher, views) = SnapshotPublisher::new(8);
        let moving = || views.borrow().moving();
        publisher.publish(publication_of(frame_at(1, 5)));
        assert!(!moving(), "one frame is no movement yet");
        publisher.publish(publication_of(frame_at(2, 6)));
        assert!(moving(), "a change at each of the two newest frames");
        publisher.publish(publication_of(frame_at(3, 6)));
        assert!(!moving(), "the newest frame changed nothing");
        publisher.publish(publication_of(frame_at(4, 7)));
        assert!(!moving(), "a single change (a spawn, a step) after a still frame");
        publisher.publish(publication_of(frame_at(5, 8)));
        assert!(moving(), "moving again");
    }

    #[test]
    fn frames_that_change_nothing_share_one_state_and_still_encode_their_own_tick() {
        let (mut publisher, views) = SnapshotPublisher::new(8);
        let acks = |sequence| vec![(7, sequence)];
        for tick in 1..=5 {
            let x = if tick < 3 { 5 } else { 9 };
            publisher
                .publish(Publication { input_acks: acks(1), ..publication_of(frame_at(tick, x)) });
        }
        let ring = views.borrow().clone();
        let frame = |tick| ring.get(tick).expect("in the ring");
        assert!(Arc::ptr_eq(&frame(1).frame, &frame(2).frame), "still: one state");
        assert!(!Arc::ptr_eq(&frame(2).frame, &frame(3).frame), "moved: a new state");
        assert!(Arc::ptr_eq(&frame(3).frame, &frame(5).frame));
        assert!(Arc::ptr_eq(&frame(1).input_acks, &frame(5).input_acks), "acks shared too");
        assert_eq!(frame(5).tick(), 5, "a shared state keeps the frame's own tick");

        let newest = ring.newest().expect("frames were published");
        let decode = |message: Bytes| match ServerMessage::decode(&message) {
            Ok(ServerMessage::Snapshot(snapshot)) => snapshot,
            other => panic!("a snapshot should be sent: {other:?}"),
        };
        let full = decode(newest.snapshot_from(None));
        assert_eq!((full.tick, full.baseline_tick), (5, None));
        let across = decode(newest.snapshot_from(Some(frame(2))));
        assert_eq!((across.tick, across.baseline_tick), (5, Some(2)));
        let mut held = (*frame_at(2, 5)).clone();
        held.apply(&across).expect("the client can apply it");
        assert_eq!(held, *frame_at(5, 9), "a delta across the change reaches the newest state");
        let within = decode(newest.snapshot_from(Some(frame(4))));
        assert_eq!((within.tick, within.baseline_tick), (5, Some(4)));
        assert!(within.moved.is_empty() && within.spawned.is_empty(), "nothing changed since 4");
    }

    #[test]
    fn the_ring_keeps_the_newest_frames() {
        let (mut publisher, views) = SnapshotPublisher::new(3);
        for tick in 1..=5 {
            publisher.publish(Publication {
                snapshot: frame(tick * 2),
                settings: Settings::default(),
                events: vec![GameEvent { kind: 0, actor: tick, other: 0, value: 0 }],
                input_acks: vec![(7, tick * 10)],
            });
        }
        let ring = views.borrow().clone();
        assert_eq!(ring.newest().map(|frame| frame.tick()), Some(10));
        assert_eq!(
            ring.newest().and_then(|frame| frame.input_ack(7)),
            Some(50),
            "frames should carry input acks"
        );
        assert_eq!(
            ring.newest().and_then(|frame| frame.input_ack(8)),
            None,
            "a session without an actor has no ack"
        );
        assert!(
            ring.get(6).is_some() && ring.get(8).is_some(),
            "the last three frames should be kept"
        );
        assert!(ring.get(4).is_none(), "older frames should have left the ring");
        assert!(ring.get(7).is_none(), "a tick that was never a frame should not be found");
        let (events, complete) = ring.events_after(6);
        let actors: Vec<u32> = events.iter().map(|event| event.actor).collect();
        assert_eq!(
            (actors, complete),
            (vec![4, 5], true),
            "events after tick 6 should be those of ticks 8 and 10"
        );
        let (_, complete) = ring.events_after(2);
        assert!(!complete, "events from frames that left the ring should be reported missing");
        let (in_sync, complete) = ring.events_message(8);
        let (again, _) = ring.events_message(8);
        assert!(complete, "a session holding the previous frame misses nothing");
        let (in_sync, again) =
            (in_sync.expect("tick 10 had an event"), again.expect("tick 10 had an event"));
        assert_eq!(
            in_sync.as_ptr(),
            again.as_ptr(),
            "in-sync sessions should share one encoded event batch"
        );
        let (behind, _) = ring.events_message(6);
        let decoded = ServerMessage::decode(&behind.expect("ticks 8 and 10 had events"));
        let Ok(ServerMessage::GameEvents { tick: 10, events }) = decoded else {
            panic!("a session behind should get one batch for tick 10: {decoded:?}")
        };
        assert_eq!(events.iter().map(|event| event.actor).collect::<Vec<_>>(), vec![4, 5]);
    }

    #[test]
    fn a_view_a_session_holds_never_changes_while_the_ring_moves_on() {
        let (mut publisher, views) = SnapshotPublisher::new(3);
        for tick in 1..=3 {
            publisher.publish(publication(tick));
        }
        let held = views.borrow().clone();
        publisher.publish(publication(4));
        publisher.fail();
        let ticks = |ring: &SnapshotRing| ring.frames.iter().map(|f| f.tick()).collect::<Vec<_>>();
        assert_eq!(ticks(&held), [1, 2, 3], "the held view is as it was taken");
        assert!(!held.failed());
        let now = views.borrow().clone();
        assert_eq!(ticks(&now), [2, 3, 4], "the ring moved on in a copy");
        assert!(now.failed());
        drop((held, now));
        let unheld = Arc::as_ptr(&views.borrow());
        publisher.publish(publication(5));
        assert_eq!(ticks(&views.borrow()), [3, 4, 5]);
        assert_eq!(Arc::as_ptr(&views.borrow()), unheld, "a view nobody holds changes in place");
    }

    #[test]
    fn a_frame_that_left_the_ring_is_spare_only_if_nothing_holds_it() {
        let (mut publisher, views) = SnapshotPublisher::new(2);
        for tick in 1..=2 {
            publisher.publish(publication(tick));
        }
        assert!(publisher.spare_frame().is_none(), "no frame has left the ring yet");
        publisher.publish(publication(3));
        let spare = publisher.spare_frame().expect("frame 1 left the ring and nobody holds it");
        assert_eq!((spare.tick, spare.row(0).x), (1, 1), "the spare is frame 1's state");
        assert!(publisher.spare_frame().is_none(), "a spare is handed out once");

        let held_view = views.borrow().clone();
        let kept_state = frame(4);
        publisher.publish(publication_of(Arc::clone(&kept_state)));
        assert!(publisher.spare_frame().is_none(), "a session still holds frame 2");
        drop(held_view);
        publisher.publish(publication(5));
        assert!(publisher.spare_frame().is_some(), "frame 3 is held by nobody");
        publisher.publish(publication(6));
        assert!(publisher.spare_frame().is_none(), "the sim still holds frame 4's state");

        publisher.publish(publication(7));
        publisher.keep_newest_only();
        assert!(publisher.spare_frame().is_none(), "a parked room keeps no spare");
    }

    #[test]
    fn a_frame_that_changed_nothing_is_spare_at_once() {
        let (mut publisher, _views) = SnapshotPublisher::new(4);
        publisher.publish(publication_of(frame_at(1, 5)));
        publisher.publish(publication_of(frame_at(2, 6)));
        assert!(publisher.spare_frame().is_none(), "frame 2 moved its actor: it is kept");
        publisher.publish(publication_of(frame_at(3, 6)));
        let spare = publisher.spare_frame().expect("frame 3 changed nothing: its state is spare");
        assert_eq!(spare.tick, 3, "the frame just built, not the state it shares");
    }

    #[test]
    fn a_parked_ring_keeps_only_its_newest_frame_and_fills_again() {
        let (mut publisher, views) = SnapshotPublisher::new(4);
        for tick in 1..=4 {
            publisher.publish(publication(tick));
        }
        let before = views.borrow().clone();
        let full = before.newest().map(|frame| frame.snapshot_from(None));
        publisher.keep_newest_only();
        let ring = views.borrow().clone();
        assert_eq!(ring.oldest_tick(), Some(4), "only the newest frame should stay");
        let newest = ring.newest().expect("the newest frame should stay");
        assert!(newest.full.get().is_none(), "its encodings should be dropped");
        assert_eq!(Some(newest.snapshot_from(None)), full, "a full snapshot encodes the same");
        assert!(ring.get(3).is_none(), "an older baseline is gone: the session gets a full one");
        publisher.publish(publication(5));
        let ring = views.borrow().clone();
        assert_eq!(
            (ring.oldest_tick(), ring.newest().map(|frame| frame.tick())),
            (Some(4), Some(5))
        );
        let delta = ring.newest().map(|frame| frame.snapshot_from(ring.get(4)));
        assert!(delta.is_some(), "the kept frame should serve as the next frame's baseline");
    }

    #[test]
    fn quiet_frames_remember_the_last_change() {
        // Actor 1 stays at x = 5 from tick 2 on.
        let resting = |tick: u32| {
            let mut state = (*frame(5)).clone();
            state.tick = tick;
            Publication { snapshot: Arc::new(state), ..publication(tick) }
        };
        let (mut publisher, views) = SnapshotPublisher::new(8);
        publisher.publish(publication(1)); // Actor 1 at x = 1.
        publisher.publish(resting(2));
        publisher.publish(resting(3));
        publisher.publish(resting(4));
        let newest = Arc::clone(views.borrow().newest().expect("frames were published"));
        assert_eq!(newest.changed_at(), 2, "nothing changed after tick 2, the actor moved at 2");
        publisher.publish(Publication {
            events: vec![GameEvent { kind: 0, actor: 1, other: 0, value: 0 }],
            ..resting(5)
        });
        let newest = Arc::clone(views.borrow().newest().expect("frames were published"));
        assert_eq!(newest.changed_at(), 5, "an event is a change");
        let ring = Arc::clone(&views.borrow());
        assert_eq!(ring.changes_between(1, 5), 1, "of ticks 2 to 4 only tick 2 changed");
        assert_eq!(ring.changes_between(2, 5), 0, "a client holding tick 2 missed nothing");
        assert_eq!(views.borrow().oldest_tick(), Some(1), "ticks 1 to 5 are in the ring");

        let mut views = views;
        views.borrow_and_update();
        publisher.publish(resting(6));
        assert!(!views.has_changed().unwrap_or(true), "a frame that changes nothing wakes no one");
        assert_eq!(views.borrow().newest().map(|frame| frame.tick()), Some(6), "yet it is in view");
        publisher.publish(Publication { input_acks: vec![(7, 1)], ..resting(7) });
        assert!(views.has_changed().unwrap_or(false), "a new input ack wakes the sessions");
    }

    #[test]
    fn sessions_with_the_same_baseline_share_one_encoding() {
        let older = SharedSnapshot::new(publication(1), None);
        let old = SharedSnapshot::new(publication(2), Some(&older));
        let new = SharedSnapshot::new(publication(3), Some(&old));
        let first = new.snapshot_from(Some(&old));
        let second = new.snapshot_from(Some(&old));
        assert_eq!(
            first.as_ptr(),
            second.as_ptr(),
            "the same delta should be one buffer, not a re-encode"
        );
        let from_older = new.snapshot_from(Some(&older));
        assert_ne!(from_older, first, "a delta from an older baseline should differ");
        let again = new.snapshot_from(Some(&older));
        assert_eq!(
            from_older.as_ptr(),
            again.as_ptr(),
            "deltas from older baselines should be shared too"
        );
        let timing = new.timing_message();
        assert_eq!(timing.as_ptr(), new.timing_message().as_ptr(), "timing is encoded once");
        assert!(
            matches!(
                ServerMessage::decode(&timing),
                Ok(ServerMessage::SnapshotTiming { tick: 3, .. })
            ),
            "the timing names the frame's tick"
        );
        let full = new.snapshot_from(None);
        assert_ne!(first, full, "a delta should differ from the full snapshot");
        assert_eq!(
            full.as_ptr(),
            new.snapshot_from(None).as_ptr(),
            "the full snapshot should be encoded once"
        );
    }

    #[test]
    fn the_ring_works_across_the_tick_wrap() {
        let (mut publisher, views) = SnapshotPublisher::new(8);
        let ticks = [u32::MAX - 2, u32::MAX - 1, u32::MAX, 0, 1, 2];
        for (actor, tick) in (1..).zip(ticks) {
            publisher.publish(Publication {
                events: vec![GameEvent { kind: 0, actor, other: 0, value: 0 }],
                ..publication(tick)
            });
        }
        let ring = views.borrow().clone();
        assert_eq!(ring.oldest_tick(), Some(u32::MAX - 2));
        for tick in ticks {
            assert_eq!(
                ring.get(tick).map(SharedSnapshot::tick),
                Some(tick),
                "frame {tick} should be found"
            );
        }
        assert!(ring.get(3).is_none() && ring.get(u32::MAX - 3).is_none());
        let (events, complete) = ring.events_after(u32::MAX);
        let actors: Vec<u32> = events.iter().map(|event| event.actor).collect();
        assert_eq!(
            (actors, complete),
            (vec![4, 5, 6], true),
            "events after u32::MAX are those of 0, 1, 2"
        );
        assert_eq!(ring.changes_between(u32::MAX - 2, 2), 4, "u32::MAX - 1 to 1 changed");
        let newest = ring.newest().expect("frames were published");
        assert_eq!(newest.changed_at(), 2, "every frame changed");
    }
}

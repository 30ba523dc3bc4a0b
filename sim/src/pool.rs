//! [`SimPool`]: a fixed set of OS threads that step many worlds, each at its own rate.
//!
//! A process hosting many rooms must not grow a thread per room. The pool keeps every
//! world's next deadline in one [`Agenda`] and its threads take the world whose deadline
//! is earliest, as soon as it is due: earliest deadline first, so a world is late only when
//! every thread is busy with a world that was due sooner (which the pool's size, not the
//! schedule, decides). A world is stepped by one thread at a time and keeps its own
//! absolute deadlines (see [`crate::clock`]). Threads never await: they sleep on a condition
//! variable until the earliest deadline or until a new world arrives.
//!
//! Worlds of the same tick length tick in batches, so that many small rooms wake the
//! network side once per batch rather than once each ([`crate::batches`]).
//!
//! The agenda is pure (callers pass `now`), so the scheduling rules are unit-tested with
//! instants of the tests' own; the threads around it only wait, step and put back.
//!
//! A world whose tick panics (a bug in its game) is told and dropped; the thread lives on
//! and steps the others, so one room's bug never stops another room.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use tickwire_protocol::untrusted::Untrusted;
use tracing::{error, warn};

use crate::batches::{Batches, Cadence};
use crate::game::panic_message;

/// A world the pool steps.
pub trait Ticking: Send + 'static {
    /// Runs one tick at `now` and returns when the next one is due, or `None` when the
    /// world is finished (the pool then drops it).
    fn tick(&mut self, now: Instant) -> Option<Instant>;

    /// How long its ticks last and how many clients it holds, for a world that ticks in
    /// a batch with worlds like it ([`crate::batches`]); `None`: it ticks on its own.
    fn cadence(&self) -> Option<Cadence> {
        None
    }

    /// Its next tick is due at `due`, whatever its clock said: it was just put in the pool,
    /// unparked after a pause, or moved into a batch. Later deadlines count from here.
    fn starts_at(&mut self, due: Instant) {
        let _ = due;
    }

    /// The world was just parked: it may let go of what only a stepped world needs. It
    /// runs under the pool's lock, so it must be quick: what it returns (say, a world it
    /// lets go of) is dropped by a pool thread outside the lock.
    fn parked(&mut self) -> Option<Litter> {
        None
    }

    /// Its tick panicked with `message`: its state cannot be trusted, so the pool drops it
    /// right after this, which should tell whoever waits on it why.
    fn panicked(&mut self, message: &str) {
        let _ = message;
    }
}

/// Names a world in the pool.
pub type WorldKey = u64;

/// What a parked world lets go of, for a pool thread to drop outside the pool's lock.
pub type Litter = Box<dyn Send>;

/// Which world is due next, and which are being stepped. Pure: no threads, no clock.
#[derive(Default)]
pub(crate) struct Agenda {
    /// Deadlines of the worlds waiting, earliest first. An entry whose key is no longer
    /// waiting (removed) is skipped when it surfaces.
    due: BinaryHeap<Reverse<(Instant, WorldKey)>>,
    /// Worlds waiting for their deadline, with it.
    waiting: HashMap<WorldKey, (Instant, Box<dyn Ticking>)>,
    /// Worlds a thread is stepping now, and what happened to them meanwhile.
    running: HashMap<WorldKey, WhileRunning>,
    /// Worlds that are not stepped until unparked: they cost no CPU.
    parked: HashMap<WorldKey, Box<dyn Ticking>>,
    /// Which scheduled worlds tick together.
    batches: Batches,
    /// What parked worlds let go of, for a pool thread to drop outside the lock.
    litter: Vec<Litter>,
    next_key: WorldKey,
}

/// What happened to a world while a thread stepped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhileRunning {
    Nothing,
    Removed,
    Parked,
}

/// What a pool thread should do next.
pub(crate) enum Next {
    /// Step this world now.
    Step(WorldKey, Box<dyn Ticking>),
    /// Nothing is due before this instant (or, with `None`, nothing is scheduled).
    Wait(Option<Instant>),
}

impl Agenda {
    /// Schedules `world`, first due at `due` or, if it ticks in a batch, at its batch's
    /// next tick from then.
    pub(crate) fn insert(&mut self, mut world: Box<dyn Ticking>, due: Instant) -> WorldKey {
        let key = self.next_key;
        self.next_key += 1;
        let due = self.line_up(key, world.as_mut(), due);
        self.schedule(key, world, due);
        key
    }

    /// Takes `key` out of the pool: at once if it is waiting (returned, for the caller to
    /// drop outside any lock), after its current tick if it is being stepped.
    pub(crate) fn remove(&mut self, key: WorldKey) -> Option<Box<dyn Ticking>> {
        self.batches.release(key);
        if let Some(running) = self.running.get_mut(&key) {
            *running = WhileRunning::Removed;
            return None;
        }
        self.parked.remove(&key).or_else(|| self.waiting.remove(&key).map(|(_, world)| world))
    }

    /// Stops stepping `key` until [`Agenda::unpark`] (after its current tick, if it is
    /// being stepped).
    pub(crate) fn park(&mut self, key: WorldKey) {
        if let Some(running) = self.running.get_mut(&key) {
            if *running == WhileRunning::Nothing {
                *running = WhileRunning::Parked;
            }
        } else if let Some((_, mut world)) = self.waiting.remove(&key) {
            self.batches.release(key);
            self.litter.extend(world.parked());
            self.parked.insert(key, world);
        }
    }

    /// Steps `key` again, due at `now`. Returns whether the caller should wake a thread.
    pub(crate) fn unpark(&mut self, key: WorldKey, now: Instant) -> bool {
        if let Some(running) = self.running.get_mut(&key) {
            if *running == WhileRunning::Parked {
                *running = WhileRunning::Nothing;
            }
            return false;
        }
        let Some(mut world) = self.parked.remove(&key) else { return false };
        let due = self.line_up(key, world.as_mut(), now);
        self.schedule(key, world, due);
        true
    }

    /// The world to step at `now`, or how long nothing is due.
    pub(crate) fn next(&mut self, now: Instant) -> Next {
        while let Some(&Reverse((due, key))) = self.due.peek() {
            if self.waiting.get(&key).is_none_or(|(scheduled, _)| *scheduled != due) {
                self.due.pop(); // Removed, or rescheduled since.
                continue;
            }
            if due > now {
                return Next::Wait(Some(due));
            }
            self.due.pop();
            let Some((_, world)) = self.waiting.remove(&key) else { continue };
            self.running.insert(key, WhileRunning::Nothing);
            return Next::Step(key, world);
        }
        Next::Wait(None)
    }

    /// A thread finished stepping `key`: it is due again at `due`, or finished (`None`).
    /// Returns the world if it is not to be scheduled again, for the caller to drop
    /// outside any lock.
    pub(crate) fn stepped(
        &mut self,
        key: WorldKey,
        mut world: Box<dyn Ticking>,
        due: Option<Instant>,
    ) -> Option<Box<dyn Ticking>> {
        match (self.running.remove(&key).unwrap_or(WhileRunning::Removed), due) {
            (WhileRunning::Nothing, Some(mut due)) => {
                let period = world.cadence().map(|cadence| cadence.period);
                if period != self.batches.period_of(key) {
                    // Its tick length changed: it joins a batch of its new length.
                    due = self.line_up(key, world.as_mut(), due);
                }
                self.schedule(key, world, due);
                None
            }
            (WhileRunning::Parked, Some(_)) => {
                self.batches.release(key);
                self.litter.extend(world.parked());
                self.parked.insert(key, world);
                None
            }
            _ => {
                self.batches.release(key);
                Some(world)
            }
        }
    }

    /// When `world` is next due, from `not_before` on: its batch's next tick, or
    /// `not_before` itself for a world that ticks on its own. The world is told.
    fn line_up(&mut self, key: WorldKey, world: &mut dyn Ticking, not_before: Instant) -> Instant {
        let due = match world.cadence() {
            Some(cadence) => self.batches.place(key, cadence, not_before),
            None => not_before,
        };
        world.starts_at(due);
        due
    }

    /// How many worlds the pool holds, parked ones included.
    pub(crate) fn len(&self) -> usize {
        let running = self.running.values().filter(|state| **state != WhileRunning::Removed);
        self.waiting.len() + self.parked.len() + running.count()
    }

    fn schedule(&mut self, key: WorldKey, world: Box<dyn Ticking>, due: Instant) {
        self.due.push(Reverse((due, key)));
        self.waiting.insert(key, (due, world));
    }
}

/// What the pool's threads share.
#[derive(Default)]
struct Shared {
    agenda: Mutex<State>,
    /// Signalled when a world arrives or the pool stops: a sleeping thread may have a
    /// sooner deadline to wait for.
    changed: Condvar,
}

#[derive(Default)]
struct State {
    agenda: Agenda,
    stopping: bool,
}

impl Shared {
    /// The lock is held only to pick or put back a world, never while one is stepped.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.agenda.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fixed set of threads stepping every world whose deadline is due.
pub struct SimPool {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl SimPool {
    /// Starts `threads` pool threads (at least one), named `tickwire-sim-N`.
    ///
    /// # Errors
    /// The OS refused to start a thread (those already started are stopped).
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let mut pool = Self { shared: Arc::default(), threads: Vec::new() };
        for index in 0..threads.max(1) {
            let shared = Arc::clone(&pool.shared);
            let thread = thread::Builder::new()
                .name(format!("tickwire-sim-{index}"))
                .spawn(move || work(&shared))?;
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// Adds `world`, first due at `due`.
    pub fn insert(&self, world: impl Ticking, due: Instant) -> WorldKey {
        let key = self.shared.lock().agenda.insert(Box::new(world), due);
        self.shared.changed.notify_one();
        key
    }

    /// Stops stepping `key`: the world is dropped now, or after its current tick.
    pub fn remove(&self, key: WorldKey) {
        let removed = self.shared.lock().agenda.remove(key);
        drop_contained(removed);
    }

    /// Stops stepping `key` (after its current tick) until [`SimPool::unpark`]: a world
    /// nobody is in costs no CPU.
    pub fn park(&self, key: WorldKey) {
        let mut state = self.shared.lock();
        state.agenda.park(key);
        if !state.agenda.litter.is_empty() {
            // A pool thread drops it, not this caller.
            self.shared.changed.notify_one();
        }
    }

    /// Steps `key` again from now.
    pub fn unpark(&self, key: WorldKey) {
        if self.shared.lock().agenda.unpark(key, Instant::now()) {
            self.shared.changed.notify_one();
        }
    }

    /// How many worlds the pool holds.
    pub fn len(&self) -> usize {
        self.shared.lock().agenda.len()
    }

    /// Whether the pool steps no world.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops every thread after its current tick and waits for them.
    pub fn stop(mut self) {
        self.stop_threads();
    }

    fn stop_threads(&mut self) {
        self.shared.lock().stopping = true;
        self.shared.changed.notify_all();
        for thread in self.threads.drain(..) {
            if thread.join().is_err() {
                warn!("a sim pool thread panicked");
            }
        }
    }
}

impl Drop for SimPool {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// A pool thread: take the earliest due world, step it, put it back; sleep otherwise.
fn work(shared: &Shared) {
    let mut state = shared.lock();
    loop {
        if state.stopping {
            return;
        }
        if !state.agenda.litter.is_empty() {
            let litter = std::mem::take(&mut state.agenda.litter);
            drop(state);
            drop_contained(litter);
            state = shared.lock();
            continue;
        }
        let (key, mut world) = match state.agenda.next(Instant::now()) {
            Next::Step(key, world) => (key, world),
            Next::Wait(until) => {
                state = match until {
                    Some(until) => {
                        let timeout = until.saturating_duration_since(Instant::now());
                        shared
                            .changed
                            .wait_timeout(state, timeout)
                            .unwrap_or_else(PoisonError::into_inner)
                            .0
                    }
                    None => shared.changed.wait(state).unwrap_or_else(PoisonError::into_inner),
                };
                continue;
            }
        };
        drop(state);
        let due = tick_contained(world.as_mut());
        state = shared.lock();
        let finished = state.agenda.stepped(key, world, due);
        if finished.is_some() {
            drop(state);
            drop_contained(finished); // A world's teardown runs outside the lock.
            state = shared.lock();
        }
    }
}

/// Steps `world`, containing a panic in its tick: the world is told, and finished.
fn tick_contained(world: &mut dyn Ticking) -> Option<Instant> {
    match panic::catch_unwind(AssertUnwindSafe(|| world.tick(Instant::now()))) {
        Ok(due) => due,
        Err(payload) => {
            world.panicked(panic_message(payload.as_ref()));
            None
        }
    }
}

/// Drops what a world leaves (the world, or what it let go of when parked), containing a
/// panic in its teardown (a game component's `Drop`): the thread and the other worlds
/// carry on.
fn drop_contained(remains: impl Send) {
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(remains))) {
        let message = Untrusted(panic_message(payload.as_ref()));
        error!(panic = %message, "a world's teardown panicked; the pool carries on");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    /// A world that counts its ticks and is due again `every` later, `ticks` times.
    struct Counting {
        ticks: Arc<AtomicU32>,
        every: Duration,
        left: u32,
        /// How often it was told it was parked.
        parks: Arc<AtomicU32>,
    }

    impl Ticking for Counting {
        fn tick(&mut self, now: Instant) -> Option<Instant> {
            self.ticks.fetch_add(1, Ordering::Relaxed);
            self.left = self.left.checked_sub(1)?;
            Some(now + self.every)
        }

        fn parked(&mut self) -> Option<Litter> {
            self.parks.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    fn counting(every_ms: u64, left: u32) -> (Counting, Arc<AtomicU32>) {
        let ticks = Arc::new(AtomicU32::new(0));
        let every = Duration::from_millis(every_ms);
        let world = Counting { ticks: Arc::clone(&ticks), every, left, parks: Arc::default() };
        (world, ticks)
    }

    fn step(agenda: &mut Agenda, now: Instant) -> Option<WorldKey> {
        match agenda.next(now) {
            Next::Step(key, mut world) => {
                let due = world.tick(now);
                assert!(agenda.stepped(key, world, due).is_none() || due.is_none());
                Some(key)
            }
            Next::Wait(_) => None,
        }
    }

    #[test]
    fn the_earliest_deadline_goes_first_and_nothing_runs_early() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let late = agenda.insert(Box::new(counting(10, 10).0), start + Duration::from_millis(5));
        let soon = agenda.insert(Box::new(counting(10, 10).0), start + Duration::from_millis(1));
        assert!(
            matches!(agenda.next(start), Next::Wait(Some(due)) if due == start + Duration::from_millis(1)),
            "nothing should run before its deadline; the wait should end at the earliest"
        );
        let now = start + Duration::from_millis(6);
        assert_eq!(step(&mut agenda, now), Some(soon), "the earlier deadline should go first");
        assert_eq!(step(&mut agenda, now), Some(late));
        assert_eq!(step(&mut agenda, now), None, "both are next due in 10 ms");
    }

    #[test]
    fn worlds_keep_their_own_rates() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let (fast, fast_ticks) = counting(10, u32::MAX);
        let (slow, slow_ticks) = counting(40, u32::MAX);
        agenda.insert(Box::new(fast), start);
        agenda.insert(Box::new(slow), start);
        // Walk a manual clock through 400 ms in 1 ms steps, stepping whatever is due.
        for ms in 0..400 {
            let now = start + Duration::from_millis(ms);
            while step(&mut agenda, now).is_some() {}
        }
        assert_eq!(fast_ticks.load(Ordering::Relaxed), 40, "the 100 Hz world ticks 40 times");
        assert_eq!(slow_ticks.load(Ordering::Relaxed), 10, "the 25 Hz world ticks 10 times");
    }

    #[test]
    fn a_world_removed_while_stepped_is_dropped_after_its_tick() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let (world, _) = counting(10, 10);
        let key = agenda.insert(Box::new(world), start);
        let Next::Step(stepped, world) = agenda.next(start) else {
            panic!("the world should be due");
        };
        assert!(agenda.remove(key).is_none(), "a running world is not handed back at once");
        assert_eq!(agenda.len(), 0, "a removed world no longer counts");
        assert!(
            agenda.stepped(stepped, world, Some(start)).is_some(),
            "after its tick the removed world should be handed back to be dropped"
        );
        assert!(matches!(agenda.next(start), Next::Wait(None)), "nothing should remain");
    }

    #[test]
    fn a_waiting_world_is_removed_at_once_and_its_stale_deadline_skipped() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let gone = agenda.insert(Box::new(counting(10, 10).0), start);
        let kept = agenda.insert(Box::new(counting(10, 10).0), start + Duration::from_millis(2));
        assert!(agenda.remove(gone).is_some());
        assert_eq!(step(&mut agenda, start + Duration::from_millis(2)), Some(kept));
        assert_eq!(agenda.len(), 1);
    }

    #[test]
    fn a_parked_world_is_not_stepped_until_unparked_and_then_runs_from_then() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let (world, ticks) = counting(10, u32::MAX);
        let parks = Arc::clone(&world.parks);
        let key = agenda.insert(Box::new(world), start);
        assert_eq!(step(&mut agenda, start), Some(key));
        agenda.park(key);
        assert_eq!(parks.load(Ordering::Relaxed), 1, "a parked world should be told so");
        assert_eq!(agenda.len(), 1, "a parked world is still the pool's");
        let later = start + Duration::from_secs(60);
        assert!(matches!(agenda.next(later), Next::Wait(None)), "nothing runs while parked");
        assert!(agenda.unpark(key, later), "unparking should wake a thread");
        assert_eq!(step(&mut agenda, later), Some(key), "due at once when unparked");
        assert_eq!(ticks.load(Ordering::Relaxed), 2, "no ticks were made up for the pause");
    }

    #[test]
    fn a_world_parked_while_stepped_is_parked_after_its_tick() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let world = counting(10, 10).0;
        let parks = Arc::clone(&world.parks);
        let key = agenda.insert(Box::new(world), start);
        let Next::Step(stepped, world) = agenda.next(start) else {
            panic!("the world should be due");
        };
        agenda.park(key);
        assert_eq!(parks.load(Ordering::Relaxed), 0, "told only once its tick is done");
        assert!(agenda.stepped(stepped, world, Some(start)).is_none(), "kept, not dropped");
        assert_eq!(parks.load(Ordering::Relaxed), 1, "a parked world should be told so");
        assert!(matches!(agenda.next(start), Next::Wait(None)), "parked after its tick");
        assert!(agenda.remove(key).is_some(), "a parked world can be removed");
        assert_eq!(agenda.len(), 0);
    }

    #[test]
    fn a_finished_world_leaves_the_pool() {
        let start = Instant::now();
        let mut agenda = Agenda::default();
        let (world, ticks) = counting(1, 2);
        agenda.insert(Box::new(world), start);
        for ms in 0..10 {
            step(&mut agenda, start + Duration::from_millis(ms));
        }
        assert_eq!(ticks.load(Ordering::Relaxed), 3, "two more ticks after the first, then done");
        assert_eq!(agenda.len(), 0);
    }

    /// A world that ticks in batches, every `period`, and keeps its own deadline.
    struct Batched {
        period: Duration,
        due: Instant,
    }

    impl Ticking for Batched {
        fn tick(&mut self, _now: Instant) -> Option<Instant> {
            self.due += self.period;
            Some(self.due)
        }

        fn cadence(&self) -> Option<Cadence> {
            Some(Cadence { period: self.period, seats: 5 })
        }

        fn starts_at(&mut self, due: Instant) {
            self.due = due;
        }
    }

    fn due_of(agenda: &Agenda, key: WorldKey) -> Instant {
        agenda.waiting.get(&key).map(|(due, _)| *due).expect("the world should be waiting")
    }

    #[test]
    fn small_worlds_added_at_different_times_tick_together() {
        let start = Instant::now();
        let period = Duration::from_millis(32);
        let mut agenda = Agenda::default();
        let keys: Vec<WorldKey> = (0..3)
            .map(|n| {
                let world = Batched { period, due: start };
                agenda.insert(Box::new(world), start + Duration::from_millis(5 * n))
            })
            .collect();
        assert_eq!(due_of(&agenda, keys[0]), start, "the first starts the batch");
        assert_eq!(due_of(&agenda, keys[1]), start + period, "the next waits for the batch");
        assert_eq!(due_of(&agenda, keys[2]), start + period);
        // Parked and unparked later, a world joins the batch's next tick again.
        let (&parked, later) = (&keys[0], start + Duration::from_millis(40));
        agenda.park(parked);
        assert!(agenda.unpark(parked, later));
        assert_eq!(due_of(&agenda, parked), start + period * 2);
    }

    #[test]
    fn a_world_whose_tick_length_changes_joins_a_batch_of_the_new_length() {
        let start = Instant::now();
        let period = Duration::from_millis(32);
        let mut agenda = Agenda::default();
        let other = agenda.insert(Box::new(Batched { period: period / 2, due: start }), start);
        let key = agenda.insert(Box::new(Batched { period, due: start }), start);
        let now = start + Duration::from_millis(3);
        let Next::Step(stepped, mut world) = agenda.next(now) else { panic!("due") };
        assert_eq!(stepped, other, "inserted first, due at the same instant");
        let due = world.tick(now);
        agenda.stepped(stepped, world, due);
        let Next::Step(stepped, mut world) = agenda.next(now) else { panic!("due") };
        assert_eq!(stepped, key);
        let due = world.tick(now);
        // Its ticks now last what the other world's do: re-told, it lines up with it.
        let faster: Box<dyn Ticking> =
            Box::new(Batched { period: period / 2, due: due.expect("due") });
        drop(world);
        agenda.stepped(stepped, faster, due);
        assert_eq!(agenda.batches.period_of(key), Some(period / 2), "placed for its new length");
        let apart = due_of(&agenda, key).duration_since(due_of(&agenda, other));
        assert_eq!(apart.as_nanos() % (period / 2).as_nanos(), 0, "on the other world's ticks");
    }

    #[test]
    fn pool_threads_step_every_world_until_it_finishes() {
        let pool = SimPool::new(2).expect("threads should start");
        let worlds: Vec<_> = (0..8).map(|_| counting(1, 5)).collect();
        let now = Instant::now();
        let ticks: Vec<_> = worlds
            .into_iter()
            .map(|(world, ticks)| {
                pool.insert(world, now);
                ticks
            })
            .collect();
        // Bounded wait for the threads: each world needs about 5 ms of deadlines.
        let until = Instant::now() + Duration::from_secs(10);
        while !pool.is_empty() && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        assert!(pool.is_empty(), "every world should finish and leave the pool");
        for ticks in ticks {
            assert_eq!(ticks.load(Ordering::Relaxed), 6, "each world should tick exactly 6 times");
        }
        pool.stop();
    }

    /// Records the name of the thread that drops it.
    struct DroppedOn(Arc<Mutex<Option<String>>>);

    impl Drop for DroppedOn {
        fn drop(&mut self) {
            let name = thread::current().name().map(str::to_owned);
            *self.0.lock().unwrap_or_else(PoisonError::into_inner) = name;
        }
    }

    /// A world that lets go of a [`DroppedOn`] when parked.
    struct Littering(Option<DroppedOn>);

    impl Ticking for Littering {
        fn tick(&mut self, now: Instant) -> Option<Instant> {
            Some(now + Duration::from_secs(1))
        }

        fn parked(&mut self) -> Option<Litter> {
            self.0.take().map(|litter| Box::new(litter) as Litter)
        }
    }

    #[test]
    fn what_a_parked_world_lets_go_of_is_dropped_by_a_pool_thread() {
        let pool = SimPool::new(1).expect("the thread should start");
        let dropped_on = Arc::new(Mutex::new(None));
        let key = pool.insert(Littering(Some(DroppedOn(Arc::clone(&dropped_on)))), Instant::now());
        pool.park(key);
        let until = Instant::now() + Duration::from_secs(10);
        let dropped = || dropped_on.lock().unwrap_or_else(PoisonError::into_inner).clone();
        while dropped().is_none() && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
        let name = dropped().expect("the litter should be dropped");
        assert!(name.starts_with("tickwire-sim"), "dropped on {name:?}, not the parking caller");
        pool.stop();
    }

    /// A world whose game panics at its third tick, and says what it was told.
    struct Fragile {
        ticks: u32,
        told: Arc<Mutex<Option<String>>>,
    }

    impl Ticking for Fragile {
        fn tick(&mut self, now: Instant) -> Option<Instant> {
            self.ticks += 1;
            assert!(self.ticks < 3, "the game's bug at tick {}", self.ticks);
            Some(now + Duration::from_millis(1))
        }

        fn panicked(&mut self, message: &str) {
            *self.told.lock().unwrap_or_else(PoisonError::into_inner) = Some(message.to_owned());
        }
    }

    /// Waits (at most 10 s) until `pool` holds one world and `ticks` reached 50.
    fn wait_for_one_world_and_50_ticks(pool: &SimPool, ticks: &AtomicU32) {
        let until = Instant::now() + Duration::from_secs(10);
        while (pool.len() > 1 || ticks.load(Ordering::Relaxed) < 50) && Instant::now() < until {
            thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn a_world_whose_tick_panics_is_dropped_and_the_thread_steps_the_others() {
        let pool = SimPool::new(1).expect("the thread should start");
        let told = Arc::new(Mutex::new(None));
        let now = Instant::now();
        pool.insert(Fragile { ticks: 0, told: Arc::clone(&told) }, now);
        let (healthy, ticks) = counting(1, u32::MAX);
        pool.insert(healthy, now);
        // The panic comes at the fragile world's third tick, about 2 ms in.
        wait_for_one_world_and_50_ticks(&pool, &ticks);
        assert_eq!(pool.len(), 1, "the panicking world should be dropped");
        let told = told.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(told.as_deref(), Some("the game's bug at tick 3"));
        assert!(
            ticks.load(Ordering::Relaxed) >= 50,
            "the only thread should go on stepping the healthy world"
        );
        pool.stop();
    }

    /// A world done after its first tick, whose teardown panics, as its litter's does.
    struct BadTeardown;

    impl Drop for BadTeardown {
        fn drop(&mut self) {
            panic!("the game's Drop bug");
        }
    }

    impl Ticking for BadTeardown {
        fn tick(&mut self, _now: Instant) -> Option<Instant> {
            None
        }

        fn parked(&mut self) -> Option<Litter> {
            Some(Box::new(Self))
        }
    }

    #[test]
    fn a_world_whose_teardown_panics_takes_down_neither_thread_nor_caller() {
        let pool = SimPool::new(1).expect("the thread should start");
        let now = Instant::now();
        let parked = pool.insert(BadTeardown, now + Duration::from_secs(3600));
        pool.park(parked);
        pool.insert(BadTeardown, now);
        pool.remove(parked);
        let (healthy, ticks) = counting(1, u32::MAX);
        pool.insert(healthy, now);
        wait_for_one_world_and_50_ticks(&pool, &ticks);
        assert_eq!(pool.len(), 1, "the finished world should be gone");
        assert!(
            ticks.load(Ordering::Relaxed) >= 50,
            "the only thread should live on and step the healthy world"
        );
        pool.stop();
    }
}

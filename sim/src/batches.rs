//! `Batches`: which worlds of the same tick length tick together.
//!
//! A world's frame wakes the network side: its writer shard's task, and with it a runtime
//! thread that was asleep. A process of many small rooms whose ticks fall anywhere in the
//! period pays that wakeup, a sleep of the pool thread and a sleep of the runtime thread
//! for every room's every tick; stepped back to back, a batch of rooms pays them once,
//! and its frames are written in one pass of the runtime (60 rooms of 5 clients: 16–23%
//! less CPU measured; see BENCHMARKS.md). A batch is bounded by seats, [`BATCH_SEATS`],
//! so its writes take about one writer shard's pass and no room waits behind more than
//! that: a big room ticks alone, small rooms share. Batches of one tick length sit at different
//! offsets in the period (`SLOTS` of them, filled far apart first), so the load stays
//! spread over the period as batches multiply.
//!
//! Pure: the pool passes instants in, so the placement rules are unit-tested with
//! instants of the tests' own.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::pool::WorldKey;

/// The most client seats a batch holds: about what one writer shard writes in a pass.
pub const BATCH_SEATS: u32 = 128;
/// How many offsets a tick period offers batches.
const SLOTS: u32 = 16;
/// The slots in the order batches open: each new one as far from the others as it gets.
const SPREAD: [u32; SLOTS as usize] = [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15];

/// What a world tells the pool so it can join a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cadence {
    /// How long one of its ticks lasts now.
    pub period: Duration,
    /// How many clients it can hold: its weight in the batch.
    pub seats: u32,
}

/// Where a world was placed.
#[derive(Debug, Clone, Copy)]
struct Placement {
    period: Duration,
    slot: u32,
    seats: u32,
}

/// The batches of every tick length, and which world is in which.
#[derive(Debug, Default)]
pub(crate) struct Batches {
    /// Offsets count from the first instant placed: any fixed instant serves.
    epoch: Option<Instant>,
    /// Seats placed at each slot of each period.
    seats: HashMap<(Duration, u32), u32>,
    placed: HashMap<WorldKey, Placement>,
}

impl Batches {
    /// Places world `key` in a batch for `cadence` and returns its first deadline: the
    /// batch's next tick at or after `not_before`. A world placed before is moved.
    pub(crate) fn place(
        &mut self,
        key: WorldKey,
        cadence: Cadence,
        not_before: Instant,
    ) -> Instant {
        self.release(key);
        let seats = cadence.seats.max(1);
        let slot = self.pick_slot(cadence.period, seats);
        let load = self.seats.entry((cadence.period, slot)).or_default();
        *load = load.saturating_add(seats);
        self.placed.insert(key, Placement { period: cadence.period, slot, seats });
        self.next_tick(cadence.period, slot, not_before)
    }

    /// Takes world `key` out of its batch (removed or parked).
    pub(crate) fn release(&mut self, key: WorldKey) {
        let Some(placement) = self.placed.remove(&key) else { return };
        let slot = (placement.period, placement.slot);
        if let Some(seats) = self.seats.get_mut(&slot) {
            *seats = seats.saturating_sub(placement.seats);
            if *seats == 0 {
                self.seats.remove(&slot);
            }
        }
    }

    /// The tick length world `key` was placed for, if it is placed.
    pub(crate) fn period_of(&self, key: WorldKey) -> Option<Duration> {
        self.placed.get(&key).map(|placement| placement.period)
    }

    /// The fullest batch the seats still fit in, else the emptiest slot; ties go to the
    /// slot that opens first.
    fn pick_slot(&self, period: Duration, seats: u32) -> u32 {
        let load = |slot: &u32| self.seats.get(&(period, *slot)).copied().unwrap_or(0);
        let fitting = SPREAD
            .iter()
            .enumerate()
            .filter(|(_, slot)| load(slot).saturating_add(seats) <= BATCH_SEATS)
            .max_by_key(|(order, slot)| (load(slot), std::cmp::Reverse(*order)));
        match fitting {
            Some((_, &slot)) => slot,
            None => SPREAD.iter().copied().min_by_key(|slot| load(slot)).unwrap_or(0),
        }
    }

    /// The first instant at or after `not_before` that falls on `slot` of `period`.
    fn next_tick(&mut self, period: Duration, slot: u32, not_before: Instant) -> Instant {
        let epoch = *self.epoch.get_or_insert(not_before);
        let period_ns = period.as_nanos().max(1);
        let offset = period_ns * u128::from(slot) / u128::from(SLOTS);
        let since = not_before.saturating_duration_since(epoch).as_nanos();
        let wait = (offset + period_ns - since % period_ns) % period_ns;
        not_before + Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERIOD: Duration = Duration::from_micros(32_000);

    fn small() -> Cadence {
        Cadence { period: PERIOD, seats: 5 }
    }

    #[test]
    fn small_worlds_share_a_batch_until_its_seats_are_taken() {
        let start = Instant::now();
        let mut batches = Batches::default();
        let first = batches.place(0, small(), start);
        assert_eq!(first, start, "the first batch ticks from the epoch");
        let per_batch = BATCH_SEATS / 5;
        for key in 1..u64::from(per_batch) {
            let later = start + Duration::from_millis(key * 7);
            let due = batches.place(key, small(), later);
            assert!(due >= later, "never due before it was placed");
            let since = due.duration_since(start).as_nanos() % PERIOD.as_nanos();
            assert_eq!(since, 0, "world {key} should tick with the first batch");
        }
        let next = batches.place(u64::from(per_batch), small(), start);
        assert_eq!(next, start + PERIOD / 2, "a full batch opens the slot farthest away");
        let after = batches.place(u64::from(per_batch) + 1, small(), start);
        assert_eq!(after, start + PERIOD / 2, "and the next world fills that one");
    }

    #[test]
    fn a_world_too_big_for_a_batch_ticks_apart_from_the_small_ones() {
        let start = Instant::now();
        let mut batches = Batches::default();
        batches.place(0, small(), start);
        let arena = Cadence { period: PERIOD, seats: 400 };
        assert_eq!(batches.place(1, arena, start), start + PERIOD / 2, "the emptiest slot");
        assert_eq!(batches.place(2, small(), start), start, "small ones keep their batch");
    }

    #[test]
    fn worlds_of_any_size_are_placed() {
        let start = Instant::now();
        let mut batches = Batches::default();
        let huge = Cadence { period: PERIOD, seats: u32::MAX };
        for key in 0..(u64::from(SLOTS) + 2) {
            assert!(batches.place(key, huge, start) < start + PERIOD, "world {key}");
        }
        let tiny = Cadence { period: PERIOD, seats: 0 };
        assert!(batches.place(99, tiny, start) < start + PERIOD);
    }

    #[test]
    fn released_seats_are_free_again_and_periods_batch_apart() {
        let start = Instant::now();
        let mut batches = Batches::default();
        let full = Cadence { period: PERIOD, seats: BATCH_SEATS };
        batches.place(0, full, start);
        batches.release(0);
        assert_eq!(batches.place(1, small(), start), start, "the freed slot takes worlds again");
        let faster = Cadence { period: PERIOD / 2, seats: 5 };
        assert_eq!(batches.place(2, faster, start), start, "another period has its own slots");
        assert_eq!(batches.period_of(2), Some(PERIOD / 2));
        let moved = Cadence { period: PERIOD, seats: 5 };
        batches.place(2, moved, start);
        assert_eq!(batches.period_of(2), Some(PERIOD), "placing again moves the world");
    }
}

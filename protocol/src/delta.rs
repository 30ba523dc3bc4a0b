//! Deltas between two [`WorldState`]s: [`Snapshot::diff`] on the server,
//! [`WorldState::apply`] on the client.
//!
//! Both walk sorted id lists in one merge pass, so the cost is linear in the number of
//! actors, and an unchanged actor costs one comparison and no bytes. Applying is atomic:
//! a snapshot that does not fit the mirror leaves it untouched and says why, and the
//! client asks for a full snapshot.

use thiserror::Error;

use crate::message::{Jumped, Moved, Refielded, Snapshot, Turned};
use crate::state::{ActorRow, FIELD_SLOTS, WorldState};
use crate::tick;

impl Snapshot {
    /// What a client holding `baseline` needs to reach `current`. With no baseline, or a
    /// baseline that cannot serve (another quantisation, not older than `current`, more
    /// than 65535 ticks older), the result is a full snapshot.
    pub fn diff(baseline: Option<&WorldState>, current: &WorldState) -> Self {
        Self::diff_at(baseline.map(|baseline| (baseline, baseline.tick)), current, current.tick)
    }

    /// [`Snapshot::diff`] with the ticks given apart from the states: `current` is the
    /// state at `tick`, and `baseline` the state at the tick paired with it. A server that
    /// keeps one state for a run of frames that changed nothing labels it this way.
    pub fn diff_at(baseline: Option<(&WorldState, u32)>, current: &WorldState, tick: u32) -> Self {
        let mut snapshot = Self {
            tick,
            baseline_tick: None,
            steps_per_unit: current.steps_per_unit,
            ..Self::default()
        };
        let Some((baseline, baseline_tick)) = baseline.filter(|&(baseline, baseline_tick)| {
            let age = tick::since(tick, baseline_tick);
            baseline.steps_per_unit == current.steps_per_unit
                && (1..=u32::from(u16::MAX)).contains(&age)
        }) else {
            snapshot.spawned = current.rows().collect();
            return snapshot;
        };
        snapshot.baseline_tick = Some(baseline_tick);

        if baseline.ids() == current.ids() {
            // The common case: nobody spawned or despawned; compare the columns in step.
            for index in 0..current.len() {
                if !baseline.same_row(index, current, index) {
                    snapshot.push_changes(baseline.row(index), current.row(index));
                }
            }
            return snapshot;
        }
        let (old_ids, new_ids) = (baseline.ids(), current.ids());
        let (mut i, mut j) = (0, 0);
        while i < old_ids.len() || j < new_ids.len() {
            if j == new_ids.len() || (i < old_ids.len() && old_ids[i] < new_ids[j]) {
                snapshot.despawned.push(old_ids[i]);
                i += 1;
            } else if i == old_ids.len() || new_ids[j] < old_ids[i] {
                snapshot.spawned.push(current.row(j));
                j += 1;
            } else {
                if !baseline.same_row(i, current, j) {
                    snapshot.push_changes(baseline.row(i), current.row(j));
                }
                i += 1;
                j += 1;
            }
        }
        snapshot
    }

    /// How many ticks the baseline is behind `tick`, as on the wire (0: full snapshot).
    pub fn baseline_age(&self) -> u16 {
        self.baseline_tick
            .map_or(0, |baseline| u16::try_from(tick::since(self.tick, baseline)).unwrap_or(0))
    }

    fn push_changes(&mut self, old: ActorRow, new: ActorRow) {
        if old.kind != new.kind {
            // Kind is fixed for an actor's life: a new kind is a new actor under the same id.
            self.despawned.push(old.id);
            self.spawned.push(new);
            return;
        }
        if (old.x, old.y) != (new.x, new.y) {
            let step = |from: i32, to: i32| i8::try_from(i64::from(to) - i64::from(from)).ok();
            match (step(old.x, new.x), step(old.y, new.y)) {
                (Some(dx), Some(dy)) => self.moved.push(Moved { id: new.id, dx, dy }),
                _ => self.jumped.push(Jumped { id: new.id, x: new.x, y: new.y }),
            }
        }
        if (old.vx, old.vy) != (new.vx, new.vy) {
            self.turned.push(Turned { id: new.id, vx: new.vx, vy: new.vy });
        }
        if old.fields != new.fields {
            let mask = (0..FIELD_SLOTS)
                .filter(|&slot| old.fields[slot] != new.fields[slot])
                .fold(0u8, |mask, slot| mask | 1 << slot);
            self.refielded.push(Refielded { id: new.id, mask, fields: new.fields });
        }
    }
}

/// Why a snapshot could not be applied to a mirror; the mirror is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// The delta is against a state the mirror does not hold.
    #[error("delta is against tick {baseline}, but the mirror holds tick {held}")]
    BaselineMismatch {
        /// The tick the delta needs.
        baseline: u32,
        /// The tick the mirror holds.
        held: u32,
    },
    /// The delta uses another quantisation than the mirror.
    #[error("delta uses {delta} steps per unit, the mirror {held}")]
    QuantisationMismatch {
        /// The delta's quantisation.
        delta: u16,
        /// The mirror's.
        held: u16,
    },
    /// The delta changes or removes an actor the mirror does not have.
    #[error("delta refers to actor {0}, which the mirror does not hold")]
    UnknownActor(u32),
    /// The delta spawns an actor the mirror already has.
    #[error("delta spawns actor {0}, which the mirror already holds")]
    DuplicateActor(u32),
    /// An id list is not strictly ascending.
    #[error("an id list in the snapshot is not strictly ascending at {0}")]
    Unsorted(u32),
}

impl WorldState {
    /// Applies a full or delta snapshot. On error the state is unchanged.
    ///
    /// # Errors
    /// [`ApplyError`] when the snapshot does not fit this state.
    pub fn apply(&mut self, snapshot: &Snapshot) -> Result<(), ApplyError> {
        let next = match snapshot.baseline_tick {
            None => {
                ascending(snapshot.spawned.iter().map(|row| row.id))?;
                let mut next = WorldState::new(snapshot.tick, snapshot.steps_per_unit);
                next.reserve(snapshot.spawned.len());
                snapshot.spawned.iter().for_each(|row| next.push_unchecked(*row));
                next
            }
            Some(baseline) => {
                if baseline != self.tick {
                    return Err(ApplyError::BaselineMismatch { baseline, held: self.tick });
                }
                if snapshot.steps_per_unit != self.steps_per_unit {
                    return Err(ApplyError::QuantisationMismatch {
                        delta: snapshot.steps_per_unit,
                        held: self.steps_per_unit,
                    });
                }
                self.merged(snapshot)?
            }
        };
        *self = next;
        Ok(())
    }

    /// The state after removing `despawned`, adding `spawned`, and applying the changes.
    fn merged(&self, snapshot: &Snapshot) -> Result<WorldState, ApplyError> {
        ascending(snapshot.despawned.iter().copied())?;
        ascending(snapshot.spawned.iter().map(|row| row.id))?;
        let mut next = WorldState::new(snapshot.tick, snapshot.steps_per_unit);
        next.reserve(self.len() + snapshot.spawned.len());

        let mut despawned = snapshot.despawned.iter().copied().peekable();
        let mut spawned = snapshot.spawned.iter().copied().peekable();
        for old in self.rows() {
            while let Some(row) = spawned.next_if(|row| row.id < old.id) {
                next.push_unchecked(row);
            }
            if despawned.next_if_eq(&old.id).is_some() {
                // Removed; the same id may come back as a new actor right here.
                if let Some(row) = spawned.next_if(|row| row.id == old.id) {
                    next.push_unchecked(row);
                }
                continue;
            }
            if let Some(row) = spawned.peek()
                && row.id == old.id
            {
                return Err(ApplyError::DuplicateActor(old.id));
            }
            if let Some(&id) = despawned.peek()
                && id < old.id
            {
                return Err(ApplyError::UnknownActor(id));
            }
            next.push_unchecked(old);
        }
        if let Some(id) = despawned.next() {
            return Err(ApplyError::UnknownActor(id));
        }
        spawned.for_each(|row| next.push_unchecked(row));

        apply_changes(
            &mut next,
            snapshot.moved.iter().map(|change| change.id),
            |state, index, k| {
                let change = snapshot.moved[k];
                let row = state.row(index);
                state.set_position(
                    index,
                    row.x.wrapping_add(i32::from(change.dx)),
                    row.y.wrapping_add(i32::from(change.dy)),
                );
            },
        )?;
        apply_changes(
            &mut next,
            snapshot.jumped.iter().map(|change| change.id),
            |state, index, k| {
                state.set_position(index, snapshot.jumped[k].x, snapshot.jumped[k].y);
            },
        )?;
        apply_changes(
            &mut next,
            snapshot.turned.iter().map(|change| change.id),
            |state, index, k| {
                state.set_velocity(index, snapshot.turned[k].vx, snapshot.turned[k].vy);
            },
        )?;
        apply_changes(
            &mut next,
            snapshot.refielded.iter().map(|change| change.id),
            |state, index, k| {
                state.set_fields(index, snapshot.refielded[k].mask, snapshot.refielded[k].fields);
            },
        )?;
        Ok(next)
    }
}

/// Walks a sorted list of changed ids alongside the state's sorted ids and calls
/// `change(state, row index, change index)` for each.
fn apply_changes(
    state: &mut WorldState,
    ids: impl Iterator<Item = u32>,
    mut change: impl FnMut(&mut WorldState, usize, usize),
) -> Result<(), ApplyError> {
    let mut index = 0;
    let mut previous = None;
    for (k, id) in ids.enumerate() {
        if previous.is_some_and(|previous| id <= previous) {
            return Err(ApplyError::Unsorted(id));
        }
        previous = Some(id);
        let found =
            state.ids()[index..].binary_search(&id).map_err(|_| ApplyError::UnknownActor(id))?;
        index += found;
        change(state, index, k);
    }
    Ok(())
}

fn ascending(ids: impl Iterator<Item = u32>) -> Result<(), ApplyError> {
    let mut previous = None;
    for id in ids {
        if previous.is_some_and(|previous| id <= previous) {
            return Err(ApplyError::Unsorted(id));
        }
        previous = Some(id);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ActorKind;

    fn world(tick: u32, x: i32) -> WorldState {
        let row = ActorRow { id: 1, x, y: 0, vx: 0, vy: 0, kind: ActorKind::Npc, fields: [0; 4] };
        WorldState::from_rows(tick, 8, [row])
    }

    #[test]
    fn a_delta_across_the_tick_wrap_is_a_delta_and_applies() {
        let (before, after) = (world(u32::MAX - 1, 10), world(1, 12));
        let snapshot = Snapshot::diff(Some(&before), &after);
        assert_eq!(snapshot.baseline_tick, Some(u32::MAX - 1), "the baseline should serve");
        assert_eq!(snapshot.baseline_age(), 3, "u32::MAX - 1 is three ticks before 1");
        let mut mirror = before;
        mirror.apply(&snapshot).expect("the delta should apply across the wrap");
        assert_eq!(mirror, after);
    }

    #[test]
    fn a_baseline_that_is_not_older_gives_a_full_snapshot() {
        let snapshot = Snapshot::diff(Some(&world(2, 10)), &world(u32::MAX, 12));
        assert_eq!(snapshot.baseline_tick, None, "a baseline after the frame cannot serve");
    }
}

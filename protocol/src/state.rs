//! [`WorldState`]: the replicated world at one tick, quantised and in columns.
//!
//! The server builds one per snapshot tick (its frame); a client keeps one as its mirror
//! and applies every snapshot to it. Positions and velocities are fixed point
//! (`steps_per_unit` steps per world unit), so the mirror reconstructs the server's state
//! exactly, bit for bit. Rows are sorted by network id, which lets deltas be computed and
//! applied by merging two sorted lists.

use glam::Vec2;

use crate::message::ActorKind;

/// One actor's replicated, quantised state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActorRow {
    /// Network id.
    pub id: u32,
    /// Position in steps.
    pub x: i32,
    /// Position in steps.
    pub y: i32,
    /// Velocity in steps per second.
    pub vx: i16,
    /// Velocity in steps per second.
    pub vy: i16,
    /// What the actor is; fixed for the actor's life.
    pub kind: ActorKind,
    /// The game's replicated fields, by slot (0 when unused); see `Welcome::field_names`.
    pub fields: [i32; FIELD_SLOTS],
}

/// `value` moved half a unit away from zero, in an `f64`: cast to an integer with `as`
/// (which truncates, then saturates) it gives `value.round() as _` exactly, without
/// calling libm's `roundf` (without SSE4.1 that call was a third of a frame build). Exact
/// because an `f32` plus one half is exact in an `f64` wherever it could reach the next
/// whole number.
fn away_by_half(value: f32) -> f64 {
    let value = f64::from(value);
    value + 0.5_f64.copysign(value)
}

/// Below this many actors a reused frame keeps its columns whatever their capacity.
const LAYOUT_SLACK: usize = 64;

/// How many gameplay fields each actor has.
pub const FIELD_SLOTS: usize = 4;

impl ActorRow {
    /// Quantises a position and velocity in world units. Values beyond the fixed-point
    /// range saturate.
    pub fn quantise(
        id: u32,
        position: Vec2,
        velocity: Vec2,
        kind: ActorKind,
        steps_per_unit: u16,
    ) -> Self {
        let scale = f32::from(steps_per_unit);
        // `as` saturates (and maps NaN to 0), which is the behaviour wanted at the edges.
        Self {
            id,
            x: away_by_half(position.x * scale) as i32,
            y: away_by_half(position.y * scale) as i32,
            vx: away_by_half(velocity.x * scale) as i16,
            vy: away_by_half(velocity.y * scale) as i16,
            kind,
            fields: [0; FIELD_SLOTS],
        }
    }

    /// Position in world units.
    pub fn position(&self, steps_per_unit: u16) -> Vec2 {
        Vec2::new(self.x as f32, self.y as f32) / f32::from(steps_per_unit.max(1))
    }

    /// Velocity in world units per second.
    pub fn velocity(&self, steps_per_unit: u16) -> Vec2 {
        Vec2::new(f32::from(self.vx), f32::from(self.vy)) / f32::from(steps_per_unit.max(1))
    }
}

/// The replicated world at one tick, as columns sorted by network id. Hashing it gives
/// a state hash: equal worlds, equal hashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct WorldState {
    /// The tick this state is from (0: nothing received yet).
    pub tick: u32,
    /// Quantisation of positions and velocities.
    pub steps_per_unit: u16,
    pub(crate) ids: Vec<u32>,
    pub(crate) x: Vec<i32>,
    pub(crate) y: Vec<i32>,
    pub(crate) vx: Vec<i16>,
    pub(crate) vy: Vec<i16>,
    pub(crate) kinds: Vec<ActorKind>,
    pub(crate) fields: Vec<[i32; FIELD_SLOTS]>,
}

impl WorldState {
    /// An empty world at `tick`.
    pub fn new(tick: u32, steps_per_unit: u16) -> Self {
        Self { tick, steps_per_unit, ..Self::default() }
    }

    /// Makes this the world of the actors `ids` (ascending, no repeats) at `tick`, keeping
    /// the columns' allocations: what a server builds each frame into, without allocating,
    /// before [`Self::set_state`] fills every row. Rows keep whatever state they held (new
    /// ones are zero) until set. Columns far bigger than the new layout (the world shrank)
    /// are shrunk, so that a reused frame never keeps a bigger past's memory.
    pub fn lay_out(&mut self, tick: u32, steps_per_unit: u16, ids: &[u32]) {
        debug_assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids must ascend");
        let actors = ids.len();
        self.tick = tick;
        self.steps_per_unit = steps_per_unit;
        self.ids.clear();
        self.ids.extend_from_slice(ids);
        self.x.resize(actors, 0);
        self.y.resize(actors, 0);
        self.vx.resize(actors, 0);
        self.vy.resize(actors, 0);
        self.kinds.resize(actors, ActorKind::Npc);
        self.fields.resize(actors, [0; FIELD_SLOTS]);
        if self.ids.capacity() > 2 * actors.max(LAYOUT_SLACK) {
            self.shrink_to_fit();
        }
    }

    fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.x.shrink_to_fit();
        self.y.shrink_to_fit();
        self.vx.shrink_to_fit();
        self.vy.shrink_to_fit();
        self.kinds.shrink_to_fit();
        self.fields.shrink_to_fit();
    }

    /// Whether `other` holds the same actors in the same state, whatever the ticks: a
    /// delta between the two would carry nothing.
    pub fn same_actors(&self, other: &Self) -> bool {
        // Positions first: in a moving world they differ within the first few actors, so
        // the common answer costs almost nothing (this runs on the sim thread per frame).
        let Self { tick: _, steps_per_unit, ids, x, y, vx, vy, kinds, fields } = self;
        *steps_per_unit == other.steps_per_unit
            && ids.len() == other.ids.len()
            && *x == other.x
            && *y == other.y
            && *ids == other.ids
            && *vx == other.vx
            && *vy == other.vy
            && *kinds == other.kinds
            && *fields == other.fields
    }

    /// A world from rows in any order; rows are sorted by id, and of rows sharing an id
    /// only the first is kept.
    pub fn from_rows(
        tick: u32,
        steps_per_unit: u16,
        rows: impl IntoIterator<Item = ActorRow>,
    ) -> Self {
        let mut rows: Vec<ActorRow> = rows.into_iter().collect();
        rows.sort_by_key(|row| row.id);
        rows.dedup_by_key(|row| row.id);
        let mut state = Self::new(tick, steps_per_unit);
        state.reserve(rows.len());
        for row in rows {
            state.push_unchecked(row);
        }
        state
    }

    /// Number of actors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no actors.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The network ids, ascending.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The row at `index` (0-based, in id order).
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn row(&self, index: usize) -> ActorRow {
        ActorRow {
            id: self.ids[index],
            x: self.x[index],
            y: self.y[index],
            vx: self.vx[index],
            vy: self.vy[index],
            kind: self.kinds[index],
            fields: self.fields[index],
        }
    }

    /// Every row, in id order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = ActorRow> + DoubleEndedIterator + '_ {
        (0..self.len()).map(|index| self.row(index))
    }

    /// The actor with network id `id`.
    pub fn get(&self, id: u32) -> Option<ActorRow> {
        self.ids.binary_search(&id).ok().map(|index| self.row(index))
    }

    /// Position of actor `id` in world units.
    pub fn position(&self, id: u32) -> Option<Vec2> {
        self.get(id).map(|row| row.position(self.steps_per_unit))
    }

    /// Whether row `index` here equals row `other_index` of `other`, compared column by
    /// column without building rows: the hot comparison of a delta.
    pub(crate) fn same_row(&self, index: usize, other: &WorldState, other_index: usize) -> bool {
        self.x[index] == other.x[other_index]
            && self.y[index] == other.y[other_index]
            && self.vx[index] == other.vx[other_index]
            && self.vy[index] == other.vy[other_index]
            && self.kinds[index] == other.kinds[other_index]
            && self.fields[index] == other.fields[other_index]
    }

    /// Overwrites the state of row `index` (0-based, in id order) with `row`'s; the id
    /// stays. What lets a server keep a frame's layout between ticks and copy each actor's
    /// state straight into its row instead of sorting rows again.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn set_state(&mut self, index: usize, row: &ActorRow) {
        self.x[index] = row.x;
        self.y[index] = row.y;
        self.vx[index] = row.vx;
        self.vy[index] = row.vy;
        self.kinds[index] = row.kind;
        self.fields[index] = row.fields;
    }

    pub(crate) fn reserve(&mut self, additional: usize) {
        self.ids.reserve(additional);
        self.x.reserve(additional);
        self.y.reserve(additional);
        self.vx.reserve(additional);
        self.vy.reserve(additional);
        self.kinds.reserve(additional);
        self.fields.reserve(additional);
    }

    /// Appends a row; the caller guarantees its id is greater than every id present.
    pub(crate) fn push_unchecked(&mut self, row: ActorRow) {
        self.ids.push(row.id);
        self.x.push(row.x);
        self.y.push(row.y);
        self.vx.push(row.vx);
        self.vy.push(row.vy);
        self.kinds.push(row.kind);
        self.fields.push(row.fields);
    }

    pub(crate) fn set_position(&mut self, index: usize, x: i32, y: i32) {
        self.x[index] = x;
        self.y[index] = y;
    }

    /// Sets the slots of `mask` (bit i: slot i) to the matching entries of `fields`.
    pub(crate) fn set_fields(&mut self, index: usize, mask: u8, fields: [i32; FIELD_SLOTS]) {
        let slots = self.fields[index].iter_mut().zip(fields).enumerate();
        for (slot, (held, value)) in slots {
            if mask & (1 << slot) != 0 {
                *held = value;
            }
        }
    }

    pub(crate) fn set_velocity(&mut self, index: usize, vx: i16, vy: i16) {
        self.vx[index] = vx;
        self.vy[index] = vy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_rounds_like_round(value: f32) {
        assert_eq!(away_by_half(value) as i32, value.round() as i32, "{value:e} as i32");
        assert_eq!(away_by_half(value) as i16, value.round() as i16, "{value:e} as i16");
    }

    #[test]
    fn a_frame_laid_out_again_for_a_much_smaller_world_lets_its_memory_go() {
        let mut frame = WorldState::default();
        let many: Vec<u32> = (0..10_000).collect();
        frame.lay_out(1, 8, &many);
        frame.lay_out(2, 8, &many[..9_000]);
        assert!(frame.fields.capacity() >= 10_000, "a little smaller: the columns stay");
        frame.lay_out(3, 8, &many[..100]);
        assert_eq!(
            (frame.tick, frame.len(), frame.ids(), frame.x.len()),
            (3, 100, &many[..100], 100)
        );
        assert!(frame.fields.capacity() < 1_000, "a world 100 times smaller: columns shrink");
    }

    #[test]
    fn quantising_rounds_exactly_like_f32_round() {
        let edges = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.499_999_97, -0.499_999_97];
        let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN];
        for value in edges.into_iter().chain(specials) {
            assert_rounds_like_round(value);
        }
        for whole in [-32_769, -32_768, 0, 32_767, 32_768, 1 << 23, 1 << 24, i32::MAX] {
            let half = whole as f32 + 0.5;
            for value in [half, half.next_down(), half.next_up(), -half, -half.next_down()] {
                assert_rounds_like_round(value);
            }
        }
        // Every 4,099th bit pattern: all exponents, many mantissas.
        for bits in (0..=u32::MAX).step_by(4_099) {
            assert_rounds_like_round(f32::from_bits(bits));
        }
    }
}

//! [`AckOrder`]: every player's newest applied input, in session order, without sorting
//! them every frame.
//!
//! Each snapshot carries the input acks of all the world's players sorted by session (a
//! session finds its own by binary search). The player query yields players in storage
//! order, which changes only when players join or leave or their entities move between
//! archetypes, so the order a sort finds is kept and reused for as long as the query
//! yields the same sessions in the same order. Sorting 10,000 idle players' acks on every
//! snapshot tick was a fifth of the sim thread's time.

use crate::command::SessionId;

/// The session order of the previous frame's acks, kept to order the next ones.
#[derive(Debug, Default)]
pub(crate) struct AckOrder {
    /// Sessions in the order the player query yielded them last time.
    sessions: Vec<SessionId>,
    /// Positions in that order, by ascending session.
    by_session: Vec<u32>,
    /// This frame's acks in query order: kept between frames for its allocation.
    in_query_order: Vec<(SessionId, u32)>,
}

impl AckOrder {
    /// `acks` (one per player, each session once, in query order), sorted by session.
    pub(crate) fn sorted(
        &mut self,
        acks: impl Iterator<Item = (SessionId, u32)>,
    ) -> Vec<(SessionId, u32)> {
        let Self { sessions, by_session, in_query_order } = self;
        in_query_order.clear();
        in_query_order.extend(acks);
        let now = in_query_order.iter().map(|&(session, _)| session);
        if !now.clone().eq(sessions.iter().copied()) {
            sessions.clear();
            sessions.extend(now);
            by_session.clear();
            by_session.extend(0..in_query_order.len() as u32);
            by_session.sort_unstable_by_key(|&at| sessions[at as usize]);
        }
        by_session.iter().map(|&at| in_query_order[at as usize]).collect()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn acks_come_out_as_a_sort_would_order_them(
            frames in proptest::collection::vec(
                (proptest::sample::subsequence((0..40u64).collect::<Vec<_>>(), 0..40),
                 any::<u64>(), any::<bool>()),
                1..30,
            ),
        ) {
            let mut order = AckOrder::default();
            let mut previous: Vec<SessionId> = Vec::new();
            for (sessions, shuffle_seed, repeat) in frames {
                // Half the frames keep the previous frame's query order, as most do.
                let mut sessions = if repeat { previous.clone() } else { sessions };
                if !repeat {
                    fastrand::Rng::with_seed(shuffle_seed).shuffle(&mut sessions);
                }
                let acks: Vec<(SessionId, u32)> =
                    sessions.iter().map(|&session| (session, shuffle_seed as u32)).collect();
                let mut expected = acks.clone();
                expected.sort_unstable();
                prop_assert_eq!(order.sorted(acks.into_iter()), expected);
                previous = sessions;
            }
        }
    }
}

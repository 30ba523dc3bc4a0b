//! Tick arithmetic. Ticks are `u32` and wrap (after 2³² ticks: 2.3 years at 60 Hz), so
//! they are never compared with `<` or `>`: every comparison goes through [`is_after`],
//! serial-number arithmetic as in RFC 1982. A tick is after another when it is less than
//! half the number space ahead of it, so ordering holds across the wrap (`0` is after
//! `u32::MAX`) for any two ticks closer than 2³¹ apart, which everything a server or a
//! client compares is (frame history, baselines and acks span seconds).
//!
//! # Example
//! ```
//! use tickwire_protocol::tick;
//!
//! assert!(tick::is_after(0, u32::MAX));
//! assert_eq!(tick::since(2, u32::MAX), 3);
//! ```

/// Half the tick space: ticks further apart than this cannot be ordered.
const HALF: u32 = 1 << 31;

/// Whether tick `a` comes after tick `b` (never when they are equal).
#[must_use]
pub fn is_after(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < HALF
}

/// Whether tick `a` is `b` or comes after it.
#[must_use]
pub fn is_at_or_after(a: u32, b: u32) -> bool {
    a.wrapping_sub(b) < HALF
}

/// How many ticks `later` is after `earlier` (0 when they are equal). Meaningful only
/// when `later` is at or after `earlier`; otherwise the answer is above 2³¹.
#[must_use]
pub fn since(later: u32, earlier: u32) -> u32 {
    later.wrapping_sub(earlier)
}

/// The later of two ticks.
#[must_use]
pub fn latest(a: u32, b: u32) -> u32 {
    if is_after(a, b) { a } else { b }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_order_across_the_wrap() {
        assert!(is_after(1, 0));
        assert!(is_after(0, u32::MAX), "0 should come after u32::MAX");
        assert!(is_after(5, u32::MAX - 5));
        assert!(!is_after(u32::MAX, 0), "u32::MAX should come before 0");
        assert!(!is_after(7, 7), "a tick should not come after itself");
        assert!(is_at_or_after(7, 7));
        assert!(is_at_or_after(0, u32::MAX));
        assert!(!is_at_or_after(u32::MAX, 0));
    }

    #[test]
    fn distances_and_maxima_span_the_wrap() {
        assert_eq!(since(2, u32::MAX), 3);
        assert_eq!(since(10, 10), 0);
        assert_eq!(latest(u32::MAX, 1), 1, "1 should be the later tick after the wrap");
        assert_eq!(latest(1, u32::MAX), 1);
        assert_eq!(latest(3, 9), 9);
    }

    #[test]
    fn ticks_half_the_space_apart_are_not_after_each_other() {
        assert!(!is_after(HALF, 0) && !is_after(0, HALF), "neither should be after the other");
        assert!(is_after(HALF - 1, 0), "just under half the space ahead is after");
    }
}

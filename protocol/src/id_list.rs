//! Ascending id lists as LEB128 varint gaps: dense ids cost one byte each.

use crate::decode::DecodeError;

/// Appends ascending `ids` to `out` as gaps (the first from 0).
pub(crate) fn write_ids(ids: impl Iterator<Item = u32>, out: &mut Vec<u8>) {
    let mut previous = 0u32;
    for id in ids {
        let mut gap = id.wrapping_sub(previous);
        previous = id;
        while gap >= 0x80 {
            out.push((gap as u8) | 0x80);
            gap >>= 7;
        }
        out.push(gap as u8);
    }
}

/// Reads a gap-coded id list, requiring every gap to be at least 1 (so ids are strictly
/// ascending and never 0) and every id to fit in `u32`.
pub(crate) fn read_ids(bytes: &[u8], field: &'static str) -> Result<Vec<u32>, DecodeError> {
    let mut ids = Vec::with_capacity(bytes.len());
    let mut previous = 0u32;
    let mut gap = 0u32;
    let mut shift = 0u32;
    for &byte in bytes {
        let bits = u32::from(byte & 0x7f);
        if shift > 28 || (shift == 28 && bits > 0x0f) {
            return Err(DecodeError::BadIdList(field));
        }
        gap |= bits << shift;
        if byte & 0x80 != 0 {
            shift += 7;
            continue;
        }
        if gap == 0 {
            return Err(DecodeError::BadIdList(field));
        }
        previous = previous.checked_add(gap).ok_or(DecodeError::BadIdList(field))?;
        ids.push(previous);
        gap = 0;
        shift = 0;
    }
    if shift != 0 {
        return Err(DecodeError::BadIdList(field)); // The last varint is cut off.
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let ids = [1, 2, 3, 130, 131, 20_000, 20_001, u32::MAX];
        let mut bytes = Vec::new();
        write_ids(ids.iter().copied(), &mut bytes);
        assert_eq!(read_ids(&bytes, "ids"), Ok(ids.to_vec()));
        assert_eq!(bytes[..3], [1, 1, 1], "dense ids should cost one byte each");
    }

    #[test]
    fn bad_lists_are_rejected() {
        for bad in [&[0u8][..], &[0x81], &[0xff, 0xff, 0xff, 0xff, 0x7f], &[5, 0]] {
            assert_eq!(
                read_ids(bad, "ids"),
                Err(DecodeError::BadIdList("ids")),
                "{bad:?} should be rejected"
            );
        }
        // Overflowing u32 across gaps.
        let mut bytes = Vec::new();
        write_ids([u32::MAX].into_iter(), &mut bytes);
        bytes.push(1);
        assert_eq!(read_ids(&bytes, "ids"), Err(DecodeError::BadIdList("ids")));
    }
}

//! [`FrameMeter`]: finds the WebSocket frames in what a client sends, from the raw bytes,
//! before tungstenite reads them, so that every frame can be charged to the client's
//! budget and a message can be held to a deadline.
//!
//! Why not ask tungstenite: it assembles a fragmented message inside one read call and
//! surfaces only whole messages and control frames, so a message that never ends (a first
//! frame without FIN, then empty continuation frames without end) is parsed at tens of
//! millions of frames a second without the session seeing any of it. tungstenite's only
//! frame-level API, `FrameSocket`, would mean doing its message assembly, UTF-8 and
//! control-frame checks over again. Frame headers are easy to follow instead: the meter
//! reads the 2 to 14 header bytes of each frame and skips its payload by length, so its
//! work is a few steps per frame plus one per read, and it checks nothing: a frame that
//! breaks a rule is tungstenite's to refuse.

use std::time::Instant;

/// The longest frame header: 2 bytes, a 64-bit length, a 4-byte mask (RFC 6455 section 5.2).
const MAX_HEADER_BYTES: usize = 14;

/// The close opcode: a goodbye is never charged, so it is always heard.
const OPCODE_CLOSE: u8 = 0x8;

/// Where a client's byte stream stands: in a frame header, in a payload, or between
/// messages.
#[derive(Debug, Default)]
pub(super) struct FrameMeter {
    /// The current frame's header bytes read so far.
    header: [u8; MAX_HEADER_BYTES],
    header_read: usize,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// A data message began without FIN and its final frame has not come yet.
    fragmented: bool,
    /// When the message (or control frame) now in progress began; `None` between them.
    started_at: Option<Instant>,
}

impl FrameMeter {
    /// Follows `bytes`, read at `now`, and returns how many frames other than close
    /// frames began in them.
    pub(super) fn feed(&mut self, mut bytes: &[u8], now: Instant) -> u32 {
        let mut frames = 0;
        while !bytes.is_empty() {
            if self.payload_left > 0 {
                let skipped =
                    usize::try_from(self.payload_left).unwrap_or(usize::MAX).min(bytes.len());
                bytes = &bytes[skipped..];
                self.payload_left -= skipped as u64;
            } else {
                self.started_at.get_or_insert(now);
                self.header[self.header_read] = bytes[0];
                self.header_read += 1;
                bytes = &bytes[1..];
                if let Some(header) = self.header_complete() {
                    frames += u32::from(header.opcode != OPCODE_CLOSE);
                    self.begin_frame(header);
                }
            }
            if self.payload_left == 0 && self.header_read == 0 && !self.fragmented {
                self.started_at = None;
            }
        }
        frames
    }

    /// When the message now in progress began, if one is: its first byte has come, its
    /// last has not.
    pub(super) fn started_at(&self) -> Option<Instant> {
        self.started_at
    }

    /// The header read so far, if it is whole.
    fn header_complete(&self) -> Option<Header> {
        let bytes = &self.header[..self.header_read];
        let [first, second, rest @ ..] = bytes else { return None };
        let (length_bytes, short_length) = match second & 0x7f {
            126 => (2, None),
            127 => (8, None),
            length => (0, Some(u64::from(length))),
        };
        let mask_bytes = if second & 0x80 != 0 { 4 } else { 0 };
        if rest.len() < length_bytes + mask_bytes {
            return None;
        }
        let payload_len = short_length.unwrap_or_else(|| {
            rest[..length_bytes].iter().fold(0, |length, &byte| length << 8 | u64::from(byte))
        });
        Some(Header { fin: first & 0x80 != 0, opcode: first & 0x0f, payload_len })
    }

    fn begin_frame(&mut self, header: Header) {
        self.header_read = 0;
        self.payload_left = header.payload_len;
        let is_control = header.opcode & 0x8 != 0;
        if !is_control {
            // A data frame begins or continues a message, and FIN ends it.
            self.fragmented = !header.fin;
        }
    }
}

/// What the meter needs of a frame header.
#[derive(Debug, Clone, Copy)]
struct Header {
    fin: bool,
    opcode: u8,
    payload_len: u64,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    use super::*;

    /// `frame` as a client sends it: masked.
    fn client_bytes(mut frame: Frame) -> Vec<u8> {
        frame.header_mut().mask = Some([0x37, 0xfa, 0x21, 0x3d]);
        let mut bytes = Vec::new();
        frame.format(&mut bytes).expect("a frame formats into a Vec");
        bytes
    }

    fn binary(length: usize, fin: bool) -> Vec<u8> {
        client_bytes(Frame::message(vec![7u8; length], OpCode::Data(Data::Binary), fin))
    }

    fn continuation(length: usize, fin: bool) -> Vec<u8> {
        client_bytes(Frame::message(vec![7u8; length], OpCode::Data(Data::Continue), fin))
    }

    /// Feeds `bytes` one at a time, the worst split a socket can make.
    fn feed_bytewise(meter: &mut FrameMeter, bytes: &[u8], now: Instant) -> u32 {
        bytes.chunks(1).map(|byte| meter.feed(byte, now)).sum()
    }

    #[test]
    fn frames_of_every_length_class_are_counted_however_the_bytes_are_split() {
        let now = Instant::now();
        // 7-bit, 16-bit and 64-bit lengths and their edges, a ping between them.
        let stream: Vec<u8> = [0, 1, 125, 126, 65_535, 65_536, 70_000]
            .into_iter()
            .flat_map(|length| [binary(length, true), client_bytes(Frame::ping(vec![1, 2]))])
            .flatten()
            .collect();
        let mut whole = FrameMeter::default();
        assert_eq!(whole.feed(&stream, now), 14, "seven messages and seven pings");
        let mut bytewise = FrameMeter::default();
        assert_eq!(feed_bytewise(&mut bytewise, &stream, now), 14);
        assert_eq!(bytewise.started_at(), None, "every frame ended: nothing in progress");
        let mut odd = FrameMeter::default();
        assert_eq!(stream.chunks(1000).map(|chunk| odd.feed(chunk, now)).sum::<u32>(), 14);
    }

    #[test]
    fn empty_continuation_frames_each_count() {
        let now = Instant::now();
        let mut meter = FrameMeter::default();
        let mut flood = binary(3, false);
        for _ in 0..1000 {
            flood.extend(continuation(0, false));
        }
        assert_eq!(meter.feed(&flood, now), 1001, "the start and every continuation count");
        assert_eq!(meter.started_at(), Some(now), "the message is still in progress");
    }

    #[test]
    fn a_message_is_in_progress_from_its_first_byte_to_its_last() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let mut meter = FrameMeter::default();
        let first = binary(10, false);
        meter.feed(&first[..3], start);
        assert_eq!(meter.started_at(), Some(start), "a partial header starts a message");
        meter.feed(&first[3..], later);
        meter.feed(&client_bytes(Frame::ping(vec![])), later);
        assert_eq!(meter.started_at(), Some(start), "a ping inside it does not end it");
        let last = continuation(4, true);
        meter.feed(&last[..last.len() - 1], later);
        assert_eq!(meter.started_at(), Some(start), "its last byte has not come");
        meter.feed(&last[last.len() - 1..], later);
        assert_eq!(meter.started_at(), None, "its last byte ends it");
    }

    #[test]
    fn a_goodbye_is_not_charged() {
        let close = client_bytes(Frame::close(None));
        let ping = client_bytes(Frame::ping(vec![]));
        let mut meter = FrameMeter::default();
        assert_eq!(meter.feed(&[ping, close].concat(), Instant::now()), 1);
    }
}

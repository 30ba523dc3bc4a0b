//! The write side of a session: every byte the server sends a client goes through here.
//!
//! Server frames are simple (no mask, no extensions), so they are framed by hand: a
//! header of 2 to 10 bytes in front of the message's shared `Bytes` (see `ws_frame`); a
//! snapshot to an in-sync client comes framed already, with its timing, in a buffer every
//! in-sync session writes from (see `snapshot_ring::InSyncWire`). Messages are queued
//! and leave together, headers and payloads in one vectored write, from the buffers every
//! session shares (a small write is copied into the writing thread's buffer first, see
//! `socket`). Nothing is copied into a per-connection buffer, so a connection holds no
//! memory for what it sent, however large (a full snapshot of a big world, a large
//! delta), and a snapshot with its input ack, events and timing costs one system call.
//!
//! A flush never waits: it writes what the socket takes now and keeps the rest, down to
//! the byte, for the next flush (see `delivery` for who waits for the socket, and when).

use std::borrow::Cow;
use std::io::{self, IoSlice};

use bytes::Bytes;
use smallvec::SmallVec;

use super::socket::OutSocket;
use crate::metrics::NetMetrics;
use crate::ws_frame::{FrameHeader, OPCODE_BINARY, OPCODE_CLOSE};

/// The most slices one write call is given (headers and payloads): a snapshot with all
/// that may precede it fits, and a longer queue takes another call.
const MAX_SLICES: usize = 16;
/// How many frames the queue holds without allocating. A quiet session queues one at a
/// time (a ping, a heartbeat's timing, a snapshot's input ack), so it queues without
/// allocating; a queue allocated for each and freed after left glibc free chunks between
/// the sessions' lasting allocations, which it cannot give back (5,356 holes of 208 bytes,
/// 1.1 MB, at 10,000 idle connections). Two inline frames (64 bytes more per session)
/// measured no better than one.
const INLINE_FRAMES: usize = 1;

/// How a flush went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flushed {
    /// Everything queued was written.
    Done,
    /// The socket took less than everything: the rest waits for it to drain.
    Blocked,
}

/// A snapshot to write after what is queued, from a buffer every session shares.
#[derive(Debug)]
pub(super) enum Outgoing<'a> {
    /// A binary message, framed on the way out.
    Message(Cow<'a, Bytes>),
    /// Messages framed already: `wire` from `start` on (see `snapshot_ring::InSyncWire`).
    Framed { wire: &'a Bytes, start: usize },
}

impl Outgoing<'_> {
    fn header(&self) -> FrameHeader {
        match self {
            Outgoing::Message(message) => FrameHeader::new(OPCODE_BINARY, message.len()),
            Outgoing::Framed { .. } => FrameHeader::NONE,
        }
    }

    fn body(&self) -> &[u8] {
        match self {
            Outgoing::Message(message) => message,
            Outgoing::Framed { wire, start } => &wire[*start..],
        }
    }

    /// What is queued when the socket does not take it all.
    fn to_bytes(&self) -> Bytes {
        match self {
            Outgoing::Message(message) => Bytes::clone(message),
            Outgoing::Framed { wire, start } => wire.slice(*start..),
        }
    }
}

/// Messages for one client, queued until they are written.
#[derive(Debug, Default)]
pub(super) struct Outbox {
    queued: SmallVec<[(FrameHeader, Bytes); INLINE_FRAMES]>,
    /// Bytes of the first queued frame (header and payload) already written: a write
    /// the socket took only part of.
    front_written: usize,
    /// Bytes written to the socket so far, frame headers included: with the socket's
    /// send queue, what the client has taken (see `throttle`).
    written: u64,
}

impl Outbox {
    /// Queues a binary message to leave with the next flush: the messages that precede
    /// a snapshot (its input ack, events and timing) then share its write call and TCP
    /// segment instead of costing one each.
    pub(super) fn queue(&mut self, metrics: &NetMetrics, message: Bytes) {
        metrics.sent(message.len());
        self.queued.push((FrameHeader::new(OPCODE_BINARY, message.len()), message));
    }

    /// Queues a close frame with `code` and `reason` (which a close frame always holds).
    pub(super) fn queue_close(&mut self, code: u16, reason: &str) {
        let mut payload = Vec::with_capacity(2 + reason.len());
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(reason.as_bytes());
        self.queued.push((FrameHeader::new(OPCODE_CLOSE, payload.len()), payload.into()));
    }

    /// Bytes written to the socket so far, frame headers included.
    pub(super) fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Writes what `socket` takes now of everything queued, in order, in as few vectored
    /// writes as it takes.
    ///
    /// # Errors
    /// The socket's error (a peer gone, a reset), or `WriteZero`.
    pub(super) fn try_flush(&mut self, socket: &dyn OutSocket) -> io::Result<Flushed> {
        while !self.queued.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.unwritten_slices(&mut slices, MAX_SLICES);
            match socket.try_write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    return Ok(Flushed::Blocked);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(Flushed::Done)
    }

    /// Writes everything queued and then `snapshot`, which is not queued: in the common
    /// case the socket takes it all at once and `snapshot` (what every in-sync session
    /// shares) is written straight from the caller's buffer, without a reference of its
    /// own. Whatever the socket does not take is queued, to the byte.
    ///
    /// # Errors
    /// As [`Outbox::try_flush`].
    pub(super) fn try_flush_with(
        &mut self,
        socket: &dyn OutSocket,
        snapshot: &Outgoing<'_>,
    ) -> io::Result<Flushed> {
        let header = snapshot.header();
        let queued = self.unwritten_len();
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = self.unwritten_slices(&mut slices, MAX_SLICES - 2);
        let fits = slices[..count].iter().map(|slice| slice.len()).sum::<usize>() == queued;
        if !fits {
            self.queued.push((header, snapshot.to_bytes()));
            return self.try_flush(socket);
        }
        let mut total = count;
        for part in [header.as_slice(), snapshot.body()] {
            if !part.is_empty() {
                slices[total] = IoSlice::new(part);
                total += 1;
            }
        }
        let written = loop {
            match socket.try_write_vectored(&slices[..total]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => break written,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break 0,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        };
        let snapshot_written = written.saturating_sub(queued);
        self.advance(written - snapshot_written);
        self.written += snapshot_written as u64;
        if snapshot_written == header.as_slice().len() + snapshot.body().len() {
            return Ok(Flushed::Done);
        }
        if snapshot_written > 0 {
            self.front_written = snapshot_written; // Everything queued before it went.
        }
        self.queued.push((header, snapshot.to_bytes()));
        Ok(Flushed::Blocked)
    }

    /// Gives back the room a queue took beyond its inline frames once nothing waits in
    /// it: a burst (a snapshot with events, a backlog behind a slow socket) does not keep
    /// its allocation for the session's whole life. A busy session is written by its
    /// room's fan-out, which never calls this.
    pub(super) fn release_if_empty(&mut self) {
        if self.queued.is_empty() && self.queued.spilled() {
            self.queued = SmallVec::new();
        }
    }

    /// Bytes queued and not written yet.
    fn unwritten_len(&self) -> usize {
        let queued: usize = self
            .queued
            .iter()
            .map(|(header, payload)| header.as_slice().len() + payload.len())
            .sum();
        queued - self.front_written
    }

    /// Fills up to `limit` of `slices` with the unwritten bytes, in order; returns how
    /// many it filled.
    fn unwritten_slices<'a>(
        &'a self,
        slices: &mut [IoSlice<'a>; MAX_SLICES],
        limit: usize,
    ) -> usize {
        let mut skip = self.front_written;
        let mut count = 0;
        let parts =
            self.queued.iter().flat_map(|(header, payload)| [header.as_slice(), &payload[..]]);
        for part in parts {
            if count == limit {
                break;
            }
            let unwritten = &part[skip.min(part.len())..];
            skip -= skip.min(part.len());
            if !unwritten.is_empty() {
                slices[count] = IoSlice::new(unwritten);
                count += 1;
            }
        }
        count
    }

    /// Counts `written` more bytes as written, dropping the frames written whole.
    fn advance(&mut self, written: usize) {
        self.written += written as u64;
        self.front_written += written;
        let mut done = 0;
        for (header, payload) in &self.queued {
            let length = header.as_slice().len() + payload.len();
            if self.front_written < length {
                break;
            }
            self.front_written -= length;
            done += 1;
        }
        self.queued.drain(..done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::socket::trickle::Trickle;
    use crate::ws_frame::{binary_frames, framed_len, read_as_client};

    fn pattern(length: usize) -> Bytes {
        (0..length).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into()
    }

    /// Every length class of the header: 7-bit, 16-bit and 64-bit lengths and their edges.
    fn messages() -> Vec<Bytes> {
        [0, 1, 125, 126, 127, 65_535, 65_536, 200_000].into_iter().map(pattern).collect()
    }

    fn metrics() -> NetMetrics {
        NetMetrics::register(&metrics::NoopRecorder)
    }

    #[test]
    fn a_usual_queue_allocates_nothing_and_a_burst_gives_its_memory_back_once_written() {
        let mut outbox = Outbox::default();
        for _ in 0..INLINE_FRAMES {
            outbox.queue(&metrics(), pattern(20));
        }
        assert!(!outbox.queued.spilled(), "the usual few frames should be held inline");
        outbox.queue(&metrics(), pattern(20));
        outbox.release_if_empty();
        assert!(outbox.queued.spilled(), "a burst's frames still wait");
        let socket = Trickle::new(usize::MAX, usize::MAX);
        assert_eq!(outbox.try_flush(&socket).expect("a socket that takes all"), Flushed::Done);
        outbox.release_if_empty();
        assert!(!outbox.queued.spilled(), "an empty queue should hold no heap memory");
        outbox.queue(&metrics(), pattern(20));
        assert_eq!(outbox.try_flush(&socket).expect("a socket that takes all"), Flushed::Done);
        let frames = INLINE_FRAMES + 2;
        assert_eq!(socket.wire().written.len(), frames * (2 + 20), "every message leaves whole");
    }

    #[tokio::test]
    async fn frames_of_every_length_arrive_whole() {
        let socket = Trickle::new(usize::MAX, usize::MAX);
        let mut outbox = Outbox::default();
        for message in messages() {
            outbox.queue(&metrics(), message);
        }
        outbox.queue_close(4000, "bye");
        assert_eq!(outbox.try_flush(&socket).expect("a socket that takes all"), Flushed::Done);
        assert_eq!(outbox.bytes_written(), socket.wire().written.len() as u64, "every byte counts");

        let written = std::mem::take(&mut socket.wire().written);
        let (received, close) = read_as_client(written).await;
        assert_eq!(received, messages(), "a client should read every message whole");
        assert_eq!(close, Some((4000, "bye".to_owned())), "and then the close frame");
    }

    #[test]
    fn a_snapshot_with_what_precedes_it_leaves_in_one_write_call() {
        let socket = Trickle::new(usize::MAX, usize::MAX);
        let mut outbox = Outbox::default();
        // Settings, rate, input ack, events, timing, snapshot.
        for length in [40, 8, 12, 30, 16, 900] {
            outbox.queue(&metrics(), pattern(length));
        }
        assert_eq!(outbox.try_flush(&socket).expect("a socket that takes all"), Flushed::Done);
        assert_eq!(socket.wire().calls, 1, "a queued batch should leave in one vectored write");
    }

    #[tokio::test]
    async fn a_socket_that_takes_a_few_bytes_at_a_time_gets_every_byte_in_order() {
        let socket = Trickle::new(7, usize::MAX);
        let mut outbox = Outbox::default();
        for message in messages().into_iter().take(5) {
            outbox.queue(&metrics(), message);
            assert_eq!(outbox.try_flush(&socket).expect("a live socket"), Flushed::Done);
        }
        outbox.queue_close(1000, "");
        assert_eq!(outbox.try_flush(&socket).expect("a live socket"), Flushed::Done);
        assert!(
            socket.wire().calls > 50,
            "the writes were partial ({} calls)",
            socket.wire().calls
        );

        let written = std::mem::take(&mut socket.wire().written);
        let (received, close) = read_as_client(written).await;
        assert_eq!(received, messages().into_iter().take(5).collect::<Vec<_>>());
        assert_eq!(close, Some((1000, String::new())));
    }

    #[tokio::test]
    async fn a_full_socket_keeps_the_rest_to_the_byte_for_the_next_flush() {
        let socket = Trickle::new(usize::MAX, 1000);
        let mut outbox = Outbox::default();
        for message in messages() {
            outbox.queue(&metrics(), message);
        }
        let mut flushes = 0;
        while outbox.try_flush(&socket).expect("a live socket") == Flushed::Blocked {
            flushes += 1;
            assert_eq!(outbox.bytes_written(), socket.wire().written.len() as u64);
            socket.wire().room = 4099; // The peer read some; the socket takes more.
        }
        assert!(flushes > 50, "the socket blocked {flushes} times");
        outbox.queue_close(1000, "done");
        socket.wire().room = usize::MAX;
        assert_eq!(outbox.try_flush(&socket).expect("a live socket"), Flushed::Done);

        let written = std::mem::take(&mut socket.wire().written);
        let (received, close) = read_as_client(written).await;
        assert_eq!(received, messages(), "nothing was lost or repeated across the blocks");
        assert_eq!(close, Some((1000, "done".to_owned())));
    }

    #[tokio::test]
    async fn a_framed_snapshot_after_queued_messages_arrives_whole_through_partial_writes() {
        let (timing, snapshot) = (pattern(12), pattern(3000));
        let wire = binary_frames(&[&timing, &snapshot]);
        let delta_start = wire.len() - framed_len(snapshot.len());
        for (start, sent) in
            [(0, vec![timing.clone(), snapshot.clone()]), (delta_start, vec![snapshot.clone()])]
        {
            let socket = Trickle::new(7, usize::MAX);
            let mut outbox = Outbox::default();
            outbox.queue(&metrics(), pattern(30)); // An input ack, say.
            let framed = Outgoing::Framed { wire: &wire, start };
            let mut flushed = outbox.try_flush_with(&socket, &framed).expect("a live socket");
            while flushed == Flushed::Blocked {
                flushed = outbox.try_flush(&socket).expect("a live socket");
            }
            assert_eq!(outbox.bytes_written(), socket.wire().written.len() as u64);
            let written = std::mem::take(&mut socket.wire().written);
            let (received, _) = read_as_client(written).await;
            let expected: Vec<Bytes> = [pattern(30)].into_iter().chain(sent).collect();
            assert_eq!(received, expected, "from byte {start}: every frame whole, in order");
        }
    }

    #[tokio::test]
    async fn a_reset_connection_is_an_error() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        let client = tokio::net::TcpStream::connect(address).await.expect("a connection");
        let (server, _) = listener.accept().await.expect("the connection is accepted");
        let (_read, write) = server.into_split();
        // Closing with a zero linger resets the connection (on loopback, at once).
        client.set_zero_linger().expect("linger can be set");
        drop(client);
        let mut outbox = Outbox::default();
        outbox.queue(&metrics(), pattern(1000));
        let outcome = outbox.try_flush(&write);
        assert!(outcome.is_err(), "writing to a reset connection should fail: {outcome:?}");
    }
}

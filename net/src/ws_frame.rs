//! The WebSocket frame headers the server writes (RFC 6455 section 5.2).
//!
//! Server frames are simple (final, unmasked, no extensions), so they are framed by hand
//! in front of payloads every session shares: by a session's outbox for each message it
//! queues, and once per frame for what every in-sync session is sent (see
//! `snapshot_ring`).

use bytes::{BufMut, Bytes, BytesMut};

/// WebSocket opcodes the server sends.
pub(crate) const OPCODE_BINARY: u8 = 0x2;
pub(crate) const OPCODE_CLOSE: u8 = 0x8;

/// A server frame's header: final frame, the opcode, and the payload length in 1, 3 or 9
/// bytes (RFC 6455 section 5.2; server frames are not masked).
#[derive(Debug, Clone, Copy)]
pub(crate) struct FrameHeader {
    bytes: [u8; 10],
    len: u8,
}

impl FrameHeader {
    /// No header: what a queued message already framed (see [`binary_frames`]) has.
    pub(crate) const NONE: Self = Self { bytes: [0; 10], len: 0 };

    pub(crate) fn new(opcode: u8, payload_len: usize) -> Self {
        let mut bytes = [0u8; 10];
        bytes[0] = 0x80 | opcode;
        let len = if payload_len < 126 {
            bytes[1] = payload_len as u8;
            2
        } else if let Ok(length) = u16::try_from(payload_len) {
            bytes[1] = 126;
            bytes[2..4].copy_from_slice(&length.to_be_bytes());
            4
        } else {
            bytes[1] = 127;
            bytes[2..10].copy_from_slice(&(payload_len as u64).to_be_bytes());
            10
        };
        Self { bytes, len }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// The length of a binary message of `payload_len` bytes once framed.
pub(crate) fn framed_len(payload_len: usize) -> usize {
    FrameHeader::new(OPCODE_BINARY, payload_len).as_slice().len() + payload_len
}

/// `payloads` as binary messages, framed one after another in one buffer.
pub(crate) fn binary_frames(payloads: &[&[u8]]) -> Bytes {
    let length = payloads.iter().map(|payload| framed_len(payload.len())).sum();
    let mut wire = BytesMut::with_capacity(length);
    for payload in payloads {
        wire.put_slice(FrameHeader::new(OPCODE_BINARY, payload.len()).as_slice());
        wire.put_slice(payload);
    }
    wire.freeze()
}

#[cfg(test)]
pub(crate) use client_reading::read_as_client;

/// A client's reading of what the server writes, for tests.
#[cfg(test)]
mod client_reading {
    use bytes::Bytes;
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    /// What a tungstenite client reads off `wire`: the messages, then the close frame.
    pub(crate) async fn read_as_client(wire: Vec<u8>) -> (Vec<Bytes>, Option<(u16, String)>) {
        let (mut replay, client_io) = tokio::io::duplex(1 << 20);
        let writing = tokio::spawn(async move {
            replay.write_all(&wire).await.expect("the replay should be written");
        });
        let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
        let mut received = Vec::new();
        let mut close = None;
        while let Some(Ok(message)) = client.next().await {
            match message {
                Message::Binary(data) => received.push(data),
                Message::Close(frame) => {
                    close = frame.map(|frame| (u16::from(frame.code), frame.reason.to_string()));
                }
                other => panic!("unexpected message {other:?}"),
            }
        }
        writing.await.expect("the replay task should finish");
        (received, close)
    }
}

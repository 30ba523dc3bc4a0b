//! Every inbound path at once: a client frame as the server decodes it, and a server
//! frame as a client decodes and applies it. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tickwire_protocol::{ClientMessage, ServerMessage, WorldState};

fuzz_target!(|frame: &[u8]| {
    if let Ok(message) = ClientMessage::decode(frame) {
        assert_eq!(
            ClientMessage::decode(&message.encode()),
            Ok(message),
            "what decodes should re-encode unchanged"
        );
    }
    if let Ok(ServerMessage::Snapshot(snapshot)) = ServerMessage::decode(frame) {
        let mut mirror = WorldState::default();
        let _ = mirror.apply(&snapshot);
    }
});

//! Every message survives encode then decode, and no damaged frame decodes or panics.

use glam::Vec2;
use tickwire_protocol::decode::{MAX_CLIENT_FRAME_BYTES, snapshot_tick};
use tickwire_protocol::{
    ActorKind, ActorRow, ClientMessage, DecodeError, Disconnect, GameEvent, Hello, Input, Jumped,
    Moved, Ping, Pong, Refielded, ResumeToken, ServerMessage, Settings, Snapshot, SnapshotRate,
    ThrottleReason, Turned, Welcome, wire,
};

fn client_messages() -> Vec<ClientMessage> {
    vec![
        ClientMessage::Hello(Hello::new()),
        ClientMessage::Hello(Hello {
            protocol_version: 7,
            auth_token: Some("alice.1900000000.abc".into()),
            resume_token: Some(ResumeToken([9; 16])),
            timing: true,
            seat: Some("c2VhdA".into()),
            room: Some("k3v9qz2a".into()),
        }),
        ClientMessage::Input(Input { sequence: 42, direction: Vec2::new(0.6, -0.8), ack_tick: 77 }),
        ClientMessage::Pong(Pong { nonce: 7 }),
        ClientMessage::FullSnapshotRequest,
        ClientMessage::SnapshotRateRequest { max_per_second: 2 },
    ]
}

fn server_messages() -> Vec<ServerMessage> {
    vec![
        ServerMessage::Welcome(Welcome {
            field_names: vec!["color".into(), "score".into()],
            event_names: vec!["tagged".into()],
            resume_token: ResumeToken(*b"0123456789abcdef"),
            resumed: true,
            session_id: u64::MAX,
            actor_id: 9,
            tick: 1234,
            settings: Settings::default(),
            arena_size: Vec2::new(800.0, 600.0),
            room: "k3v9qz2a".into(),
            room_name: "arena".into(),
            quiet_interval_ms: 3333,
        }),
        ServerMessage::Snapshot(Snapshot {
            tick: 99,
            baseline_tick: None,
            steps_per_unit: 8,
            spawned: (1..=50)
                .map(|id| ActorRow {
                    id: id * 3,
                    x: id as i32 * -15,
                    y: i32::MAX - id as i32,
                    vx: i16::MIN,
                    vy: 7,
                    kind: if id % 7 == 0 { ActorKind::Player } else { ActorKind::Npc },
                    fields: if id % 5 == 0 { [0, id as i32, -1, 0] } else { [0; 4] },
                })
                .collect(),
            ..Snapshot::default()
        }),
        ServerMessage::Snapshot(Snapshot { tick: 1, steps_per_unit: 8, ..Snapshot::default() }),
        // A delta across the tick wrap: its baseline is just before it.
        ServerMessage::Snapshot(Snapshot {
            tick: 2,
            baseline_tick: Some(u32::MAX - 3),
            steps_per_unit: 8,
            despawned: vec![5],
            ..Snapshot::default()
        }),
        ServerMessage::Snapshot(Snapshot {
            tick: 12,
            baseline_tick: Some(10),
            steps_per_unit: 100,
            spawned: vec![ActorRow {
                id: 500,
                x: 1,
                y: 2,
                vx: 3,
                vy: 4,
                kind: ActorKind::Player,
                fields: [i32::MIN, 0, 0, 7],
            }],
            moved: vec![Moved { id: 1, dx: -128, dy: 127 }, Moved { id: 200, dx: 0, dy: 1 }],
            jumped: vec![Jumped { id: 2, x: i32::MIN, y: 0 }],
            turned: vec![Turned { id: 1, vx: -1, vy: 1 }],
            despawned: vec![3, 4, 100_000],
            refielded: vec![
                Refielded { id: 1, mask: 0b1010, fields: [0, 5, 0, -9] },
                Refielded { id: 7, mask: 0b0001, fields: [0, 0, 0, 0] },
            ],
        }),
        ServerMessage::Settings(Settings {
            tick_rate_hz: 60,
            broadcast_every: 3,
            ..Settings::default()
        }),
        ServerMessage::Ping(Ping { nonce: 3, rtt_us: 1500 }),
        ServerMessage::InputAck { sequence: 77, tick: 1200 },
        ServerMessage::SnapshotTiming { tick: 1200, published_unix_us: 1_795_373_213_123_456 },
        ServerMessage::GameEvents {
            tick: 40,
            events: vec![
                GameEvent { kind: 0, actor: 12, other: 7, value: 1 },
                GameEvent { kind: 3, actor: 0, other: 0, value: -5 },
            ],
        },
        ServerMessage::SnapshotRate(SnapshotRate {
            every_ticks: 6,
            reason: ThrottleReason::Congested,
        }),
        ServerMessage::Disconnect(Disconnect {
            code: 1002,
            reason: "malformed message: ünïcode".into(),
        }),
    ]
}

#[test]
fn client_messages_round_trip() {
    for message in client_messages() {
        assert_eq!(
            ClientMessage::decode(&message.encode()),
            Ok(message.clone()),
            "{message:?} should round-trip"
        );
    }
}

#[test]
fn server_messages_round_trip() {
    for message in server_messages() {
        assert_eq!(
            ServerMessage::decode(&message.encode()),
            Ok(message.clone()),
            "{message:?} should round-trip"
        );
    }
}

#[test]
fn snapshot_tick_reads_only_snapshots() {
    for message in server_messages() {
        let expected = match &message {
            ServerMessage::Snapshot(snapshot) => Some(snapshot.tick),
            _ => None,
        };
        assert_eq!(
            snapshot_tick(&message.encode()),
            Ok(expected),
            "{message:?}: the peeked tick should match"
        );
    }
    assert!(snapshot_tick(b"not a flatbuffer").is_err(), "garbage should fail verification");
}

/// A truncated frame either fails to decode or, when the cut removed only trailing
/// alignment padding, decodes to exactly the original message; it never panics and never
/// yields different data.
#[test]
fn truncated_frames_fail_or_decode_unchanged() {
    for message in client_messages() {
        let frame = message.encode();
        for len in 0..frame.len() {
            let decoded = ClientMessage::decode(&frame[..len]);
            assert!(
                decoded.as_ref().is_err() || decoded.as_ref() == Ok(&message),
                "{len}-byte prefix of {message:?} should fail or decode unchanged, got {decoded:?}"
            );
        }
        assert!(
            ClientMessage::decode(&frame[..frame.len() / 2]).is_err(),
            "half of {message:?} should not decode"
        );
    }
    for message in server_messages() {
        let frame = message.encode();
        for len in 0..frame.len() {
            let decoded = ServerMessage::decode(&frame[..len]);
            assert!(
                decoded.is_err() || decoded.as_ref() == Ok(&message),
                "{len}-byte prefix of a server message should fail or decode unchanged"
            );
        }
        assert!(
            ServerMessage::decode(&frame[..frame.len() / 2]).is_err(),
            "half of {message:?} should not decode"
        );
    }
}

#[test]
fn a_server_message_is_not_a_client_message() {
    let rate = SnapshotRate { every_ticks: 4, reason: ThrottleReason::ClientCap };
    let frame = ServerMessage::SnapshotRate(rate).encode();
    // Same root layout, different union: a SnapshotRate's type tag (6) is no client body.
    // (Tags both unions have decode as the other direction's message of that tag: the
    // direction of a frame is known from the socket, never guessed from its bytes.)
    assert_eq!(ClientMessage::decode(&frame), Err(DecodeError::UnknownType(6)));
}

#[test]
fn non_finite_input_is_rejected() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let frame = ClientMessage::Input(Input {
            sequence: 1,
            direction: Vec2::new(bad, 0.0),
            ack_tick: 0,
        })
        .encode();
        assert_eq!(
            ClientMessage::decode(&frame),
            Err(DecodeError::NotFinite("Input.direction")),
            "an input direction of {bad} should be rejected"
        );
    }
}

#[test]
fn an_input_without_direction_is_rejected() {
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let input = wire::Input::create(
        &mut fbb,
        &wire::InputArgs { sequence: 1, direction: None, ack_tick: 0 },
    );
    let root = wire::ClientMessage::create(
        &mut fbb,
        &wire::ClientMessageArgs {
            body_type: wire::ClientBody::Input,
            body: Some(input.as_union_value()),
        },
    );
    fbb.finish_minimal(root);
    assert_eq!(
        ClientMessage::decode(fbb.finished_data()),
        Err(DecodeError::MissingField("Input.direction"))
    );
}

#[test]
fn oversized_client_frames_are_rejected_before_verification() {
    let frame = vec![0u8; MAX_CLIENT_FRAME_BYTES + 1];
    assert_eq!(
        ClientMessage::decode(&frame),
        Err(DecodeError::TooLarge {
            size: MAX_CLIENT_FRAME_BYTES + 1,
            max: MAX_CLIENT_FRAME_BYTES
        })
    );
}

#[test]
fn garbage_is_rejected() {
    for garbage in [&b""[..], b"\x00", b"hello, server", &[0xff; 64], &[0u8; 16]] {
        assert!(
            ClientMessage::decode(garbage).is_err(),
            "{garbage:?} should not decode as a client message"
        );
    }
}

#[test]
fn a_resume_token_of_the_wrong_length_is_named() {
    let mut fbb = flatbuffers::FlatBufferBuilder::new();
    let token = fbb.create_vector(&[1u8; 15]);
    let hello = wire::Hello::create(
        &mut fbb,
        &wire::HelloArgs { resume_token: Some(token), protocol_version: 1, ..Default::default() },
    );
    let root = wire::ClientMessage::create(
        &mut fbb,
        &wire::ClientMessageArgs {
            body_type: wire::ClientBody::Hello,
            body: Some(hello.as_union_value()),
        },
    );
    fbb.finish_minimal(root);
    assert_eq!(
        ClientMessage::decode(fbb.finished_data()),
        Err(DecodeError::WrongLength("Hello.resume_token"))
    );
}

//! Encoding: owned messages to frame bytes.
//!
//! Each call builds one FlatBuffers message and hands back its bytes without copying
//! (`Bytes` over the builder's buffer), ready for `Message::Binary`.

use bytes::Bytes;
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};
use glam::Vec2;

use crate::message::{ActorKind, ActorState, ClientMessage, ServerMessage, Settings};
use crate::wire;

impl ClientMessage {
    /// Encodes this message as one frame.
    pub fn encode(&self) -> Bytes {
        let mut fbb = FlatBufferBuilder::with_capacity(64);
        let (body_type, body) = match self {
            Self::Hello(hello) => (
                wire::ClientBody::Hello,
                wire::Hello::create(
                    &mut fbb,
                    &wire::HelloArgs {
                        protocol_version: hello.protocol_version,
                    },
                )
                .as_union_value(),
            ),
            Self::Input(input) => (
                wire::ClientBody::Input,
                wire::Input::create(
                    &mut fbb,
                    &wire::InputArgs {
                        sequence: input.sequence,
                        direction: Some(&wire_vec2(input.direction)),
                    },
                )
                .as_union_value(),
            ),
            Self::Pong(pong) => (
                wire::ClientBody::Pong,
                wire::Pong::create(&mut fbb, &wire::PongArgs { nonce: pong.nonce })
                    .as_union_value(),
            ),
        };
        let root = wire::ClientMessage::create(
            &mut fbb,
            &wire::ClientMessageArgs {
                body_type,
                body: Some(body),
            },
        );
        finish(fbb, root)
    }
}

impl ServerMessage {
    /// Encodes this message as one frame.
    pub fn encode(&self) -> Bytes {
        match self {
            Self::Snapshot(snapshot) => encode_snapshot(snapshot.tick, &snapshot.actors),
            Self::Welcome(welcome) => server_frame(128, |fbb| {
                let settings = create_settings(fbb, &welcome.settings);
                let body = wire::Welcome::create(
                    fbb,
                    &wire::WelcomeArgs {
                        session_id: welcome.session_id,
                        actor_id: welcome.actor_id,
                        tick: welcome.tick,
                        settings: Some(settings),
                        arena_size: Some(&wire_vec2(welcome.arena_size)),
                    },
                );
                (wire::ServerBody::Welcome, body.as_union_value())
            }),
            Self::Settings(settings) => server_frame(64, |fbb| {
                (
                    wire::ServerBody::Settings,
                    create_settings(fbb, settings).as_union_value(),
                )
            }),
            Self::Ping(ping) => server_frame(32, |fbb| {
                let body = wire::Ping::create(
                    fbb,
                    &wire::PingArgs {
                        nonce: ping.nonce,
                        rtt_us: ping.rtt_us,
                    },
                );
                (wire::ServerBody::Ping, body.as_union_value())
            }),
            Self::Disconnect(disconnect) => server_frame(64 + disconnect.reason.len(), |fbb| {
                let reason = fbb.create_string(&disconnect.reason);
                let body = wire::Disconnect::create(
                    fbb,
                    &wire::DisconnectArgs {
                        code: disconnect.code,
                        reason: Some(reason),
                    },
                );
                (wire::ServerBody::Disconnect, body.as_union_value())
            }),
        }
    }
}

/// Encodes a full snapshot straight from a slice of actors, without building a
/// [`crate::Snapshot`] first.
pub fn encode_snapshot(tick: u32, actors: &[ActorState]) -> Bytes {
    server_frame(64 + actors.len() * 16, |fbb| {
        let actors = fbb.create_vector_from_iter(actors.iter().map(wire_actor));
        let body = wire::Snapshot::create(
            fbb,
            &wire::SnapshotArgs {
                tick,
                actors: Some(actors),
            },
        );
        (wire::ServerBody::Snapshot, body.as_union_value())
    })
}

type Body = (wire::ServerBody, WIPOffset<UnionWIPOffset>);

fn server_frame(
    capacity: usize,
    build_body: impl FnOnce(&mut FlatBufferBuilder<'static>) -> Body,
) -> Bytes {
    let mut fbb = FlatBufferBuilder::with_capacity(capacity);
    let (body_type, body) = build_body(&mut fbb);
    let root = wire::ServerMessage::create(
        &mut fbb,
        &wire::ServerMessageArgs {
            body_type,
            body: Some(body),
        },
    );
    finish(fbb, root)
}

fn finish<T>(mut fbb: FlatBufferBuilder<'static>, root: WIPOffset<T>) -> Bytes {
    fbb.finish_minimal(root);
    let (buffer, head) = fbb.collapse();
    Bytes::from(buffer).slice(head..)
}

fn create_settings<'fbb>(
    fbb: &mut FlatBufferBuilder<'fbb>,
    settings: &Settings,
) -> WIPOffset<wire::Settings<'fbb>> {
    wire::Settings::create(
        fbb,
        &wire::SettingsArgs {
            tick_rate_hz: settings.tick_rate_hz,
            broadcast_every: settings.broadcast_every,
            input_every: settings.input_every,
            movement_speed: settings.movement_speed,
            smoothing: settings.smoothing,
            interpolation_delay_ms: settings.interpolation_delay_ms,
        },
    )
}

fn wire_vec2(value: Vec2) -> wire::Vec2 {
    wire::Vec2::new(value.x, value.y)
}

fn wire_actor(actor: &ActorState) -> wire::ActorState {
    let kind = match actor.kind {
        ActorKind::Npc => wire::ActorKind::Npc,
        ActorKind::Player => wire::ActorKind::Player,
    };
    wire::ActorState::new(actor.id, &wire_vec2(actor.position), kind)
}

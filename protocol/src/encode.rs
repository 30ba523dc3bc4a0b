//! Encoding: owned messages to frame bytes.
//!
//! Each call builds one FlatBuffers message and hands back its bytes without copying
//! (`Bytes` over the builder's buffer), ready for `Message::Binary`.

use bytes::Bytes;
use flatbuffers::{FlatBufferBuilder, UnionWIPOffset, WIPOffset};
use glam::Vec2;

use crate::id_list::write_ids;
use crate::message::{ActorKind, ClientMessage, ServerMessage, Snapshot, ThrottleReason};
use crate::settings::Settings;
use crate::state::{ActorRow, FIELD_SLOTS};
use crate::wire;

impl ClientMessage {
    /// Encodes this message as one frame.
    pub fn encode(&self) -> Bytes {
        let mut fbb = FlatBufferBuilder::with_capacity(64);
        let (body_type, body) = match self {
            Self::Hello(hello) => {
                let auth_token = hello.auth_token.as_deref().map(|token| fbb.create_string(token));
                let resume_token = hello.resume_token.map(|token| fbb.create_vector(&token.0));
                let seat = hello.seat.as_deref().map(|seat| fbb.create_string(seat));
                let room = hello.room.as_deref().map(|room| fbb.create_string(room));
                let args = wire::HelloArgs {
                    protocol_version: hello.protocol_version,
                    auth_token,
                    resume_token,
                    timing: hello.timing,
                    seat,
                    room,
                };
                (wire::ClientBody::Hello, wire::Hello::create(&mut fbb, &args).as_union_value())
            }
            Self::Input(input) => (
                wire::ClientBody::Input,
                wire::Input::create(
                    &mut fbb,
                    &wire::InputArgs {
                        sequence: input.sequence,
                        direction: Some(&wire_vec2(input.direction)),
                        ack_tick: input.ack_tick,
                    },
                )
                .as_union_value(),
            ),
            Self::Pong(pong) => (
                wire::ClientBody::Pong,
                wire::Pong::create(&mut fbb, &wire::PongArgs { nonce: pong.nonce })
                    .as_union_value(),
            ),
            Self::SnapshotRateRequest { max_per_second } => (
                wire::ClientBody::SnapshotRateRequest,
                wire::SnapshotRateRequest::create(
                    &mut fbb,
                    &wire::SnapshotRateRequestArgs { max_per_second: *max_per_second },
                )
                .as_union_value(),
            ),
            Self::FullSnapshotRequest => (
                wire::ClientBody::FullSnapshotRequest,
                wire::FullSnapshotRequest::create(&mut fbb, &wire::FullSnapshotRequestArgs {})
                    .as_union_value(),
            ),
        };
        let root = wire::ClientMessage::create(
            &mut fbb,
            &wire::ClientMessageArgs { body_type, body: Some(body) },
        );
        finish(fbb, root)
    }
}

impl ServerMessage {
    /// Encodes this message as one frame.
    pub fn encode(&self) -> Bytes {
        match self {
            Self::Snapshot(snapshot) => encode_snapshot(snapshot),
            Self::Welcome(welcome) => server_frame(128, |fbb| {
                let settings = create_settings(fbb, &welcome.settings);
                let resume_token = fbb.create_vector(&welcome.resume_token.0);
                let names: Vec<_> =
                    welcome.field_names.iter().map(|name| fbb.create_string(name)).collect();
                let field_names = (!names.is_empty()).then(|| fbb.create_vector(&names));
                let names: Vec<_> =
                    welcome.event_names.iter().map(|name| fbb.create_string(name)).collect();
                let event_names = (!names.is_empty()).then(|| fbb.create_vector(&names));
                let room = fbb.create_string(&welcome.room);
                let room_name = fbb.create_string(&welcome.room_name);
                let body = wire::Welcome::create(
                    fbb,
                    &wire::WelcomeArgs {
                        session_id: welcome.session_id,
                        actor_id: welcome.actor_id,
                        tick: welcome.tick,
                        settings: Some(settings),
                        arena_size: Some(&wire_vec2(welcome.arena_size)),
                        resume_token: Some(resume_token),
                        resumed: welcome.resumed,
                        field_names,
                        event_names,
                        room: Some(room),
                        room_name: Some(room_name),
                        quiet_interval_ms: welcome.quiet_interval_ms,
                    },
                );
                (wire::ServerBody::Welcome, body.as_union_value())
            }),
            Self::Settings(settings) => server_frame(64, |fbb| {
                (wire::ServerBody::Settings, create_settings(fbb, settings).as_union_value())
            }),
            Self::Ping(ping) => server_frame(32, |fbb| {
                let body = wire::Ping::create(
                    fbb,
                    &wire::PingArgs { nonce: ping.nonce, rtt_us: ping.rtt_us },
                );
                (wire::ServerBody::Ping, body.as_union_value())
            }),
            Self::SnapshotRate(rate) => server_frame(32, |fbb| {
                let reason = match rate.reason {
                    ThrottleReason::None => wire::ThrottleReason::None,
                    ThrottleReason::Congested => wire::ThrottleReason::Congested,
                    ThrottleReason::ClientCap => wire::ThrottleReason::ClientCap,
                };
                let body = wire::SnapshotRate::create(
                    fbb,
                    &wire::SnapshotRateArgs { every_ticks: rate.every_ticks, reason },
                );
                (wire::ServerBody::SnapshotRate, body.as_union_value())
            }),
            Self::InputAck { sequence, tick } => server_frame(32, |fbb| {
                let body = wire::InputAck::create(
                    fbb,
                    &wire::InputAckArgs { sequence: *sequence, tick: *tick },
                );
                (wire::ServerBody::InputAck, body.as_union_value())
            }),
            Self::SnapshotTiming { tick, published_unix_us } => server_frame(40, |fbb| {
                let body = wire::SnapshotTiming::create(
                    fbb,
                    &wire::SnapshotTimingArgs {
                        tick: *tick,
                        published_unix_us: *published_unix_us,
                    },
                );
                (wire::ServerBody::SnapshotTiming, body.as_union_value())
            }),
            Self::GameEvents { tick, events } => server_frame(32 + events.len() * 16, |fbb| {
                let events: Vec<wire::GameEvent> = events
                    .iter()
                    .map(|event| {
                        wire::GameEvent::new(event.kind, event.actor, event.other, event.value)
                    })
                    .collect();
                let events = fbb.create_vector(&events);
                let body = wire::GameEvents::create(
                    fbb,
                    &wire::GameEventsArgs { tick: *tick, events: Some(events) },
                );
                (wire::ServerBody::GameEvents, body.as_union_value())
            }),
            Self::Disconnect(disconnect) => server_frame(64 + disconnect.reason.len(), |fbb| {
                let reason = fbb.create_string(&disconnect.reason);
                let body = wire::Disconnect::create(
                    fbb,
                    &wire::DisconnectArgs { code: disconnect.code, reason: Some(reason) },
                );
                (wire::ServerBody::Disconnect, body.as_union_value())
            }),
        }
    }
}

/// Encodes a snapshot. Empty lists are left out of the message entirely, so a delta in
/// which nothing changed costs only the message header.
fn encode_snapshot(snapshot: &Snapshot) -> Bytes {
    let changed = snapshot.moved.len() * 3 + (snapshot.jumped.len() + snapshot.turned.len()) * 9;
    server_frame(96 + snapshot.spawned.len() * 14 + changed, |fbb| {
        let mut ids = Vec::new();
        let mut id_list = |fbb: &mut FlatBufferBuilder<'static>,
                           list: &mut dyn Iterator<Item = u32>| {
            ids.clear();
            write_ids(list, &mut ids);
            (!ids.is_empty()).then(|| fbb.create_vector(&ids))
        };
        let spawned = (snapshot.baseline_tick.is_none() || !snapshot.spawned.is_empty())
            .then(|| create_columns(fbb, &snapshot.spawned));
        let moved_ids = id_list(fbb, &mut snapshot.moved.iter().map(|change| change.id));
        let moved_dx = non_empty(fbb, &snapshot.moved, |change| change.dx);
        let moved_dy = non_empty(fbb, &snapshot.moved, |change| change.dy);
        let jumped_ids = id_list(fbb, &mut snapshot.jumped.iter().map(|change| change.id));
        let jumped_x = non_empty(fbb, &snapshot.jumped, |change| change.x);
        let jumped_y = non_empty(fbb, &snapshot.jumped, |change| change.y);
        let turned_ids = id_list(fbb, &mut snapshot.turned.iter().map(|change| change.id));
        let turned_vx = non_empty(fbb, &snapshot.turned, |change| change.vx);
        let turned_vy = non_empty(fbb, &snapshot.turned, |change| change.vy);
        let despawned_ids = id_list(fbb, &mut snapshot.despawned.iter().copied());
        let refielded_ids = id_list(fbb, &mut snapshot.refielded.iter().map(|change| change.id));
        let refielded_masks = non_empty(fbb, &snapshot.refielded, |change| change.mask);
        let refielded_values = (!snapshot.refielded.is_empty()).then(|| {
            let values: Vec<i32> = snapshot
                .refielded
                .iter()
                .flat_map(|change| masked(change.mask, change.fields))
                .collect();
            fbb.create_vector(&values)
        });
        let body = wire::Snapshot::create(
            fbb,
            &wire::SnapshotArgs {
                tick: snapshot.tick,
                baseline_age: snapshot.baseline_age(),
                steps_per_unit: snapshot.steps_per_unit,
                spawned,
                moved_ids,
                moved_dx,
                moved_dy,
                jumped_ids,
                jumped_x,
                jumped_y,
                turned_ids,
                turned_vx,
                turned_vy,
                despawned_ids,
                refielded_ids,
                refielded_masks,
                refielded_values,
            },
        );
        (wire::ServerBody::Snapshot, body.as_union_value())
    })
}

fn create_columns<'fbb>(
    fbb: &mut FlatBufferBuilder<'fbb>,
    rows: &[ActorRow],
) -> WIPOffset<wire::ActorColumns<'fbb>> {
    let mut id_bytes = Vec::with_capacity(rows.len());
    write_ids(rows.iter().map(|row| row.id), &mut id_bytes);
    let ids = fbb.create_vector(&id_bytes);
    let x = column(fbb, rows, |row| row.x);
    let y = column(fbb, rows, |row| row.y);
    let vx = column(fbb, rows, |row| row.vx);
    let vy = column(fbb, rows, |row| row.vy);
    let kinds = column(fbb, rows, |row| wire_kind(row.kind));
    // Games without fields (and actors whose fields are all 0) pay nothing for them.
    let (field_masks, field_values) = if rows.iter().any(|row| row.fields != [0; FIELD_SLOTS]) {
        let masks = column(fbb, rows, |row| nonzero_mask(&row.fields));
        let values: Vec<i32> =
            rows.iter().flat_map(|row| masked(nonzero_mask(&row.fields), row.fields)).collect();
        (Some(masks), Some(fbb.create_vector(&values)))
    } else {
        (None, None)
    };
    wire::ActorColumns::create(
        fbb,
        &wire::ActorColumnsArgs {
            ids: Some(ids),
            x: Some(x),
            y: Some(y),
            vx: Some(vx),
            vy: Some(vy),
            kinds: Some(kinds),
            field_masks,
            field_values,
        },
    )
}

/// A column of `field` over `items`, or nothing when there are no items.
fn non_empty<'fbb, I, T: flatbuffers::Push + Copy>(
    fbb: &mut FlatBufferBuilder<'fbb>,
    items: &[I],
    field: impl Fn(&I) -> T,
) -> Option<WIPOffset<flatbuffers::Vector<'fbb, T::Output>>> {
    (!items.is_empty()).then(|| column(fbb, items, field))
}

/// A column of `field` over `items`. Gathered into a slice first: the builder copies a
/// slice in one tight loop, but pushes an iterator's items one checked push at a time.
fn column<'fbb, I, T: flatbuffers::Push + Copy>(
    fbb: &mut FlatBufferBuilder<'fbb>,
    items: &[I],
    field: impl Fn(&I) -> T,
) -> WIPOffset<flatbuffers::Vector<'fbb, T::Output>> {
    let values: Vec<T> = items.iter().map(field).collect();
    fbb.create_vector(&values)
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
        &wire::ServerMessageArgs { body_type, body: Some(body) },
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
            position_steps_per_unit: settings.position_steps_per_unit,
        },
    )
}

fn wire_vec2(value: Vec2) -> wire::Vec2 {
    wire::Vec2::new(value.x, value.y)
}

/// The slots of `fields` that are not 0, as a mask (bit i: slot i).
fn nonzero_mask(fields: &[i32; FIELD_SLOTS]) -> u8 {
    (0..FIELD_SLOTS).filter(|&slot| fields[slot] != 0).fold(0, |mask, slot| mask | 1 << slot)
}

/// The values of the slots in `mask`, lowest slot first.
fn masked(mask: u8, fields: [i32; FIELD_SLOTS]) -> impl Iterator<Item = i32> {
    (0..FIELD_SLOTS).filter(move |&slot| mask & (1 << slot) != 0).map(move |slot| fields[slot])
}

fn wire_kind(kind: ActorKind) -> wire::ActorKind {
    match kind {
        ActorKind::Npc => wire::ActorKind::Npc,
        ActorKind::Player => wire::ActorKind::Player,
    }
}

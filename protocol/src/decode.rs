//! Verified decoding: frame bytes to owned messages.
//!
//! Every frame is run through the FlatBuffers verifier with explicit limits before any
//! field is read, so a truncated, forged or deeply nested buffer is an error, never a
//! panic or an out-of-bounds read. Values are then validated (finite floats, known enum
//! values, required fields present) so callers only ever see sane data.

use flatbuffers::{InvalidFlatbuffer, VerifierOptions};
use glam::Vec2;
use thiserror::Error;

use crate::id_list::read_ids;
use crate::message::{
    ActorKind, ClientMessage, Disconnect, GameEvent, Hello, Input, Jumped, Moved, Ping, Pong,
    Refielded, ResumeToken, ServerMessage, Snapshot, SnapshotRate, ThrottleReason, Turned, Welcome,
};
use crate::settings::Settings;
use crate::state::{ActorRow, FIELD_SLOTS};
use crate::wire;

/// The largest frame a client may send. Client messages are tens of bytes; the verifier's
/// apparent-size limit counts only bytes it visits, so the length is checked as well.
pub const MAX_CLIENT_FRAME_BYTES: usize = 1024;

/// Limits for frames a client sends: small, flat messages only.
const CLIENT_FRAME_LIMITS: VerifierOptions = VerifierOptions {
    max_depth: 4,
    max_tables: 8,
    max_apparent_size: MAX_CLIENT_FRAME_BYTES,
    ignore_missing_null_terminator: false,
};

/// Limits for frames the server sends: snapshots are large but shallow.
const SERVER_FRAME_LIMITS: VerifierOptions = VerifierOptions {
    max_depth: 8,
    max_tables: 64,
    max_apparent_size: 64 * 1024 * 1024,
    ignore_missing_null_terminator: false,
};

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The frame is longer than any valid message of its direction.
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// The frame's length.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The buffer failed FlatBuffers verification (truncated, forged, too deep, too big).
    #[error("frame failed verification: {0}")]
    Invalid(#[from] InvalidFlatbuffer),
    /// The message carries no body.
    #[error("message has no body")]
    MissingBody,
    /// The body's type is not one this build knows.
    #[error("unknown message type {0}")]
    UnknownType(u8),
    /// A field the message needs is absent.
    #[error("required field `{0}` is missing")]
    MissingField(&'static str),
    /// A float field is NaN or infinite.
    #[error("field `{0}` is not a finite number")]
    NotFinite(&'static str),
    /// A gap-coded id list is malformed (a zero gap, an overflow, a cut-off varint).
    #[error("id list `{0}` is malformed")]
    BadIdList(&'static str),
    /// A fixed-size field (a resume token, the field names) has the wrong length.
    #[error("field `{0}` has the wrong length")]
    WrongLength(&'static str),
    /// Columns that must have one entry per id have another length.
    #[error("column `{0}` does not have one entry per id")]
    ColumnLength(&'static str),
    /// An enum field holds a value this build does not know.
    #[error("field `{field}` has unknown value {value}")]
    UnknownEnumValue {
        /// The field's name.
        field: &'static str,
        /// The value found.
        value: u8,
    },
}

impl ClientMessage {
    /// Verifies and decodes one client frame.
    ///
    /// # Errors
    /// [`DecodeError`] for anything but a well-formed, known, finite message.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        if frame.len() > MAX_CLIENT_FRAME_BYTES {
            return Err(DecodeError::TooLarge { size: frame.len(), max: MAX_CLIENT_FRAME_BYTES });
        }
        let message =
            flatbuffers::root_with_opts::<wire::ClientMessage>(&CLIENT_FRAME_LIMITS, frame)?;
        match message.body_type() {
            wire::ClientBody::Hello => {
                let hello = message.body_as_hello().ok_or(DecodeError::MissingBody)?;
                let resume_token = hello
                    .resume_token()
                    .map(|token| resume_token(token.bytes(), "Hello.resume_token"))
                    .transpose()?;
                Ok(Self::Hello(Hello {
                    protocol_version: hello.protocol_version(),
                    auth_token: hello.auth_token().map(str::to_owned),
                    resume_token,
                    timing: hello.timing(),
                    seat: hello.seat().map(str::to_owned),
                    room: hello.room().map(str::to_owned),
                }))
            }
            wire::ClientBody::Input => {
                let input = message.body_as_input().ok_or(DecodeError::MissingBody)?;
                let direction =
                    input.direction().ok_or(DecodeError::MissingField("Input.direction"))?;
                Ok(Self::Input(Input {
                    sequence: input.sequence(),
                    direction: finite_vec2(direction, "Input.direction")?,
                    ack_tick: input.ack_tick(),
                }))
            }
            wire::ClientBody::Pong => {
                let pong = message.body_as_pong().ok_or(DecodeError::MissingBody)?;
                Ok(Self::Pong(Pong { nonce: pong.nonce() }))
            }
            wire::ClientBody::FullSnapshotRequest => Ok(Self::FullSnapshotRequest),
            wire::ClientBody::SnapshotRateRequest => {
                let request =
                    message.body_as_snapshot_rate_request().ok_or(DecodeError::MissingBody)?;
                Ok(Self::SnapshotRateRequest { max_per_second: request.max_per_second() })
            }
            wire::ClientBody::NONE => Err(DecodeError::MissingBody),
            other => Err(DecodeError::UnknownType(other.0)),
        }
    }
}

/// The tick of a server frame that is a snapshot (`None` for any other message), read
/// without decoding the snapshot: for load tools that count snapshots on thousands of
/// connections and decode only the small messages. Verified like
/// [`ServerMessage::decode`].
///
/// # Errors
/// [`DecodeError::Invalid`] if the frame fails verification.
pub fn snapshot_tick(frame: &[u8]) -> Result<Option<u32>, DecodeError> {
    let message = flatbuffers::root_with_opts::<wire::ServerMessage>(&SERVER_FRAME_LIMITS, frame)?;
    Ok(message.body_as_snapshot().map(|snapshot| snapshot.tick()))
}

impl ServerMessage {
    /// Verifies and decodes one server frame.
    ///
    /// # Errors
    /// [`DecodeError`] for anything but a well-formed, known, finite message.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let message =
            flatbuffers::root_with_opts::<wire::ServerMessage>(&SERVER_FRAME_LIMITS, frame)?;
        match message.body_type() {
            wire::ServerBody::Welcome => {
                let welcome = message.body_as_welcome().ok_or(DecodeError::MissingBody)?;
                let settings =
                    welcome.settings().ok_or(DecodeError::MissingField("Welcome.settings"))?;
                let arena_size =
                    welcome.arena_size().ok_or(DecodeError::MissingField("Welcome.arena_size"))?;
                let token = welcome
                    .resume_token()
                    .ok_or(DecodeError::MissingField("Welcome.resume_token"))?;
                let field_names: Vec<String> = welcome
                    .field_names()
                    .map(|names| names.iter().map(str::to_owned).collect())
                    .unwrap_or_default();
                if field_names.len() > FIELD_SLOTS {
                    return Err(DecodeError::WrongLength("Welcome.field_names"));
                }
                let event_names: Vec<String> = welcome
                    .event_names()
                    .map(|names| names.iter().map(str::to_owned).collect())
                    .unwrap_or_default();
                Ok(Self::Welcome(Welcome {
                    field_names,
                    event_names,
                    resume_token: resume_token(token.bytes(), "Welcome.resume_token")?,
                    resumed: welcome.resumed(),
                    session_id: welcome.session_id(),
                    actor_id: welcome.actor_id(),
                    tick: welcome.tick(),
                    settings: decode_settings(settings)?,
                    arena_size: finite_vec2(arena_size, "Welcome.arena_size")?,
                    room: welcome.room().unwrap_or_default().to_owned(),
                    room_name: welcome.room_name().unwrap_or_default().to_owned(),
                    quiet_interval_ms: welcome.quiet_interval_ms(),
                }))
            }
            wire::ServerBody::Snapshot => {
                let snapshot = message.body_as_snapshot().ok_or(DecodeError::MissingBody)?;
                Ok(Self::Snapshot(decode_snapshot(snapshot)?))
            }
            wire::ServerBody::Settings => {
                let settings = message.body_as_settings().ok_or(DecodeError::MissingBody)?;
                Ok(Self::Settings(decode_settings(settings)?))
            }
            wire::ServerBody::Ping => {
                let ping = message.body_as_ping().ok_or(DecodeError::MissingBody)?;
                Ok(Self::Ping(Ping { nonce: ping.nonce(), rtt_us: ping.rtt_us() }))
            }
            wire::ServerBody::Disconnect => {
                let disconnect = message.body_as_disconnect().ok_or(DecodeError::MissingBody)?;
                Ok(Self::Disconnect(Disconnect {
                    code: disconnect.code(),
                    reason: disconnect.reason().unwrap_or_default().to_owned(),
                }))
            }
            wire::ServerBody::SnapshotRate => {
                let rate = message.body_as_snapshot_rate().ok_or(DecodeError::MissingBody)?;
                let reason = match rate.reason() {
                    wire::ThrottleReason::None => ThrottleReason::None,
                    wire::ThrottleReason::Congested => ThrottleReason::Congested,
                    wire::ThrottleReason::ClientCap => ThrottleReason::ClientCap,
                    other => {
                        return Err(DecodeError::UnknownEnumValue {
                            field: "SnapshotRate.reason",
                            value: other.0,
                        });
                    }
                };
                Ok(Self::SnapshotRate(SnapshotRate { every_ticks: rate.every_ticks(), reason }))
            }
            wire::ServerBody::GameEvents => {
                let batch = message.body_as_game_events().ok_or(DecodeError::MissingBody)?;
                let events = batch
                    .events()
                    .map(|events| {
                        events
                            .iter()
                            .map(|event| GameEvent {
                                kind: event.kind(),
                                actor: event.actor(),
                                other: event.other(),
                                value: event.value(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Self::GameEvents { tick: batch.tick(), events })
            }
            wire::ServerBody::InputAck => {
                let ack = message.body_as_input_ack().ok_or(DecodeError::MissingBody)?;
                Ok(Self::InputAck { sequence: ack.sequence(), tick: ack.tick() })
            }
            wire::ServerBody::SnapshotTiming => {
                let timing = message.body_as_snapshot_timing().ok_or(DecodeError::MissingBody)?;
                Ok(Self::SnapshotTiming {
                    tick: timing.tick(),
                    published_unix_us: timing.published_unix_us(),
                })
            }
            wire::ServerBody::NONE => Err(DecodeError::MissingBody),
            other => Err(DecodeError::UnknownType(other.0)),
        }
    }
}

fn resume_token(bytes: &[u8], field: &'static str) -> Result<ResumeToken, DecodeError> {
    bytes.try_into().map(ResumeToken).map_err(|_| DecodeError::WrongLength(field))
}

fn decode_settings(settings: wire::Settings<'_>) -> Result<Settings, DecodeError> {
    Ok(Settings {
        tick_rate_hz: settings.tick_rate_hz(),
        broadcast_every: settings.broadcast_every(),
        input_every: settings.input_every(),
        movement_speed: finite(settings.movement_speed(), "Settings.movement_speed")?,
        smoothing: finite(settings.smoothing(), "Settings.smoothing")?,
        interpolation_delay_ms: settings.interpolation_delay_ms(),
        position_steps_per_unit: settings.position_steps_per_unit(),
    })
}

fn decode_snapshot(snapshot: wire::Snapshot<'_>) -> Result<Snapshot, DecodeError> {
    let ids = |list: Option<flatbuffers::Vector<'_, u8>>, field| {
        read_ids(list.map_or(&[][..], |list| list.bytes()), field)
    };
    let spawned = match snapshot.spawned() {
        Some(columns) => decode_columns(columns)?,
        None => Vec::new(),
    };
    let moved_ids = ids(snapshot.moved_ids(), "Snapshot.moved_ids")?;
    let dx = column(snapshot.moved_dx(), moved_ids.len(), "Snapshot.moved_dx")?;
    let dy = column(snapshot.moved_dy(), moved_ids.len(), "Snapshot.moved_dy")?;
    let moved = moved_ids
        .iter()
        .zip(dx.iter().zip(dy.iter()))
        .map(|(&id, (dx, dy))| Moved { id, dx, dy })
        .collect();
    let jumped_ids = ids(snapshot.jumped_ids(), "Snapshot.jumped_ids")?;
    let x = column(snapshot.jumped_x(), jumped_ids.len(), "Snapshot.jumped_x")?;
    let y = column(snapshot.jumped_y(), jumped_ids.len(), "Snapshot.jumped_y")?;
    let jumped = jumped_ids
        .iter()
        .zip(x.iter().zip(y.iter()))
        .map(|(&id, (x, y))| Jumped { id, x, y })
        .collect();
    let turned_ids = ids(snapshot.turned_ids(), "Snapshot.turned_ids")?;
    let vx = column(snapshot.turned_vx(), turned_ids.len(), "Snapshot.turned_vx")?;
    let vy = column(snapshot.turned_vy(), turned_ids.len(), "Snapshot.turned_vy")?;
    let turned = turned_ids
        .iter()
        .zip(vx.iter().zip(vy.iter()))
        .map(|(&id, (vx, vy))| Turned { id, vx, vy })
        .collect();
    Ok(Snapshot {
        tick: snapshot.tick(),
        baseline_tick: match snapshot.baseline_age() {
            0 => None,
            // Ticks wrap: a delta just after the wrap has its baseline just before it.
            age => Some(snapshot.tick().wrapping_sub(u32::from(age))),
        },
        steps_per_unit: snapshot.steps_per_unit(),
        spawned,
        moved,
        jumped,
        turned,
        despawned: ids(snapshot.despawned_ids(), "Snapshot.despawned_ids")?,
        refielded: {
            let refielded_ids = ids(snapshot.refielded_ids(), "Snapshot.refielded_ids")?;
            let masks = column(
                snapshot.refielded_masks(),
                refielded_ids.len(),
                "Snapshot.refielded_masks",
            )?;
            let fields = read_fields(masks, snapshot.refielded_values(), "Snapshot.refielded")?;
            refielded_ids
                .iter()
                .zip(fields)
                .map(|(&id, (mask, fields))| Refielded { id, mask, fields })
                .collect()
        },
    })
}

fn decode_columns(columns: wire::ActorColumns<'_>) -> Result<Vec<ActorRow>, DecodeError> {
    let ids = read_ids(columns.ids().map_or(&[][..], |ids| ids.bytes()), "ActorColumns.ids")?;
    let x = column(columns.x(), ids.len(), "ActorColumns.x")?;
    let y = column(columns.y(), ids.len(), "ActorColumns.y")?;
    let vx = column(columns.vx(), ids.len(), "ActorColumns.vx")?;
    let vy = column(columns.vy(), ids.len(), "ActorColumns.vy")?;
    let kinds = column(columns.kinds(), ids.len(), "ActorColumns.kinds")?;
    let fields = match columns.field_masks() {
        None if columns.field_values().is_none_or(|values| values.is_empty()) => {
            vec![(0, [0; FIELD_SLOTS]); ids.len()]
        }
        None => return Err(DecodeError::ColumnLength("ActorColumns.field_values")),
        Some(masks) if masks.len() != ids.len() => {
            return Err(DecodeError::ColumnLength("ActorColumns.field_masks"));
        }
        Some(masks) => read_fields(masks, columns.field_values(), "ActorColumns.fields")?,
    };
    ids.iter()
        .enumerate()
        .map(|(row, &id)| {
            let kind = match kinds.get(row) {
                wire::ActorKind::Npc => ActorKind::Npc,
                wire::ActorKind::Player => ActorKind::Player,
                other => {
                    return Err(DecodeError::UnknownEnumValue {
                        field: "ActorColumns.kinds",
                        value: other.0,
                    });
                }
            };
            Ok(ActorRow {
                id,
                x: x.get(row),
                y: y.get(row),
                vx: vx.get(row),
                vy: vy.get(row),
                kind,
                fields: fields[row].1,
            })
        })
        .collect()
}

/// Gameplay fields: one mask per row (bit i: slot i, slots 0 to 3) and the values of the
/// set bits, row by row, lowest slot first; every value must be used.
fn read_fields(
    masks: flatbuffers::Vector<'_, u8>,
    values: Option<flatbuffers::Vector<'_, i32>>,
    field: &'static str,
) -> Result<Vec<(u8, [i32; FIELD_SLOTS])>, DecodeError> {
    let values = values.unwrap_or_default();
    let mut next = 0;
    let mut rows = Vec::with_capacity(masks.len());
    for mask in masks.iter() {
        if mask >> FIELD_SLOTS != 0 {
            return Err(DecodeError::UnknownEnumValue { field, value: mask });
        }
        let mut fields = [0; FIELD_SLOTS];
        for (slot, value) in fields.iter_mut().enumerate() {
            if mask & (1 << slot) != 0 {
                if next >= values.len() {
                    return Err(DecodeError::ColumnLength(field));
                }
                *value = values.get(next);
                next += 1;
            }
        }
        rows.push((mask, fields));
    }
    if next != values.len() {
        return Err(DecodeError::ColumnLength(field));
    }
    Ok(rows)
}

/// A column that must hold exactly one entry per id (absent counts as empty).
fn column<'a, T: flatbuffers::Follow<'a>>(
    column: Option<flatbuffers::Vector<'a, T>>,
    rows: usize,
    field: &'static str,
) -> Result<flatbuffers::Vector<'a, T>, DecodeError> {
    match column {
        Some(column) if column.len() == rows => Ok(column),
        None if rows == 0 => Ok(flatbuffers::Vector::default()),
        _ => Err(DecodeError::ColumnLength(field)),
    }
}

fn finite(value: f32, field: &'static str) -> Result<f32, DecodeError> {
    if value.is_finite() { Ok(value) } else { Err(DecodeError::NotFinite(field)) }
}

fn finite_vec2(value: &wire::Vec2, field: &'static str) -> Result<Vec2, DecodeError> {
    Ok(Vec2::new(finite(value.x(), field)?, finite(value.y(), field)?))
}

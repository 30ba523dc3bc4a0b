//! Each room's series on `/metrics`, labelled `room` (its id) and `name` (its type).
//!
//! They are rendered from the rooms' own counters at scrape time rather than registered
//! with the process's recorder, which never forgets a series: a disposed room's series
//! are gone from the next scrape, so label cardinality follows the rooms that exist.

use std::fmt::Write;

use tickwire_sim::WORLD_TICK_BUCKETS;

use super::registry::RoomStats;

/// A series with one sample per room: name, type, help, and the room's value.
type Simple = (&'static str, &'static str, &'static str, fn(&RoomStats) -> String);

/// Prometheus text for every room in `rooms`.
pub(crate) fn render(rooms: &[RoomStats]) -> String {
    let mut text = String::new();
    let simple: [Simple; 7] = [
        (
            "tickwire_room_clients",
            "gauge",
            "Places held: players, dropped players who may resume, unused seats.",
            |room| room.places.to_string(),
        ),
        ("tickwire_room_max_clients", "gauge", "The room's capacity.", |room| {
            room.max_clients.to_string()
        }),
        ("tickwire_room_actors", "gauge", "Actors in the room's world.", |room| {
            room.world.actors.to_string()
        }),
        ("tickwire_room_tick_rate_hz", "gauge", "The room's tick rate in force.", |room| {
            room.world.tick_rate_hz.to_string()
        }),
        ("tickwire_room_ticks_total", "counter", "Ticks the room's world ran.", |room| {
            room.world.ticks.to_string()
        }),
        (
            "tickwire_room_tick_overruns_total",
            "counter",
            "The room's ticks that ended after the next was due.",
            |room| room.world.overruns.to_string(),
        ),
        (
            "tickwire_room_sent_bytes_total",
            "counter",
            "Bytes sent to the room's sessions.",
            |room| room.outbound_bytes.to_string(),
        ),
    ];
    for (name, kind, help, value) in simple {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for room in rooms {
            let _ = writeln!(text, "{name}{{{}}} {}", labels(room), value(room));
        }
    }
    let name = "tickwire_room_tick_duration_seconds";
    let _ =
        writeln!(text, "# HELP {name} Time per tick of the room's world.\n# TYPE {name} histogram");
    for room in rooms {
        let labels = labels(room);
        let bounds = WORLD_TICK_BUCKETS.iter().map(f64::to_string).chain(["+Inf".to_owned()]);
        for (bound, count) in bounds.zip(&room.world.cumulative_buckets) {
            let _ = writeln!(text, "{name}_bucket{{{labels},le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(text, "{name}_sum{{{labels}}} {}", room.world.tick_seconds_total);
        let _ = writeln!(text, "{name}_count{{{labels}}} {}", room.world.ticks);
    }
    text
}

/// Room ids and type names are made of safe characters (the registry checks them), so
/// they go into label values as they are.
fn labels(room: &RoomStats) -> String {
    format!("room=\"{}\",name=\"{}\"", room.id, room.name)
}

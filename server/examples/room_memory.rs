//! What an empty room costs: memory per room once nobody is in it and it is parked.
//!
//! `cargo run --release -p tickwire-server --example room_memory [ROOMS]` (200 by default)
//! starts the real server in-process on a port-0 listener and creates rooms through
//! `POST /rooms` with the bench's options (`{"npcs": 20, "max_clients": 5,
//! "tick_rate_hz": 30}`, 30 Hz, a snapshot every tick): first ROOMS rooms whose seats
//! expire unused (1 s here; such a room never builds its world), then ROOMS rooms one
//! player joins and leaves (each lets its world go once parked, as rooms do by default),
//! then ROOMS such rooms of a type that keeps its world (`keep_world_when_empty`). Once
//! they park it prints the process's RSS and its live heap (counted by this example's
//! allocator) before and after, per room.
//!
//! First it builds one played room's pieces on their own and prints what each keeps on
//! the heap: the world (bevy `World`, schedule, NPCs), its input channel, the snapshot ring
//! and the auto-tuner, while played and once parked. The server gives parked rooms' freed heap
//! back to the OS itself, once their parking settles (`server/src/rooms/heap_trim.rs`);
//! at the end the example calls glibc's `malloc_trim` once more, timed, to show what free
//! heap is left. For where the rest goes, run it under `heaptrack` (the rooms are left
//! standing at exit, so they show as leaks).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use tickwire_client::{ClientBuilder, MatchRequest, Matchmaker};
use tickwire_net::SnapshotPublisher;
use tickwire_server::{DEFAULT_ROOM, ServerConfig, run_rooms};
use tickwire_sim::resources::RoomOptions;
use tickwire_sim::{AutotuneConfig, Autotuner, Publication, SimConfig, Simulation, sim_channels};

/// Counts the bytes live on the heap, so pieces can be weighed.
struct Counting;

static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

fn signed(size: usize) -> isize {
    isize::try_from(size).unwrap_or(isize::MAX)
}

// SAFETY: every call is passed on to `System` unchanged; the counter is only arithmetic.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(signed(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System::alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(signed(layout.size()), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(signed(layout.size()), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(signed(new_size) - signed(layout.size()), Ordering::Relaxed);
        // SAFETY: as for `dealloc`; `new_size` is the caller's, per `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The room type whose rooms keep their world while parked.
const KEEPER: &str = "keeper";
/// The bench's room shape (bench/run `ROOM_OPTIONS`).
const ROOM_BODY: &str =
    r#"{"name": "default", "options": {"npcs": 20, "max_clients": 5, "tick_rate_hz": 30}}"#;
const NPCS: u32 = 20;
const TICK_RATE_HZ: u16 = 30;
const MAX_CLIENTS: usize = 5;
/// How long a room's unused seat holds it (the server's default is 15 s).
const SEAT_TTL: Duration = Duration::from_secs(1);
/// Seat expiry, the 2 s a room runs on before it parks, the once-a-second sweep, margin.
const PARK_WAIT: Duration = Duration::from_secs(6);

// SAFETY: glibc's `malloc_trim` takes a padding size and returns an int; it only gives
// free heap pages back to the OS.
#[allow(unsafe_code)]
unsafe extern "C" {
    safe fn malloc_trim(pad: usize) -> i32;
}

/// Gives the allocator's free pages back to the OS, as the server does after parking rooms.
fn trim_heap() {
    malloc_trim(0);
}

fn live_bytes() -> isize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

fn kib(bytes: isize) -> f64 {
    bytes as f64 / 1024.0
}

/// The process's resident set, in bytes, from `/proc/self/status`.
fn rss_bytes() -> isize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<isize>().ok());
    kib.unwrap_or(0) * 1024
}

fn sim_config() -> SimConfig {
    let mut sim = SimConfig { npcs: NPCS, ..SimConfig::default() };
    sim.settings.tick_rate_hz = TICK_RATE_HZ;
    sim.settings.broadcast_every = 1;
    sim
}

/// One room's pieces, built alone, with what each keeps on the heap; returns what they
/// keep together once parked.
fn weigh_pieces() -> isize {
    let sim = sim_config();
    let start = live_bytes();
    let mut simulation = Simulation::new(sim);
    let built = live_bytes();
    println!("world: Simulation::new, {NPCS} NPCs: {:.1} KiB", kib(built - start));
    let (mut publisher, views) = SnapshotPublisher::new(sim.frame_history);
    let ticks = sim.frame_history * 2 + 1;
    for _ in 0..ticks {
        simulation.step();
        publisher.publish(Publication {
            snapshot: Arc::new(simulation.snapshot()),
            settings: simulation.settings(),
            events: simulation.take_events(),
            input_acks: simulation.input_acks(),
        });
    }
    println!("world + ring after {ticks} ticks: {:.1} KiB", kib(live_bytes() - start));
    let ring_full = live_bytes();
    publisher.keep_newest_only();
    let ring_parked = live_bytes();
    drop(publisher);
    drop(views);
    let ring = ring_parked - live_bytes();
    println!(
        "snapshot ring of {} frames: {:.1} KiB while played, {:.1} KiB once parked",
        sim.frame_history,
        kib(ring_full - ring_parked + ring),
        kib(ring)
    );
    let world_kept = live_bytes();
    drop(simulation);
    let world = world_kept - live_bytes();
    println!("world kept after stepping: {:.1} KiB", kib(world));
    let options = weigh_room_options();
    println!("the world's RoomOptions resource: {:.1} KiB", kib(options));
    let before_channel = live_bytes();
    let channels = sim_channels(MAX_CLIENTS * 16);
    let channel = live_bytes() - before_channel;
    println!("input channel (bound {}, empty): {:.1} KiB", MAX_CLIENTS * 16, kib(channel));
    drop(channels);
    let before_tuner = live_bytes();
    let mut tuner = Autotuner::new(AutotuneConfig::default(), Arc::default(), Instant::now());
    tuner.record_tick(Duration::from_micros(100));
    let tuner_ticking = live_bytes();
    tuner.parked();
    let tuner_parked = live_bytes() - before_tuner;
    println!(
        "auto-tuner: {:.1} KiB while ticking, {:.1} KiB once parked",
        kib(tuner_ticking - before_tuner),
        kib(tuner_parked)
    );
    world + options + ring + channel + tuner_parked
}

/// What the server's `RoomOptions` resource adds to a world (its options as the bench's).
fn weigh_room_options() -> isize {
    let mut simulation = Simulation::new(sim_config());
    let options =
        serde_json::json!({"npcs": NPCS, "max_clients": MAX_CLIENTS, "tick_rate_hz": TICK_RATE_HZ});
    let before = live_bytes();
    simulation.world_mut().insert_resource(RoomOptions::new(
        "0123456789abcdef".to_owned(),
        tickwire_server::DEFAULT_ROOM.to_owned(),
        options.as_object().cloned().unwrap_or_default(),
    ));
    live_bytes() - before
}

/// `POST /rooms` with the bench's options; whether the server made the room.
fn create_room(addr: SocketAddr) -> std::io::Result<bool> {
    let mut stream = TcpStream::connect(addr)?;
    let request = format!(
        "POST /rooms HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{ROOM_BODY}",
        ROOM_BODY.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response.starts_with("HTTP/1.1 2"))
}

fn main() -> ExitCode {
    let rooms: usize = match std::env::args().nth(1).map(|arg| arg.parse()) {
        None => 200,
        Some(Ok(rooms)) => rooms,
        Some(Err(error)) => {
            eprintln!("room_memory: ROOMS must be a number: {error}");
            return ExitCode::FAILURE;
        }
    };
    let pieces = weigh_pieces();
    match measure(rooms, pieces) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("room_memory: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the server, then weighs `rooms` rooms nobody joins and `rooms` rooms of each type
/// one player joined and left; `pieces` is what one played room's pieces keep once parked
/// with its world kept.
fn measure(rooms: usize, pieces: isize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|error| format!("no runtime: {error}"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|error| format!("cannot bind: {error}"))?;
    let addr = listener.local_addr().map_err(|error| format!("no address: {error}"))?;
    let mut config = ServerConfig { sim: sim_config(), ..ServerConfig::default() };
    config.autotune.enabled = false;
    config.rooms.seat_ttl = SEAT_TTL;
    config.rooms.empty_timeout = Duration::from_secs(3600);
    config.rooms.max_rooms = config.rooms.max_rooms.max(3 * rooms + 1);
    let server = runtime.spawn(run_rooms(
        listener,
        config,
        |types| {
            types.define(DEFAULT_ROOM, |_: &mut Simulation| {});
            types.define(KEEPER, |_: &mut Simulation| {}).keep_world_when_empty();
        },
        std::future::pending(),
    ));
    std::thread::sleep(PARK_WAIT);
    let rss_start = rss_bytes();
    println!("RSS {:.1} MiB before any room", kib(rss_start) / 1024.0);
    weigh_rooms(rooms, "nobody joined, seats expired", || {
        for _ in 0..rooms {
            match create_room(addr) {
                Ok(true) => {}
                Ok(false) => return Err("the server refused to create a room".into()),
                Err(error) => return Err(format!("POST /rooms: {error}")),
            }
        }
        Ok(())
    })?;
    weigh_rooms(rooms, "one player joined and left, world let go", || {
        runtime.block_on(play_once_in_new_rooms(addr, DEFAULT_ROOM, rooms))
    })?;
    let played = weigh_rooms(rooms, "one player joined and left, world kept", || {
        runtime.block_on(play_once_in_new_rooms(addr, KEEPER, rooms))
    })?;
    println!(
        "  of which beside the pieces above (registry, link, pool, metrics, places): {:.1} KiB",
        kib(played - pieces)
    );
    let trimming = Instant::now();
    trim_heap();
    let took = trimming.elapsed();
    println!(
        "all {} parked rooms, after malloc_trim: {:.1} KiB RSS per room (the trim took {:.2} ms)",
        3 * rooms,
        kib(rss_bytes() - rss_start) / (3 * rooms) as f64,
        took.as_secs_f64() * 1e3
    );
    server.abort();
    // Left standing, so a heap profiler (heaptrack) sees the rooms as live at exit.
    std::mem::forget(runtime);
    Ok(())
}

/// Makes `rooms` rooms with `make`, waits for them to park, and prints what they cost
/// per room; returns the heap each keeps once parked.
fn weigh_rooms(
    rooms: usize,
    what: &str,
    make: impl FnOnce() -> Result<(), String>,
) -> Result<isize, String> {
    let (rss_before, heap_before) = (rss_bytes(), live_bytes());
    make()?;
    let (rss_made, heap_made) = (rss_bytes(), live_bytes());
    std::thread::sleep(SEAT_TTL + PARK_WAIT);
    let (rss_parked, heap_parked) = (rss_bytes(), live_bytes());
    let per_room = |after: isize, before: isize| kib(after - before) / rooms as f64;
    println!("{rooms} rooms, {what}:");
    println!(
        "  just made: {:.1} KiB RSS, {:.1} KiB heap per room",
        per_room(rss_made, rss_before),
        per_room(heap_made, heap_before)
    );
    println!(
        "  parked: {:.1} KiB RSS, {:.1} KiB heap per room (RSS {:.1} MiB)",
        per_room(rss_parked, rss_before),
        per_room(heap_parked, heap_before),
        kib(rss_parked) / 1024.0
    );
    Ok((heap_parked - heap_before) / rooms as isize)
}

/// Creates `rooms` rooms of type `name` through the matchmaker; a client joins each with
/// its seat, takes the `Welcome` and leaves with a goodbye (its place is free at once).
async fn play_once_in_new_rooms(addr: SocketAddr, name: &str, rooms: usize) -> Result<(), String> {
    let matchmaker =
        Matchmaker::new(&format!("http://{addr}")).map_err(|error| error.to_string())?;
    let options =
        serde_json::json!({"npcs": NPCS, "max_clients": MAX_CLIENTS, "tick_rate_hz": TICK_RATE_HZ});
    let request = MatchRequest::new(name).options(options.as_object().cloned().unwrap_or_default());
    for _ in 0..rooms {
        let seat =
            matchmaker.create(&request).await.map_err(|error| format!("POST /rooms: {error}"))?;
        let client = ClientBuilder::seat(seat)
            .reconnect(false)
            .connect()
            .await
            .map_err(|error| format!("joining a room: {error}"))?;
        drop(client);
    }
    Ok(())
}

//! A fake Agones SDK sidecar for the tests of the server's `agones` feature, and the
//! server binary they run (`agones-test-server`).
//!
//! [`FakeSdk`] serves the gRPC calls the Agones SDK makes (`agones.dev.sdk.SDK`: Ready,
//! Allocate, Shutdown, Health, GetGameServer; `agones.dev.sdk.beta.SDK`: Counters and
//! Lists) on a free loopback port, generated from the subset of the SDK's protos in
//! `proto/`. It records every call in order, health pings one by one as they arrive on
//! the stream, and keeps Counters and Lists the way the real sidecar does: only those
//! declared at start exist, a Counter stays within its capacity, a List refuses a value
//! twice, a missing value, or a value beyond its capacity. Tests read the record with
//! [`FakeSdk::wait_until`], a poll with a deadline.
//!
//! Everything is behind the `agones` feature (see `Cargo.toml`).
#![cfg(feature = "agones")]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::{Request, Response, Status, Streaming};

/// The address and port the fake's `GameServer` status gives: where Agones would say
/// players reach the game server.
pub const FAKE_ADDRESS: &str = "203.0.113.7";
/// See [`FAKE_ADDRESS`].
pub const FAKE_PORT: i32 = 7777;

/// Code generated from `proto/sdk.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod sdk {
    tonic::include_proto!("agones.dev.sdk");
}

/// Code generated from `proto/beta.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod beta {
    tonic::include_proto!("agones.dev.sdk.beta");
}

/// One call the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `GetGameServer` (the SDK calls it while connecting).
    GetGameServer,
    /// `Ready`.
    Ready,
    /// `Allocate`.
    Allocate,
    /// `Shutdown`.
    Shutdown,
    /// One health ping on the `Health` stream.
    Health,
    /// `GetCounter`.
    GetCounter(String),
    /// `UpdateCounter`: a set count, a set capacity, or a difference.
    UpdateCounter {
        /// The Counter.
        name: String,
        /// The count set, if any.
        count: Option<i64>,
        /// The capacity set, if any.
        capacity: Option<i64>,
        /// The difference applied.
        diff: i64,
    },
    /// `GetList`.
    GetList(String),
    /// `UpdateList`.
    UpdateList(String),
    /// `AddListValue`.
    AddListValue(String, String),
    /// `RemoveListValue`.
    RemoveListValue(String, String),
}

/// A Counter or a List the fake keeps.
#[derive(Debug, Clone, Default)]
struct Tally {
    count: i64,
    capacity: i64,
    values: Vec<String>,
}

/// What the fake has seen and holds.
#[derive(Debug, Default)]
pub struct Record {
    /// Every call, in the order received, with when it came.
    pub calls: Vec<(Instant, Call)>,
    counters: HashMap<String, Tally>,
    lists: HashMap<String, Tally>,
}

impl Record {
    /// The calls, in order, without their times.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.calls.iter().map(|(_, call)| call.clone()).collect()
    }

    /// The position of the first call equal to `call`.
    #[must_use]
    pub fn position(&self, call: &Call) -> Option<usize> {
        self.calls.iter().position(|(_, seen)| seen == call)
    }

    /// How many health pings have come.
    #[must_use]
    pub fn pings(&self) -> usize {
        self.calls.iter().filter(|(_, call)| *call == Call::Health).count()
    }

    /// When the last health ping came.
    #[must_use]
    pub fn last_ping(&self) -> Option<Instant> {
        self.calls.iter().rev().find(|(_, call)| *call == Call::Health).map(|(at, _)| *at)
    }

    /// A Counter's count (`None`: not declared).
    #[must_use]
    pub fn counter(&self, name: &str) -> Option<i64> {
        self.counters.get(name).map(|counter| counter.count)
    }

    /// A List's values, sorted (`None`: not declared).
    #[must_use]
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.lists.get(name).map(|list| {
            let mut values = list.values.clone();
            values.sort();
            values
        })
    }
}

/// The fake sidecar, serving until dropped.
#[derive(Debug)]
pub struct FakeSdk {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    record: Arc<Mutex<Record>>,
    _stop: oneshot::Sender<()>,
}

impl FakeSdk {
    /// Starts a fake sidecar on a free loopback port with the Counters and Lists given
    /// as `(name, capacity)`.
    ///
    /// # Panics
    /// If no loopback port can be bound.
    pub async fn start(counters: &[(&str, i64)], lists: &[(&str, i64)]) -> Self {
        let tally = |&(name, capacity): &(&str, i64)| {
            (name.to_owned(), Tally { capacity, ..Tally::default() })
        };
        let record = Arc::new(Mutex::new(Record {
            calls: Vec::new(),
            counters: counters.iter().map(tally).collect(),
            lists: lists.iter().map(tally).collect(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the fake sidecar");
        let addr = listener.local_addr().expect("the fake sidecar's address");
        let (stop, stopped) = oneshot::channel();
        let service = Service { record: Arc::clone(&record) };
        let server = tonic::transport::Server::builder()
            .add_service(sdk::sdk_server::SdkServer::new(service.clone()))
            .add_service(beta::sdk_server::SdkServer::new(service))
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = stopped.await;
            });
        tokio::spawn(server);
        Self { addr, record, _stop: stop }
    }

    /// The record now.
    pub fn record(&self) -> MutexGuard<'_, Record> {
        lock(&self.record)
    }

    /// Polls the record (every 20 ms) until `done` holds; `what` names it.
    ///
    /// # Panics
    /// If `done` does not hold within `within`: the message gives the calls so far.
    pub async fn wait_until(&self, what: &str, within: Duration, done: impl Fn(&Record) -> bool) {
        let deadline = Instant::now() + within;
        loop {
            if done(&self.record()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{what} should happen within {within:?}; calls so far: {:?}",
                self.record().calls()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A poisoned lock only means a test already failed; the record is still readable.
fn lock(record: &Mutex<Record>) -> MutexGuard<'_, Record> {
    record.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The gRPC services, sharing the record. The lock is never held across an await.
#[derive(Debug, Clone)]
struct Service {
    record: Arc<Mutex<Record>>,
}

impl Service {
    /// Records `call`.
    fn note(&self, call: Call) {
        lock(&self.record).calls.push((Instant::now(), call));
    }

    /// Records `call` and keeps the record locked to answer it.
    fn noted(&self, call: Call) -> MutexGuard<'_, Record> {
        let mut record = lock(&self.record);
        record.calls.push((Instant::now(), call));
        record
    }
}

fn list_of(name: &str, list: &Tally) -> beta::List {
    beta::List { name: name.to_owned(), capacity: list.capacity, values: list.values.clone() }
}

fn counter_of(name: &str, counter: &Tally) -> beta::Counter {
    beta::Counter { name: name.to_owned(), count: counter.count, capacity: counter.capacity }
}

fn not_found(kind: &str, name: &str) -> Status {
    Status::not_found(format!("{kind} {name} not found"))
}

#[tonic::async_trait]
impl sdk::sdk_server::Sdk for Service {
    async fn ready(&self, _: Request<sdk::Empty>) -> Result<Response<sdk::Empty>, Status> {
        self.note(Call::Ready);
        Ok(Response::new(sdk::Empty {}))
    }

    async fn allocate(&self, _: Request<sdk::Empty>) -> Result<Response<sdk::Empty>, Status> {
        self.note(Call::Allocate);
        Ok(Response::new(sdk::Empty {}))
    }

    async fn shutdown(&self, _: Request<sdk::Empty>) -> Result<Response<sdk::Empty>, Status> {
        self.note(Call::Shutdown);
        Ok(Response::new(sdk::Empty {}))
    }

    async fn health(
        &self,
        request: Request<Streaming<sdk::Empty>>,
    ) -> Result<Response<sdk::Empty>, Status> {
        let mut pings = request.into_inner();
        while pings.message().await?.is_some() {
            self.note(Call::Health);
        }
        Ok(Response::new(sdk::Empty {}))
    }

    async fn get_game_server(
        &self,
        _: Request<sdk::Empty>,
    ) -> Result<Response<sdk::GameServer>, Status> {
        self.note(Call::GetGameServer);
        let status = sdk::game_server::Status {
            state: "Scheduled".into(),
            address: FAKE_ADDRESS.into(),
            ports: vec![sdk::game_server::status::Port { name: "default".into(), port: FAKE_PORT }],
        };
        Ok(Response::new(sdk::GameServer { status: Some(status) }))
    }
}

#[tonic::async_trait]
impl beta::sdk_server::Sdk for Service {
    async fn get_counter(
        &self,
        request: Request<beta::GetCounterRequest>,
    ) -> Result<Response<beta::Counter>, Status> {
        let name = request.into_inner().name;
        let record = self.noted(Call::GetCounter(name.clone()));
        let counter = record.counters.get(&name).ok_or_else(|| not_found("counter", &name))?;
        Ok(Response::new(counter_of(&name, counter)))
    }

    async fn update_counter(
        &self,
        request: Request<beta::UpdateCounterRequest>,
    ) -> Result<Response<beta::Counter>, Status> {
        let update = request
            .into_inner()
            .counter_update_request
            .ok_or_else(|| Status::invalid_argument("no counterUpdateRequest"))?;
        let name = update.name.clone();
        let mut record = self.noted(Call::UpdateCounter {
            name: name.clone(),
            count: update.count,
            capacity: update.capacity,
            diff: update.count_diff,
        });
        let counter = record.counters.get_mut(&name).ok_or_else(|| not_found("counter", &name))?;
        let capacity = update.capacity.unwrap_or(counter.capacity);
        let count = update.count.unwrap_or(counter.count) + update.count_diff;
        if capacity < 0 || !(0..=capacity).contains(&count) {
            return Err(Status::out_of_range(format!("count {count} out of 0..={capacity}")));
        }
        counter.capacity = capacity;
        counter.count = count;
        Ok(Response::new(counter_of(&name, counter)))
    }

    async fn get_list(
        &self,
        request: Request<beta::GetListRequest>,
    ) -> Result<Response<beta::List>, Status> {
        let name = request.into_inner().name;
        let record = self.noted(Call::GetList(name.clone()));
        let list = record.lists.get(&name).ok_or_else(|| not_found("list", &name))?;
        Ok(Response::new(list_of(&name, list)))
    }

    async fn update_list(
        &self,
        request: Request<beta::UpdateListRequest>,
    ) -> Result<Response<beta::List>, Status> {
        let name = request.into_inner().list.map(|list| list.name).unwrap_or_default();
        self.note(Call::UpdateList(name));
        Err(Status::unimplemented("the fake does not update whole lists"))
    }

    async fn add_list_value(
        &self,
        request: Request<beta::AddListValueRequest>,
    ) -> Result<Response<beta::List>, Status> {
        let beta::AddListValueRequest { name, value } = request.into_inner();
        let mut record = self.noted(Call::AddListValue(name.clone(), value.clone()));
        let list = record.lists.get_mut(&name).ok_or_else(|| not_found("list", &name))?;
        if list.values.contains(&value) {
            return Err(Status::already_exists(format!("{value} already in {name}")));
        }
        if i64::try_from(list.values.len()).unwrap_or(i64::MAX) >= list.capacity {
            return Err(Status::out_of_range(format!("{name} is at capacity")));
        }
        list.values.push(value);
        Ok(Response::new(list_of(&name, list)))
    }

    async fn remove_list_value(
        &self,
        request: Request<beta::RemoveListValueRequest>,
    ) -> Result<Response<beta::List>, Status> {
        let beta::RemoveListValueRequest { name, value } = request.into_inner();
        let mut record = self.noted(Call::RemoveListValue(name.clone(), value.clone()));
        let list = record.lists.get_mut(&name).ok_or_else(|| not_found("list", &name))?;
        let at = list
            .values
            .iter()
            .position(|seen| *seen == value)
            .ok_or_else(|| not_found("value", &value))?;
        list.values.remove(at);
        Ok(Response::new(list_of(&name, list)))
    }
}

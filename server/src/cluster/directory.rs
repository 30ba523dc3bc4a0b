//! The Redis directory: every process's entry (who it is, where it is reached, whether it
//! drains, and its rooms), and the locks that keep concurrent join-or-creates across
//! processes to one room.
//!
//! # Keys
//! - `tickwire:process:ID`: the process's [`ProcessEntry`] as JSON, written with an
//!   expiry of [`ENTRY_TTL`] whenever it changes, and its expiry extended every
//!   [`REFRESH_EVERY`] (rewritten if Redis lost it). A process that dies (even `kill -9`) stops rewriting it, so it and its rooms
//!   leave the directory within [`ENTRY_TTL`] by themselves; a process that stops cleanly
//!   deletes it at once.
//! - `tickwire:processes`: a sorted set naming every process that has an entry (score:
//!   when its entry expires, in Unix ms), so a reader can fetch every entry in two round
//!   trips without `KEYS` or `SCAN`. Members a minute past their expiry are pruned by
//!   every writer; an entry key that is gone means the process is gone, whatever the set
//!   says.
//! - `tickwire:lock:joc:NAME:HASH`: held while one process decides a join-or-create for
//!   room type `NAME` and the label filter whose SHA-256 is `HASH`; `SET NX PX` with a
//!   random token, released by a compare-and-delete script, and expiring by itself if its
//!   holder dies.
//!
//! Every call is bounded by [`CALL_TIMEOUT`]: while Redis is gone they fail fast with
//! [`DirectoryError`], the rooms keep running, and the refresh loop registers the process
//! again when Redis is back ([`redis::aio::ConnectionManager`] reconnects by itself).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use data_encoding::HEXLOWER;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::rooms::registry::RoomInfo;

/// How long an entry lives unless rewritten.
pub(crate) const ENTRY_TTL: Duration = Duration::from_secs(5);
/// How often a process rewrites its entry when nothing changed.
pub(crate) const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// The longest any one directory call may take.
const CALL_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long a join-or-create lock lives if its holder never releases it.
const LOCK_TTL: Duration = Duration::from_secs(5);
/// How often a waiting join-or-create tries the lock again.
const LOCK_RETRY: Duration = Duration::from_millis(15);
/// Members of the process set this long past their expiry are pruned.
const PRUNE_AFTER_MS: u64 = 60_000;

const PROCESSES: &str = "tickwire:processes";

/// Releases a lock only if it is still ours.
const UNLOCK: &str = r"if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// A process as the directory holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ProcessEntry {
    /// The process id (room ids end with `-ID`).
    pub(crate) id: String,
    /// Where its rooms' players connect (`ws://.../ws`).
    pub(crate) url: String,
    /// Where other processes send it matchmaking requests (`http://...`).
    pub(crate) peer_url: String,
    /// It takes no new rooms or players.
    pub(crate) draining: bool,
    /// Players in its rooms (places taken).
    pub(crate) clients: usize,
    /// Most rooms it holds.
    pub(crate) max_rooms: usize,
    /// Its rooms.
    pub(crate) rooms: Vec<RoomInfo>,
}

impl ProcessEntry {
    /// Share of its room capacity in use, for placing new rooms.
    pub(crate) fn load(&self) -> f64 {
        self.rooms.len() as f64 / self.max_rooms.max(1) as f64
    }
}

/// Why a directory call failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DirectoryError {
    /// Redis refused or could not be reached.
    #[error("the room directory (Redis) is unreachable: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer in time.
    #[error("the room directory (Redis) did not answer within {0:?}")]
    Timeout(Duration),
    /// An entry is not what this version writes.
    #[error("a directory entry is malformed: {0}")]
    Malformed(#[from] serde_json::Error),
}

/// The connection to the directory; cheap to clone.
#[derive(Clone)]
pub(crate) struct Directory {
    redis: ConnectionManager,
}

/// A held join-or-create lock: release it with [`Directory::unlock`] (it expires anyway).
#[derive(Debug)]
pub(crate) struct DirectoryLock {
    key: String,
    token: String,
}

impl Directory {
    /// A directory at `url`; connects on first use and reconnects by itself.
    ///
    /// # Errors
    /// An invalid URL.
    pub(crate) fn open(url: &str) -> Result<Self, DirectoryError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        Ok(Self { redis: ConnectionManager::new_lazy_with_config(client, config)? })
    }

    /// Writes `entry` with a fresh expiry.
    pub(crate) async fn publish(&self, entry: &ProcessEntry) -> Result<(), DirectoryError> {
        let json = serde_json::to_string(entry)?;
        let now = unix_ms();
        let ttl_ms = ENTRY_TTL.as_millis() as u64;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(entry_key(&entry.id))
            .arg(json)
            .arg("PX")
            .arg(ttl_ms)
            .ignore()
            .cmd("ZADD")
            .arg(PROCESSES)
            .arg(now + ttl_ms)
            .arg(&entry.id)
            .ignore()
            .cmd("ZREMRANGEBYSCORE")
            .arg(PROCESSES)
            .arg("-inf")
            .arg(now.saturating_sub(PRUNE_AFTER_MS))
            .ignore();
        self.call(pipe.query_async::<()>(&mut self.redis.clone())).await
    }

    /// Extends process `id`'s entry by [`ENTRY_TTL`] without rewriting it (nothing in it
    /// changed); `false` if there is no entry to extend (Redis restarted, or it expired).
    pub(crate) async fn refresh(&self, id: &str) -> Result<bool, DirectoryError> {
        let now = unix_ms();
        let ttl_ms = ENTRY_TTL.as_millis() as u64;
        let mut pipe = redis::pipe();
        pipe.cmd("PEXPIRE")
            .arg(entry_key(id))
            .arg(ttl_ms)
            .cmd("ZADD")
            .arg(PROCESSES)
            .arg(now + ttl_ms)
            .arg(id)
            .ignore();
        let (extended,): (i64,) = self.call(pipe.query_async(&mut self.redis.clone())).await?;
        Ok(extended == 1)
    }

    /// Removes process `id`'s entry at once (a clean stop).
    pub(crate) async fn withdraw(&self, id: &str) -> Result<(), DirectoryError> {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(entry_key(id)).ignore().cmd("ZREM").arg(PROCESSES).arg(id).ignore();
        self.call(pipe.query_async::<()>(&mut self.redis.clone())).await
    }

    /// Every live process's entry, in id order.
    pub(crate) async fn processes(&self) -> Result<Vec<ProcessEntry>, DirectoryError> {
        let mut redis = self.redis.clone();
        let ids: Vec<String> = self
            .call(redis::cmd("ZRANGE").arg(PROCESSES).arg(0).arg(-1).query_async(&mut redis))
            .await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = ids.iter().map(|id| entry_key(id)).collect();
        let entries: Vec<Option<String>> =
            self.call(redis::cmd("MGET").arg(&keys).query_async(&mut redis)).await?;
        let mut live = Vec::with_capacity(entries.len());
        for json in entries.into_iter().flatten() {
            live.push(serde_json::from_str::<ProcessEntry>(&json)?);
        }
        live.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(live)
    }

    /// Process `id`'s entry, if it is live.
    pub(crate) async fn process(&self, id: &str) -> Result<Option<ProcessEntry>, DirectoryError> {
        let mut redis = self.redis.clone();
        let json: Option<String> =
            self.call(redis::cmd("GET").arg(entry_key(id)).query_async(&mut redis)).await?;
        Ok(json.map(|json| serde_json::from_str(&json)).transpose()?)
    }

    /// Takes the join-or-create lock for rooms of type `name` labelled `filter`, waiting
    /// up to `wait`; `None` if another process held it all that time.
    pub(crate) async fn lock(
        &self,
        name: &str,
        filter: &serde_json::Map<String, serde_json::Value>,
        wait: Duration,
    ) -> Result<Option<DirectoryLock>, DirectoryError> {
        let filter = serde_json::to_vec(filter)?;
        let key = format!("tickwire:lock:joc:{name}:{}", HEXLOWER.encode(&Sha256::digest(&filter)));
        let token = HEXLOWER.encode(&getrandom::u64().unwrap_or_else(|_| unix_ms()).to_le_bytes());
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let mut redis = self.redis.clone();
            let taken: Option<String> = self
                .call(
                    redis::cmd("SET")
                        .arg(&key)
                        .arg(&token)
                        .arg("NX")
                        .arg("PX")
                        .arg(LOCK_TTL.as_millis() as u64)
                        .query_async(&mut redis),
                )
                .await?;
            if taken.is_some() {
                return Ok(Some(DirectoryLock { key, token }));
            }
            if tokio::time::Instant::now() + LOCK_RETRY > deadline {
                return Ok(None);
            }
            tokio::time::sleep(LOCK_RETRY).await;
        }
    }

    /// Releases `lock` if it is still ours (it may have expired and been taken since).
    pub(crate) async fn unlock(&self, lock: DirectoryLock) -> Result<(), DirectoryError> {
        let script = redis::Script::new(UNLOCK);
        let mut redis = self.redis.clone();
        let mut invocation = script.key(&lock.key);
        invocation.arg(&lock.token);
        self.call(invocation.invoke_async::<i64>(&mut redis)).await.map(drop)
    }

    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, DirectoryError> {
        match tokio::time::timeout(CALL_TIMEOUT, call).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(DirectoryError::Timeout(CALL_TIMEOUT)),
        }
    }
}

fn entry_key(id: &str) -> String {
    format!("tickwire:process:{id}")
}

fn unix_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64)
}

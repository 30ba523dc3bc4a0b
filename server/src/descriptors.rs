//! File descriptors: every session holds one, so `max_sessions` means nothing unless the
//! process may open that many. At start the soft limit is raised to the hard one (and the
//! log says so); a `max_sessions` that still does not fit, with room for the rest of the
//! server, is refused naming the setting, rather than leaving newcomers hanging once the
//! descriptors run out.

use tracing::info;

use crate::ConfigError;

/// Descriptors the server needs besides one per session: the listener, the runtime's
/// epoll and wakers, standard streams, `/proc` reads for the process metrics, and HTTP
/// connections that have not yet become sessions.
pub(crate) const DESCRIPTOR_MARGIN: u64 = 64;

/// Raises the soft descriptor limit as far as allowed, then checks that `max_sessions`
/// fits in it.
///
/// # Errors
/// [`ConfigError::Invalid`] naming `limits.max_sessions` if it does not fit.
pub(crate) fn ensure_room_for(max_sessions: usize) -> Result<(), ConfigError> {
    fits(max_sessions, raise_soft_limit())
}

/// Whether `max_sessions` and [`DESCRIPTOR_MARGIN`] fit in `limit` (`None`: unknown,
/// nothing to check).
fn fits(max_sessions: usize, limit: Option<u64>) -> Result<(), ConfigError> {
    let Some(limit) = limit else { return Ok(()) };
    let needed = u64::try_from(max_sessions).unwrap_or(u64::MAX).saturating_add(DESCRIPTOR_MARGIN);
    if needed <= limit {
        return Ok(());
    }
    Err(ConfigError::Invalid {
        setting: "limits.max_sessions",
        reason: format!(
            "{max_sessions} sessions need about {needed} file descriptors, but this process \
             may open {limit} (RLIMIT_NOFILE, raised to its hard limit): lower max_sessions \
             or raise the hard limit (`ulimit -Hn`, systemd `LimitNOFILE=`)"
        ),
    })
}

/// The soft limit after raising it to the hard limit, or `None` where there is none to read.
#[cfg(unix)]
fn raise_soft_limit() -> Option<u64> {
    let (before, _) = rlimit::Resource::NOFILE.get().ok()?;
    let after = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(before);
    if after > before {
        info!(before, after, "raised the open file limit (RLIMIT_NOFILE) to its hard limit");
    }
    Some(after)
}

#[cfg(not(unix))]
fn raise_soft_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_and_the_margin_must_fit_the_limit() {
        assert!(fits(1000, Some(1000 + DESCRIPTOR_MARGIN)).is_ok());
        assert!(fits(0, None).is_ok(), "an unknown limit should not refuse anything");
        let refusal = fits(1001, Some(1000 + DESCRIPTOR_MARGIN)).err().map(|e| e.to_string());
        assert!(
            refusal.as_ref().is_some_and(|text| text.contains("limits.max_sessions")),
            "the refusal should name the setting: {refusal:?}"
        );
        assert!(fits(usize::MAX, Some(u64::MAX - 1)).is_err(), "the sum should not overflow");
    }
}

//! Who may use the operator endpoints (`/admin/settings`, `/metrics`): [`Guard`], a
//! middleware in front of each, and [`Access`], the rule it applies.
//!
//! - With a token configured, every request needs `Authorization: Bearer <token>`.
//! - Without one, the endpoint is open on a loopback bind and off on any other bind, so a
//!   public server never exposes it by accident.
//! - Open on loopback still means *this machine only*: a web page the developer visits can
//!   point its own domain at 127.0.0.1 (DNS rebinding) and reach the port from the
//!   browser. Such requests carry the page's domain in `Host` (and `Origin`), so an open
//!   endpoint accepts only loopback names there.
//!
//! Every refusal is counted in `tickwire_http_refused_total{endpoint, reason}` and logged
//! (thinned, with what the client sent escaped).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Recorder};
use serde_json::json;
use subtle::ConstantTimeEq;
use tickwire_sim::metrics::counter;
use tracing::warn;

use tickwire_net::LogThrottle;

/// Who may use an operator endpoint.
#[derive(Debug, Clone)]
pub(crate) enum Access {
    /// Anyone on this machine: a loopback bind without a token; only loopback `Host` and
    /// `Origin` are accepted.
    Loopback,
    /// Requests must carry this bearer token.
    Token(Arc<str>),
    /// Nobody: a non-loopback bind without a token. Names the flag that turns it on.
    Disabled {
        /// The flag that sets the token.
        token_flag: &'static str,
    },
}

impl Access {
    /// The rule for a server listening on `local`, with `token` if one is configured.
    pub(crate) fn for_bind(
        token: Option<&str>,
        local: SocketAddr,
        token_flag: &'static str,
    ) -> Self {
        match token {
            Some(token) => Self::Token(token.into()),
            None if local.ip().is_loopback() => Self::Loopback,
            None => Self::Disabled { token_flag },
        }
    }

    /// Whether a request with these headers may go on.
    ///
    /// # Errors
    /// The [`Refusal`] to answer with.
    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        match self {
            Self::Disabled { token_flag } => Err(Refusal::Disabled { token_flag }),
            Self::Token(token) => {
                let given = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                    Ok(())
                } else {
                    Err(Refusal::BadToken)
                }
            }
            Self::Loopback => {
                let host = headers.get(header::HOST);
                if !host.and_then(text).is_some_and(is_loopback_authority) {
                    return Err(Refusal::ForeignHost(shown(host)));
                }
                match headers.get(header::ORIGIN) {
                    Some(origin) if !text(origin).is_some_and(is_loopback_origin) => {
                        Err(Refusal::ForeignOrigin(shown(Some(origin))))
                    }
                    _ => Ok(()),
                }
            }
        }
    }
}

fn text(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok()
}

/// What the client sent, for the log: lossy, as `{:?}` escapes it there.
fn shown(value: Option<&HeaderValue>) -> String {
    value.map_or_else(|| "(none)".into(), |value| String::from_utf8_lossy(value.as_bytes()).into())
}

/// `localhost`, `127.x.x.x` or `[::1]`, with or without a port.
fn is_loopback_authority(authority: &str) -> bool {
    let (host_is_loopback, port) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((ipv6, port)) => (ipv6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback()), port),
            None => return false,
        },
        None => {
            let (host, port) =
                authority.find(':').map_or((authority, ""), |colon| authority.split_at(colon));
            let loopback = host.eq_ignore_ascii_case("localhost")
                || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback());
            (loopback, port)
        }
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            digits.bytes().all(|byte| byte.is_ascii_digit()) && digits.parse::<u16>().is_ok()
        });
    host_is_loopback && port_ok
}

/// `http://` or `https://` and a loopback authority, nothing after it.
fn is_loopback_origin(origin: &str) -> bool {
    let lower = origin.to_ascii_lowercase();
    ["http://", "https://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .is_some_and(is_loopback_authority)
}

/// Why a request to an operator endpoint was not let in.
#[derive(Debug, PartialEq)]
pub(crate) enum Refusal {
    /// The endpoint is off on this bind.
    Disabled {
        /// The flag that sets the token.
        token_flag: &'static str,
    },
    /// No token, or the wrong one.
    BadToken,
    /// An open endpoint reached under a name that is not loopback (DNS rebinding).
    ForeignHost(String),
    /// An open endpoint called from a page that is not served from loopback.
    ForeignOrigin(String),
}

impl Refusal {
    const LABELS: [&'static str; 4] = ["disabled", "token", "host", "origin"];

    fn index(&self) -> usize {
        match self {
            Self::Disabled { .. } => 0,
            Self::BadToken => 1,
            Self::ForeignHost(_) => 2,
            Self::ForeignOrigin(_) => 3,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Disabled { token_flag } => error(
                StatusCode::FORBIDDEN,
                &format!(
                    "this endpoint is off: the server listens on a non-loopback address without \
                     its token (set {token_flag} to enable it)"
                ),
            ),
            Self::BadToken => {
                let mut response = error(StatusCode::UNAUTHORIZED, "missing or wrong token");
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            Self::ForeignHost(_) => error(
                StatusCode::FORBIDDEN,
                "without a token this endpoint answers only requests addressed to localhost, \
                 127.0.0.1 or [::1] (Host header)",
            ),
            Self::ForeignOrigin(_) => error(
                StatusCode::FORBIDDEN,
                "without a token this endpoint answers only pages served from localhost, \
                 127.0.0.1 or [::1] (Origin header)",
            ),
        }
    }
}

/// A JSON error body: `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// The middleware that applies an [`Access`] to one endpoint, counting and logging what
/// it refuses. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Guard {
    inner: Arc<GuardInner>,
}

struct GuardInner {
    endpoint: &'static str,
    access: Access,
    refused: [Counter; Refusal::LABELS.len()],
    log: LogThrottle,
}

/// How often a refusal is logged at most, per endpoint.
const REFUSAL_LOG_INTERVAL: Duration = Duration::from_secs(1);

impl Guard {
    /// A guard for `endpoint` (the metric's label), registering its counters.
    pub(crate) fn new(endpoint: &'static str, access: Access, recorder: &dyn Recorder) -> Self {
        let refused = Refusal::LABELS.map(|reason| {
            counter(
                recorder,
                "tickwire_http_refused_total",
                &[("endpoint", endpoint), ("reason", reason)],
                "Requests to the admin API and /metrics refused, by endpoint and reason.",
            )
        });
        let log = LogThrottle::new(REFUSAL_LOG_INTERVAL);
        Self { inner: Arc::new(GuardInner { endpoint, access, refused, log }) }
    }

    /// Lets a request through or answers with its refusal.
    pub(crate) async fn enforce(
        State(guard): State<Self>,
        request: Request,
        next: Next,
    ) -> Response {
        let Err(refusal) = guard.inner.access.check(request.headers()) else {
            return next.run(request).await;
        };
        let inner = &guard.inner;
        inner.refused[refusal.index()].increment(1);
        if let Some(left_out) = inner.log.admit(Instant::now()) {
            let endpoint = inner.endpoint;
            warn!(endpoint, ?refusal, left_out, "request refused");
        }
        refusal.into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.clone(), HeaderValue::from_str(value).expect("valid")))
            .collect()
    }

    #[test]
    fn an_open_endpoint_accepts_loopback_names_with_or_without_a_port() {
        for host in [
            "localhost",
            "LocalHost:8080",
            "127.0.0.1",
            "127.0.0.1:80",
            "127.9.8.7:1",
            "[::1]",
            "[::1]:8080",
        ] {
            assert_eq!(
                Access::Loopback.check(&headers(&[(header::HOST, host)])),
                Ok(()),
                "Host {host} should be accepted"
            );
        }
    }

    #[test]
    fn an_open_endpoint_refuses_other_names_and_no_name() {
        for host in [
            "rebind.evil.example",
            "rebind.evil.example:8080",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "10.0.0.1:8080",
            "::1",
            "[::1",
            "[127.0.0.1]",
            "localhost:http",
            "localhost:99999",
            "localhost:+80",
            "localhost:",
            "",
        ] {
            let refusal = Access::Loopback.check(&headers(&[(header::HOST, host)]));
            assert_eq!(refusal, Err(Refusal::ForeignHost(host.into())), "Host {host:?}");
        }
        assert_eq!(
            Access::Loopback.check(&HeaderMap::new()),
            Err(Refusal::ForeignHost("(none)".into())),
            "a request without Host should be refused"
        );
    }

    #[test]
    fn an_open_endpoint_refuses_pages_from_other_origins() {
        let from = |origin| headers(&[(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, origin)]);
        for origin in ["http://localhost:8080", "https://127.0.0.1", "http://[::1]:3000"] {
            assert_eq!(Access::Loopback.check(&from(origin)), Ok(()), "Origin {origin}");
        }
        for origin in ["http://rebind.evil.example", "null", "file://", "http://localhost/x"] {
            assert_eq!(
                Access::Loopback.check(&from(origin)),
                Err(Refusal::ForeignOrigin(origin.into())),
                "Origin {origin} should be refused"
            );
        }
    }

    #[test]
    fn a_token_is_needed_whatever_the_host_and_off_means_off() {
        let access = Access::Token("s3cret".into());
        let with = |token: &str| {
            headers(&[(header::HOST, "game.example"), (header::AUTHORIZATION, token)])
        };
        assert_eq!(access.check(&with("Bearer s3cret")), Ok(()));
        assert_eq!(access.check(&with("Bearer wrong")), Err(Refusal::BadToken));
        assert_eq!(access.check(&HeaderMap::new()), Err(Refusal::BadToken));
        let off = Access::for_bind(None, SocketAddr::from(([0, 0, 0, 0], 80)), "--metrics-token");
        assert_eq!(
            off.check(&with("Bearer s3cret")),
            Err(Refusal::Disabled { token_flag: "--metrics-token" })
        );
    }
}

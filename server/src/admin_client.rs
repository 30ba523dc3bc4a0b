//! `tickwire-server settings get|set`: the admin API from the command line.
//!
//! `set` takes `name=value` pairs (`tickwire-server settings set broadcast_every=4
//! tick_rate_hz=60`), read as TOML values, so unknown names and bad values are refused
//! before anything is sent; the server validates again and answers with the settings
//! now in force.

use anyhow::{Context, bail};
use bytes::Bytes;
use clap::{Args, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tickwire_protocol::SettingsPatch;

/// Read or change the settings of a running server.
#[derive(Debug, Args)]
pub(crate) struct SettingsCommand {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// The server's admin token, if it has one.
    #[arg(long, env = "TICKWIRE_ADMIN_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(subcommand)]
    action: SettingsAction,
}

#[derive(Debug, Subcommand)]
enum SettingsAction {
    /// Print the settings in force, as JSON.
    Get,
    /// Change settings: `name=value` pairs, e.g. `broadcast_every=4 tick_rate_hz=60`.
    Set {
        /// The changes.
        #[arg(required = true, value_name = "NAME=VALUE")]
        changes: Vec<String>,
    },
}

/// Runs the command and prints the server's answer.
pub(crate) fn run(command: SettingsCommand) -> anyhow::Result<()> {
    let body = match &command.action {
        SettingsAction::Get => None,
        SettingsAction::Set { changes } => Some(serde_json::to_vec(&patch(changes)?)?),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer = runtime.block_on(request(&command, body))?;
    println!("{answer}");
    Ok(())
}

/// Parses `name=value` pairs into a patch; the names are those of the settings.
fn patch(changes: &[String]) -> anyhow::Result<SettingsPatch> {
    let mut toml = String::new();
    for change in changes {
        let Some((name, value)) = change.split_once('=') else {
            bail!("`{change}` is not NAME=VALUE");
        };
        toml.push_str(&format!("{} = {}\n", name.trim(), value.trim()));
    }
    toml::from_str(&toml).context("invalid settings change")
}

async fn request(command: &SettingsCommand, body: Option<Vec<u8>>) -> anyhow::Result<String> {
    let url = format!("{}/admin/settings", command.url.trim_end_matches('/'));
    let method = if body.is_some() { Method::PATCH } else { Method::GET };
    let mut request = Request::builder()
        .method(method)
        .uri(&url)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = &command.token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request.body(Full::new(Bytes::from(body.unwrap_or_default())))?;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let text =
        String::from_utf8_lossy(&response.into_body().collect().await?.to_bytes()).into_owned();
    if !status.is_success() {
        bail!("{url} answered {status}: {text}");
    }
    Ok(text)
}

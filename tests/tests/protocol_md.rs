//! PROTOCOL.md (and the README's close-code table) in step with the code: the close-code
//! table equals `CLOSE_CODES`, the limits table equals the configuration's defaults (every
//! `[limits]` key, no more, no fewer), the metric label values are those the server
//! exports, and the byte-level example is what the encoder writes.

use std::collections::BTreeSet;

use hyper::Method;
use tickwire_protocol::{CLOSE_CODES, ClientMessage, Input};
use tickwire_server::{ConfigLayer, ServerConfig};
use tickwire_tests::{TestServer, test_config};

const PROTOCOL_MD: &str = include_str!("../../PROTOCOL.md");
const README_MD: &str = include_str!("../../README.md");

/// The rows of the Markdown table whose header line is `header`, as trimmed cells
/// (indented tables, as in a list item, included).
fn table(doc: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = doc.lines().map(str::trim).skip_while(|line| *line != header);
    assert!(lines.next().is_some(), "the document should have a table headed {header}");
    lines
        .skip(1) // | --- | --- |
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let inner = line.trim_start_matches('|').trim_end_matches('|');
            inner.split('|').map(|cell| cell.trim().to_owned()).collect()
        })
        .collect()
}

/// The close-code table as the documents show it.
fn close_code_rows() -> Vec<Vec<String>> {
    CLOSE_CODES
        .iter()
        .map(|info| {
            vec![
                info.code.to_string(),
                format!("`{}`", info.name),
                info.retry.as_str().to_owned(),
                info.meaning.to_owned(),
            ]
        })
        .collect()
}

fn markdown(rows: &[Vec<String>]) -> String {
    rows.iter().map(|row| format!("| {} |\n", row.join(" | "))).collect()
}

#[test]
fn the_close_code_tables_are_the_protocols() {
    let expected = close_code_rows();
    for (name, doc) in [("PROTOCOL.md", PROTOCOL_MD), ("README.md", README_MD)] {
        let documented = table(doc, "| code | name | retry | meaning |");
        assert!(
            documented == expected,
            "{name}'s close-code table should be tickwire_protocol::CLOSE_CODES; its rows should \
             read:\n{}",
            markdown(&expected)
        );
    }
}

#[test]
fn the_limits_table_has_every_limit_with_its_default() {
    let defaults = serde_json::to_value(ConfigLayer::from_config(&ServerConfig::default()))
        .expect("the configuration should serialise");
    let limits = defaults["limits"].as_object().expect("the configuration should have [limits]");
    let rows = table(PROTOCOL_MD, "| config key | default | what it bounds | beyond it |");
    let mut documented = BTreeSet::new();
    for row in &rows {
        let key = row[0].trim_matches('`');
        let name = key.strip_prefix("limits.").unwrap_or_else(|| {
            panic!("PROTOCOL.md's limits table should hold `limits.*` keys, not {key}")
        });
        let default = limits.get(name).unwrap_or_else(|| {
            panic!("PROTOCOL.md documents {key}, which the configuration lacks")
        });
        let written: serde_json::Value = serde_json::from_str(&row[1]).unwrap_or_else(|_| {
            panic!("the default of {key} should be a number or a list: {}", row[1])
        });
        let same = match (written.as_f64(), default.as_f64()) {
            (Some(written), Some(default)) => (written - default).abs() < 1e-6,
            _ => &written == default,
        };
        assert!(same, "PROTOCOL.md says {key} defaults to {written}, the code to {default}");
        documented.insert(name.to_owned());
    }
    let configured: BTreeSet<String> = limits.keys().cloned().collect();
    assert_eq!(documented, configured, "PROTOCOL.md's limits table should list every [limits] key");
}

/// The values of `label` in the `metric` series of a Prometheus text page.
fn label_values(page: &str, metric: &str, label: &str) -> BTreeSet<String> {
    let prefix = format!("{metric}{{");
    let needle = format!("{label}=\"");
    page.lines()
        .filter_map(|line| line.strip_prefix(&prefix))
        .filter_map(|labels| labels.split_once(&needle).map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(value, _)| value.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metric_label_values_are_the_servers() {
    let mut config = test_config();
    config.autotune.enabled = true; // so its counters are registered
    let server = TestServer::start(config).await;
    let (_, page) = server.http(Method::GET, "/metrics", "", None).await;
    let rows = table(PROTOCOL_MD, "| metric | label | values |");
    assert!(!rows.is_empty(), "PROTOCOL.md should list metric labels");
    for row in rows {
        let (metric, label) = (row[0].trim_matches('`'), row[1].trim_matches('`'));
        let documented: BTreeSet<String> =
            row[2].split(',').map(|value| value.trim().trim_matches('`').to_owned()).collect();
        assert_eq!(
            documented,
            label_values(&page, metric, label),
            "PROTOCOL.md's values of {metric}{{{label}}} should be what /metrics exports"
        );
        if metric == "tickwire_sessions_closed_total" {
            for reason in documented.iter().filter(|reason| *reason != "peer_left") {
                assert!(
                    CLOSE_CODES.iter().any(|info| info.name == reason),
                    "close reason {reason} should be the name of a code in CLOSE_CODES"
                );
            }
        }
    }
    server.stop().await.expect("the server should stop");
}

/// The bytes of the first code block after `heading`: on each line, the hex bytes before
/// the `#` that starts its comment.
fn example_bytes(doc: &str, heading: &str) -> Vec<u8> {
    let section = doc.split_once(heading).expect("PROTOCOL.md should have the example").1;
    let block = section.split("```").nth(1).expect("the example should be a code block");
    block
        .lines()
        .skip(1) // the fence's language
        .flat_map(|line| line.split('#').next().unwrap_or_default().split_whitespace())
        .map(|byte| {
            u8::from_str_radix(byte, 16).unwrap_or_else(|_| panic!("{byte} should be a hex byte"))
        })
        .collect()
}

#[test]
fn the_byte_level_example_is_what_the_encoder_writes() {
    let input = ClientMessage::Input(Input {
        sequence: 7,
        direction: glam::Vec2::new(1.0, 0.0),
        ack_tick: 120,
    });
    assert_eq!(
        example_bytes(PROTOCOL_MD, "## A message, byte by byte"),
        input.encode().to_vec(),
        "PROTOCOL.md's example should be the encoding of {input:?}"
    );
}

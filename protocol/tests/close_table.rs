//! The browser client's close-code table, `clients/ts/src/close-table.ts`, is generated
//! from [`CLOSE_CODES`]: this test fails when the checked-in file differs from what the
//! table renders, so the two clients cannot disagree on which codes to retry.
//!
//! After changing the table: `TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test
//! close_table` rewrites the file; then `scripts/build-client` and commit both.

use std::fmt::Write as _;
use std::path::Path;

use tickwire_protocol::CLOSE_CODES;

const TS_TABLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../clients/ts/src/close-table.ts");

/// The TypeScript module for the table (JSON string literals are valid TypeScript).
fn render_typescript() -> String {
    let mut out = String::from(
        "// Generated from tickwire_protocol::CLOSE_CODES (protocol/src/close.rs) by\n\
         // protocol/tests/close_table.rs: do not edit. Regenerate with\n\
         //   TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test close_table\n\
         \n\
         /** What a client should do after a close: give up, or reconnect with backoff. */\n\
         export type Retry = 'never' | 'backoff';\n\
         \n\
         export interface CloseCodeInfo {\n  \
           readonly code: number;\n  \
           readonly name: string;\n  \
           readonly retry: Retry;\n  \
           readonly meaning: string;\n\
         }\n\
         \n\
         /** Every close code a client can see, in code order; a code not here is retried. */\n\
         export const CLOSE_CODES: readonly CloseCodeInfo[] = [\n",
    );
    for info in CLOSE_CODES {
        let _ = writeln!(
            out,
            "  {{ code: {}, name: {:?}, retry: {:?}, meaning: {:?} }},",
            info.code,
            info.name,
            info.retry.as_str(),
            info.meaning
        );
    }
    out.push_str("];\n");
    out
}

#[test]
fn the_browser_table_is_generated_from_the_protocol_table() {
    let rendered = render_typescript();
    let path = Path::new(TS_TABLE);
    if std::env::var_os("TICKWIRE_BLESS").is_some() {
        std::fs::write(path, &rendered).expect("close-table.ts should be writable");
        return;
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == rendered,
        "clients/ts/src/close-table.ts should match CLOSE_CODES; regenerate it with \
         `TICKWIRE_BLESS=1 cargo test -p tickwire-protocol --test close_table`, then run \
         scripts/build-client. Expected:\n{rendered}"
    );
}

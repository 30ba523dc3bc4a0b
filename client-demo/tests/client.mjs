// Test support (not a test itself): loads the demo's own modules (src/*.ts, bundled by
// esbuild with the package they use) into Node, together with the package's modules
// and frame builders (clients/ts/tests/client.mjs).

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_EXPORTS, bundleAndImport } from '../../clients/ts/tests/client.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(here, '../src');
const packageSrc = path.resolve(here, '../../clients/ts/src');

/**
 * The package's modules (see clients/ts/tests/client.mjs) and the demo's: `address`,
 * `layout`, `lobby`, `entry`, `roomFlow` (room-flow.ts), `resumeStore` (resume-store.ts),
 * `hud`.
 */
export async function loadClient() {
  // One bundle, so that the demo's modules and the package's share one copy of each
  // class (`instanceof MatchmakerError` in the room flow); '@tickwire/client' resolves
  // to clients/ts/src through the node_modules link.
  const packageLines = PACKAGE_EXPORTS.map((line) =>
    line
      .replace(/from '\.\/([^']+)'/, (_, file) => `from '${path.join(packageSrc, file)}'`)
      .replace("from 'flatbuffers'", `from '${path.join(packageSrc, '../node_modules/flatbuffers')}'`),
  );
  const demo = [
    "export * as address from './address';",
    "export * as layout from './layout';",
    "export * as lobby from './lobby';",
    "export * as entry from './entry';",
    "export * as roomFlow from './room-flow';",
    "export * as resumeStore from './resume-store';",
    "export * as hud from './hud';",
  ];
  return bundleAndImport([...packageLines, ...demo], srcDir);
}

// Replication: keeps the mirror in step with the server's snapshot stream. Every
// snapshot is applied to the mirror; when one cannot be (it does not fit, or its frame
// did not even decode) the error is counted, one full snapshot is asked for, and
// deltas are ignored until a full snapshot arrives, so the old mirror keeps being
// drawn meanwhile. Also says which tick to acknowledge in each Input. No I/O: the
// connection does the sending (src/connection.ts).

import { Mirror, type MirrorState } from './mirror';
import type { SnapshotData } from './snapshot';

export type Receipt =
  | {
      outcome: 'applied';
      /** The mirror's new state. */
      state: MirrorState;
      full: boolean;
      /** Ids of the actors a delta spawned (for a full snapshot: every id). */
      spawned: Uint32Array;
    }
  /** A delta ignored while waiting for a full snapshot. */
  | { outcome: 'skipped' }
  | {
      outcome: 'failed';
      reason: string;
      /** Send a FullSnapshotRequest now (once per loss of sync). */
      requestFull: boolean;
    };

export class Replication {
  readonly mirror = new Mirror();
  /** Snapshots that could not be applied (or decoded), in this session. */
  applyErrors = 0;
  private awaitingFull = false;

  /** The tick of the newest snapshot applied (0: none yet): what Inputs acknowledge. */
  get ackTick(): number {
    return this.mirror.tick;
  }

  /** Whether deltas are being ignored until a full snapshot arrives. */
  get waitingForFull(): boolean {
    return this.awaitingFull;
  }

  /** Applies a decoded snapshot, or ignores it while waiting for a full one. */
  receive(snapshot: SnapshotData): Receipt {
    if (this.awaitingFull && snapshot.baselineTick !== null) {
      return { outcome: 'skipped' };
    }
    const result = this.mirror.apply(snapshot);
    if (!result.ok) {
      return this.fail(result.reason);
    }
    this.awaitingFull = false;
    return { outcome: 'applied', state: this.mirror.state, full: result.full, spawned: result.spawned };
  }

  /** Records a snapshot that could not be applied, e.g. because its frame was malformed. */
  fail(reason: string): Receipt {
    this.applyErrors += 1;
    const requestFull = !this.awaitingFull;
    this.awaitingFull = true;
    return { outcome: 'failed', reason, requestFull };
  }
}

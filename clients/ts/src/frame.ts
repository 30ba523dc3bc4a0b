// Bounds-checked frame reading, shared by every decoder: FlatBuffers JS has no
// verifier, so frames are read through a ByteBuffer whose primitive reads throw a
// ProtocolError past the end of the frame instead of silently reading 0, and strings
// must end within the frame.

import * as flatbuffers from 'flatbuffers';
import type { ServerBody } from './generated/tickwire';

/** A server frame that could not be decoded. */
export class ProtocolError extends Error {
  /**
   * @param bodyType the message type the frame claimed, when it got that far; a frame
   *   that claimed to be a Snapshot and failed leaves the mirror behind the server.
   */
  constructor(
    message: string,
    readonly bodyType: ServerBody | null = null,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * A ByteBuffer whose primitive reads throw instead of silently reading `undefined`
 * (as 0) past the end of the frame. Every other read of the generated code (signed
 * and wider types, offsets, vector lengths) is built on these three.
 */
export class CheckedByteBuffer extends flatbuffers.ByteBuffer {
  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || size < 0 || offset + size > this.capacity()) {
      throw new ProtocolError(`read of ${size} bytes at offset ${offset} is outside the ${this.capacity()}-byte frame`);
    }
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  /** A string, whose bytes must lie within the frame (not silently cut at its end). */
  override __string(offset: number, encoding?: flatbuffers.Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    this.check(start + 4, this.readInt32(start));
    return super.__string(offset, encoding);
  }
}

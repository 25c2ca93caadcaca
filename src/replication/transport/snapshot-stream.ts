import { KnowdError } from '../../base/index.js';
import type { SnapshotChunk, SnapshotOffer } from './types.js';

/**
 * The chunks of an incoming snapshot as the receiving handler sees them: contiguous from offset 0,
 * and ending normally only once the offered size has arrived. A stream the sender cancelled can
 * look like a clean end on the wire (gRPC delivers the half-close before the reset); without this
 * check a truncated snapshot would reach the handler as a complete one.
 */
export async function* wholeSnapshot(offer: SnapshotOffer, source: AsyncIterable<SnapshotChunk>): AsyncGenerator<SnapshotChunk> {
  let expected = 0;
  for await (const chunk of source) {
    if (chunk.offset !== expected) {
      throw new KnowdError('SNAPSHOT_INVALID', `Snapshot ${offer.name}: chunk at offset ${chunk.offset} where ${expected} was expected (missing, repeated or reordered); the sender should retry`);
    }
    expected += chunk.data.byteLength;
    if (expected > offer.sizeBytes) throw new KnowdError('SNAPSHOT_INVALID', `Snapshot ${offer.name}: chunks run past the offered size of ${offer.sizeBytes} bytes`);
    yield chunk;
  }
  if (expected !== offer.sizeBytes) {
    throw new KnowdError('SNAPSHOT_INVALID', `Snapshot ${offer.name}: the stream ended after ${expected} of ${offer.sizeBytes} bytes (cancelled or truncated); the sender should retry`);
  }
}

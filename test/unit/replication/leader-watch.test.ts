/** What a follower learns from its leader's status: commit index for readiness, and key mismatches. */
import test from 'ava';
import { LeaderWatch } from '../../../src/replication/node/leader-watch.js';
import type { Transport } from '../../../src/replication/transport/types.js';

function transportAnswering(body: unknown | Error): Transport {
  return {
    self: 'b:1',
    start: async () => undefined,
    send: () => undefined,
    sendSnapshot: async () => undefined,
    forward: async () => ({ ok: true, body: '{}' }),
    status: async () => {
      if (body instanceof Error) throw body;
      return { body: JSON.stringify(body) };
    },
    onUnreachable: () => undefined,
    stats: () => ({ bytesSent: 0, messagesSent: 0, messagesDropped: 0 }),
    close: async () => undefined,
  };
}

test('the leader commit index is unknown until the first answer, then kept when the leader is unreachable', async (t) => {
  const w = new LeaderWatch({}, () => undefined);
  t.is(w.leaderCommit, undefined);
  await w.poll(transportAnswering({ commitIndex: 42, keys: {} }), 'a:1', 100);
  t.is(w.leaderCommit, 42);
  await w.poll(transportAnswering(new Error('unreachable')), 'a:1', 100);
  t.is(w.leaderCommit, 42);
});

test('keys that differ from the leader are warned about once and listed; matching keys clear the list', async (t) => {
  const warned: string[] = [];
  const w = new LeaderWatch({ signingKey: 'pub-b', snapshotKey: 'snap-1' }, (m) => warned.push(m));
  await w.poll(transportAnswering({ commitIndex: 1, keys: { signingKey: 'pub-a', snapshotKey: 'snap-1' } }), 'a:1', 100);
  await w.poll(transportAnswering({ commitIndex: 2, keys: { signingKey: 'pub-a', snapshotKey: 'snap-1' } }), 'a:1', 100);
  t.is(warned.length, 1);
  t.regex(w.keyWarnings[0] ?? '', /signingKey differs from the leader a:1/);
  await w.poll(transportAnswering({ commitIndex: 3, keys: { signingKey: 'pub-b', snapshotKey: 'snap-1' } }), 'a:1', 100);
  t.deepEqual(w.keyWarnings, []);
});

test('apply history: applied entries over the last minute of samples', (t) => {
  const w = new LeaderWatch({}, () => undefined);
  t.is(w.appliedLastMinute(10), 0);
  for (let i = 0; i < 70; i++) w.sample(i * 10, i * 1000);
  // 61 samples kept: the oldest is sample 9 (applied 90).
  t.is(w.appliedLastMinute(700), 610);
});

/**
 * Query parts over the in-memory transport twin, as over gRPC (grpc-query.test.ts): chunks in
 * order, errors keep their code, a cut fails the stream mid-way, aborting cancels the part.
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { createMemoryNetwork } from '../../../../src/replication/transport/memory/index.js';
import { Recorder } from './_fixtures.js';

async function pair() {
  const net = createMemoryNetwork();
  const a = net.transport('a');
  const b = net.transport('b');
  const ra = new Recorder();
  const rb = new Recorder();
  await a.start(ra);
  await b.start(rb);
  return { net, a, b, rb };
}

test('memory twin: chunks in order, error codes, a cut mid-stream, and abort', async (t) => {
  const { net, a, b, rb } = await pair();
  const cancelled: string[] = [];
  rb.onQueryImpl = async function* (from, req, signal) {
    signal.addEventListener('abort', () => cancelled.push(req.body));
    for (let i = 0; i < 5; i++) yield `${from}:${req.body}:${i}`;
    if (req.body === 'fail') throw new KnowdError('INDEX_NOT_REACHED', 'behind');
  };
  const all: string[] = [];
  for await (const c of a.query!('b', { body: 'ok' }, 1000, new AbortController().signal)) all.push(c);
  t.deepEqual(all, [0, 1, 2, 3, 4].map((i) => `a:ok:${i}`));
  const e = await t.throwsAsync(async () => {
    for await (const _ of a.query!('b', { body: 'fail' }, 1000, new AbortController().signal));
  });
  t.is((e as KnowdError).code, 'INDEX_NOT_REACHED');

  let n = 0;
  const cut = await t.throwsAsync(async () => {
    for await (const _ of a.query!('b', { body: 'cut' }, 1000, new AbortController().signal)) if (++n === 2) net.cut('b', 'a');
  });
  t.is((cut as KnowdError).code, 'NOT_READY');
  net.heal();

  const ac = new AbortController();
  const aborted = await t.throwsAsync(async () => {
    for await (const _ of a.query!('b', { body: 'abort' }, 1000, ac.signal)) ac.abort();
  });
  t.is((aborted as KnowdError).code, 'QUERY_CANCELLED');
  t.true(cancelled.includes('abort'));
  await a.close();
  await b.close();
});

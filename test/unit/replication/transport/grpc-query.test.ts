/**
 * Query.Run, the federated-query part stream, between real gRPC servers on 127.0.0.1 with mutual
 * TLS: chunks arrive in order, a handler's error code survives (also after some chunks), the caller
 * stopping (or aborting) cancels the part on the serving node, and non-members are not called.
 */
import test from 'ava';
import { KnowdError } from '../../../../src/base/index.js';
import { startCluster } from './_fixtures.js';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of it) out.push(c);
  return out;
}

test('chunks of a part arrive in order; the caller is named; handler errors keep their code', async (t) => {
  const [a, b] = await startCluster(t, 2);
  b!.rec.onQueryImpl = async function* (from, req) {
    for (let i = 0; i < 50; i++) yield `${from} ${req.body} ${i}\n`;
  };
  const got = await collect(a!.transport.query!(b!.id, { body: 'part-1' }, 5000, new AbortController().signal));
  t.deepEqual(got, Array.from({ length: 50 }, (_, i) => `${a!.id} part-1 ${i}\n`));

  b!.rec.onQueryImpl = async function* () {
    yield 'first\n';
    throw new KnowdError('INDEX_NOT_REACHED', 'This node has applied log index 3, not 9');
  };
  const seen: string[] = [];
  const e = await t.throwsAsync(async () => {
    for await (const c of a!.transport.query!(b!.id, { body: 'x' }, 5000, new AbortController().signal)) seen.push(c);
  });
  t.is((e as KnowdError).code, 'INDEX_NOT_REACHED');
  t.regex(e!.message, /applied log index 3/);
  t.deepEqual(seen, ['first\n']);

  b!.rec.onQueryImpl = undefined;
  const refused = await t.throwsAsync(collect(a!.transport.query!(b!.id, { body: 'x' }, 5000, new AbortController().signal)));
  t.is((refused as KnowdError).code, 'NOT_SUPPORTED');

  const notMember = await t.throwsAsync(collect(a!.transport.query!('127.0.0.1:9', { body: 'x' }, 1000, new AbortController().signal)));
  t.is((notMember as KnowdError).code, 'PEER_REFUSED');
});

test('the caller stopping early or aborting cancels the part where it runs', async (t) => {
  const [a, b] = await startCluster(t, 2);
  const cancelled: string[] = [];
  b!.rec.onQueryImpl = async function* (_from, req, signal) {
    signal.addEventListener('abort', () => cancelled.push(req.body));
    for (let i = 0; !signal.aborted; i++) {
      yield `${i}\n`;
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  let n = 0;
  for await (const _ of a!.transport.query!(b!.id, { body: 'stop' }, 10_000, new AbortController().signal)) if (++n === 3) break;
  const ac = new AbortController();
  const e = await t.throwsAsync(async () => {
    for await (const _ of a!.transport.query!(b!.id, { body: 'abort' }, 10_000, ac.signal)) ac.abort();
  });
  t.is((e as KnowdError).code, 'QUERY_CANCELLED');
  const deadline = Date.now() + 5000;
  while (cancelled.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(cancelled.sort(), ['abort', 'stop']);
});

test('PART_VERSION travels with its code, as gRPC UNAVAILABLE: a coordinator that does not know the code reads "not ready" and runs the part elsewhere', async (t) => {
  const [a, b] = await startCluster(t, 2);
  b!.rec.onQueryImpl = async function* () {
    yield* [];
    throw new KnowdError('PART_VERSION', 'This node runs query parts of format 2, the coordinator sent format 1');
  };
  const e = (await t.throwsAsync(collect(a!.transport.query!(b!.id, { body: 'x' }, 5000, new AbortController().signal)))) as KnowdError;
  t.is(e.code, 'PART_VERSION');
  // 14 = UNAVAILABLE, which a node of the previous version maps to NOT_READY (retried elsewhere).
  t.is(e.details['grpcCode'], 14);
});

/**
 * The protobuf edge: values decoded from the network become typed raft values only when every field
 * is valid; anything else is Malformed (dropped and counted by the transport), never a wrong value.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import type { Message } from '../../../../src/replication/raft/types.js';
import { Malformed, decodeChunk, decodeForwardResponse, decodeOffer, decodeRaftMessage, encodeRaftMessage } from '../../../../src/replication/transport/grpc/codec.js';
import { findProtoDir, loadProtos } from '../../../../src/replication/transport/grpc/protos.js';

const raft = () => loadProtos().raft.Stream;
const roundTrip = (m: Message): Message => {
  const batch = raft().decodeRequest(raft().encodeRequest({ messages: [encodeRaftMessage(m)] })) as { messages: unknown[] };
  return decodeRaftMessage(batch.messages[0]);
};

test('the proto folder is found from the source tree (and from dist/, by walking up)', (t) => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  t.is(findProtoDir(), path.join(root, 'proto'));
  t.is(findProtoDir(path.join(root, 'dist', 'src', 'replication', 'transport', 'grpc')), path.join(root, 'proto'));
  t.throws(() => findProtoDir('/'), { message: /Cannot find proto/ });
});

test('uint64 fields keep every safe integer, and refuse what would lose precision', (t) => {
  for (const n of [0, 1, 255, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1]) {
    t.deepEqual(roundTrip({ type: 'heartbeat', from: 'a:1', to: 'b:1', term: n, commit: n }), { type: 'heartbeat', from: 'a:1', to: 'b:1', term: n, commit: n });
  }
  // 2^53 + 1 cannot be a JS number: encoded from a string, it must be refused on decode.
  const bytes = raft().encodeRequest({ messages: [{ from: 'a:1', to: 'b:1', term: '9007199254740993', heartbeat: { commit: 1 } }] });
  const decoded = raft().decodeRequest(bytes) as { messages: unknown[] };
  t.throws(() => decodeRaftMessage(decoded.messages[0]), { instanceOf: Malformed, message: /term/ });
});

test('malformed shapes are refused field by field', (t) => {
  const base = { from: 'a:1', to: 'b:1', term: 1 };
  const cases: [unknown, RegExp][] = [
    [null, /not a message/],
    [{ ...base, body: 'gossip', gossip: {} }, /unknown/],
    [{ ...base }, /unknown/],
    [{ ...base, from: '', body: 'heartbeatResp', heartbeatResp: {} }, /from is empty/],
    [{ ...base, term: -1, body: 'heartbeatResp', heartbeatResp: {} }, /term/],
    [{ ...base, term: 1.5, body: 'heartbeatResp', heartbeatResp: {} }, /term/],
    [{ ...base, body: 'heartbeat' }, /heartbeat is not a message/],
    [{ ...base, body: 'vote', vote: { lastIndex: 1, lastTerm: 1, transfer: 'yes' } }, /transfer/],
    [{ ...base, body: 'append', append: { prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: 'ENTRY_KIND_UNSPECIFIED', data: new Uint8Array() }] } }, /kind/],
    [{ ...base, body: 'append', append: { prevIndex: 0, prevTerm: 0, commit: 0, entries: [{ index: 1, term: 1, kind: 'ENTRY_KIND_NORMAL', data: 'AAA=' }] } }, /data is not bytes/],
    [{ ...base, body: 'append', append: { prevIndex: 0, prevTerm: 0, commit: 0, entries: {} } }, /entries is not a list/],
    [{ ...base, body: 'snapshot', snapshot: { snapshot: { index: 1, term: 1, membership: { voters: [''], learners: [] } } } }, /voters/],
    [{ ...base, body: 'snapshot', snapshot: { snapshot: null } }, /snapshot is not a message/],
  ];
  for (const [v, re] of cases) t.throws(() => decodeRaftMessage(v), { instanceOf: Malformed, message: re }, JSON.stringify(v));
  t.throws(() => decodeOffer({ offer: null }), { instanceOf: Malformed });
  t.throws(() => decodeChunk({ offer: { from: 'x' }, offset: 0, data: new Uint8Array(), sha256: '' }), { instanceOf: Malformed, message: /offer after the first/ });
  t.throws(() => decodeForwardResponse({ ok: false, body: '', code: '', message: '', details: '' }), { instanceOf: Malformed, message: /without a code/ });
});

/**
 * The edge between protobuf-decoded objects (untyped) and the typed raft/transport values. Encoders
 * build plain objects shaped like the proto messages of proto/knowd/v1/raft.proto; decoders check
 * every field and throw Malformed for anything that is not exactly a valid message, so a bad peer
 * or a bit flip costs one dropped message, never a wrong value in the raft core.
 */
import type { Entry, EntryKind, Membership, Message, NodeId, SnapshotMeta } from '../../raft/types.js';
import type { ForwardRequest, ForwardResponse, PeerStatus, SnapshotChunk, SnapshotOffer } from '../types.js';

/** A message from the network that is not a valid value; the caller drops and counts it. */
export class Malformed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Malformed';
  }
}

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Malformed(`${what} is not a message`);
  return v;
}

function u64(o: Obj, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Malformed(`${k} is not an integer in [0, 2^53)`);
  return v;
}

function str(o: Obj, k: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new Malformed(`${k} is not a string`);
  return v;
}

function nodeId(o: Obj, k: string): NodeId {
  const v = str(o, k);
  if (v === '') throw new Malformed(`${k} is empty`);
  return v;
}

function bool(o: Obj, k: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new Malformed(`${k} is not a boolean`);
  return v;
}

/**
 * protobufjs hands out Buffer slices of the received gRPC frame. Copied into a plain Uint8Array: a
 * ten-byte entry kept in the unstable log must not pin a whole multi-MiB batch, and Message says
 * Uint8Array, not Buffer.
 */
function bytes(o: Obj, k: string): Uint8Array {
  const v = o[k];
  if (!(v instanceof Uint8Array)) throw new Malformed(`${k} is not bytes`);
  const out = new Uint8Array(v.byteLength);
  out.set(v);
  return out;
}

function nodeList(o: Obj, k: string): NodeId[] {
  const v = o[k];
  if (!Array.isArray(v)) throw new Malformed(`${k} is not a list`);
  return v.map((x: unknown) => {
    if (typeof x !== 'string' || x === '') throw new Malformed(`${k} holds a non-string or empty member`);
    return x;
  });
}

const KIND_TO_WIRE: Readonly<Record<EntryKind, string>> = { normal: 'ENTRY_KIND_NORMAL', noop: 'ENTRY_KIND_NOOP', config: 'ENTRY_KIND_CONFIG' };
const KIND_FROM_WIRE: ReadonlyMap<unknown, EntryKind> = new Map([
  ['ENTRY_KIND_NORMAL', 'normal'],
  ['ENTRY_KIND_NOOP', 'noop'],
  ['ENTRY_KIND_CONFIG', 'config'],
]);

function encodeMembership(m: Membership): object {
  return { voters: m.voters, learners: m.learners };
}

function decodeMembership(v: unknown): Membership {
  const o = obj(v, 'membership');
  return { voters: nodeList(o, 'voters'), learners: nodeList(o, 'learners') };
}

function encodeEntry(e: Entry): object {
  return { index: e.index, term: e.term, kind: KIND_TO_WIRE[e.kind], data: e.data };
}

function decodeEntry(v: unknown): Entry {
  const o = obj(v, 'entry');
  const kind = KIND_FROM_WIRE.get(o['kind']);
  if (kind === undefined) throw new Malformed(`entry kind ${String(o['kind'])} is unknown`);
  return { index: u64(o, 'index'), term: u64(o, 'term'), kind, data: bytes(o, 'data') };
}

function encodeSnapshotMeta(s: SnapshotMeta): object {
  return { index: s.index, term: s.term, membership: encodeMembership(s.membership) };
}

function decodeSnapshotMeta(v: unknown): SnapshotMeta {
  const o = obj(v, 'snapshot');
  return { index: u64(o, 'index'), term: u64(o, 'term'), membership: decodeMembership(o['membership']) };
}

/** A raft Message as a knowd.v1.RaftMessage object. */
export function encodeRaftMessage(m: Message): object {
  const env = { from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'pre-vote':
      return { ...env, preVote: { lastIndex: m.lastIndex, lastTerm: m.lastTerm } };
    case 'pre-vote-resp':
      return { ...env, preVoteResp: { granted: m.granted } };
    case 'vote':
      return { ...env, vote: { lastIndex: m.lastIndex, lastTerm: m.lastTerm, transfer: m.transfer } };
    case 'vote-resp':
      return { ...env, voteResp: { granted: m.granted } };
    case 'append':
      return { ...env, append: { prevIndex: m.prevIndex, prevTerm: m.prevTerm, entries: m.entries.map(encodeEntry), commit: m.commit } };
    case 'append-resp':
      return { ...env, appendResp: { success: m.success, index: m.index, hintIndex: m.hintIndex } };
    case 'heartbeat':
      return { ...env, heartbeat: { commit: m.commit } };
    case 'heartbeat-resp':
      return { ...env, heartbeatResp: {} };
    case 'snapshot':
      return { ...env, snapshot: { snapshot: encodeSnapshotMeta(m.snapshot) } };
    case 'timeout-now':
      return { ...env, timeoutNow: {} };
  }
}

/** A knowd.v1.RaftMessage object as a raft Message; throws Malformed. */
export function decodeRaftMessage(v: unknown): Message {
  const o = obj(v, 'raft message');
  const from = nodeId(o, 'from');
  const to = nodeId(o, 'to');
  const term = u64(o, 'term');
  const body = o['body'];
  const part = (k: string): Obj => obj(o[k], k);
  switch (body) {
    case 'preVote': {
      const b = part('preVote');
      return { type: 'pre-vote', from, to, term, lastIndex: u64(b, 'lastIndex'), lastTerm: u64(b, 'lastTerm') };
    }
    case 'preVoteResp':
      return { type: 'pre-vote-resp', from, to, term, granted: bool(part('preVoteResp'), 'granted') };
    case 'vote': {
      const b = part('vote');
      return { type: 'vote', from, to, term, lastIndex: u64(b, 'lastIndex'), lastTerm: u64(b, 'lastTerm'), transfer: bool(b, 'transfer') };
    }
    case 'voteResp':
      return { type: 'vote-resp', from, to, term, granted: bool(part('voteResp'), 'granted') };
    case 'append': {
      const b = part('append');
      const entries = b['entries'];
      if (!Array.isArray(entries)) throw new Malformed('append.entries is not a list');
      return { type: 'append', from, to, term, prevIndex: u64(b, 'prevIndex'), prevTerm: u64(b, 'prevTerm'), entries: entries.map(decodeEntry), commit: u64(b, 'commit') };
    }
    case 'appendResp': {
      const b = part('appendResp');
      return { type: 'append-resp', from, to, term, success: bool(b, 'success'), index: u64(b, 'index'), hintIndex: u64(b, 'hintIndex') };
    }
    case 'heartbeat':
      return { type: 'heartbeat', from, to, term, commit: u64(part('heartbeat'), 'commit') };
    case 'heartbeatResp':
      part('heartbeatResp');
      return { type: 'heartbeat-resp', from, to, term };
    case 'snapshot':
      return { type: 'snapshot', from, to, term, snapshot: decodeSnapshotMeta(part('snapshot')['snapshot']) };
    case 'timeoutNow':
      part('timeoutNow');
      return { type: 'timeout-now', from, to, term };
    default:
      throw new Malformed(`raft message body ${String(body)} is unknown`);
  }
}

/** The messages of a knowd.v1.RaftBatch, still undecoded (each is checked on its own). */
export function batchMessages(v: unknown): readonly unknown[] {
  const o = obj(v, 'raft batch');
  const list = o['messages'];
  if (!Array.isArray(list)) throw new Malformed('raft batch has no message list');
  return list;
}

/**
 * An upper bound of a message's encoded size, to cut batches below the gRPC message limit without
 * encoding twice. Varints are at most 10 bytes; the constants cover tags and lengths.
 */
export function estimateMessageBytes(m: Message): number {
  let n = 64 + m.from.length * 3 + m.to.length * 3;
  if (m.type === 'append') for (const e of m.entries) n += 40 + e.data.byteLength;
  if (m.type === 'snapshot') for (const id of [...m.snapshot.membership.voters, ...m.snapshot.membership.learners]) n += 8 + id.length * 3;
  return n;
}

export interface OfferEnvelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly offer: SnapshotOffer;
}

/** The first knowd.v1.SnapshotChunk of an InstallSnapshot stream. */
export function encodeOffer(e: OfferEnvelope): object {
  const o = e.offer;
  return {
    offer: { from: e.from, to: e.to, index: o.index, term: o.term, membership: encodeMembership(o.membership), sha256: o.sha256, sizeBytes: o.sizeBytes, name: o.name },
  };
}

export function decodeOffer(v: unknown): OfferEnvelope {
  const first = obj(v, 'snapshot stream message');
  const o = obj(first['offer'], 'snapshot offer');
  return {
    from: nodeId(o, 'from'),
    to: nodeId(o, 'to'),
    offer: {
      index: u64(o, 'index'),
      term: u64(o, 'term'),
      membership: decodeMembership(o['membership']),
      sha256: str(o, 'sha256'),
      sizeBytes: u64(o, 'sizeBytes'),
      name: str(o, 'name'),
    },
  };
}

export function encodeChunk(c: SnapshotChunk): object {
  return { offset: c.offset, data: c.data, sha256: c.sha256 };
}

export function decodeChunk(v: unknown): SnapshotChunk {
  const o = obj(v, 'snapshot chunk');
  if (o['offer'] !== null && o['offer'] !== undefined) throw new Malformed('a snapshot offer after the first message');
  return { offset: u64(o, 'offset'), data: bytes(o, 'data'), sha256: str(o, 'sha256') };
}

export function encodeForwardRequest(from: NodeId, r: ForwardRequest): object {
  return { from, kind: r.kind, body: r.body };
}

export function decodeForwardRequest(v: unknown): { readonly from: NodeId; readonly req: ForwardRequest } {
  const o = obj(v, 'forward request');
  return { from: nodeId(o, 'from'), req: { kind: str(o, 'kind'), body: str(o, 'body') } };
}

export function encodeForwardResponse(r: ForwardResponse): object {
  return r.ok ? { ok: true, body: r.body } : { ok: false, code: r.code, message: r.message, details: r.details };
}

export function decodeForwardResponse(v: unknown): ForwardResponse {
  const o = obj(v, 'forward response');
  if (bool(o, 'ok')) return { ok: true, body: str(o, 'body') };
  const code = str(o, 'code');
  if (code === '') throw new Malformed('a failed forward response without a code');
  return { ok: false, code, message: str(o, 'message'), details: str(o, 'details') };
}

export function encodeStatusRequest(from: NodeId): object {
  return { from };
}

export function decodeStatusRequest(v: unknown): NodeId {
  return nodeId(obj(v, 'status request'), 'from');
}

export function encodeStatusResponse(s: PeerStatus): object {
  return { body: s.body };
}

export function decodeStatusResponse(v: unknown): PeerStatus {
  return { body: str(obj(v, 'status response'), 'body') };
}

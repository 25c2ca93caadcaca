import { createHash } from 'node:crypto';
import { KnowdError } from '../base/index.js';
import type { Term } from '@rdfjs/types';
import { decodeTerm } from '../rdf/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';
import { idBytes, MAX_TERM_ID, nsPrefix, readId } from './layout.js';

/**
 * The term dictionary: term string ↔ integer id, per namespace. Ids are never reused or changed, so a
 * committed mapping can be cached forever (until its namespace is deleted; namespace ids are never
 * reused either).
 */

// Long literals would make fat B-tree keys: past this many bytes the key is a SHA-256 of the term,
// behind a 0x00 byte that no term string starts with (n3 ids start with a letter, '"', or '_').
const MAX_INLINE_TERM_BYTES = 480;

export function termKey(nsId: number, term: string): Buffer {
  // One allocation on the common path (bulk loads build millions of these).
  const len = Buffer.byteLength(term, 'utf8');
  if (len <= MAX_INLINE_TERM_BYTES) {
    const b = Buffer.allocUnsafe(NS_KEY_BYTES + len);
    b.writeUInt32BE(nsId, 0);
    b.write(term, NS_KEY_BYTES, 'utf8');
    return b;
  }
  return Buffer.concat([nsPrefix(nsId), Buffer.from([0]), createHash('sha256').update(term, 'utf8').digest()]);
}

const NS_KEY_BYTES = 4;

function idKey(nsId: number, id: number): Buffer {
  const b = Buffer.allocUnsafe(NS_KEY_BYTES + 5);
  b.writeUInt32BE(nsId, 0);
  b.writeUIntBE(id, NS_KEY_BYTES, 5);
  return b;
}

function nextIdKey(nsId: number): Buffer {
  return Buffer.concat([Buffer.from('nextId/'), nsPrefix(nsId)]);
}

/**
 * Bounded memo of committed mappings, in two generations: when the young map is full it becomes the
 * old one and the previous old one is dropped. Evicting one entry at a time from a Map's front looks
 * cheaper but is quadratic in V8 (iteration walks the deleted slots), which made large transactions
 * slow down as the cache filled.
 */
class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const y = this.young.get(k);
    if (y !== undefined) return y;
    const o = this.old.get(k);
    if (o !== undefined) this.set(k, o);
    return o;
  }
  set(k: K, v: V): void {
    if (this.young.size >= this.max / 2) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(k, v);
  }
}

export class Dictionary {
  private readonly toId = new Map<number, BoundedCache<string, number>>();
  private readonly toTerm = new Map<number, BoundedCache<number, string>>();
  private readonly toDecoded = new Map<number, BoundedCache<number, Term>>();
  /**
   * Per namespace, an id below which every mapping is durable (published): ids are handed out in
   * log order and never reused, so inside a write such an id may be decoded through the shared
   * caches, and a lookup that finds one may be cached. Above it, an id may belong to a write that
   * rolls back and is handed out again for another term.
   */
  private readonly durableBelow = new Map<number, number>();

  // 250k mappings per namespace (~50 MB of heap) keep hot terms of large loads without holding
  // the whole dictionary in memory; misses cost one B-tree lookup.
  constructor(private readonly cacheEntries = 250_000) {}

  private idCache(nsId: number): BoundedCache<string, number> {
    return this.cacheIn(this.toId, nsId);
  }

  private termCache(nsId: number): BoundedCache<number, string> {
    return this.cacheIn(this.toTerm, nsId);
  }

  /** The namespace's cache in `byNs`, made on first use. */
  private cacheIn<K, V>(byNs: Map<number, BoundedCache<K, V>>, nsId: number): BoundedCache<K, V> {
    let c = byNs.get(nsId);
    if (c === undefined) byNs.set(nsId, (c = new BoundedCache<K, V>(this.cacheEntries)));
    return c;
  }

  lookup(txn: ReadTxn, nsId: number, term: string): number | undefined {
    return this.cachedId(nsId, term) ?? this.stored(txn, termKey(nsId, term));
  }

  /** The id of a committed mapping this process has seen, without touching storage. */
  cachedId(nsId: number, term: string): number | undefined {
    return this.idCache(nsId).get(term);
  }

  /** The id stored under a term key (termKey), or undefined. */
  stored(txn: ReadTxn, key: Buffer): number | undefined {
    const v = txn.get('terms', key);
    return v === undefined ? undefined : readId(v);
  }

  /**
   * Decodes an id. Call it with committed snapshots only: it caches what it reads, and an id read
   * inside a write that later rolls back could be reallocated to another term.
   */
  term(txn: ReadTxn, nsId: number, id: number): string {
    const cache = this.termCache(nsId);
    const cached = cache.get(id);
    if (cached !== undefined) return cached;
    const v = txn.get('ids', idKey(nsId, id));
    if (v === undefined) throw new KnowdError('STORE_CORRUPT', `Term id ${id} of namespace #${nsId} has no dictionary entry`);
    const s = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
    cache.set(id, s);
    return s;
  }

  /**
   * Decodes an id into an RDF/JS term, as term() but cached as the term: query results decode every
   * value of every row, and parsing the string again for each (plus a per-query map in front) cost
   * more than the B-tree lookup. Committed snapshots only, as term().
   */
  decoded(txn: ReadTxn, nsId: number, id: number): Term {
    const cache = this.cacheIn(this.toDecoded, nsId);
    let t = cache.get(id);
    if (t === undefined) {
      // Not through the string cache: on the query path it would only add two map lookups per miss.
      t = decodeTerm(this.termUncached(txn, nsId, id));
      cache.set(id, t);
    }
    return t;
  }

  /** As lookup(), inside a write: a durable mapping found in storage is cached, a new one is not. */
  lookupInWrite(txn: ReadTxn, nsId: number, term: string): number | undefined {
    const cached = this.cachedId(nsId, term);
    if (cached !== undefined) return cached;
    const id = this.stored(txn, termKey(nsId, term));
    if (id !== undefined && id < this.durableFloor(nsId)) this.idCache(nsId).set(term, id);
    return id;
  }

  /** As term(), inside a write: through the shared cache only for ids below the durable floor. */
  termInWrite(txn: ReadTxn, nsId: number, id: number): string {
    return id < this.durableFloor(nsId) ? this.term(txn, nsId, id) : this.termUncached(txn, nsId, id);
  }

  /** As decoded(), inside a write: through the shared cache only for ids below the durable floor. */
  decodedInWrite(txn: ReadTxn, nsId: number, id: number): Term {
    return id < this.durableFloor(nsId) ? this.decoded(txn, nsId, id) : decodeTerm(this.termUncached(txn, nsId, id));
  }

  private durableFloor(nsId: number): number {
    return this.durableBelow.get(nsId) ?? 0;
  }

  /** Decodes an id without touching the shared cache: safe inside a write that may roll back. */
  termUncached(txn: ReadTxn, nsId: number, id: number): string {
    const v = txn.get('ids', idKey(nsId, id));
    if (v === undefined) throw new KnowdError('STORE_CORRUPT', `Term id ${id} of namespace #${nsId} has no dictionary entry`);
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  }

  /** Publishes mappings created by a committed write, so later lookups skip storage. */
  publish(nsId: number, created: ReadonlyMap<string, number>): void {
    const ids = this.idCache(nsId);
    let floor = this.durableFloor(nsId);
    for (const [t, id] of created) {
      ids.set(t, id);
      if (id >= floor) floor = id + 1;
    }
    this.durableBelow.set(nsId, floor);
  }

  /** Drops every cached mapping (the store under the cache was replaced). */
  reset(): void {
    this.toId.clear();
    this.toTerm.clear();
    this.toDecoded.clear();
    this.durableBelow.clear();
  }

  forgetNamespace(nsId: number): void {
    this.toId.delete(nsId);
    this.toTerm.delete(nsId);
    this.toDecoded.delete(nsId);
    this.durableBelow.delete(nsId);
  }

  /** A writer for one write transaction; its new mappings become visible through publish(). */
  writer(txn: WriteTxn, nsId: number): DictionaryWriter {
    return new DictionaryWriter(this, txn, nsId);
  }

  /** Term ids handed out in a namespace (terms of removed quads included): O(1), unlike counting. */
  static allocated(txn: ReadTxn, nsId: number): number {
    const v = txn.get('meta', nextIdKey(nsId));
    return v === undefined ? 0 : readId(v) - 1;
  }

  static deleteNamespace(txn: WriteTxn, nsId: number): void {
    txn.del('meta', nextIdKey(nsId));
  }
}

export class DictionaryWriter {
  readonly created = new Map<string, number>();
  private nextId: number;
  private dirty = false;

  constructor(
    private readonly dict: Dictionary,
    private readonly txn: WriteTxn,
    private readonly nsId: number,
  ) {
    const v = txn.get('meta', nextIdKey(nsId));
    this.nextId = v === undefined ? 1 : readId(v);
  }

  /** The id of `term`, allocating one if the namespace has never seen it. */
  intern(term: string): number {
    const created = this.created.get(term);
    if (created !== undefined) return created;
    const cached = this.dict.cachedId(this.nsId, term);
    if (cached !== undefined) return cached;
    // One key for the lookup and, for a new term, the insert.
    const key = termKey(this.nsId, term);
    const known = this.dict.stored(this.txn, key);
    if (known !== undefined) return known;
    if (this.nextId > MAX_TERM_ID) throw new KnowdError('CONFLICT', `Namespace #${this.nsId} has used every term id`);
    const id = this.nextId++;
    this.dirty = true;
    this.txn.put('terms', key, idBytes(id));
    this.txn.put('ids', idKey(this.nsId, id), Buffer.from(term, 'utf8'));
    this.created.set(term, id);
    return id;
  }

  /** The id of `term` if it exists (removals never allocate). */
  find(term: string): number | undefined {
    return this.created.get(term) ?? this.dict.lookup(this.txn, this.nsId, term);
  }

  finish(): void {
    if (this.dirty) this.txn.put('meta', nextIdKey(this.nsId), idBytes(this.nextId));
    this.dirty = false;
  }
}

/**
 * An in-process HTTP API on an in-memory engine, for `app.inject()` tests, plus the small typed
 * helpers those tests share (transactions, store stats, tokens, RDF comparison as sets).
 */
import type { DiscoveryView } from '../../src/api/http/deps.js';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { SignJWT } from 'jose';
import { Parser } from 'n3';
import type { Quad, Term } from '@rdfjs/types';
import { buildApp } from '../../src/api/http/index.js';
import { systemClock, type Clock } from '../../src/base/index.js';
import { loadConfig, type Config } from '../../src/config/index.js';
import type { Engine } from '../../src/engine/index.js';
import { openStandalone } from '../../src/replication/node/index.js';
import { Metrics, createAuditLog, createLogger, type AuditLog } from '../../src/obs/index.js';
import { createEd25519Signer, generateSigningKeyPem, type Receipt } from '../../src/receipts/index.js';
import { openMemoryStorage } from '../../src/storage/index.js';
import { createVectorService, openVectorIndexes } from '../../src/daemon/vectors.js';
import { PackService } from '../../src/daemon/packs.js';

export const TOKEN_SECRET = 'test-secret-0123456789-abcdefghijklmnop';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly engine: Engine;
  readonly config: Config;
  /** Policy packs of `--packs DIR` (not loaded until reload() is called, as start-up would). */
  readonly packs: PackService;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** knowd flags, e.g. ['--max-body-bytes', '1KiB'] or ['--token-secret', TOKEN_SECRET]. */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** LAN discovery as /v1/cluster/status shows it (default: none, shown as backend 'off'). */
  readonly discovery?: DiscoveryView;
  /** Time for admin UI sessions and the sign-in rate limit (default: the system clock). */
  readonly clock?: Clock;
  /** Where audit events go (default: nowhere). */
  readonly audit?: AuditLog;
  /** Admin UI assets to serve at /admin/ (default: dist/ui). */
  readonly uiDir?: string;
}

export async function makeApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const config = loadConfig(['--store', 'mem', ...(opts.argv ?? [])], opts.env ?? {});
  const storage = openMemoryStorage();
  const vec = openVectorIndexes(config, storage);
  const { engine, node } = await openStandalone({
    storage,
    ...(vec !== undefined && { vectors: vec.indexes }),
    signer: createEd25519Signer(generateSigningKeyPem()),
    clock: systemClock,
    maxTxQuads: config.maxTxQuads,
    windowSec: config.windowSec,
  });
  await engine.ensureNamespace(config.defaultNamespace);
  let ready = true;
  const packs = new PackService(config.packsDir, engine, createLogger('silent'));
  const app = buildApp({
    engine,
    packs,
    cluster: node,
    audit: opts.audit ?? createAuditLog(null),
    config,
    metrics: new Metrics(false),
    log: createLogger('silent'),
    version: '0.0.0-test',
    nodeId: 'test-node',
    startedMs: Date.now(),
    ready: () => ready,
    ...(opts.discovery !== undefined && { discovery: opts.discovery }),
    ...(opts.clock !== undefined && { clock: opts.clock }),
    ...(opts.uiDir !== undefined && { uiDir: opts.uiDir }),
    ...(vec !== undefined && { vectors: createVectorService(config, engine, vec.indexes, systemClock) }),
  });
  await app.ready();
  return {
    app,
    engine,
    config,
    packs,
    setReady: (r) => {
      ready = r;
    },
    close: async () => {
      await app.close();
      await engine.drain();
      await node.stop();
      await engine.storage.close();
    },
  };
}

// ---- response shapes -------------------------------------------------------------------------

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly line?: number; readonly column?: number } & Record<string, unknown>;
}

export interface TxResponse {
  readonly receipt: Receipt;
  readonly delta: { readonly added: number; readonly removed: number };
  readonly replayed?: boolean;
}

export interface NamespaceStats {
  readonly name: string;
  readonly quads: number;
}

export interface StoreStats {
  readonly log: { readonly entries: number; readonly bytes: number };
  readonly position: { readonly lastIndex: number; readonly lastTerm: number; readonly appliedIndex: number };
  readonly namespaces: readonly NamespaceStats[];
}

export interface VerifyResponse {
  readonly valid: boolean;
  readonly canonicalHash: string | null;
  readonly sig: string;
  readonly pub: string;
  readonly reason?: string;
}

export interface ClusterStatus {
  readonly mode: string;
  readonly nodeId: string;
  readonly term: number;
  readonly leader: string | null;
  readonly followers: readonly unknown[];
  readonly lagSec: number;
  readonly lastSnapshot: unknown;
  readonly walSize: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly peers: readonly unknown[];
}

export function json<T>(res: { readonly body: string }): T {
  return JSON.parse(res.body) as T;
}

// ---- requests ---------------------------------------------------------------------------------

export interface TxBody {
  readonly add?: string;
  readonly remove?: string;
  readonly format?: string;
  readonly actor?: string;
  readonly idempotencyKey?: string;
  readonly namespace?: string;
}

export function postTx(app: FastifyInstance, body: TxBody, extra: Partial<InjectOptions> = {}): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url: '/v1/tx', payload: body, ...extra });
}

/** A transaction that must succeed. */
export async function commitTx(app: FastifyInstance, body: TxBody): Promise<TxResponse> {
  const res = await postTx(app, body);
  if (res.statusCode !== 200) throw new Error(`POST /v1/tx answered ${res.statusCode}: ${res.body}`);
  return json<TxResponse>(res);
}

export async function storeStats(app: FastifyInstance): Promise<StoreStats> {
  const res = await app.inject({ method: 'GET', url: '/v1/store/stats' });
  if (res.statusCode !== 200) throw new Error(`GET /v1/store/stats answered ${res.statusCode}: ${res.body}`);
  return json<StoreStats>(res);
}

export function quadsIn(stats: StoreStats, ns = 'default'): number {
  const n = stats.namespaces.find((x) => x.name === ns);
  if (n === undefined) throw new Error(`namespace ${ns} not in stats`);
  return n.quads;
}

/** What must not move when a write is rejected: quad counts and the log. */
export function fingerprint(stats: StoreStats): string {
  return JSON.stringify({ ns: stats.namespaces.map((n) => [n.name, n.quads]), log: stats.log.entries, last: stats.position.lastIndex, applied: stats.position.appliedIndex });
}

// ---- tokens -----------------------------------------------------------------------------------

export interface TokenClaims {
  readonly role: string;
  readonly ns: readonly string[] | '*';
  readonly sub?: string;
}

export function makeToken(claims: TokenClaims, secret: string = TOKEN_SECRET): Promise<string> {
  return new SignJWT({ role: claims.role, ns: claims.ns === '*' ? '*' : [...claims.ns] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'alice')
    .setIssuedAt()
    .sign(new TextEncoder().encode(secret));
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

// ---- RDF as sets ------------------------------------------------------------------------------

/** Parses RDF with n3 and returns its statements as a set of N-Quads lines (no blank nodes expected). */
export function rdfSet(text: string, format: 'Turtle' | 'N-Triples' | 'N-Quads' | 'TriG'): Set<string> {
  const quads: Quad[] = new Parser({ format }).parse(text);
  return new Set(quads.map(quadKey));
}

function termKey(t: Term): string {
  switch (t.termType) {
    case 'NamedNode':
      return `<${t.value}>`;
    case 'BlankNode':
      return `_:${t.value}`;
    case 'Literal':
      return `${JSON.stringify(t.value)}${t.language !== '' ? `@${t.language}` : `^^<${t.datatype.value}>`}`;
    case 'DefaultGraph':
      return '';
    default:
      return `?${t.value}`;
  }
}

/** A comparable text for one statement (not N-Quads: only for comparing sets). */
export function quadKey(q: Quad): string {
  return [termKey(q.subject), termKey(q.predicate), termKey(q.object), termKey(q.graph)].join(' ').trim();
}

export function sorted(set: ReadonlySet<string>): string[] {
  return [...set].sort();
}

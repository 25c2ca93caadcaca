#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { KnowdError, isKnowdError } from '../base/index.js';
import { describeSettings, loadConfig, redactedConfig } from '../config/index.js';
import { VERSION, joinCluster, restoreSnapshotOffline, verifySnapshotFile } from '../daemon/index.js';
import { formatFromFileName, parseFormatName } from '../rdf/index.js';
import { callJson, parseResponse, readAll, request, type Target } from './client.js';
import { ProgressBar } from './progress.js';
import { parseExport, verifyFromExport } from './verify-export.js';

interface GlobalOpts {
  url?: string;
  dataDir?: string;
  token?: string;
  json?: boolean;
}

/** Exit codes (SPEC): 0 success, 1 failure, 2 bad usage. */
class Failure extends Error {}

function target(g: GlobalOpts): Target {
  const token = g.token ?? process.env['KNOWDCTL_TOKEN'];
  if (g.url !== undefined) return { url: g.url, ...(token !== undefined && { token }) };
  const dataDir = dataDirOf(g);
  const socketPath = process.env['KNOWD_ADMIN_SOCKET'] ?? path.join(dataDir, 'admin.sock');
  return { socketPath, ...(token !== undefined && { token }) };
}

function dataDirOf(g: GlobalOpts): string {
  return g.dataDir ?? process.env['KNOWD_DATA_DIR'] ?? './data';
}

function print(g: GlobalOpts, value: unknown, human: () => string): void {
  process.stdout.write(g.json === true ? `${JSON.stringify(value)}\n` : `${human()}\n`);
}

const program = new Command('knowdctl')
  .description('Maintenance of a Knowd node over its admin socket (or --url)')
  .version(VERSION)
  .option('--url <url>', 'talk to this HTTP address instead of the admin socket')
  .option('--data-dir <dir>', 'data directory whose admin.sock to use (default: $KNOWD_DATA_DIR or ./data)')
  .option('--token <token>', 'bearer token (default: $KNOWDCTL_TOKEN)')
  .option('--json', 'machine-readable output')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const globals = (): GlobalOpts => program.opts<GlobalOpts>();

program
  .command('status')
  .description('node, log and store status')
  .action(async () => {
    const g = globals();
    const t = target(g);
    const [cluster, stats] = await Promise.all([callJson<Record<string, unknown>>(t, 'GET', '/v1/cluster/status'), callJson<Record<string, unknown>>(t, 'GET', '/v1/store/stats')]);
    print(g, { cluster, store: stats }, () => {
      const ns = (stats['namespaces'] as { name: string; quads: number }[]).map((n) => `  ${n.name}: ${n.quads} quads`).join('\n');
      return `mode ${String(cluster['mode'])}  node ${String(cluster['nodeId'])}  version ${String(cluster['version'])}\ncommit index ${String(cluster['commitIndex'])}  applied ${String(cluster['appliedIndex'])}  WAL ${String(cluster['walSize'])} bytes\nstore ${String(stats['store'])} ${String(stats['usedBytes'])} bytes used\nnamespaces:\n${ns}`;
    });
  });

program
  .command('health')
  .description('exit 0 when the node is healthy, 1 when not')
  .action(async () => {
    const g = globals();
    const res = await request(target(g), 'GET', '/healthz');
    const body = JSON.parse(await readAll(res.body)) as { status: string; failing?: string };
    print(g, body, () => (res.status === 200 ? 'ok' : `failing: ${body.failing ?? body.status}`));
    if (res.status !== 200) throw new Failure('');
  });

program
  .command('import <file>')
  .description('bulk-load an RDF file (N-Triples, N-Quads, Turtle, TriG; .gz too); one receipt per batch')
  .option('--ns <namespace>', 'target namespace (default: the node default)')
  .option('--format <format>', 'format, when the file name does not say it')
  .action(async (file: string, o: { ns?: string; format?: string }) => {
    const g = globals();
    const format = o.format !== undefined ? parseFormatName(o.format) : formatFromFileName(file);
    if (format === undefined) throw new KnowdError('BAD_FORMAT', `Cannot tell the format of "${file}" from its name; give --format`);
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch (e) {
      throw new KnowdError('BAD_REQUEST', `Cannot read "${file}": ${(e as Error).message}`);
    }
    const bar = new ProgressBar(size);
    let sent = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        bar.update(sent);
        cb(null, chunk);
      },
    });
    const qs = new URLSearchParams({ format, ...(o.ns !== undefined && { namespace: o.ns }) });
    const started = Date.now();
    const res = await request(target(g), 'POST', `/v1/admin/import?${qs.toString()}`, fs.createReadStream(file).pipe(counter), { 'content-type': 'application/octet-stream' });
    const out = parseResponse<{ quads: number; added: number; batches: number; receipts: string[] }>(res.status, await readAll(res.body));
    bar.update(size, true);
    bar.done();
    const secs = (Date.now() - started) / 1000;
    print(g, { ...out, seconds: secs }, () => `imported ${out.quads} quads (${out.added} new) in ${out.batches} batches, ${secs.toFixed(1)} s, ${Math.round(out.quads / Math.max(secs, 0.001))} quads/s`);
  });

program
  .command('export')
  .description('write a namespace as N-Quads to stdout (or --out)')
  .option('--ns <namespace>', 'namespace (default: the node default)')
  .option('--format <format>', 'nquads (default) or ntriples (default graph only)', 'nquads')
  .option('--out <file>', 'write to this file instead of stdout')
  .action(async (o: { ns?: string; format: string; out?: string }) => {
    const g = globals();
    const qs = new URLSearchParams({ format: parseFormatName(o.format), ...(o.ns !== undefined && { namespace: o.ns }) });
    const res = await request(target(g), 'GET', `/v1/admin/export?${qs.toString()}`);
    if (res.status >= 400) parseResponse(res.status, await readAll(res.body));
    const sink = o.out === undefined ? process.stdout : fs.createWriteStream(o.out);
    await new Promise<void>((resolve, reject) => {
      res.body.on('error', reject);
      sink.on('error', reject);
      res.body.pipe(sink);
      res.body.on('end', () => (o.out === undefined ? resolve() : sink.on('finish', () => resolve())));
    });
  });

const receipts = program.command('receipts').description('receipts: export and offline verification');
receipts
  .command('export')
  .description('write every receipt of a namespace with its logged delta (NDJSON)')
  .option('--ns <namespace>', 'namespace')
  .option('--out <file>', 'file (default stdout)')
  .action(async (o: { ns?: string; out?: string }) => {
    const g = globals();
    const qs = new URLSearchParams(o.ns !== undefined ? { namespace: o.ns } : {});
    const res = await request(target(g), 'GET', `/v1/receipts/export?${qs.toString()}`);
    const text = await readAll(res.body);
    if (res.status >= 400) parseResponse(res.status, text);
    if (o.out === undefined) process.stdout.write(text);
    else fs.writeFileSync(o.out, text);
  });
receipts
  .command('verify <id>')
  .description('verify a receipt, its chain and its delta offline (from --file, or an export fetched now)')
  .option('--file <export>', 'an export made by `knowdctl receipts export` (no server needed)')
  .option('--pub <key>', 'accept only signatures by this base64 Ed25519 public key')
  .action(async (id: string, o: { file?: string; pub?: string }) => {
    const g = globals();
    let text: string;
    if (o.file !== undefined) text = fs.readFileSync(o.file, 'utf8');
    else {
      const ns = id.slice(0, id.lastIndexOf('-'));
      const res = await request(target(g), 'GET', `/v1/receipts/export?${new URLSearchParams({ namespace: ns }).toString()}`);
      text = await readAll(res.body);
      if (res.status >= 400) parseResponse(res.status, text);
    }
    let lines;
    try {
      lines = parseExport(text);
    } catch (e) {
      throw new KnowdError('BAD_REQUEST', `The export is not valid NDJSON: ${(e as Error).message}`);
    }
    const out = await verifyFromExport(lines, id, o.pub);
    print(g, out, () => (out.valid ? `valid: ${id} (chain of ${out.checked} receipts checked)` : `INVALID: ${out.reason ?? ''}`));
    if (!out.valid) throw new Failure('');
  });

program
  .command('promote')
  .description('make this node the leader (a follower): it first gets every committed write, then the leader hands over')
  .option('--barrier <barrier>', 'what the node must have before it leads: latest (the leader\'s last committed write)', 'latest')
  .action(async (o: { barrier: string }) => {
    const g = globals();
    if (o.barrier !== 'latest') throw new KnowdError('BAD_FORMAT', `--barrier ${o.barrier}: only "latest" is supported`);
    const r = await callJson<{ leader: string; term: number; previousLeader: string | null }>(target(g), 'POST', '/v1/admin/promote-follower', { barrier: 'latest' });
    print(g, r, () => `leader is now ${r.leader} (term ${r.term}; was ${r.previousLeader ?? 'none'})`);
  });

interface SnapshotView {
  readonly index: number;
  readonly term: number;
  readonly file: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
  readonly sha256: string;
}

const snapshot = program.command('snapshot').description('snapshots: create, list, verify, restore');
snapshot
  .command('create')
  .description('take a snapshot now (compacts the log behind it)')
  .action(async () => {
    const g = globals();
    const s = await callJson<SnapshotView>(target(g), 'POST', '/v1/admin/snapshot');
    print(g, s, () => `snapshot at index ${s.index} (term ${s.term}): ${s.file}, ${s.sizeBytes} bytes`);
  });
snapshot
  .command('list')
  .description('the snapshots this node keeps, newest first')
  .action(async () => {
    const g = globals();
    const r = await callJson<{ snapshots: SnapshotView[] }>(target(g), 'GET', '/v1/admin/snapshots');
    print(g, r, () => (r.snapshots.length === 0 ? 'no snapshots' : r.snapshots.map((s) => `${s.index}\tterm ${s.term}\t${s.sizeBytes} bytes\t${s.createdAt}\t${s.file}`).join('\n')));
  });
snapshot
  .command('verify <file>')
  .description('check a snapshot file offline: SHA-256, decryption and structure (no server needed)')
  .option('--key <file>', 'snapshot key file (default: <data-dir>/keys/snapshot-aes256.key or $KNOWD_SNAPSHOT_KEY)')
  .action(async (file: string, o: { key?: string }) => {
    const g = globals();
    const r = await verifySnapshotFile(file, dataDirOf(g), o.key ?? process.env['KNOWD_SNAPSHOT_KEY']);
    print(g, r, () => (r.ok ? `valid: snapshot at index ${r.meta.index} (term ${r.meta.term})` : `INVALID: ${r.reason}`));
    if (!r.ok) throw new Failure('');
  });
snapshot
  .command('restore <file>')
  .description('replace the store of a STOPPED node with a snapshot (the node then catches up from the cluster)')
  .option('--key <file>', 'snapshot key file (default: <data-dir>/keys/snapshot-aes256.key or $KNOWD_SNAPSHOT_KEY)')
  .action(async (file: string, o: { key?: string }) => {
    const g = globals();
    const meta = await restoreSnapshotOffline(file, dataDirOf(g), o.key ?? process.env['KNOWD_SNAPSHOT_KEY']);
    print(g, { restored: true, index: meta.index, term: meta.term }, () => `restored: the store now holds the state at log index ${meta.index}; start knowd`);
  });

interface PackView {
  readonly name: string;
  readonly digest: string;
  readonly loadedAtMs: number;
  readonly logIndex: number;
  readonly items: readonly { readonly namespace: string; readonly shapes: readonly string[]; readonly hooks: readonly { readonly id: string }[] }[];
}
interface PackProblemView {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly message: string;
}
const packLine = (p: PackView): string =>
  `${p.name}\t${p.digest.slice(0, 12)}\tloaded ${new Date(p.loadedAtMs).toISOString()} (index ${p.logIndex})\t${p.items.map((i) => `${i.namespace}: ${i.shapes.length} shapes files, ${i.hooks.length} hooks`).join('; ')}`;
const problemLine = (p: PackProblemView): string =>
  `${p.file ?? ''}${p.line !== undefined ? `:${p.line}` : ''}${p.column !== undefined ? `:${p.column}` : ''}: ${p.field !== undefined ? `${p.field}: ` : ''}${p.message}`;

const packs = program.command('packs').description('policy packs (KNOWD_PACKS): list, reload');
packs
  .command('list')
  .description('the loaded policy packs and how the last load went')
  .action(async () => {
    const g = globals();
    const r = await callJson<{ dir: string | null; packs: PackView[]; lastLoad: { ok: boolean; message?: string; problems?: PackProblemView[] } | null }>(target(g), 'GET', '/v1/packs');
    print(g, r, () => {
      const lines = [`packs directory: ${r.dir ?? '(not configured: KNOWD_PACKS)'}`, ...r.packs.map(packLine)];
      if (r.lastLoad !== null && !r.lastLoad.ok) lines.push(`last load FAILED: ${r.lastLoad.message ?? ''}`, ...(r.lastLoad.problems ?? []).map((p) => `  ${problemLine(p)}`));
      return lines.join('\n');
    });
  });
packs
  .command('reload')
  .description('check the packs directory as a whole and load it (a broken pack changes nothing; every problem is listed)')
  .action(async () => {
    const g = globals();
    try {
      const r = await callJson<{ changed: boolean; packs: PackView[]; receipts: { id: string }[] }>(target(g), 'POST', '/v1/packs/reload');
      print(g, r, () => [r.changed ? `loaded (receipts: ${r.receipts.map((x) => x.id).join(', ') || 'none'})` : 'unchanged: every pack is loaded as it is', ...r.packs.map(packLine)].join('\n'));
    } catch (e) {
      if (!(e instanceof KnowdError && e.code === 'PACK_INVALID')) throw e;
      const problems = (e.details['problems'] ?? []) as PackProblemView[];
      print(g, { error: { code: e.code, message: e.message, problems } }, () => [`nothing changed: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, ...problems.map(problemLine)].join('\n'));
      throw new Failure(e.message);
    }
  });

const cluster = program.command('cluster').description('cluster provisioning and membership');
cluster
  .command('init')
  .description('make this node the first voter of a new cluster: cluster id, CA, its certificate, and a join token')
  .action(async () => {
    const g = globals();
    const r = await callJson<{ clusterId: string; token: string; expiresAt: string; next: string }>(target(g), 'POST', '/v1/cluster/init');
    print(g, { clusterId: r.clusterId, token: r.token, expiresAt: r.expiresAt }, () => `cluster ${r.clusterId}\njoin token (single use, until ${r.expiresAt}):\n  ${r.token}\nnext: ${r.next}`);
  });
cluster
  .command('token')
  .description('a new single-use join token (on a voter)')
  .action(async () => {
    const g = globals();
    const r = await callJson<{ token: string; expiresAt: string }>(target(g), 'POST', '/v1/cluster/token');
    print(g, { token: r.token, expiresAt: r.expiresAt }, () => `${r.token}\n(single use, until ${r.expiresAt})`);
  });
cluster
  .command('join')
  .description('join a cluster (run with knowd stopped; then start knowd): --url of the node that made the token')
  .option('--token <token>', 'join token from `knowdctl cluster token`')
  .option('--url <url>', 'HTTP address of the cluster node that issued the token (mDNS discovery: not yet)')
  .option('--grpc-addr <host:port>', "this node's gRPC address as its peers reach it (default $KNOWD_GRPC_ADVERTISE or $KNOWD_GRPC_ADDR)")
  .option('--wipe', 'remove this node\'s existing store first (it receives the cluster\'s data)')
  .action(async (o: { token?: string; url?: string; grpcAddr?: string; wipe?: boolean }) => {
    const g = globals();
    // --token and --url are also knowdctl's global options (bearer token, node address); commander
    // hands them to the program, so read them from there too.
    const token = o.token ?? g.token;
    if (token === undefined) throw new KnowdError('BAD_FORMAT', 'cluster join needs --token <join token> (from `knowdctl cluster token` on a voter)');
    const url = o.url ?? g.url;
    if (url === undefined) throw new KnowdError('BAD_FORMAT', 'cluster join needs --url <http://host:port> of the node that issued the token');
    const memberId = o.grpcAddr ?? process.env['KNOWD_GRPC_ADVERTISE'] ?? process.env['KNOWD_GRPC_ADDR'];
    if (memberId === undefined || memberId.startsWith(':')) throw new KnowdError('BAD_FORMAT', 'cluster join needs --grpc-addr <host:port>: the address this node\'s peers reach its gRPC at');
    const r = await joinCluster({ token, url, memberId, dataDir: dataDirOf(g), wipe: o.wipe === true });
    print(g, { joined: true, clusterId: r.clusterId, memberId, peers: r.peers }, () => `joined cluster ${r.clusterId} as ${memberId} (peers ${r.peers.join(', ')})\nnext: start knowd; it is admitted as a learner and becomes a voter once caught up`);
  });
cluster
  .command('add <node>')
  .description('add a member by its gRPC address (host:port): it joins as a learner and becomes a voter once caught up')
  .action(async (node: string) => {
    const g = globals();
    const r = await callJson<{ voters: string[]; learners: string[] }>(target(g), 'POST', '/v1/admin/members', { id: node });
    print(g, r, () => `voters: ${r.voters.join(', ')}${r.learners.length > 0 ? `\nlearners: ${r.learners.join(', ')}` : ''}`);
  });
cluster
  .command('remove <node>')
  .description('remove a member (host:port) from the cluster')
  .action(async (node: string) => {
    const g = globals();
    const r = await callJson<{ voters: string[]; learners: string[] }>(target(g), 'DELETE', `/v1/admin/members/${encodeURIComponent(node)}`);
    print(g, r, () => `voters: ${r.voters.join(', ')}`);
  });

const config = program.command('config').description('configuration');
config
  .command('check')
  .description('validate the settings from the environment and flags, as knowd would')
  .allowUnknownOption()
  .argument('[flags...]', 'knowd flags to check together with the environment')
  .action((flags: string[]) => {
    const g = globals();
    const cfg = loadConfig(flags, process.env);
    print(g, { valid: true, config: redactedConfig(cfg) }, () => {
      const r = redactedConfig(cfg) as unknown as Record<string, unknown>;
      return ['configuration is valid', ...Object.entries(r).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`)].join('\n');
    });
  });
config
  .command('list')
  .description('every setting with its default')
  .action(() => {
    const g = globals();
    const s = describeSettings();
    print(g, s, () => s.map((d) => `${d.name} (${d.flag}) default ${d.default === '' ? '(unset)' : d.default}\n    ${d.description}`).join('\n'));
  });

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exit(e.exitCode === 0 ? 0 : 2);
    }
    if (e instanceof Failure) process.exit(1);
    const msg = isKnowdError(e) ? e.message : (e as Error).message;
    if (globals().json === true) process.stdout.write(`${JSON.stringify({ error: { code: isKnowdError(e) ? e.code : 'INTERNAL', message: msg } })}\n`);
    else process.stderr.write(`knowdctl: ${msg}\n`);
    process.exit(isKnowdError(e) && (e.code === 'CONFIG_INVALID' || e.code === 'BAD_FORMAT') ? 2 : 1);
  }
}

void main();

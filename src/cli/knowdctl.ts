#!/usr/bin/env node
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ADMIN_CREDENTIAL_FILE, KnowdError, hashAdminPassword, isKnowdError, writeAdminCredential } from '../base/index.js';
import { describeSettings, loadConfig, redactedConfig } from '../config/index.js';
import { VERSION } from '../daemon/version.js';
import { callJson, parseResponse, readAll, request, type Target } from './client.js';
import { ProgressBar } from './progress.js';
import type { UpgradeDeps } from './upgrade.js';

// The heavy modules (the daemon's LMDB, gRPC and fastify; the RDF stack; tar) load only in the
// commands that use them: `knowdctl motd` runs at every SSH login and must start fast.
const daemon = () => import('../daemon/index.js');
const rdf = () => import('../rdf/index.js');

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

/** --url: an http(s) address (commander reports a bad one as usage, exit 2). */
function httpUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(`"${v}" is not a URL; give the node's HTTP address, e.g. http://10.0.0.1:8090`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`"${v}" is not an http(s) URL`);
  return v;
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
  .option('--url <url>', 'talk to this HTTP address instead of the admin socket', httpUrl)
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
    const { formatFromFileName, parseFormatName } = await rdf();
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
    const { parseFormatName } = await rdf();
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
      lines = (await import('./verify-export.js')).parseExport(text);
    } catch (e) {
      throw new KnowdError('BAD_REQUEST', `The export is not valid NDJSON: ${(e as Error).message}`);
    }
    const out = await (await import('./verify-export.js')).verifyFromExport(lines, id, o.pub);
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
    const r = await (await daemon()).verifySnapshotFile(file, dataDirOf(g), o.key ?? process.env['KNOWD_SNAPSHOT_KEY']);
    print(g, r, () => (r.ok ? `valid: snapshot at index ${r.meta.index} (term ${r.meta.term})` : `INVALID: ${r.reason}`));
    if (!r.ok) throw new Failure('');
  });
snapshot
  .command('restore <file>')
  .description('replace the store of a STOPPED node with a snapshot (the node then catches up from the cluster)')
  .option('--key <file>', 'snapshot key file (default: <data-dir>/keys/snapshot-aes256.key or $KNOWD_SNAPSHOT_KEY)')
  .action(async (file: string, o: { key?: string }) => {
    const g = globals();
    const meta = await (await daemon()).restoreSnapshotOffline(file, dataDirOf(g), o.key ?? process.env['KNOWD_SNAPSHOT_KEY']);
    print(g, { restored: true, index: meta.index, term: meta.term }, () => `restored: the store now holds the state at log index ${meta.index}; start knowd`);
  });

program
  .command('backup <file>')
  .description('whole-node backup: a snapshot (the store at one log index), node identity, keys, cluster files and settings; "-" writes to stdout. The file holds private keys: it is written 0600, keep it like the keys themselves')
  .action(async (file: string) => {
    const g = globals();
    const res = await request(target(g), 'GET', '/v1/admin/backup');
    if (res.status >= 400) parseResponse(res.status, await readAll(res.body));
    const index = Number(res.headers['x-knowd-backup-index']);
    const term = Number(res.headers['x-knowd-backup-term']);
    const nodeId = String(res.headers['x-knowd-node-id'] ?? '');
    if (file === '-') {
      await pipeline(res.body, process.stdout);
      process.stderr.write(`backup of node ${nodeId} at log index ${index} (term ${term}) written to stdout\n`);
      return;
    }
    const out = path.resolve(file);
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      const fd = fs.openSync(tmp, 'wx', 0o600);
      await pipeline(res.body, fs.createWriteStream('', { fd }));
      const check = fs.openSync(tmp, 'r');
      fs.fsyncSync(check);
      fs.closeSync(check);
      // Read back what was written: a connection cut mid-stream must not leave a backup that looks good.
      await (await daemon()).checkBackupStream(fs.createReadStream(tmp));
      fs.renameSync(tmp, out);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    const sizeBytes = fs.statSync(out).size;
    print(g, { file: out, nodeId, index, term, sizeBytes }, () => `backup of node ${nodeId} at log index ${index} (term ${term}): ${out}, ${sizeBytes} bytes (mode 0600: it holds the node's private keys)`);
  });

program
  .command('restore <file>')
  .description('replace this node\'s data with a whole-node backup ("-" reads stdin); knowd must be stopped. Everything is checked before anything is touched')
  .option('--env-file <file>', 'where the backup\'s settings go (default /etc/knowd/knowd.env when /etc/knowd exists)')
  .option('--no-settings', 'leave the settings file alone')
  .option('--keep-old', 'keep the replaced data in <data-dir>/.pre-restore-<time>/')
  .option('--key <file>', 'snapshot key, for a backup that carries none')
  .option('--check', 'only check the backup (manifest, every file\'s SHA-256); change nothing')
  .action(async (file: string, o: { envFile?: string; settings: boolean; keepOld?: boolean; key?: string; check?: boolean }) => {
    const g = globals();
    const open = (): Readable => {
      if (file === '-') return process.stdin;
      if (!fs.existsSync(file)) throw new KnowdError('BAD_REQUEST', `Cannot read "${file}": no such file`);
      return fs.createReadStream(file);
    };
    if (o.check === true) {
      const m = await (await daemon()).checkBackupStream(open());
      print(g, { valid: true, nodeId: m.nodeId, index: m.snapshot.index, term: m.snapshot.term, createdAt: m.createdAt, files: m.files.length }, () => `valid: backup of node ${m.nodeId} at log index ${m.snapshot.index} (term ${m.snapshot.term}), made ${m.createdAt}, ${m.files.length} files`);
      return;
    }
    const envFile = o.settings ? (o.envFile ?? (fs.existsSync('/etc/knowd') ? '/etc/knowd/knowd.env' : undefined)) : undefined;
    const keyPath = o.key ?? process.env['KNOWD_SNAPSHOT_KEY'];
    const r = await (await daemon()).restoreBackup({ input: open(), dataDir: dataDirOf(g), keepOld: o.keepOld === true, ...(envFile !== undefined && { envFile }), ...(keyPath !== undefined && { keyPath }) });
    print(g, { restored: true, ...r }, () =>
      [
        `restored node ${r.nodeId}: the store holds the state at log index ${r.index} (term ${r.term}) of ${r.createdAt}`,
        r.settingsWritten !== undefined ? `settings written to ${r.settingsWritten} (the previous ones: ${r.settingsWritten}.pre-restore)` : 'settings left alone (they are in the backup as settings/knowd.env)',
        ...(r.oldData !== undefined ? [`the replaced data is kept in ${r.oldData}`] : []),
        ...(r.notIncluded.length > 0 ? [`not in the backup (restore by hand): ${r.notIncluded.join(', ')}`] : []),
        'next: start knowd',
      ].join('\n'),
    );
  });

program
  .command('upgrade [tarball]')
  .description('install a Knowd release tarball (dist/, node_modules/, package.json) as <root>/releases/<version>, switch <root>/current to it, restart knowd and wait for /healthz; rolls back by itself when the new release does not come up')
  .option('--rollback', 'switch back to the previous release and restart')
  .option('--root <dir>', 'install root', '/opt/knowd')
  .option('--restart-cmd <command>', 'how knowd is restarted (run by sh -c)', 'systemctl restart knowd.service')
  .option('--health-timeout <seconds>', 'how long the new release has to answer healthy', '60')
  .action(async (tarball: string | undefined, o: { rollback?: boolean; root: string; restartCmd: string; healthTimeout: string }) => {
    const g = globals();
    const timeoutSec = Number(o.healthTimeout);
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new KnowdError('BAD_FORMAT', `--health-timeout ${o.healthTimeout}: expected a number of seconds`);
    if ((tarball === undefined) === (o.rollback !== true)) throw new KnowdError('BAD_FORMAT', 'upgrade needs a TARBALL, or --rollback (not both)');
    const deps: UpgradeDeps = {
      root: path.resolve(o.root),
      restart: () => runShell(o.restartCmd),
      waitHealthy: (version) => waitHealthy(target(g), version, timeoutSec * 1000),
      progress: (line) => process.stderr.write(`${line}\n`),
    };
    const { rollback, upgrade } = await import('./upgrade.js');
    const r = tarball === undefined ? await rollback(deps) : await upgrade(tarball, deps);
    print(g, r, () => `knowd ${r.to} is running and healthy (was ${r.from ?? 'none'}); \`knowdctl upgrade --rollback\` returns to ${r.from ?? 'nothing'}`);
  });

program
  .command('logs')
  .description("knowd's journal (journalctl -u knowd.service)")
  .option('-f, --follow', 'keep printing new lines')
  .option('-n, --lines <n>', 'how many of the last lines', '100')
  .option('--unit <name>', 'systemd unit', 'knowd.service')
  .action(async (o: { follow?: boolean; lines: string; unit: string }) => {
    const g = globals();
    const lines = Number(o.lines);
    if (!Number.isInteger(lines) || lines < 0) throw new KnowdError('BAD_FORMAT', `-n ${o.lines}: expected a number of lines`);
    const { showJournal } = await import('./logs.js');
    const code = await showJournal({ unit: o.unit, lines, follow: o.follow === true, json: g.json === true });
    if (code !== 0) throw new Failure('');
  });

program
  .command('motd')
  .description('a short status for the login banner: node, role, leader, health, admin URL(s); never hangs')
  .option('--env-file <file>', 'settings file to read KNOWD_ADDR from', '/etc/knowd/knowd.env')
  .option('--timeout-ms <ms>', 'how long to wait for knowd', '1500')
  .action(async (o: { envFile: string; timeoutMs: string }) => {
    const g = globals();
    const { adminUrls, gatherMotd, httpAddr, motdText } = await import('./motd.js');
    const timeoutMs = Math.max(100, Number(o.timeoutMs) || 1500);
    const urls = adminUrls(httpAddr(process.env, o.envFile), os.hostname(), os.networkInterfaces());
    const t = target(g);
    const down = { running: false, adminUrls: urls };
    // A bound on the whole, beyond each request's own: a login must never wait on knowd.
    const facts = await Promise.race([gatherMotd(t, timeoutMs, urls), new Promise<typeof down>((r) => setTimeout(() => r(down), timeoutMs * 2).unref())]);
    print(g, facts, () => motdText(facts, t.url ?? t.socketPath ?? ''));
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
  .description('join a cluster (run with knowd stopped; then start knowd): the cluster is found by mDNS, or at --url')
  .option('--token <token>', 'join token from `knowdctl cluster token`')
  .option('--url <url>', 'HTTP address of the cluster node that issued the token (default: find the cluster by mDNS)', httpUrl)
  .option('--grpc-addr <host:port>', "this node's gRPC address as its peers reach it (default $KNOWD_GRPC_ADVERTISE, $KNOWD_GRPC_ADDR, or with mDNS this host's address toward the cluster)")
  .option('--discover-timeout <ms>', 'how long to listen on mDNS for the cluster', '15000')
  .option('--wipe', 'remove this node\'s existing store first (it receives the cluster\'s data)')
  .action(async (o: { token?: string; url?: string; grpcAddr?: string; discoverTimeout: string; wipe?: boolean }) => {
    const g = globals();
    // --token and --url are also knowdctl's global options (bearer token, node address); commander
    // hands them to the program, so read them from there too.
    const token = o.token ?? g.token;
    if (token === undefined) throw new KnowdError('BAD_FORMAT', 'cluster join needs --token <join token> (from `knowdctl cluster token` on a voter)');
    const timeoutMs = Number(o.discoverTimeout);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new KnowdError('BAD_FORMAT', `--discover-timeout must be a positive number of milliseconds, not "${o.discoverTimeout}"`);
    const dataDir = dataDirOf(g);
    const url = o.url ?? g.url;
    let urls: readonly string[];
    let towards: string | undefined;
    if (url !== undefined) urls = [url];
    else {
      fs.mkdirSync(dataDir, { recursive: true, mode: 0o750 });
      const cfg = loadConfig(['--data-dir', dataDir], process.env);
      const [{ createLogger }, { default: pino }] = await Promise.all([import('../obs/index.js'), import('pino')]);
      const log = createLogger('warn', pino.destination(2));
      const found = await (await daemon()).discoverCluster({ config: cfg, log, timeoutMs });
      if (g.json !== true) process.stderr.write(`found on mDNS: ${found.map((c) => `${c.url} (cluster ${c.clusterId})`).join(', ')}\n`);
      urls = found.map((c) => c.url);
      towards = found[0]?.address;
    }
    const memberId = await memberIdOf(o.grpcAddr, towards);
    const r = await (await daemon()).joinCluster({ token, urls, memberId, dataDir, wipe: o.wipe === true });
    print(g, { joined: true, clusterId: r.clusterId, memberId, peers: r.peers }, () => `joined cluster ${r.clusterId} as ${memberId} (peers ${r.peers.join(', ')})\nnext: start knowd; it is admitted as a learner and becomes a voter once caught up`);
  });

/** The member id a joining node takes: named, configured, or (found by mDNS) its own address toward the cluster. */
async function memberIdOf(named: string | undefined, towards: string | undefined): Promise<string> {
  const configured = named ?? process.env['KNOWD_GRPC_ADVERTISE'] ?? process.env['KNOWD_GRPC_ADDR'];
  if (configured !== undefined && !configured.startsWith(':') && !configured.startsWith('0.0.0.0:')) return configured;
  const port = configured === undefined ? 8091 : Number(configured.slice(configured.lastIndexOf(':') + 1));
  if (towards === undefined) throw new KnowdError('BAD_FORMAT', 'cluster join needs --grpc-addr <host:port>: the address this node\'s peers reach its gRPC at');
  return `${await (await daemon()).localAddressToward(towards, port)}:${port}`;
}
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

const admin = program.command('admin').description('the admin credential of this node (admin web UI sign-in)');
admin
  .command('set-password')
  .description('set the admin password from the first line of stdin (never from the command line); works offline on --data-dir')
  .action(async () => {
    const g = globals();
    if (process.stdin.isTTY === true) process.stderr.write('admin password (input is not hidden; prefer a pipe): ');
    const line = (await readFirstLine(process.stdin)).replace(/\r$/, '');
    const dataDir = dataDirOf(g);
    if (!fs.existsSync(dataDir)) throw new KnowdError('BAD_REQUEST', `The data directory "${dataDir}" does not exist`);
    await writeAdminCredential(dataDir, await hashAdminPassword(line));
    print(g, { set: true, file: path.join(dataDir, ADMIN_CREDENTIAL_FILE) }, () => `admin password set (${path.join(dataDir, ADMIN_CREDENTIAL_FILE)})`);
  });

/** Reads stdin up to the first newline (or its end): a password piped with printf or echo. */
async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const c of input) {
    text += (c as Buffer).toString('utf8');
    const nl = text.indexOf('\n');
    if (nl >= 0) return text.slice(0, nl);
  }
  return text;
}

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

/** Runs an operator-given command line; a non-zero exit is an error with its stderr. */
function runShell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', cmd], { timeout: 5 * 60_000 }, (err, _out, stderr) => (err === null ? resolve() : reject(new Error(`"${cmd}" failed: ${stderr.trim() || err.message}`))));
  });
}

/** Polls /healthz (200) and the running version until both are right or the time is up. */
async function waitHealthy(t: Target, version: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await request(t, 'GET', '/healthz', undefined, {}, 2000);
      await readAll(res.body);
      if (res.status === 200) {
        const s = await callJson<{ version?: string }>(t, 'GET', '/v1/cluster/status', undefined, 2000);
        if (s.version === version) return true;
      }
    } catch {
      // Not up yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

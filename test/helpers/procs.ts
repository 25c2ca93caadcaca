/**
 * Real knowd and knowdctl processes for end-to-end tests. Every process and temporary directory is
 * registered with t.teardown, so it is stopped (by PID) and removed even when the test fails.
 * Only 127.0.0.1 is used.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KNOWD_JS = path.join(ROOT, 'dist', 'src', 'cli', 'knowd.js');
export const KNOWDCTL_JS = path.join(ROOT, 'dist', 'src', 'cli', 'knowdctl.js');

/** Builds dist/ only when the CLIs are missing (`npm test` builds before ava). */
export function ensureBuilt(): void {
  if (fs.existsSync(KNOWD_JS) && fs.existsSync(KNOWDCTL_JS)) return;
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
}

/**
 * The environment without KNOWD_* variables (knowd rejects unknown ones) plus `extra`. Discovery is
 * off unless `extra` turns it on: an mDNS responder must never run in the host's network namespace
 * (test/e2e/discovery.test.ts runs it in namespaces of its own).
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KNOWD') && v !== undefined) env[k] = v;
  return { ...env, KNOWD_DISCOVERY: 'off', ...extra };
}

export function tmpDir(t: ExecutionContext, prefix = 'knowd-e2e-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port that was free a moment ago on 127.0.0.1 (knowd may not print the port it got for 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Collects a stream's text, keeping at most the last `max` characters. */
function collect(stream: NodeJS.ReadableStream | null, max = 256 * 1024): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text += chunk;
    if (text.length > max) text = text.slice(text.length - max);
  });
  return () => text;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    // A spawn failure (bad cwd, missing node) ends the child as if it exited with 127.
    child.once('error', () => resolve({ code: child.exitCode ?? 127, signal: child.signalCode }));
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    // 'close' comes after 'exit' once the pipes are drained, so the collected output is complete.
    else child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

/**
 * Every child these helpers started that is still running. A test's teardown stops its own; these
 * are stopped here when no teardown will run: ava stops a test file that ran past its timeout with
 * SIGTERM, and the knowd processes it started used to outlive it.
 */
const running = new Set<ChildProcess>();

function register(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function killAllNow(): void {
  for (const c of running) {
    if (c.pid === undefined) continue;
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

process.on('exit', killAllNow);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    killAllNow();
    process.exit(sig === 'SIGTERM' ? 143 : 130);
  });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Stops a child by PID: SIGKILL if it is still running, then waits for it. */
async function killByPid(child: ChildProcess, exited: Promise<Exit>): Promise<void> {
  if (child.pid !== undefined && alive(child)) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
}

export interface Knowd {
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  readonly exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** Sends a signal by PID and waits for the exit. */
  signal(sig: NodeJS.Signals): Promise<Exit>;
}

export interface KnowdOptions {
  readonly dataDir: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
  /** Bearer token for the /healthz poll (needed when knowd runs with a token secret). */
  readonly token?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts knowd on 127.0.0.1 and waits for /healthz; retries with another port if the port was taken. */
export async function startKnowd(t: ExecutionContext, opts: KnowdOptions): Promise<Knowd> {
  ensureBuilt();
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [KNOWD_JS, '--data-dir', opts.dataDir, '--addr', `127.0.0.1:${port}`, '--log-level', 'warn', ...(opts.args ?? [])], {
      cwd: os.tmpdir(),
      env: cleanEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    register(child);
    const exited = exitOf(child);
    t.teardown(() => killByPid(child, exited));
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const pid = child.pid;
    if (pid === undefined) throw new Error('knowd did not start');
    const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
    let up = false;
    while (Date.now() < deadline && alive(child)) {
      try {
        const headers: Record<string, string> = opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` };
        const res = await fetch(`${url}/healthz`, { headers, signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          up = true;
          break;
        }
      } catch {
        // Not listening yet.
      }
      await sleep(50);
    }
    if (up) {
      return {
        pid,
        port,
        url,
        dataDir: opts.dataDir,
        exited,
        stdout,
        stderr,
        signal: async (sig) => {
          if (alive(child)) process.kill(pid, sig);
          return exited;
        },
      };
    }
    await killByPid(child, exited);
    lastError = `${stderr()}\n${stdout()}`;
    if (!/EADDRINUSE/.test(lastError)) break;
  }
  throw new Error(`knowd did not become healthy:\n${lastError.slice(-4000)}`);
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Written to the child's stdin, which is then closed. */
  readonly input?: string;
}

/** Runs a node script to completion (killed by PID at the timeout and at teardown). */
export async function runNode(t: ExecutionContext, script: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  ensureBuilt();
  const child = spawn(process.execPath, [script, ...args], { cwd: opts.cwd ?? os.tmpdir(), env: cleanEnv(opts.env), stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  register(child);
  if (opts.input !== undefined) child.stdin?.end(opts.input);
  const exited = exitOf(child);
  t.teardown(() => killByPid(child, exited));
  const stdout = collect(child.stdout, 64 * 1024 * 1024);
  const stderr = collect(child.stderr);
  const timer = setTimeout(() => {
    if (child.pid !== undefined && alive(child)) process.kill(child.pid, 'SIGKILL');
  }, opts.timeoutMs ?? 30_000);
  const exit = await exited;
  clearTimeout(timer);
  return { ...exit, stdout: stdout(), stderr: stderr() };
}

export function knowdctl(t: ExecutionContext, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runNode(t, KNOWDCTL_JS, args, opts);
}

export function knowd(t: ExecutionContext, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runNode(t, KNOWD_JS, args, opts);
}

/** JSON over HTTP to a running node. */
export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

export async function sendJson<T>(url: string, method: string, body: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: (await res.json()) as T };
}

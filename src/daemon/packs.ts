/**
 * Policy packs from disk: reads KNOWD_PACKS (one directory per pack) and hands the files to the
 * engine, which checks them as a whole and logs them in one entry. Run by the leader at start-up
 * (and when a node becomes leader) and on POST /v1/packs/reload; followers get the packs through the
 * log. A broken pack changes nothing: the problems are logged and shown in GET /v1/packs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KnowdError } from '../base/index.js';
import type { Engine, PacksLoadResult } from '../engine/index.js';
import type { Logger } from '../obs/index.js';
import type { PackFile, PackProblem, PackRecord, PackSource } from '../packs/index.js';

/** Bounds on what one reload reads: a packs directory is policy, not data. */
const MAX_FILES_PER_PACK = 10_000;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 3;

/**
 * The packs under `dir`: each subdirectory is a pack, its files (up to MAX_DEPTH deep) read as
 * UTF-8. A missing directory is no packs. Files past the limits are reported as problems.
 */
export function readPacksDir(dir: string): { sources: PackSource[]; problems: PackProblem[] } {
  const problems: PackProblem[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { sources: [], problems };
    throw new KnowdError('PACK_INVALID', `Cannot read the packs directory "${dir}": ${(e as Error).message}`, { problems: [] });
  }
  const sources: PackSource[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    if (!e.isDirectory()) {
      if (!e.name.endsWith('.md')) problems.push({ pack: e.name, file: e.name, message: 'unexpected file: the packs directory holds one directory per pack' });
      continue;
    }
    const files: PackFile[] = [];
    const walk = (rel: string, depth: number): void => {
      for (const f of fs.readdirSync(path.join(dir, e.name, rel), { withFileTypes: true })) {
        const r = rel === '' ? f.name : `${rel}/${f.name}`;
        if (f.name.startsWith('.')) continue;
        if (f.isDirectory()) {
          if (depth < MAX_DEPTH) walk(r, depth + 1);
          else problems.push({ pack: e.name, file: `${e.name}/${r}`, message: 'unexpected directory: a pack holds <namespace>/shapes/*.ttl and <namespace>/hooks/*.json' });
          continue;
        }
        const full = path.join(dir, e.name, r);
        const size = fs.statSync(full).size;
        if (size > MAX_FILE_BYTES) problems.push({ pack: e.name, file: `${e.name}/${r}`, message: `${size} bytes; a pack file may have at most ${MAX_FILE_BYTES}` });
        else if (files.length >= MAX_FILES_PER_PACK) problems.push({ pack: e.name, file: `${e.name}/${r}`, message: `more than ${MAX_FILES_PER_PACK} files in one pack` });
        else files.push({ path: r, text: fs.readFileSync(full, 'utf8') });
      }
    };
    walk('', 1);
    sources.push({ name: e.name, files });
  }
  return { sources, problems };
}

export interface LastLoad {
  readonly atMs: number;
  readonly ok: boolean;
  readonly changed?: boolean;
  readonly message?: string;
  readonly problems?: readonly PackProblem[];
}

export interface PacksStatus {
  readonly dir: string | null;
  readonly packs: readonly PackRecord[];
  readonly lastLoad: LastLoad | null;
}

/** What the HTTP edge needs (ApiDeps.packs). */
export class PackService {
  private last: LastLoad | null = null;
  private running: Promise<PacksLoadResult> | undefined;

  constructor(private readonly dir: string | undefined, private readonly engine: Engine, private readonly log: Logger) {}

  get configured(): boolean {
    return this.dir !== undefined;
  }

  /** Reads the directory and loads it (one at a time: a second caller waits for the first, then runs). */
  async reload(actor: string): Promise<PacksLoadResult> {
    if (this.dir === undefined) throw new KnowdError('NOT_SUPPORTED', 'No packs directory is configured (KNOWD_PACKS)');
    while (this.running !== undefined) await this.running.catch(() => undefined);
    const run = this.load(this.dir, actor);
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async load(dir: string, actor: string): Promise<PacksLoadResult> {
    try {
      const read = readPacksDir(dir);
      if (read.problems.length > 0) {
        throw new KnowdError('PACK_INVALID', `${read.problems.length} problem${read.problems.length === 1 ? '' : 's'} in the packs directory (first: ${read.problems[0]!.file ?? ''}: ${read.problems[0]!.message}); nothing was changed`, { problems: read.problems });
      }
      const r = await this.engine.loadPacks(read.sources, actor);
      this.last = { atMs: Date.now(), ok: true, changed: r.changed };
      this.log.info({ dir, changed: r.changed, packs: r.packs.map((p) => ({ name: p.name, digest: p.digest })), receipts: r.receipts.map((x) => x.id) }, 'policy packs loaded');
      return r;
    } catch (e) {
      const problems = e instanceof KnowdError && Array.isArray(e.details['problems']) ? (e.details['problems'] as PackProblem[]) : undefined;
      this.last = { atMs: Date.now(), ok: false, message: e instanceof Error ? e.message : String(e), ...(problems !== undefined && { problems }) };
      this.log.error({ dir, err: e, problems }, 'policy packs not loaded; the previous ones stay');
      throw e;
    }
  }

  status(): PacksStatus {
    return { dir: this.dir ?? null, packs: this.engine.packs(), lastLoad: this.last };
  }
}

/**
 * `knowdctl upgrade TARBALL` and `upgrade --rollback` on the appliance's install layout:
 *   <root>/releases/<version>/   a built Knowd (dist/, production node_modules/, package.json)
 *   <root>/current               symlink to the active release (the knowd wrapper runs it)
 *   <root>/previous              symlink to the release before it (what --rollback returns to)
 * The tarball is checked before anything changes (layout, package.json name and version, no paths
 * out of the release, no links but node_modules' own), unpacked beside the releases and renamed into
 * place, then `current` is switched with one rename(2) — atomic, so a crash leaves either release
 * active, never none. knowd is restarted and must answer /healthz with the new version in time, or
 * the switch is undone and knowd restarted on the old release.
 * Root, restart and health check are injected, so tests run all of it on a temporary directory.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract, list as tarList } from 'tar';
import { KnowdError } from '../base/index.js';
import { lockPidFile } from '../daemon/data-dir-lock.js';

export interface UpgradeDeps {
  readonly root: string;
  /** Restarts knowd (on the appliance: systemctl restart knowd.service); throws when it fails. */
  restart(): Promise<void>;
  /** Resolves true once knowd answers healthy with `version`, false when it has not in time. */
  waitHealthy(version: string): Promise<boolean>;
  progress(line: string): void;
}

export interface UpgradeResult {
  readonly from: string | null;
  readonly to: string;
}

const REQUIRED = ['package.json', 'dist/src/cli/knowd.js', 'dist/src/cli/knowdctl.js'];
const VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const bad = (message: string): KnowdError => new KnowdError('BAD_REQUEST', `Not a Knowd release tarball: ${message}`);

interface Inspected {
  readonly version: string;
  /** Leading path components every entry shares (0, or 1 for a "knowd-x.y.z/" top directory). */
  readonly strip: number;
}

/** Reads the tarball once: entry names and types, and package.json's content. */
export async function inspectTarball(file: string): Promise<Inspected> {
  const entries: { path: string; type: string; linkpath: string }[] = [];
  const pkgs = new Map<string, string>();
  try {
    await pipeline(
      fs.createReadStream(file),
      tarList({
        strict: true,
        onReadEntry: (e) => {
          entries.push({ path: e.path, type: e.type, linkpath: e.linkpath ?? '' });
          if (/^(?:[^/]+\/)?package\.json$/.test(e.path)) {
            const parts: Buffer[] = [];
            e.on('data', (c: Buffer) => parts.push(c));
            e.on('end', () => pkgs.set(e.path, Buffer.concat(parts).toString('utf8')));
          } else e.resume();
        },
      }) as unknown as NodeJS.WritableStream,
    );
  } catch (e) {
    throw bad(`cannot read "${file}" as a tar archive: ${(e as Error).message}`);
  }
  if (entries.length === 0) throw bad('it is empty');
  const names = entries.map((e) => e.path.replace(/^\.\//, ''));
  const strip = names.includes('package.json') ? 0 : 1;
  const top = strip === 1 ? names[0]!.split('/')[0]! + '/' : '';
  for (const [i, e] of entries.entries()) {
    const name = names[i]!;
    if (path.posix.isAbsolute(name) || name.split('/').includes('..')) throw bad(`entry "${e.path}" points outside the release`);
    if (strip === 1 && !name.startsWith(top) && name !== top.slice(0, -1)) throw bad(`entries do not share one top directory ("${e.path}")`);
    const rel = name.slice(top.length);
    if (e.type === 'SymbolicLink') {
      // npm's .bin links: relative, inside node_modules.
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), e.linkpath));
      if (!rel.startsWith('node_modules/') || path.posix.isAbsolute(e.linkpath) || !target.startsWith('node_modules/')) throw bad(`link "${e.path}" -> "${e.linkpath}" leaves node_modules`);
    } else if (!['File', 'OldFile', 'Directory'].includes(e.type)) throw bad(`entry "${e.path}" is a ${e.type}`);
  }
  const rels = new Set(names.map((n) => n.slice(top.length).replace(/\/$/, '')));
  for (const need of REQUIRED) if (!rels.has(need)) throw bad(`it lacks ${need} (a release holds dist/, node_modules/ and package.json)`);
  if (![...rels].some((r) => r === 'node_modules' || r.startsWith('node_modules/'))) throw bad('it lacks node_modules/ (production dependencies)');
  const pkgText = pkgs.get(`${top}package.json`);
  let pkg: { name?: unknown; version?: unknown };
  try {
    pkg = JSON.parse(pkgText ?? '') as typeof pkg;
  } catch {
    throw bad('its package.json is not JSON');
  }
  if (pkg.name !== 'knowd') throw bad(`its package.json names "${String(pkg.name)}", not knowd`);
  if (typeof pkg.version !== 'string' || !VERSION_RE.test(pkg.version)) throw bad(`its package.json version "${String(pkg.version)}" is not a version`);
  return { version: pkg.version, strip };
}

function currentVersion(root: string, link: string): string | null {
  try {
    return path.basename(fs.readlinkSync(path.join(root, link)));
  } catch {
    return null;
  }
}

/** Points `link` at releases/<version> with one rename(2) over the old link. */
function pointAt(root: string, link: string, version: string): void {
  const tmp = path.join(root, `.${link}-${randomBytes(4).toString('hex')}`);
  fs.symlinkSync(path.join('releases', version), tmp);
  fs.renameSync(tmp, path.join(root, link));
}

/** Switches to `to`, restarts, and undoes the switch if knowd does not come up healthy on it. */
async function switchAndCheck(deps: UpgradeDeps, from: string | null, to: string): Promise<UpgradeResult> {
  const previousBefore = currentVersion(deps.root, 'previous');
  pointAt(deps.root, 'current', to);
  if (from !== null) pointAt(deps.root, 'previous', from);
  deps.progress(`current -> releases/${to}; restarting knowd`);
  let healthy = false;
  let why = '';
  try {
    await deps.restart();
    healthy = await deps.waitHealthy(to);
    if (!healthy) why = `knowd ${to} did not answer healthy in time`;
  } catch (e) {
    why = (e as Error).message;
  }
  if (healthy) return { from, to };
  if (from === null) throw new KnowdError('INTERNAL', `${why}; there is no previous release to return to`);
  deps.progress(`${why}; rolling back to ${from}`);
  // Everything as it was: a release that never came up is not one to roll back to.
  pointAt(deps.root, 'current', from);
  if (previousBefore === null) fs.rmSync(path.join(deps.root, 'previous'), { force: true });
  else pointAt(deps.root, 'previous', previousBefore);
  let back = false;
  try {
    await deps.restart();
    back = await deps.waitHealthy(from);
  } catch {
    back = false;
  }
  throw new KnowdError('INTERNAL', `${why}; rolled back to ${from}${back ? ', which is healthy' : ', which is NOT healthy either: see `knowdctl logs`'}`, { rolledBackTo: from });
}

function lockRoot(root: string): () => void {
  fs.mkdirSync(path.join(root, 'releases'), { recursive: true, mode: 0o755 });
  return lockPidFile(path.join(root, '.upgrade.pid'), (pid) => `Another upgrade (process ${pid}) is running on ${root}`);
}

export async function upgrade(tarball: string, deps: UpgradeDeps): Promise<UpgradeResult> {
  if (!fs.existsSync(tarball)) throw new KnowdError('BAD_REQUEST', `Cannot read "${tarball}": no such file`);
  const { version, strip } = await inspectTarball(tarball);
  const unlock = lockRoot(deps.root);
  try {
    const from = currentVersion(deps.root, 'current');
    if (from === version) throw new KnowdError('CONFLICT', `Knowd ${version} is already the current release`);
    const releases = path.join(deps.root, 'releases');
    const staging = path.join(releases, `.unpack-${version}-${randomBytes(4).toString('hex')}`);
    fs.mkdirSync(staging, { mode: 0o755 });
    try {
      deps.progress(`unpacking knowd ${version}`);
      await pipeline(fs.createReadStream(tarball), tarExtract({ cwd: staging, strip, strict: true, preserveOwner: false }) as unknown as NodeJS.WritableStream);
      const pkg = JSON.parse(fs.readFileSync(path.join(staging, 'package.json'), 'utf8')) as { version?: string };
      if (pkg.version !== version) throw bad('package.json changed between reads');
      const target = path.join(releases, version);
      // A release left by an earlier, failed or rolled-back upgrade is replaced by this one.
      fs.rmSync(target, { recursive: true, force: true });
      fs.renameSync(staging, target);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    return await switchAndCheck(deps, from, version);
  } finally {
    unlock();
  }
}

export async function rollback(deps: UpgradeDeps): Promise<UpgradeResult> {
  const unlock = lockRoot(deps.root);
  try {
    const from = currentVersion(deps.root, 'current');
    const to = currentVersion(deps.root, 'previous');
    if (to === null || !fs.existsSync(path.join(deps.root, 'releases', to, 'package.json'))) throw new KnowdError('CONFLICT', `There is no previous release in ${deps.root} to roll back to`);
    return await switchAndCheck(deps, from, to);
  } finally {
    unlock();
  }
}

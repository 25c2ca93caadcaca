// Shared helpers of the engine processes of bench/lubm-queries.ts. Plain .mjs run by plain `node` (no tsx
// loader), so the peak RSS (VmHWM) of an engine process is the engine's plus Node's own baseline.
import fs from 'node:fs';
import { URL } from 'node:url';
import zlib from 'node:zlib';

/** A byte count from /proc/self/status (VmHWM, VmRSS, RssAnon, ...), or null. */
export function procStatus(field) {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m === null ? null : Number(m[1]) * 1024;
}

export function memory() {
  return { vmHWM: procStatus('VmHWM'), vmRSS: procStatus('VmRSS'), rssAnon: procStatus('RssAnon') };
}

/** The whole file, gunzipped when it ends with .gz. */
export function readText(file) {
  const raw = fs.readFileSync(file);
  return file.endsWith('.gz') ? zlib.gunzipSync(raw) : raw;
}

/** A readable stream of the file's text, gunzipped when it ends with .gz. */
export function textStream(file) {
  const s = fs.createReadStream(file);
  return file.endsWith('.gz') ? s.pipe(zlib.createGunzip()) : s;
}

/** Consumes a Comunica / asynciterator bindings stream and resolves with the number of rows. */
export function countStream(stream) {
  return new Promise((resolve, reject) => {
    let n = 0;
    stream.on('data', () => n++);
    stream.on('error', reject);
    stream.on('end', () => resolve(n));
  });
}

/** The version of an installed package (read from node_modules/, so packages without a package.json export work too). */
export function pkgVersion(pkg) {
  try {
    return JSON.parse(fs.readFileSync(new URL(`../../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

export function errMsg(e) {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

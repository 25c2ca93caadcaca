// Engine adapter for bench/peers/worker.mjs: quadstore, queried by quadstore-comunica (quadstore's own
// Comunica build, one Engine reused for every query), in-process, with quadstore's default 6 indexes.
//
// Backend, from the environment:
//   QUADSTORE_BACKEND=classic-level QUADSTORE_DIR=<dir>  LevelDB in <dir>/db (the parent creates and removes
//       <dir>). After a successful load, <dir>/loaded.json records the triple count; a later process with the
//       same <dir> (a restart after a timeout) opens the existing database instead of loading again.
//   otherwise                                            memory-level (in memory).
// memory-level has no approximateSize(), so quadstore reports every pattern's cardinality as Infinity and
// Comunica cannot order joins; and with quadstore-comunica 6.3.1 a single pattern without matches (LUBM q06,
// `?X rdf:type ub:Student`, at LUBM(1)) never finishes on it. classic-level has neither problem.
//
// Load: N3's streaming N-Triples parser over the gunzipped file into Quadstore.putStream (batches of
// 1,000 quads). Queries: engine.queryBindings(q); the row count is the number of bindings streamed.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { Transform } from 'node:stream';
import { DataFactory, StreamParser } from 'n3';
import { Quadstore } from 'quadstore';
import { Engine } from 'quadstore-comunica';
import { countStream, pkgVersion, textStream } from './common.mjs';

const backendName = process.env['QUADSTORE_BACKEND'] === 'classic-level' ? 'classic-level' : 'memory-level';

export const name = 'quadstore';
export const version = ['quadstore', 'quadstore-comunica', backendName].map((p) => `${p} ${pkgVersion(p)}`).join(', ');

const dir = process.env['QUADSTORE_DIR'] ?? '';
if (backendName === 'classic-level' && dir === '') throw new Error('QUADSTORE_BACKEND=classic-level needs QUADSTORE_DIR');
const marker = path.join(dir, 'loaded.json');

let store;
let engine;
/** True when this process opened a database an earlier process had loaded. */
export let reused = false;

async function backend() {
  if (backendName === 'memory-level') return new (await import('memory-level')).MemoryLevel();
  return new (await import('classic-level')).ClassicLevel(path.join(dir, 'db'));
}

export async function load(file) {
  store = new Quadstore({ backend: await backend(), dataFactory: DataFactory });
  await store.open();
  engine = new Engine(store);
  if (backendName === 'classic-level' && fs.existsSync(marker)) {
    const m = JSON.parse(fs.readFileSync(marker, 'utf8'));
    if (m.file === file) {
      reused = true;
      return m.triples;
    }
  }
  await store.clear();
  const parser = new StreamParser({ format: 'N-Triples' });
  const src = textStream(file);
  src.on('error', (e) => parser.destroy(e));
  parser.on('error', (e) => counter.destroy(e));
  let parsed = 0;
  const counter = new Transform({
    objectMode: true,
    transform(q, _enc, cb) {
      parsed++;
      cb(null, q);
    },
  });
  await store.putStream(src.pipe(parser).pipe(counter), { batchSize: 1000 });
  // countQuads() is an estimate (Infinity on memory-level), so report the number of quads parsed and
  // stored; the LUBM files have no duplicate lines.
  if (backendName === 'classic-level') fs.writeFileSync(marker, JSON.stringify({ file, triples: parsed }));
  return parsed;
}

export async function count(query) {
  return countStream(await engine.queryBindings(query));
}

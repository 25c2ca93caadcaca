// Engine adapter for bench/peers/worker.mjs: oxigraph's in-memory Store (npm `oxigraph`, WASM), in-process.
// Load as in bench/oxigraph-load.mjs: the whole gunzipped text handed to Store.load() in 1 MiB chunks
// with `lenient: true`. Queries: Store.query(q) returns the solutions as an array of Maps, fully
// materialized as JS terms; the row count is the array length.
import oxigraph from 'oxigraph';
import { pkgVersion, readText } from './common.mjs';

export const name = 'oxigraph';
export const version = `oxigraph ${pkgVersion('oxigraph')}`;

let store;

export async function load(file) {
  const text = readText(file);
  store = new oxigraph.Store();
  function* chunks() {
    for (let i = 0; i < text.length; i += 1 << 20) yield text.subarray(i, Math.min(i + (1 << 20), text.length));
  }
  store.load(chunks(), { format: 'application/n-triples', lenient: true });
  return store.size;
}

export async function count(query) {
  const r = store.query(query);
  if (typeof r === 'boolean') return 1;
  if (typeof r === 'string') throw new Error('unexpected string result');
  return r.length;
}

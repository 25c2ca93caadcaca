// Engine adapter for bench/peers/worker.mjs: an N3.Store (npm `n3`) queried by Comunica
// (@comunica/query-sparql-rdfjs, one QueryEngine reused for every query), in-process.
// Load: N3's streaming N-Triples parser over the gunzipped file, quads added to the Store in batches.
// Queries: queryBindings(q, { sources: [store] }); the row count is the number of bindings streamed.
import { QueryEngine } from '@comunica/query-sparql-rdfjs';
import { Store, StreamParser } from 'n3';
import { countStream, pkgVersion, textStream } from './common.mjs';

export const name = 'n3-comunica';
export const version = `@comunica/query-sparql-rdfjs ${pkgVersion('@comunica/query-sparql-rdfjs')}, n3 ${pkgVersion('n3')}`;

let store;
const engine = new QueryEngine();

export async function load(file) {
  store = new Store();
  const parser = new StreamParser({ format: 'N-Triples' });
  await new Promise((resolve, reject) => {
    let batch = [];
    const src = textStream(file);
    src.on('error', reject);
    parser.on('error', reject);
    parser.on('data', (q) => {
      batch.push(q);
      if (batch.length >= 10_000) {
        store.addQuads(batch);
        batch = [];
      }
    });
    parser.on('end', () => {
      store.addQuads(batch);
      resolve();
    });
    src.pipe(parser);
  });
  return store.size;
}

export async function count(query) {
  return countStream(await engine.queryBindings(query, { sources: [store] }));
}

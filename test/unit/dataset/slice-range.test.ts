/**
 * A federated part's seek (QuadStore.seek, sparql/split/partition.ts): the keys of one id slice of
 * the component after a scan's bound prefix are one range. Checked at the slice's bounds (lo in, hi
 * out, the open-ended last slice up to the largest id, never into the next prefix), and against the
 * filter it replaces on random data, every pattern shape and graph selection, on both storages.
 */
import test from 'ava';
import { Dictionary, QuadStore, createNamespace } from '../../../src/dataset/index.js';
import type { GraphSel, IdPattern } from '../../../src/dataset/index.js';
import { MAX_TERM_ID } from '../../../src/dataset/layout.js';
import type { Storage } from '../../../src/storage/index.js';
import { seededRandom, testSeed } from '../../helpers/random.js';
import { STORAGE_KINDS, withStorage } from '../../helpers/storages.js';

type Quad4 = [number, number, number, number];
const ID_SPACE = MAX_TERM_ID + 1;

async function load(storage: Storage, quads: readonly Quad4[]): Promise<{ store: QuadStore; nsId: number }> {
  const store = new QuadStore(new Dictionary());
  const nsId = await storage.write((w) => {
    const info = createNamespace(w, 't', 0);
    const qw = store.writer(w, info.id);
    for (const q of quads) qw.addIds(q);
    qw.finish();
    return info.id;
  });
  return { store, nsId };
}

const inSlices = (slices: readonly { lo: number; hi: number }[], id: number): boolean => slices.some((s) => id >= s.lo && id < s.hi);

for (const kind of STORAGE_KINDS) {
  test(`${kind}: a seek reads exactly its slice: lo in, hi out, the last slice to the largest id, never the next prefix`, async (t) => {
    await withStorage(kind, async ({ storage }) => {
      const subjects = [0, 1, 999, 1000, 1001, 1999, 2000, 2001, MAX_TERM_ID - 1, MAX_TERM_ID];
      const quads: Quad4[] = [...subjects.map((s): Quad4 => [s, 7, 9, 0]), [1500, 7, 10, 0], [1500, 8, 9, 0], [1500, 7, 8, 0], [1500, 6, 9, 0]];
      const { store, nsId } = await load(storage, quads);
      const p: IdPattern = { p: 7, o: 9, graph: { kind: 'default' } };
      const seek = (lo: number, hi: number): number[] =>
        storage.read((txn) => {
          const it = store.seek(txn, nsId, p, 0, [{ lo, hi }]);
          if (it === undefined) throw new Error('(?s p o) must seek on DPOS');
          return [...it].map((q) => q[0]);
        });
      t.deepEqual(seek(1000, 2000), [1000, 1001, 1999]);
      t.deepEqual(seek(0, 1000), [0, 1, 999]);
      t.deepEqual(seek(2000, ID_SPACE), [2000, 2001, MAX_TERM_ID - 1, MAX_TERM_ID]);
      t.deepEqual(seek(0, ID_SPACE), subjects);
      t.deepEqual(seek(1001, 1002), [1001]);
      t.deepEqual(seek(1002, 1999), []);
      // Several slices in one call, in order.
      const multi = storage.read((txn) => [...store.seek(txn, nsId, p, 0, [{ lo: 1, hi: 2 }, { lo: 1999, hi: 2001 }, { lo: MAX_TERM_ID, hi: ID_SPACE }])!].map((q) => q[0]));
      t.deepEqual(multi, [1, 1999, 2000, MAX_TERM_ID]);
    });
  });

  test(`${kind}: seek equals the filter it replaces over every pattern shape, or declines`, async (t) => {
    const seed = testSeed(20261128);
    const random = seededRandom(seed);
    const id = (): number => 1 + Math.floor(random() * 40);
    const quads: Quad4[] = Array.from({ length: 600 }, (): Quad4 => [id(), id(), id(), random() < 0.6 ? 0 : 41 + Math.floor(random() * 3)]);
    await withStorage(kind, async ({ storage }) => {
      const { store, nsId } = await load(storage, quads);
      const graphs: GraphSel[] = [{ kind: 'default' }, { kind: 'named' }, { kind: 'all' }, { kind: 'graph', id: 42 }, { kind: 'graph', id: 0 }];
      let seeks = 0;
      for (let round = 0; round < 300; round++) {
        const bound = [random() < 0.5, random() < 0.5, random() < 0.5];
        const free = [0, 1, 2].filter((i) => !bound[i]) as (0 | 1 | 2)[];
        if (free.length === 0) continue;
        const at = free[Math.floor(random() * free.length)]!;
        const [s, pr, o] = bound.map((b) => (b ? id() : undefined));
        const graph = graphs[Math.floor(random() * graphs.length)]!;
        const p: IdPattern = { graph, ...(s !== undefined && { s }), ...(pr !== undefined && { p: pr }), ...(o !== undefined && { o }) };
        const cuts = [...new Set(Array.from({ length: 4 }, () => Math.floor(random() * 45)))].sort((a, b) => a - b);
        const slices = cuts.flatMap((c, i) => (i % 2 === 0 ? [{ lo: c, hi: cuts[i + 1] ?? ID_SPACE }] : []));
        storage.read((txn) => {
          const want = [...store.match(txn, nsId, p)].filter((q) => inSlices(slices, q[at])).map((q) => q.join(' '));
          const got = store.seek(txn, nsId, p, at, slices);
          if (got === undefined) return;
          seeks++;
          t.deepEqual([...got].map((q) => q.join(' ')).sort(), want.sort(), `seed ${seed} round ${round}: ${JSON.stringify({ p, at, slices })}`);
        });
      }
      t.true(seeks > 50, `${seeks} patterns sought`);
      // The shapes a part starts with: the free position right after the bound ones seeks.
      storage.read((txn) => {
        const def: GraphSel = { kind: 'default' };
        t.truthy(store.seek(txn, nsId, { p: 1, o: 2, graph: def }, 0, [{ lo: 0, hi: 9 }]), '(?s p o) on DPOS');
        t.truthy(store.seek(txn, nsId, { p: 1, graph: def }, 2, [{ lo: 0, hi: 9 }]), '(?s p ?o) by ?o on DPOS');
        t.truthy(store.seek(txn, nsId, { s: 1, graph: { kind: 'all' } }, 1, [{ lo: 0, hi: 9 }]), '(s ?p ?o) on DSPO and SPOG');
        t.is(store.seek(txn, nsId, { p: 1, graph: def }, 0, [{ lo: 0, hi: 9 }]), undefined, '(?s p ?o) by ?s: not next in DPOS');
      });
    });
  });
}

test('a skip scan seeks at most once a slice, and only past gaps it meets: a sparse prefix costs a few scans, not one a slice', async (t) => {
  await withStorage('memory', async ({ storage }) => {
    const dense: Quad4[] = Array.from({ length: 1000 }, (_, i): Quad4 => [i + 1, 7, 9, 0]);
    const sparse: Quad4[] = [100, 5015, 90_000].map((s): Quad4 => [s, 8, 9, 0]);
    const { store, nsId } = await load(storage, [...dense, ...sparse]);
    // Every other slice of width 10 over [0, 100 000): 5 000 slices.
    const slices = Array.from({ length: 5000 }, (_, j) => ({ lo: j * 20, hi: j * 20 + 10 }));
    const scans = (p: IdPattern): { ids: number[]; scans: number } =>
      storage.read((txn) => {
        let n = 0;
        const counted = new Proxy(txn, { get: (target, prop, recv) => (prop === 'scanKeys' ? (...a: Parameters<typeof txn.scanKeys>) => (n++, target.scanKeys(...a)) : Reflect.get(target, prop, recv) as unknown) });
        const ids = [...store.seek(counted, nsId, p, 0, slices)!].map((q) => q[0]);
        return { ids, scans: n };
      });
    const d = scans({ p: 7, o: 9, graph: { kind: 'default' } });
    t.deepEqual(d.ids, dense.map((q) => q[0]).filter((s) => s % 20 < 10));
    t.true(d.scans <= 51, `${d.scans} scans for the 50 slices the dense keys reach`);
    const s = scans({ p: 8, o: 9, graph: { kind: 'default' } });
    t.deepEqual(s.ids, [100, 90_000]);
    t.true(s.scans <= 3, `${s.scans} scans for 3 sparse keys over 5 000 slices`);
  });
});

// The LUBM queries of /work/shared/bench-data/lubm (see its README.md) and their expected row counts.
//   queries/qNN.rq           → id qNN   (the 14 standard queries; most return 0 rows without a reasoner)
//   queries-expanded/qNN.rq  → id qNNx  (the same queries with the ontology's hierarchy spelled out)
import fs from 'node:fs';
import path from 'node:path';

export interface LubmQuery {
  id: string;
  set: 'queries' | 'queries-expanded';
  file: string;
  text: string;
  /** Expected row count per dataset name (lubm1, lubm10), from expected-counts.tsv. */
  expected: Record<string, number>;
  /** The `note` column of expected-counts.tsv, if any. */
  note?: string;
}

export const QUERY_SETS = { queries: '', 'queries-expanded': 'x' } as const;

/** Reads expected-counts.tsv: columns set, query, <dataset>_rows..., note. */
function readExpected(dataDir: string): Map<string, { counts: Record<string, number>; note: string }> {
  const out = new Map<string, { counts: Record<string, number>; note: string }>();
  const file = path.join(dataDir, 'expected-counts.tsv');
  if (!fs.existsSync(file)) return out;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split('\t');
  for (const line of lines) {
    const cells = line.split('\t');
    const counts: Record<string, number> = {};
    let note = '';
    header.forEach((h, i) => {
      const v = cells[i] ?? '';
      const m = /^(.+)_rows$/.exec(h);
      if (m !== null && v !== '' && Number.isFinite(Number(v))) counts[m[1]!] = Number(v);
      if (h === 'note') note = v.trim();
    });
    out.set(`${cells[0]}/${cells[1]}`, { counts, note });
  }
  return out;
}

export function loadQueries(dataDir: string): LubmQuery[] {
  const expected = readExpected(dataDir);
  const out: LubmQuery[] = [];
  for (const [set, suffix] of Object.entries(QUERY_SETS) as [LubmQuery['set'], string][]) {
    const dir = path.join(dataDir, set);
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.rq')).sort()) {
      const base = f.slice(0, -3);
      const e = expected.get(`${set}/${base}`);
      out.push({
        id: `${base}${suffix}`,
        set,
        file: path.join(dir, f),
        text: fs.readFileSync(path.join(dir, f), 'utf8'),
        expected: e?.counts ?? {},
        ...(e !== undefined && e.note !== '' && { note: e.note }),
      });
    }
  }
  return out;
}

/**
 * Picks queries by a comma-separated list of ids (q08x), set names (standard = queries/, expanded =
 * queries-expanded/) or `all`. Unknown names are an error.
 */
export function selectQueries(all: LubmQuery[], spec: string | undefined): LubmQuery[] {
  if (spec === undefined || spec.trim() === '' || spec.trim() === 'all') return all;
  const wanted = new Set<string>();
  for (const item of spec.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')) {
    if (item === 'standard' || item === 'std') all.filter((q) => q.set === 'queries').forEach((q) => wanted.add(q.id));
    else if (item === 'expanded' || item === 'x') all.filter((q) => q.set === 'queries-expanded').forEach((q) => wanted.add(q.id));
    else {
      // q8 / q8x / q08x all mean the same query
      const m = /^q0*(\d+)(x?)$/.exec(item);
      const id = m === null ? item : `q${m[1]!.padStart(2, '0')}${m[2]!}`;
      if (!all.some((q) => q.id === id)) throw new Error(`--queries: unknown query "${item}" (known: ${all.map((q) => q.id).join(', ')}, standard, expanded, all)`);
      wanted.add(id);
    }
  }
  return all.filter((q) => wanted.has(q.id));
}

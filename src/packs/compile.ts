/**
 * Checks a packs directory's contents as a whole, without touching the store: every file parses
 * and is valid (Turtle shapes, hook definitions with their SPARQL), every namespace exists, no hook
 * id is defined twice. Either all packs compile or the caller gets every problem with its file (and
 * line, or hook field, where known) and applies nothing.
 *
 * Layout of one pack (a directory under KNOWD_PACKS):
 *   <pack>/<namespace>/shapes/*.ttl   SHACL shapes (Turtle), added to the namespace's shapes
 *   <pack>/<namespace>/hooks/*.json   a hook definition, or an array of them
 * Files named *.md or starting with '.' are ignored; anything else is a problem (a typo would
 * otherwise silently load nothing).
 */
import { createHash } from 'node:crypto';
import { KnowdError } from '../base/index.js';
import { parseHook, type StoredHook } from '../hooks/index.js';
import { combineShapes, indexShapes, parseShapes, wellFormedProblems } from '../shacl/index.js';
import type { CompiledPack, PackFile, PackNamespace, PackProblem, PackSource } from './types.js';

export const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export type CompileResult = { readonly ok: true; readonly packs: readonly CompiledPack[] } | { readonly ok: false; readonly problems: readonly PackProblem[] };

export function packDigest(files: readonly PackFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) h.update(f.path).update('\0').update(f.text).update('\0');
  return h.digest('hex');
}

/** Where a JSON.parse error happened, as 1-based line and column of `text`. */
function jsonPosition(e: unknown, text: string): { line?: number; column?: number } {
  const msg = e instanceof Error ? e.message : '';
  const lc = /line (\d+) column (\d+)/.exec(msg);
  if (lc !== null) return { line: Number(lc[1]), column: Number(lc[2]) };
  const pos = /position (\d+)/.exec(msg);
  if (pos === null) return {};
  const before = text.slice(0, Number(pos[1])).split('\n');
  return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
}

/** A KnowdError's position and field, for a problem. */
function whereOf(e: unknown): { line?: number; column?: number; field?: string } {
  if (!(e instanceof KnowdError)) return {};
  const d = e.details;
  return {
    ...(typeof d['line'] === 'number' && { line: d['line'] }),
    ...(typeof d['column'] === 'number' && { column: d['column'] }),
    ...(typeof d['field'] === 'string' && { field: d['field'] }),
  };
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

interface NsBuild {
  shapes: PackFile[];
  hooks: { file: string; hook: StoredHook }[];
}

/**
 * Compiles every pack. `namespaceExists` answers for the store as it is now (the apply checks again).
 */
export function compilePacks(sources: readonly PackSource[], namespaceExists: (ns: string) => boolean): CompileResult {
  const problems: PackProblem[] = [];
  const packs: CompiledPack[] = [];
  // Hook ids are unique per namespace across all packs: "<ns>\0<id>" → "<pack>/<file>".
  const hookIds = new Map<string, string>();
  for (const src of [...sources].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const problem = (p: Omit<PackProblem, 'pack'>): void => {
      problems.push({ pack: src.name, ...p });
    };
    if (!PACK_NAME.test(src.name)) {
      problem({ file: src.name, message: `"${src.name}" is not a valid pack name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit` });
      continue;
    }
    const byNs = new Map<string, NsBuild>();
    const unknownNs = new Set<string>();
    for (const f of [...src.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const file = `${src.name}/${f.path}`;
      const kind = packFileKind(f.path);
      if (kind === 'ignored') continue;
      const ns = f.path.split('/')[0] ?? '';
      if (kind === undefined) {
        problem({ file, message: 'unexpected file: a pack holds <namespace>/shapes/*.ttl and <namespace>/hooks/*.json' });
        continue;
      }
      if (!namespaceExists(ns)) {
        if (!unknownNs.has(ns)) problem({ file: `${src.name}/${ns}`, message: `unknown namespace "${ns}": create it first (POST /v1/admin/namespaces)` });
        unknownNs.add(ns);
        continue;
      }
      let b = byNs.get(ns);
      if (b === undefined) {
        b = { shapes: [], hooks: [] };
        byNs.set(ns, b);
      }
      if (kind === 'shapes') {
        try {
          indexShapes(f.text);
          b.shapes.push(f);
        } catch (e) {
          problem({ file, ...whereOf(e), message: messageOf(e) });
        }
        continue;
      }
      let body: unknown;
      try {
        body = JSON.parse(f.text);
      } catch (e) {
        problem({ file, ...jsonPosition(e, f.text), message: `not valid JSON: ${messageOf(e)}` });
        continue;
      }
      const defs = Array.isArray(body) ? body : [body];
      defs.forEach((def, i) => {
        const at = Array.isArray(body) ? `[${i}]` : '';
        let hook: StoredHook;
        try {
          hook = parseHook(def, ns);
        } catch (e) {
          const w = whereOf(e);
          problem({ file, ...w, ...(w.field !== undefined && { field: `${at}${at !== '' ? '.' : ''}${w.field}` }), message: `${at !== '' ? `hook ${at}: ` : ''}${messageOf(e)}` });
          return;
        }
        if (hook.namespace !== ns) {
          problem({ file, field: `${at}${at !== '' ? '.' : ''}namespace`, message: `hook "${hook.id}" names namespace "${hook.namespace}" but lies in the directory of "${ns}"` });
          return;
        }
        const k = `${ns}\0${hook.id}`;
        const seen = hookIds.get(k);
        if (seen !== undefined) {
          problem({ file, message: `hook id "${hook.id}" in namespace "${ns}" is also defined in ${seen}` });
          return;
        }
        hookIds.set(k, file);
        b.hooks.push({ file: f.path, hook });
      });
    }
    const namespaces: PackNamespace[] = [];
    for (const [ns, b] of [...byNs.entries()].sort(([a], [c]) => (a < c ? -1 : 1))) {
      // Files that are fine alone can clash together (one shape IRI with two paths).
      if (b.shapes.length > 1) {
        try {
          indexShapes(combineShapes(b.shapes.map((s) => s.text)));
        } catch (e) {
          problem({ file: `${src.name}/${ns}/shapes`, message: `the shapes files together: ${messageOf(e)}` });
        }
      }
      if (b.shapes.length + b.hooks.length > 0) namespaces.push({ ns, shapes: b.shapes, hooks: b.hooks });
    }
    packs.push({ name: src.name, digest: packDigest(src.files), namespaces });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, packs };
}

/**
 * What a file of a pack directory is: `<namespace>/shapes/*.ttl`, `<namespace>/hooks/*.json`,
 * ignored (*.md and dotfiles), or undefined (a stray file, which is a problem).
 */
function packFileKind(path: string): 'shapes' | 'hooks' | 'ignored' | undefined {
  const parts = path.split('/');
  const base = parts.at(-1) ?? '';
  if (base.startsWith('.') || base.endsWith('.md') || parts.some((p) => p.startsWith('.'))) return 'ignored';
  if (parts.length === 3 && parts[1] === 'shapes' && base.endsWith('.ttl')) return 'shapes';
  if (parts.length === 3 && parts[1] === 'hooks' && base.endsWith('.json')) return 'hooks';
  return undefined;
}

/**
 * Every shapes file of every pack held to SHACL for SHACL (shacl/well-formed.ts), apart from
 * compilePacks because the check is asynchronous; files that do not parse are compilePacks'
 * problem and skipped here, so a load reports every problem at once either way.
 */
export async function wellFormedPackProblems(sources: readonly PackSource[]): Promise<PackProblem[]> {
  const out: PackProblem[] = [];
  for (const src of sources) {
    for (const f of src.files) {
      if (packFileKind(f.path) !== 'shapes') continue;
      let quads;
      try {
        quads = parseShapes(f.text);
      } catch {
        continue;
      }
      for (const message of await wellFormedProblems(quads)) out.push({ pack: src.name, file: `${src.name}/${f.path}`, message: `not well-formed SHACL: ${message}` });
    }
  }
  return out;
}

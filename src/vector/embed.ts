import { KnowdError } from '../base/index.js';
import { toVector } from './validate.js';

/** Turns text into vectors (for "text" in upserts, searches and the SPARQL extension). */
export interface Embedder {
  readonly name: string;
  /**
   * Vectors for the texts, in order. `dims` is the namespace index's dimension when it has one:
   * embedders that can produce any dimension use it; others must match it or fail with a 400.
   */
  embed(texts: readonly string[], dims?: number): Promise<Float32Array[]>;
  /** Synchronous form, for embedders that need no IO (the SPARQL evaluator is synchronous). */
  embedSync?(texts: readonly string[], dims?: number): Float32Array[];
}

export const HASHING_DIMS_DEFAULT = 384;

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Feature hashing of words, word pairs and character trigrams into a signed, L2-normalised vector.
 * LEXICAL, NOT SEMANTIC: texts that share words (or word pieces) score as similar, synonyms and
 * paraphrases do not. Deterministic and dependency-free, so every replica and test embeds alike;
 * point KNOWD_EMBED_URL at a real embedding model for meaning.
 */
export function hashingEmbedder(defaultDims = HASHING_DIMS_DEFAULT): Embedder {
  const one = (text: string, dims: number): Float32Array => {
    const v = new Float32Array(dims);
    const bump = (feature: string, weight: number): void => {
      const h = fnv1a(feature);
      // One bit of the hash picks the sign, so colliding features cancel on average instead of piling up.
      v[h % dims]! += (h & 0x80000000) !== 0 ? -weight : weight;
    };
    const words = text.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
    words.forEach((w, i) => {
      bump(`w:${w}`, 1);
      if (i > 0) bump(`b:${words[i - 1]} ${w}`, 0.5);
      const padded = `^${w}$`;
      for (let j = 0; j + 3 <= padded.length; j++) bump(`t:${padded.slice(j, j + 3)}`, 0.25);
    });
    let norm = 0;
    for (const x of v) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < dims; i++) v[i] = v[i]! / norm;
    return v;
  };
  const embedSync = (texts: readonly string[], dims?: number): Float32Array[] => texts.map((t) => one(t, dims ?? defaultDims));
  return { name: 'hashing', embedSync, embed: async (texts, dims) => embedSync(texts, dims) };
}

/**
 * An OpenAI-compatible embedding service: POST {"input": [...], "model"?} to `<url>` when it ends in
 * /embeddings, else to `<url>/v1/embeddings`. A `model` query parameter of the URL is sent as the
 * model and not as part of the address.
 */
export function httpEmbedder(url: string, opts: { readonly timeoutMs?: number; readonly fetch?: typeof fetch } = {}): Embedder {
  const u = new URL(url);
  const model = u.searchParams.get('model') ?? undefined;
  u.searchParams.delete('model');
  if (!/\/embeddings\/?$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/v1/embeddings`;
  const endpoint = u.toString();
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const fail = (why: string): KnowdError => new KnowdError('NOT_READY', `The embedding service at ${endpoint} (KNOWD_EMBED_URL) failed: ${why}`, { embedUrl: endpoint });
  return {
    name: 'http',
    async embed(texts, dims) {
      if (texts.length === 0) return [];
      let res: Response;
      try {
        res = await doFetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ input: texts, ...(model !== undefined && { model }) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        throw fail(e instanceof Error ? e.message : String(e));
      }
      if (!res.ok) throw fail(`HTTP ${res.status} ${(await res.text().catch(() => '')).slice(0, 200)}`);
      let body: unknown;
      try {
        body = await res.json();
      } catch {
        throw fail('the answer is not JSON');
      }
      const data = (body as { data?: unknown }).data;
      if (!Array.isArray(data) || data.length !== texts.length) throw fail(`expected "data" with ${texts.length} embeddings`);
      const out: Float32Array[] = new Array<Float32Array>(texts.length);
      data.forEach((d: unknown, i) => {
        const item = d as { embedding?: unknown; index?: unknown };
        const at = typeof item.index === 'number' ? item.index : i;
        if (!Array.isArray(item.embedding) || at < 0 || at >= texts.length) throw fail(`data[${i}] has no embedding array`);
        out[at] = toVector(item.embedding as unknown[], dims, `embedding of text ${at}`);
      });
      if (out.some((v) => v === undefined)) throw fail('some texts got no embedding');
      return out;
    },
  };
}

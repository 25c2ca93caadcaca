import type { StoredHook } from '../hooks/index.js';

/** One file of a pack as read from disk; `path` is relative to the pack's directory, '/'-separated. */
export interface PackFile {
  readonly path: string;
  readonly text: string;
}

/** A pack directory's files, as the IO edge (daemon/packs.ts) read them. */
export interface PackSource {
  readonly name: string;
  readonly files: readonly PackFile[];
}

/** What a pack installs in one namespace: its shapes files (Turtle) and hooks (validated). */
export interface PackNamespace {
  readonly ns: string;
  readonly shapes: readonly PackFile[];
  readonly hooks: readonly { readonly file: string; readonly hook: StoredHook }[];
}

/** A pack checked as a whole: what the 'packs-load' log entry carries. */
export interface CompiledPack {
  readonly name: string;
  /** SHA-256 over the pack's files (paths and contents): "has this pack changed?". */
  readonly digest: string;
  readonly namespaces: readonly PackNamespace[];
}

/** One thing wrong with a pack; `file` is relative to the packs directory (`<pack>/<ns>/…`). */
export interface PackProblem {
  readonly pack: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** A hook definition's field (e.g. `condition.threshold.op`), when the schema names one. */
  readonly field?: string;
  readonly message: string;
}

/** What the store keeps per loaded pack: it owns exactly these items (GET /v1/packs shows it). */
export interface PackRecord {
  readonly name: string;
  readonly digest: string;
  /** Entry time (the leader's stamp) and log index of the load that installed this version. */
  readonly loadedAtMs: number;
  readonly logIndex: number;
  readonly actor: string;
  readonly items: readonly {
    readonly namespace: string;
    readonly shapes: readonly string[];
    readonly hooks: readonly { readonly id: string; readonly file: string }[];
  }[];
}

import { ERROR_CODES, KnowdError, type ErrorCode } from '../../base/index.js';
import type { Outcome } from '../../engine/index.js';
import type { ForwardResponse } from '../transport/types.js';

/** What followers ask of the leader over the Forward RPC. */
export type ForwardCall =
  | { readonly kind: 'propose'; readonly payload: string /* base64 command bytes */ }
  | { readonly kind: 'transfer'; readonly to: string }
  | { readonly kind: 'membership'; readonly change: MembershipCall; readonly id: string };

/** 'add' is the whole safe sequence: learner, catch up, voter. */
export type MembershipCall = 'add' | 'add-learner' | 'promote' | 'remove';

export interface ProposeReply {
  readonly index: number;
  readonly outcome: Outcome;
}

export function encodeCall(c: ForwardCall): { kind: string; body: string } {
  return { kind: c.kind, body: JSON.stringify(c) };
}

export function decodeCall(kind: string, body: string): ForwardCall {
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    throw new KnowdError('BAD_REQUEST', `Forwarded ${kind} call is not JSON`);
  }
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || o.kind !== kind) throw new KnowdError('BAD_REQUEST', `Forwarded call has kind ${String(o.kind)}, expected ${kind}`);
  if (kind === 'propose' && typeof o.payload === 'string') return { kind, payload: o.payload };
  if (kind === 'transfer' && typeof o.to === 'string') return { kind, to: o.to };
  if (kind === 'membership' && typeof o.id === 'string' && (o.change === 'add' || o.change === 'add-learner' || o.change === 'promote' || o.change === 'remove')) {
    return { kind, change: o.change, id: o.id };
  }
  throw new KnowdError('BAD_REQUEST', `Forwarded call of kind ${kind} is malformed`);
}

/** Outcomes cross the wire as JSON; the term mappings an apply created stay local (cache hints only). */
export function encodeOutcome(index: number, o: Outcome): string {
  // A vector entry's changes (the vectors themselves) are for the local index only.
  const wire = o.type === 'tx' ? { type: o.type, receipt: o.receipt, delta: o.delta, replayed: o.replayed, nsId: o.nsId } : o.type === 'vec' ? { ...o, changes: undefined } : o;
  return JSON.stringify({ index, outcome: wire });
}

export function decodeProposeReply(body: string): ProposeReply {
  const v = JSON.parse(body) as { index: number; outcome: Record<string, unknown> };
  const outcome = (v.outcome.type === 'tx' ? { ...v.outcome, created: new Map() } : v.outcome) as unknown as Outcome;
  return { index: v.index, outcome };
}

export function errorReply(e: unknown): ForwardResponse {
  if (e instanceof KnowdError) return { ok: false, code: e.code, message: e.message, details: JSON.stringify(e.details) };
  return { ok: false, code: 'INTERNAL', message: e instanceof Error ? e.message : String(e), details: '{}' };
}

export function replyError(r: Extract<ForwardResponse, { ok: false }>): KnowdError {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(r.details) as Record<string, unknown>;
  } catch {
    // Details are a courtesy; the code and message are what matter.
  }
  const code: ErrorCode = r.code in ERROR_CODES ? (r.code as ErrorCode) : 'INTERNAL';
  return new KnowdError(code, r.message, details);
}

import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';

/** Parses a body or query with a zod schema into a 400 that names the field. */
export function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue === undefined || issue.path.length === 0 ? what : issue.path.join('.');
  throw new KnowdError('BAD_REQUEST', `Invalid ${what}: ${field}: ${issue?.message ?? 'invalid'}`, { field });
}

/**
 * Knowd's own IRIs for a namespace (`http://knowd.local/ns/<ns>/<path>`): the base of documents
 * and queries that bring none, and graphs the store names. Not taken from the Host header: these
 * IRIs are logged with the writes, and every replica must read them alike.
 */
export const localIri = (ns: string, path: string): string => `http://knowd.local/ns/${encodeURIComponent(ns)}/${path}`;

/** A small result that exercises every case the writers distinguish. */
import type { Term } from '@rdfjs/types';
import { DataFactory } from 'n3';
import type { ResultRow } from '../../../../src/sparql/results/index.js';

export const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;
export const XSD = 'http://www.w3.org/2001/XMLSchema#';
export const EX = 'http://example.org/';
export const xsd = (local: string): ReturnType<typeof namedNode> => namedNode(`${XSD}${local}`);

export const VARS = ['s', 'o', 'n', 'missing'] as const;

/** Quotes, comma, newline, tab, CR, backslash, non-ASCII and an astral character. */
export const NASTY = 'say "hi",\nthen\ttab\r\\ é 😀';

export const ROWS: readonly ResultRow[] = [
  { s: namedNode(`${EX}s`), o: literal(NASTY), n: literal('42', xsd('integer')) },
  { s: blankNode('b0'), o: literal('chat', 'fr'), n: literal('1.0E6', xsd('double')) },
  { s: namedNode(`${EX}a?x=1&y=2`), o: literal('1 < 2 && 3 > 2', 'en-gb'), n: literal('-3', xsd('negativeInteger')) },
  {},
  { s: namedNode(`${EX}ü`), o: literal('', xsd('string')), n: literal('true', xsd('boolean')), missing: undefined },
];

/** The row values by variable, for checks that read a document back. */
export function cells(row: ResultRow): (Term | undefined)[] {
  return VARS.map((v) => row[v]);
}

import type { Algebra } from '../parse/index.js';
import type { Val } from './rows.js';

/**
 * VALUES blocks whose rows are also at hand as evaluator values (ids of the store the query runs
 * on, or terms), row for row and variable for variable: a federated query's merged rows arrive as
 * ids, and turning each into a term and back (a dictionary lookup a value) cost the coordinator's
 * modifiers more than the modifiers themselves. The bindings stay complete, so every other reader
 * of the block (scope, join order, explain) sees an ordinary VALUES.
 */
const known = new WeakMap<Algebra.Values, readonly (readonly (Val | undefined)[])[]>();

export function withKnownValues(op: Algebra.Values, rows: readonly (readonly (Val | undefined)[])[]): Algebra.Values {
  if (rows.length !== op.bindings.length) throw new RangeError(`${rows.length} value rows for ${op.bindings.length} bindings`);
  known.set(op, rows);
  return op;
}

export function knownValues(op: Algebra.Values): readonly (readonly (Val | undefined)[])[] | undefined {
  return known.get(op);
}

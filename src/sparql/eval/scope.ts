import type { Algebra } from '../parse/index.js';

/**
 * Variable scoping, for sideways information passing: a parent solution's binding may be passed
 * into an operator only for variables that operator binds in every solution ("certain"), because
 * only then does fixing the value commute with the operator. Everything else is joined afterwards.
 */
const cache = new WeakMap<Algebra.Operation, Set<string>>();
const inScopeCache = new WeakMap<Algebra.Operation, Set<string>>();

/** Variables of pattern positions; blank nodes there are variables too, named `_:label`. */
function termVars(...terms: { termType: string; value: string }[]): string[] {
  return terms.filter((t) => t.termType === 'Variable' || t.termType === 'BlankNode').map((t) => (t.termType === 'BlankNode' ? `_:${t.value}` : t.value));
}

export function certainVars(op: Algebra.Operation): Set<string> {
  const hit = cache.get(op);
  if (hit !== undefined) return hit;
  let out: Set<string>;
  switch (op.type) {
    case 'bgp':
      out = new Set((op as Algebra.Bgp).patterns.flatMap((p) => termVars(p.subject, p.predicate, p.object, p.graph)));
      break;
    case 'path': {
      const p = op as Algebra.Path;
      out = new Set(termVars(p.subject, p.object, p.graph));
      break;
    }
    case 'join':
      out = new Set((op as Algebra.Join).input.flatMap((i) => [...certainVars(i)]));
      break;
    case 'leftjoin':
    case 'minus':
      out = certainVars((op as Algebra.Double).input[0]);
      break;
    case 'filter':
    case 'extend':
    case 'orderby':
    case 'distinct':
    case 'reduced':
    case 'from':
      out = certainVars((op as Algebra.Single).input);
      break;
    case 'union': {
      const sets = (op as Algebra.Union).input.map(certainVars);
      out = new Set([...(sets[0] ?? [])].filter((v) => sets.every((s) => s.has(v))));
      break;
    }
    case 'graph': {
      const g = op as Algebra.Graph;
      out = new Set([...certainVars(g.input), ...termVars(g.name)]);
      break;
    }
    case 'project': {
      const p = op as Algebra.Project;
      const inner = certainVars(p.input);
      out = new Set(p.variables.map((v) => v.value).filter((v) => inner.has(v)));
      break;
    }
    case 'values': {
      const v = op as Algebra.Values;
      out = new Set(v.variables.map((x) => x.value).filter((name) => v.bindings.every((b) => b[`?${name}`] !== undefined)));
      break;
    }
    default:
      // group, slice, service, nop, ...: opaque — nothing is passed in.
      out = new Set();
  }
  cache.set(op, out);
  return out;
}

/** Every variable an operator may bind (for FILTER/BIND scope checks and MINUS domains). */
export function inScopeVars(op: Algebra.Operation): Set<string> {
  const hit = inScopeCache.get(op);
  if (hit !== undefined) return hit;
  let out: Set<string>;
  switch (op.type) {
    case 'bgp':
    case 'path':
      out = certainVars(op);
      break;
    case 'values':
      out = new Set((op as Algebra.Values).variables.map((v) => v.value));
      break;
    case 'join':
    case 'union':
    case 'leftjoin':
      out = new Set((op as Algebra.Multi).input.flatMap((i) => [...inScopeVars(i)]));
      break;
    case 'minus':
      out = inScopeVars((op as Algebra.Minus).input[0]);
      break;
    case 'extend': {
      const e = op as Algebra.Extend;
      out = new Set([...inScopeVars(e.input), e.variable.value]);
      break;
    }
    case 'graph': {
      const g = op as Algebra.Graph;
      out = new Set([...inScopeVars(g.input), ...termVars(g.name)]);
      break;
    }
    case 'project':
      out = new Set((op as Algebra.Project).variables.map((v) => v.value));
      break;
    case 'group': {
      const g = op as Algebra.Group;
      out = new Set([...g.variables.map((v) => v.value), ...g.aggregates.map((a) => a.variable.value)]);
      break;
    }
    default:
      out = (op as Algebra.Single).input !== undefined ? inScopeVars((op as Algebra.Single).input) : new Set();
  }
  inScopeCache.set(op, out);
  return out;
}

import type { Term } from '@rdfjs/types';
import type { Profile } from './eval/evaluate.js';
import type { Algebra } from './parse/index.js';

/** One node of an explained plan: the operator, its row counts, and its inputs. */
export interface PlanNode {
  readonly op: string;
  readonly detail?: string;
  /** Times the operator was (re)started: > 1 under a nested-loop join. */
  readonly calls: number;
  /** Rows it produced over all calls. */
  readonly rows: number;
  readonly patterns?: readonly { pattern: string; order: number; estimate: number; rows: number }[];
  readonly children: readonly PlanNode[];
}

function term(t: Term): string {
  if (t.termType === 'Variable') return `?${t.value}`;
  if (t.termType === 'NamedNode') return `<${t.value}>`;
  if (t.termType === 'BlankNode') return `_:${t.value}`;
  if (t.termType === 'DefaultGraph') return '';
  return JSON.stringify(t.value);
}

function children(op: Algebra.Operation): Algebra.Operation[] {
  const input = (op as { input?: Algebra.Operation | Algebra.Operation[] }).input;
  if (input === undefined) return [];
  return Array.isArray(input) ? input : [input];
}

function detail(op: Algebra.Operation): string | undefined {
  switch (op.type) {
    case 'project':
      return (op as Algebra.Project).variables.map(term).join(' ');
    case 'slice': {
      const s = op as Algebra.Slice;
      return `offset ${s.start}${s.length !== undefined ? ` limit ${s.length}` : ''}`;
    }
    case 'graph':
      return term((op as Algebra.Graph).name);
    case 'extend':
      return `?${(op as Algebra.Extend).variable.value}`;
    case 'group':
      return (op as Algebra.Group).variables.map(term).join(' ');
    case 'path': {
      const p = op as Algebra.Path;
      return `${term(p.subject)} ${p.predicate.type} ${term(p.object)}`;
    }
    default:
      return undefined;
  }
}

/** The executed plan with estimated (BGP patterns) and actual row counts. */
export function explainPlan(op: Algebra.Operation, profile: Profile): PlanNode {
  const stat = profile.ops.get(op);
  const d = detail(op);
  const node: PlanNode = {
    op: op.type,
    ...(d !== undefined && { detail: d }),
    calls: stat?.calls ?? 0,
    rows: stat?.rows ?? 0,
    ...(op.type === 'bgp' && {
      patterns: (op as Algebra.Bgp).patterns
        .map((p) => {
          const ps = profile.patterns.get(p);
          return { pattern: [p.subject, p.predicate, p.object].map(term).join(' '), order: ps?.order ?? -1, estimate: Math.round(ps?.estimate ?? 0), rows: ps?.rows ?? 0 };
        })
        .sort((a, b) => a.order - b.order),
    }),
    children: children(op).map((c) => explainPlan(c, profile)),
  };
  return node;
}

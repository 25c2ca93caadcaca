import type { BlankNode, Term } from '@rdfjs/types';
import { KnowdError } from '../../base/index.js';
import { factory } from '../../rdf/index.js';
import { ExpressionError, callFunction, effectiveBooleanValue, rdfTermEqual, type FunctionContext } from '../functions/index.js';
import type { Algebra } from '../parse/index.js';
import type { Context } from './context.js';
import type { Row } from './rows.js';

const TRUE = factory.literal('true', factory.namedNode('http://www.w3.org/2001/XMLSchema#boolean'));
const FALSE = factory.literal('false', factory.namedNode('http://www.w3.org/2001/XMLSchema#boolean'));
const bool = (b: boolean): Term => (b ? TRUE : FALSE);

/** Runs EXISTS patterns; supplied by the evaluator (expressions and operators call each other). */
export type ExistsRunner = (op: Algebra.Operation, row: Row) => boolean;

/** Per-solution state: BNODE(str) gives the same node for the same string within one solution. */
export class RowScope {
  private labels: Map<string, BlankNode> | undefined;
  constructor(private readonly fresh: () => string) {}
  bnode(label?: string): BlankNode {
    if (label === undefined) return factory.blankNode(this.fresh());
    this.labels ??= new Map();
    let b = this.labels.get(label);
    if (b === undefined) this.labels.set(label, (b = factory.blankNode(this.fresh())));
    return b;
  }
}

export class ExprEvaluator {
  readonly functionContext: FunctionContext;
  private scope: RowScope;

  constructor(
    private readonly ctx: Context,
    private readonly exists: ExistsRunner,
    baseIRI?: string,
  ) {
    this.scope = new RowScope(() => ctx.entropy.blankLabel());
    this.functionContext = {
      now: ctx.now,
      random: () => ctx.entropy.random(),
      uuid: () => ctx.entropy.uuid(),
      bnode: (label?: string) => this.scope.bnode(label),
      ...(baseIRI !== undefined && { baseIRI }),
    };
  }

  /** Starts a new solution (BNODE scoping). */
  newRow(): void {
    this.scope = new RowScope(() => this.ctx.entropy.blankLabel());
  }

  /** Evaluates to a term, or throws ExpressionError (unbound variable, type error, ...). */
  eval(e: Algebra.Expression, row: Row): Term {
    switch (e.expressionType) {
      case 'term': {
        const t = (e as Algebra.TermExpression).term;
        if (t.termType !== 'Variable') return t;
        if (!this.ctx.vars.has(t.value)) throw new ExpressionError(`?${t.value} is unbound`);
        const v = row[this.ctx.vars.slot(t.value)];
        if (v === undefined) throw new ExpressionError(`?${t.value} is unbound`);
        return this.ctx.term(v);
      }
      case 'operator':
        return this.operator(e as Algebra.OperatorExpression, row);
      case 'named': {
        const n = e as Algebra.NamedExpression;
        return callFunction(n.name.value, n.args.map((a) => this.eval(a, row)), this.functionContext);
      }
      case 'existence': {
        const x = e as Algebra.ExistenceExpression;
        const found = this.exists(x.input, row);
        return bool(x.not ? !found : found);
      }
      case 'aggregate':
        throw new KnowdError('SPARQL_SYNTAX', 'An aggregate is only allowed in SELECT, HAVING or ORDER BY of a grouped query');
      default:
        throw new ExpressionError(`unsupported expression ${e.expressionType}`);
    }
  }

  /** FILTER semantics: errors are false. */
  test(e: Algebra.Expression, row: Row): boolean {
    try {
      return effectiveBooleanValue(this.eval(e, row));
    } catch (err) {
      if (err instanceof ExpressionError) return false;
      throw err;
    }
  }

  /** BIND semantics: errors leave the variable unbound. */
  tryEval(e: Algebra.Expression, row: Row): Term | undefined {
    try {
      return this.eval(e, row);
    } catch (err) {
      if (err instanceof ExpressionError) return undefined;
      throw err;
    }
  }

  private ebvOrError(e: Algebra.Expression, row: Row): boolean | ExpressionError {
    try {
      return effectiveBooleanValue(this.eval(e, row));
    } catch (err) {
      if (err instanceof ExpressionError) return err;
      throw err;
    }
  }

  private operator(e: Algebra.OperatorExpression, row: Row): Term {
    const op = e.operator.toLowerCase();
    const args = e.args;
    switch (op) {
      case '&&': {
        // §17.2: false wins over an error; error && true is an error.
        const a = this.ebvOrError(args[0]!, row);
        if (a === false) return FALSE;
        const b = this.ebvOrError(args[1]!, row);
        if (b === false) return FALSE;
        if (a instanceof ExpressionError) throw a;
        if (b instanceof ExpressionError) throw b;
        return TRUE;
      }
      case '||': {
        const a = this.ebvOrError(args[0]!, row);
        if (a === true) return TRUE;
        const b = this.ebvOrError(args[1]!, row);
        if (b === true) return TRUE;
        if (a instanceof ExpressionError) throw a;
        if (b instanceof ExpressionError) throw b;
        return FALSE;
      }
      case '!':
        return bool(!effectiveBooleanValue(this.eval(args[0]!, row)));
      case 'bound': {
        const t = (args[0] as Algebra.TermExpression).term;
        return bool(this.ctx.vars.has(t.value) && row[this.ctx.vars.slot(t.value)] !== undefined);
      }
      case 'if':
        return effectiveBooleanValue(this.eval(args[0]!, row)) ? this.eval(args[1]!, row) : this.eval(args[2]!, row);
      case 'coalesce':
        for (const a of args) {
          const v = this.tryEval(a, row);
          if (v !== undefined) return v;
        }
        throw new ExpressionError('COALESCE: every argument is an error or unbound');
      case 'in':
      case 'notin': {
        const left = this.eval(args[0]!, row);
        let error: ExpressionError | undefined;
        for (const a of args.slice(1)) {
          try {
            if (rdfTermEqual(left, this.eval(a, row))) return bool(op === 'in');
          } catch (err) {
            if (!(err instanceof ExpressionError)) throw err;
            error = err;
          }
        }
        if (error !== undefined) throw error;
        return bool(op === 'notin');
      }
      default:
        return callFunction(e.operator, args.map((a) => this.eval(a, row)), this.functionContext);
    }
  }
}

/**
 * A SPARQL expression error (§17.3): a type error, an ill-typed argument, a division by zero, an
 * invalid regular expression. It is an operating condition of one solution, not of the query:
 * FILTER treats it as false, BIND/SELECT expressions leave the variable unbound, and the special
 * forms (&&, ||, IF, COALESCE, IN) absorb or propagate it as §17.2 says.
 */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExpressionError';
  }
}

/**
 * The SPARQL 1.1 function and operator library (§17 "Expressions and Testing Values", with the
 * XPath/XQuery F&O semantics it refers to), as pure functions over RDF/JS terms. The evaluator
 * evaluates variables and the special forms (&&, ||, IF, COALESCE, BOUND, IN, EXISTS) and aggregates,
 * and calls callFunction with evaluated argument terms.
 *
 * Choices where the specs leave room (tests in test/unit/sparql/functions say the same):
 * - Results are in canonical form: xsd:integer "3", xsd:decimal "3" / "3.5" (XSD 1.1, no ".0"),
 *   xsd:double "3.5E0", xsd:float with the shortest digits that identify the float ("1.0E-1").
 *   Inputs are never rewritten: STR("01"^^xsd:integer) is "01".
 * - xsd:decimal is exact (BigInt); a non-terminating quotient keeps 18 fractional digits (more for
 *   quotients below 1), truncated toward zero.
 * - '=' between literals of two different known types (1 = "1", "a" = "a"@en) is an error, as
 *   §17.4.1.7 says; so is '=' between different literals of unknown datatypes or ill-typed ones.
 *   Language-tagged strings compare by text and tag. dateTimes with and without timezone compare by
 *   the XSD 1.1 partial order: an error when the missing timezone could change the answer.
 * - The effective boolean value of a language-tagged string is its non-emptiness (SPARQL 1.1 says
 *   "plain literal"); of an ill-typed boolean or numeric literal, false.
 * - YEAR..DAY also accept xsd:date, HOURS..SECONDS xsd:time, TIMEZONE/TZ both; casts exist for the
 *   §17.5 types plus xsd:date and the derived integer types, and XSD whitespace is collapsed when
 *   casting from a string.
 */
export { ExpressionError } from './errors.js';
export { callFunction, isKnownFunction, SPECIAL_FORMS } from './registry.js';
export type { FunctionContext } from './registry.js';
export { effectiveBooleanValue, rdfTermEqual, sameTerm, valueCompare, orderCompare, orderValueCompare, compareCodepoints } from './compare.js';
export { castTo, CAST_DATATYPES } from './casts.js';
export {
  numericValue,
  numericArg,
  numericToLiteral,
  numericAdd,
  numericSubtract,
  numericMultiply,
  numericDivide,
  numericNegate,
  numericCompare,
  numericOrderCompare,
  numericToNumber,
  numericToDecimal,
  numericIsNaN,
  numericIsZero,
  integerNumeric,
  decimalNumeric,
  floatNumeric,
  doubleNumeric,
  isNumericDatatype,
  NUMERIC_DATATYPES,
} from './numeric.js';
export type { Numeric, NumericKind } from './numeric.js';
export { decimalToString, parseDecimal } from './decimal.js';
export type { Decimal } from './decimal.js';

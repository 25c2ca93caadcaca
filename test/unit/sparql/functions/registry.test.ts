import test from 'ava';
import { translate, Algebra } from 'sparqlalgebrajs';
import { isKnowdError } from '../../../../src/base/index.js';
import { SPECIAL_FORMS, callFunction, isKnownFunction } from '../../../../src/sparql/functions/index.js';
import { XSD, ctx, term } from './helpers.js';

/** Every operator and function name sparqlalgebrajs produces for SPARQL 1.1's built-ins. */
function operatorNames(): Set<string> {
  const query = `PREFIX xsd: <${XSD}>
  SELECT * WHERE { ?s ?p ?o
    FILTER(!?a && -?b > +?c && ?a != ?b && ?a <= 1 && ?a >= 2 && ?a < 3 && ?a = 4 && (?a * ?b / ?c - ?d + 1) = 1)
    FILTER(str(?a) && lang(?a) && langMatches(?a, "*") && datatype(?a) && iri(?a) && uri(?a) && bnode() && bnode(?a) && rand() && abs(?a)
      && ceil(?a) && floor(?a) && round(?a) && concat(?a, ?b) && strlen(?a) && substr(?a, 1) && ucase(?a) && lcase(?a) && strstarts(?a, ?b)
      && strends(?a, ?b) && contains(?a, ?b) && strbefore(?a, ?b) && strafter(?a, ?b) && encode_for_uri(?a) && replace(?a, ?b, ?c)
      && regex(?a, ?b) && year(?a) && month(?a) && day(?a) && hours(?a) && minutes(?a) && seconds(?a) && timezone(?a) && tz(?a) && now()
      && uuid() && struuid() && md5(?a) && sha1(?a) && sha256(?a) && sha384(?a) && sha512(?a) && strlang(?a, ?b) && strdt(?a, ?b)
      && sameTerm(?a, ?b) && isIRI(?a) && isURI(?a) && isBlank(?a) && isLiteral(?a) && isNumeric(?a)
      && xsd:string(?a) && xsd:boolean(?a) && xsd:integer(?a) && xsd:decimal(?a) && xsd:float(?a) && xsd:double(?a) && xsd:dateTime(?a)
      && if(?a, ?b, ?c) && coalesce(?a) && bound(?a) && ?a in (1) && ?a not in (2) && EXISTS { ?a ?b ?c } && NOT EXISTS { ?a ?b ?c })
  }`;
  const names = new Set<string>();
  const walk = (x: unknown): void => {
    if (x === null || typeof x !== 'object') return;
    const e = x as { type?: unknown; expressionType?: unknown; operator?: unknown; name?: { value?: unknown }; not?: unknown };
    if (e.type === Algebra.types.EXPRESSION) {
      if (e.expressionType === Algebra.expressionTypes.OPERATOR && typeof e.operator === 'string') names.add(e.operator);
      if (e.expressionType === Algebra.expressionTypes.NAMED && typeof e.name?.value === 'string') names.add(e.name.value);
      if (e.expressionType === Algebra.expressionTypes.EXISTENCE) names.add(e.not === true ? 'notexists' : 'exists');
    }
    for (const v of Object.values(x)) walk(v);
  };
  walk(translate(query));
  return names;
}

test('every built-in name sparqlalgebrajs produces is known, except the special forms the evaluator owns', (t) => {
  const names = operatorNames();
  t.true(names.has('UMINUS') && names.has('UPLUS') && names.has('sameterm') && names.has(`${XSD}dateTime`), [...names].join(' '));
  t.is(names.size, 77);
  for (const name of names) t.is(isKnownFunction(name), !SPECIAL_FORMS.has(name), name);
});

test('names are case-insensitive, IRIs are not', (t) => {
  t.true(isKnownFunction('STRLEN'));
  t.true(isKnownFunction('sameTerm'));
  t.true(isKnownFunction('uminus'));
  t.true(isKnownFunction(`${XSD}int`));
  t.false(isKnownFunction(`${XSD}Integer`));
  t.false(isKnownFunction(`${XSD}duration`));
  t.false(isKnownFunction('http://example.org/fn'));
  t.false(isKnownFunction('nosuchfunction'));
  t.false(isKnownFunction('&&'));
});

test('an unknown function or a wrong number of arguments is a BAD_REQUEST, not an expression error', (t) => {
  for (const [name, args] of [
    ['http://example.org/fn', ['1']],
    ['nosuchfunction', []],
    ['&&', ['true', 'true']],
    ['strlen', []],
    ['strlen', ['"a"', '"b"']],
    ['substr', ['"a"']],
    ['regex', ['"a"', '"b"', '"i"', '"x"']],
    ['now', ['1']],
    [`${XSD}integer`, ['1', '2']],
  ] as const) {
    const e = t.throws(() => callFunction(name, args.map(term), ctx));
    t.true(isKnowdError(e) && e.code === 'BAD_REQUEST', `${name}/${args.length}: ${String(e)}`);
  }
});

test('CONCAT takes any number of arguments', (t) => {
  t.is(callFunction('concat', Array.from({ length: 100 }, () => term('"a"')), ctx).value, 'a'.repeat(100));
});

/** RFC 3986 §5.2 reference resolution, without the normalizations a WHATWG URL would apply. */

interface Parts {
  scheme: string | undefined;
  authority: string | undefined;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

const URI_REFERENCE = /^(?:([^:/?#]+):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

function parse(ref: string): Parts {
  const m = URI_REFERENCE.exec(ref)!;
  return { scheme: m[1], authority: m[2], path: m[3] ?? '', query: m[4], fragment: m[5] };
}

/** RFC 3986 §5.2.4 */
export function removeDotSegments(path: string): string {
  let input = path;
  const output: string[] = [];
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output.pop();
    } else if (input === '/..') {
      input = '/';
      output.pop();
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const segment = next < 0 ? input : input.slice(0, next);
      output.push(segment);
      input = next < 0 ? '' : input.slice(next);
    }
  }
  return output.join('');
}

function recompose(p: Parts): string {
  let out = '';
  if (p.scheme !== undefined) out += `${p.scheme}:`;
  if (p.authority !== undefined) out += `//${p.authority}`;
  out += p.path;
  if (p.query !== undefined) out += `?${p.query}`;
  if (p.fragment !== undefined) out += `#${p.fragment}`;
  return out;
}

/** Resolves a reference against an absolute base IRI (RFC 3986 §5.2.2). */
export function resolveIri(ref: string, base: string): string {
  const r = parse(ref);
  if (r.scheme !== undefined) return recompose({ ...r, path: removeDotSegments(r.path) });
  const b = parse(base);
  const t: Parts = { scheme: b.scheme, authority: b.authority, path: '', query: r.query, fragment: r.fragment };
  if (r.authority !== undefined) {
    t.authority = r.authority;
    t.path = removeDotSegments(r.path);
  } else if (r.path === '') {
    t.path = b.path;
    t.query = r.query ?? b.query;
  } else if (r.path.startsWith('/')) {
    t.path = removeDotSegments(r.path);
  } else {
    const merged = b.authority !== undefined && b.path === '' ? `/${r.path}` : `${b.path.slice(0, b.path.lastIndexOf('/') + 1)}${r.path}`;
    t.path = removeDotSegments(merged);
  }
  return recompose(t);
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
// Characters RFC 3987 never allows in an IRI (controls, space, <>"{}|\^`).
// eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
const FORBIDDEN = /[\u0000-\u0020<>"{}|\\^`\u007f-\u009f]/;

export function isAbsoluteIri(s: string): boolean {
  return SCHEME.test(s) && !FORBIDDEN.test(s);
}

export function hasForbiddenIriChars(s: string): boolean {
  return FORBIDDEN.test(s);
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import { KnowdError } from '../../../base/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';

/** No inline script or style, nothing from elsewhere, never framed. */
const UI_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json',
};

/** dist/ui of the package this file belongs to (src/… under tsx, dist/src/… when built). */
function defaultUiDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'ui');
}

/**
 * The built UI's files, listed once. Serving only what this list holds (no path from the URL ever
 * reaches the file system) makes traversal impossible; a static-files plugin would add a dependency
 * for a dozen files known at start-up.
 */
function listAssets(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (e.isFile() && TYPES[path.extname(e.name)] !== undefined) out.set(r, path.join(dir, e.name));
    }
  };
  walk(root, '');
  return out;
}

export function registerUiRoutes({ app }: BuiltApp, deps: ApiDeps): void {
  const root = deps.uiDir ?? defaultUiDir();
  let assets: Map<string, string> | undefined;
  const serve = async (rel: string, reply: FastifyReply): Promise<unknown> => {
    assets ??= listAssets(root);
    if (assets.size === 0) assets = undefined;
    const file = assets?.get(rel);
    if (file === undefined) {
      if (assets === undefined) throw new KnowdError('NOT_READY', `The admin UI is not built (no assets in ${root}); run "npm run build"`);
      throw new KnowdError('NOT_FOUND', `No admin UI file ${rel}`);
    }
    void reply
      .type(TYPES[path.extname(file)]!)
      .header('content-security-policy', UI_CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      // The page is small and changes with every build: always revalidate.
      .header('cache-control', 'no-cache');
    return reply.send(await fs.promises.readFile(file));
  };

  app.get('/admin', { config: { authenticatedBy: 'public' } }, async (_req, reply) => reply.redirect('/admin/', 302));
  app.get('/admin/', { config: { authenticatedBy: 'public' } }, async (_req, reply) => serve('index.html', reply));
  app.get<{ Params: { '*': string } }>('/admin/*', { config: { authenticatedBy: 'public' } }, async (req, reply) => serve(req.params['*'], reply));
}

/** Fake Knowd release tarballs (the layout knowdctl upgrade installs) for the upgrade tests. */
import fs from 'node:fs';
import path from 'node:path';
import { create } from 'tar';

export interface FakeRelease {
  readonly version: string;
  readonly name?: string;
  /** Put everything under this top directory (like `knowd-1.2.3/`). */
  readonly top?: string;
  /** Leave these required paths out. */
  readonly omit?: readonly string[];
  /** An extra symlink node_modules/.bin/x → this target. */
  readonly binLink?: string;
}

export async function makeRelease(dir: string, r: FakeRelease): Promise<string> {
  const src = fs.mkdtempSync(path.join(dir, 'rel-'));
  const base = r.top === undefined ? src : path.join(src, r.top);
  const put = (rel: string, text: string): void => {
    if (r.omit?.includes(rel) === true) return;
    fs.mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    fs.writeFileSync(path.join(base, rel), text);
  };
  put('package.json', JSON.stringify({ name: r.name ?? 'knowd', version: r.version }));
  put('dist/src/cli/knowd.js', '// knowd\n');
  put('dist/src/cli/knowdctl.js', '// knowdctl\n');
  put('node_modules/dep/index.js', 'module.exports = 1;\n');
  if (r.binLink !== undefined) {
    fs.mkdirSync(path.join(base, 'node_modules', '.bin'), { recursive: true });
    fs.symlinkSync(r.binLink, path.join(base, 'node_modules', '.bin', 'x'));
  }
  const file = path.join(dir, `knowd-${r.version}-${path.basename(src)}.tar.gz`);
  await create({ cwd: src, gzip: true, file, portable: true }, fs.readdirSync(src));
  fs.rmSync(src, { recursive: true, force: true });
  return file;
}

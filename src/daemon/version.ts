import fs from 'node:fs';

function readVersion(): string {
  // package.json sits two levels above both src/daemon (tsx) and dist/src/daemon (built).
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'knowd' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0-unknown';
}

export const VERSION = readVersion();

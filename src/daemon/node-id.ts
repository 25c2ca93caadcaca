import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The node's stable id, kept in its data directory (created on first use). */
export function nodeIdOfDataDir(dataDir: string): string {
  const file = path.join(dataDir, 'node-id');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const id = randomUUID();
    fs.writeFileSync(file, `${id}\n`, { mode: 0o640 });
    return id;
  }
}

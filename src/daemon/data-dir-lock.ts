import fs from 'node:fs';
import path from 'node:path';
import { KnowdError } from '../base/index.js';

/**
 * One knowd per data directory: two writers appending to one log from their own in-memory positions
 * would overwrite each other's entries. A pid file created exclusively is the lock; a stale one
 * (its process is gone) is taken over.
 */
export function lockDataDir(dataDir: string): () => void {
  return lockPidFile(path.join(dataDir, 'knowd.pid'), (pid) => `Data directory "${dataDir}" is in use by knowd process ${pid}; stop it first`);
}

/** An exclusive pid-file lock (also knowdctl upgrade's on the install root); returns the unlock. */
export function lockPidFile(file: string, inUse: (pid: number) => string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o640 });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      let alive = false;
      try {
        if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new KnowdError('CONFLICT', inUse(pid));
      fs.rmSync(file, { force: true });
    }
  }
  throw new KnowdError('CONFLICT', `Cannot take the lock "${file}"`);
}

/**
 * `knowdctl logs`: knowd's journal (journalctl -u knowd.service). On a host without journald (a
 * container, a developer box) knowd's logs go wherever its stdout goes; say so instead of showing
 * journalctl's "No journal files were found".
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { KnowdError } from '../base/index.js';

export interface LogsOptions {
  readonly unit: string;
  readonly lines: number;
  readonly follow: boolean;
  /** journalctl's JSON lines instead of text. */
  readonly json: boolean;
}

export function journalctlArgs(o: LogsOptions): string[] {
  return ['-u', o.unit, '-n', String(o.lines), '--no-pager', '-o', o.json ? 'json' : 'short-iso', ...(o.follow ? ['-f'] : [])];
}

/** Where journald listens; its absence means no journal to read. */
export const JOURNAL_SOCKET = '/run/systemd/journal/socket';

/** Runs journalctl with knowdctl's stdout and stderr; resolves with its exit code. */
export function showJournal(o: LogsOptions, env: { journalctl?: string; journalSocket?: string } = {}): Promise<number> {
  const socket = env.journalSocket ?? JOURNAL_SOCKET;
  if (!fs.existsSync(socket)) {
    return Promise.reject(new KnowdError('NOT_SUPPORTED', `journald is not running on this host (no ${socket}): knowd's logs are on the standard output of whatever started it`));
  }
  const bin = env.journalctl ?? 'journalctl';
  return new Promise((resolve, reject) => {
    const child = spawn(bin, journalctlArgs(o), { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(new KnowdError('NOT_SUPPORTED', e.code === 'ENOENT' ? `${bin} is not installed: the journal cannot be read on this host` : `Cannot run ${bin}: ${e.message}`)),
    );
    child.once('close', (code) => resolve(code ?? 1));
  });
}

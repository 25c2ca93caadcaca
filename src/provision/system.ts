/** The real `System` of the provisioner: commands, the console, randomness and hardware detection. */
import { spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { detectHardware } from '../obs/index.js';
import type { CommandResult, System } from './run.js';

/** No 0/O, 1/l/I: the password is read off a console and typed in by a human. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

export function readablePassword(groups = 4, size = 5): string {
  const group = (): string => Array.from({ length: size }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return Array.from({ length: groups }, group).join('-');
}

function run(cmd: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    // stdout is captured (never echoed: it might hold a secret); stderr goes to the journal.
    const child = spawn(cmd, [...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.on('error', (e) => reject(new Error(`cannot run ${cmd}: ${e.message}`)));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal === null ? 1 : 128), stdout }));
  });
}

export function realSystem(): System {
  return {
    run,
    hostname: () => os.hostname(),
    detectHardware,
    randomPassword: () => readablePassword(),
    randomSecret: () => randomBytes(36).toString('base64url'),
    console: (text) => {
      try {
        fs.writeFileSync('/dev/console', text.replace(/\n/g, '\r\n'));
      } catch {
        // No console (a container): the SSH login notice still shows it.
      }
    },
    canChown: process.getuid?.() === 0,
  };
}

#!/usr/bin/env node
/**
 * knowd-provision: first-boot provisioning of the appliance (see provision/README.md).
 * Usage: knowd-provision [--root DIR] [--seed FILE]...   (the first --seed that exists is used)
 * Exit codes: 0 provisioned (or nothing to do), 1 failed, 2 bad usage.
 */
import fs from 'node:fs';
import { isKnowdError } from '../base/index.js';
import { provision } from './run.js';
import { realSystem } from './system.js';

const USAGE = 'usage: knowd-provision [--root DIR] [--seed FILE]...';

function parseArgs(argv: readonly string[]): { root: string; seeds: string[] } | undefined {
  let root = '/';
  const seeds: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if ((a === '--root' || a === '--seed') && v !== undefined && v !== '') {
      if (a === '--root') root = v;
      else seeds.push(v);
      i++;
    } else {
      return undefined;
    }
  }
  return { root, seeds };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args === undefined) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const seedPath = args.seeds.find((s) => fs.existsSync(s));
  if (seedPath !== undefined) process.stdout.write(`using the seed ${seedPath}\n`);
  try {
    const r = await provision({ root: args.root, ...(seedPath !== undefined && { seedPath }), system: realSystem(), log: (l) => process.stdout.write(`${l}\n`) });
    process.stdout.write(r.changes.length === 0 ? `${r.hostname}: already provisioned, nothing changed\n` : `${r.hostname}: provisioned (${r.changes.length} changes)\n`);
    return 0;
  } catch (e) {
    process.stderr.write(`knowd-provision: ${isKnowdError(e) ? e.message : (e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();

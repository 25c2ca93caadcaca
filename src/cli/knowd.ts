#!/usr/bin/env node
import { isKnowdError } from '../base/index.js';
import { describeSettings, loadConfig, type Config } from '../config/index.js';
import { createNotifier, limitHeapGrowth, notifyPlan, readClusterEnv, startDaemon } from '../daemon/index.js';
import { createLogger } from '../obs/index.js';

function usage(): string {
  const lines = ['Usage: knowd [--setting value ...]', '', 'Every setting is an environment variable and a flag (flags win):', ''];
  for (const s of describeSettings()) lines.push(`  ${s.flag.padEnd(32)} ${s.name.padEnd(32)} default ${s.default === '' ? '(unset)' : s.default}`, `      ${s.description}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  let config: Config;
  try {
    config = loadConfig(argv, process.env);
    // A provisioned node's cluster settings (knowdctl cluster init|join) sit under the environment
    // and flags: what the operator sets explicitly still wins.
    const clusterEnv = readClusterEnv(config.dataDir);
    if (Object.keys(clusterEnv).length > 0) config = loadConfig(argv, { ...clusterEnv, ...process.env });
  } catch (e) {
    if (isKnowdError(e) && e.code === 'CONFIG_INVALID') {
      process.stderr.write(`knowd: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  // Before the store opens and the worker threads start: every isolate of the process grows by it.
  const heapGrowingPercent = limitHeapGrowth();
  log.info({ heapGrowingPercent: heapGrowingPercent ?? 'as set on node\'s command line' }, 'V8 heap growth per full GC');
  // Read once and removed, as sd_notify(3) does with unset_environment: nothing knowd starts later
  // should talk to systemd on its behalf.
  const notifier = createNotifier(notifyPlan(process.env, process.pid, process.ppid), log);
  for (const k of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) delete process.env[k];
  let daemon: Awaited<ReturnType<typeof startDaemon>>;
  try {
    daemon = await startDaemon(config, log);
  } catch (e) {
    log.fatal({ err: e }, 'knowd failed to start');
    process.stderr.write(`knowd: cannot start: ${(e as Error).message}\n`);
    process.exit(isKnowdError(e) && e.code === 'CONFIG_INVALID' ? 2 : 1);
  }
  const onSignal = (sig: string): void => {
    notifier
      .stopping()
      .then(() => daemon.stop(sig))
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  // The HTTP server and the admin socket listen and the log is replayed: systemd may call it started.
  await notifier.ready(`serving on ${daemon.url}`);
}

void main();

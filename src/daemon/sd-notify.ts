/**
 * systemd readiness and watchdog (knowd.service is Type=notify with WatchdogSec=): READY=1 once knowd
 * serves, WATCHDOG=1 every WatchdogSec/2 from the event loop, STOPPING=1 on shutdown; nothing at all
 * when NOTIFY_SOCKET is not set.
 *
 * Why `systemd-notify` and not a native addon: Node cannot send unix datagrams, and the npm options
 * (`sd-notify` links libsystemd, `unix-dgram` is a nan addon) ship no prebuilt binaries, so the arm64
 * image would have to compile them under emulation and CI would need their toolchains. The classic
 * objection to `systemd-notify` — it exits before PID 1 reads its cgroup, and the message is dropped —
 * is gone since systemd 246: without `--no-block` it sends BARRIER=1 and waits until the manager has
 * processed everything it sent (sd_notify_barrier). Debian bookworm has 252. The unit needs
 * `NotifyAccess=all`, since the sender is a short-lived child of knowd, not its main process.
 * The tool ships with systemd itself, so it is present wherever NOTIFY_SOCKET is set by systemd.
 */
import { execFile } from 'node:child_process';
import type { Logger } from '../obs/index.js';

export interface NotifyPlan {
  /** The manager's socket (a path, or `@abstract`); undefined = not run by systemd: notify nothing. */
  readonly socket: string | undefined;
  /** How often to send WATCHDOG=1 (half of WatchdogSec), or undefined when no watchdog is set. */
  readonly watchdogIntervalMs: number | undefined;
}

/**
 * Reads systemd's variables the way sd_notify(3)/sd_watchdog_enabled(3) do. WATCHDOG_PID names the
 * process the watchdog is meant for; the parent is accepted too, so a wrapper script that did not
 * `exec` node still gets its pings (with NotifyAccess=all systemd accepts them from the cgroup).
 */
export function notifyPlan(env: Readonly<Record<string, string | undefined>>, pid: number, ppid: number): NotifyPlan {
  const socket = env['NOTIFY_SOCKET'] === undefined || env['NOTIFY_SOCKET'] === '' ? undefined : env['NOTIFY_SOCKET'];
  if (socket === undefined) return { socket, watchdogIntervalMs: undefined };
  const usec = Number(env['WATCHDOG_USEC']);
  const forPid = env['WATCHDOG_PID'] === undefined || env['WATCHDOG_PID'] === '' ? undefined : Number(env['WATCHDOG_PID']);
  const ours = forPid === undefined || forPid === pid || forPid === ppid;
  if (!Number.isFinite(usec) || usec <= 0 || !ours) return { socket, watchdogIntervalMs: undefined };
  // At least 50 ms: a pathological WatchdogSec must not turn into a spawn storm.
  return { socket, watchdogIntervalMs: Math.max(50, Math.floor(usec / 2000)) };
}

/** Sends one notification (fields such as "READY=1"); resolves once the manager has it. */
export type NotifySend = (fields: readonly string[]) => Promise<void>;

/** Upper bound on one systemd-notify run: its own barrier waits 5 s for PID 1. */
const SEND_TIMEOUT_MS = 10_000;

export function systemdNotifySender(socket: string, binary = 'systemd-notify'): NotifySend {
  return (fields) =>
    new Promise((resolve, reject) => {
      execFile(binary, [...fields], { env: { ...process.env, NOTIFY_SOCKET: socket }, timeout: SEND_TIMEOUT_MS }, (err, _stdout, stderr) => {
        if (err === null) resolve();
        else reject(new Error(`${binary} ${fields.join(' ')} failed: ${stderr.trim() || err.message}`));
      });
    });
}

export interface Notifier {
  /** READY=1 (with a STATUS= line) and, when systemd asked for one, the watchdog pings from now on. */
  ready(status: string): Promise<void>;
  /** STOPPING=1; stops the watchdog pings. */
  stopping(): Promise<void>;
  /** Stops the pings without telling systemd anything (tests, failed starts). */
  close(): void;
}

const NOOP: Notifier = { ready: async () => undefined, stopping: async () => undefined, close: () => undefined };

/**
 * The notifier for this process: a no-op without NOTIFY_SOCKET. Failures are logged, never thrown —
 * a missing systemd-notify must not stop a database from serving (systemd's start timeout reports it).
 */
export function createNotifier(plan: NotifyPlan, log: Logger, send?: NotifySend): Notifier {
  if (plan.socket === undefined) return NOOP;
  const sender = send ?? systemdNotifySender(plan.socket);
  let timer: NodeJS.Timeout | undefined;
  let inFlight = false;
  let warned = false;
  const attempt = async (fields: readonly string[]): Promise<void> => {
    try {
      await sender(fields);
    } catch (e) {
      if (!warned || !fields.includes('WATCHDOG=1')) log.error({ err: e, fields }, 'cannot notify systemd');
      warned = true;
    }
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  return {
    async ready(status) {
      await attempt(['READY=1', `STATUS=${status}`]);
      if (plan.watchdogIntervalMs === undefined || timer !== undefined) return;
      // A timer on the event loop: a wedged loop sends nothing, and systemd restarts the unit.
      timer = setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        void attempt(['WATCHDOG=1']).finally(() => {
          inFlight = false;
        });
      }, plan.watchdogIntervalMs);
      timer.unref();
      log.info({ watchdogIntervalMs: plan.watchdogIntervalMs }, 'systemd watchdog pings started');
    },
    async stopping() {
      stopTimer();
      await attempt(['STOPPING=1', 'STATUS=stopping']);
    },
    close: stopTimer,
  };
}

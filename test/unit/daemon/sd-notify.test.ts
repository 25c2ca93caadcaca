import test from 'ava';
import { createNotifier, notifyPlan, type NotifySend } from '../../../src/daemon/sd-notify.js';
import { createLogger } from '../../../src/obs/index.js';
import { until } from '../../helpers/until.js';

const log = createLogger('silent');

test('notifyPlan: nothing without NOTIFY_SOCKET; the watchdog at half of WATCHDOG_USEC, only for this process or its wrapper', (t) => {
  t.deepEqual(notifyPlan({}, 10, 1), { socket: undefined, watchdogIntervalMs: undefined });
  t.deepEqual(notifyPlan({ NOTIFY_SOCKET: '', WATCHDOG_USEC: '30000000' }, 10, 1), { socket: undefined, watchdogIntervalMs: undefined });
  t.deepEqual(notifyPlan({ NOTIFY_SOCKET: '/run/systemd/notify' }, 10, 1), { socket: '/run/systemd/notify', watchdogIntervalMs: undefined });
  t.deepEqual(notifyPlan({ NOTIFY_SOCKET: '@abstract', WATCHDOG_USEC: '30000000' }, 10, 1), { socket: '@abstract', watchdogIntervalMs: 15_000 });
  t.is(notifyPlan({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10, 1).watchdogIntervalMs, 15_000);
  t.is(notifyPlan({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 10, 1).watchdogIntervalMs, 15_000, 'a wrapper that did not exec');
  t.is(notifyPlan({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '77' }, 10, 1).watchdogIntervalMs, undefined, 'meant for another process');
  t.is(notifyPlan({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: 'soon' }, 10, 1).watchdogIntervalMs, undefined);
  t.is(notifyPlan({ NOTIFY_SOCKET: '/s', WATCHDOG_USEC: '10' }, 10, 1).watchdogIntervalMs, 50, 'floored: no spawn storm');
});

test('without NOTIFY_SOCKET the notifier sends nothing', async (t) => {
  const sent: string[][] = [];
  const n = createNotifier(notifyPlan({}, 1, 0), log, async (f) => void sent.push([...f]));
  await n.ready('x');
  await n.stopping();
  t.deepEqual(sent, []);
});

test('READY=1 with a status, then watchdog pings until STOPPING=1', async (t) => {
  const sent: string[][] = [];
  const send: NotifySend = async (f) => void sent.push([...f]);
  const n = createNotifier({ socket: '/fake', watchdogIntervalMs: 50 }, log, send);
  t.teardown(() => n.close());
  await n.ready('serving on http://x');
  t.deepEqual(sent[0], ['READY=1', 'STATUS=serving on http://x']);
  await until('two pings', () => (sent.filter((f) => f[0] === 'WATCHDOG=1').length >= 2 ? true : undefined), 5000);
  await n.stopping();
  const after = sent.length;
  t.deepEqual(sent[after - 1], ['STOPPING=1', 'STATUS=stopping']);
  await new Promise((r) => setTimeout(r, 200));
  t.is(sent.length, after, 'no ping after STOPPING=1');
});

test('a failing sender is logged, never thrown, and a slow one is not piled up', async (t) => {
  let calls = 0;
  let release: () => void = () => undefined;
  const n = createNotifier({ socket: '/fake', watchdogIntervalMs: 50 }, log, (f) => {
    calls++;
    if (f[0] === 'READY=1') return Promise.reject(new Error('systemd-notify: not found'));
    return new Promise<void>((r) => (release = r));
  });
  t.teardown(() => n.close());
  await t.notThrowsAsync(n.ready('x'));
  await new Promise((r) => setTimeout(r, 300));
  t.is(calls, 2, 'one hung ping, no others queued behind it');
  release();
  await until('the next ping', () => (calls >= 3 ? true : undefined), 5000);
});

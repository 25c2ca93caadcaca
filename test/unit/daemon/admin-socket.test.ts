import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { groupId, secureAdminSocket } from '../../../src/daemon/admin-socket.js';
import { createLogger } from '../../../src/obs/index.js';

test('the admin socket is 0660 and belongs to the knowd group when the host has one', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-sock-'));
  const server = net.createServer();
  t.teardown(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const sock = path.join(dir, 'admin.sock');
  await new Promise<void>((r) => server.listen(sock, r));
  // Root may give it any group; anyone else one of their own (their primary group stands in).
  const gid = process.getuid?.() === 0 ? 65534 : process.getgid!();
  const groups = path.join(dir, 'group');
  fs.writeFileSync(groups, `root:x:0:\nknowdx:x:7:\nknowd:x:${gid}:alice,bob\n`);
  t.is(groupId('knowd', groups), gid);
  t.is(groupId('nobody-here', groups), undefined);
  t.is(groupId('knowd', path.join(dir, 'absent')), undefined);
  secureAdminSocket(sock, createLogger('silent'), groups);
  const st = fs.statSync(sock);
  t.is(st.mode & 0o777, 0o660);
  t.is(st.gid, gid);
  // Without the group the socket keeps the process's group.
  const other = path.join(dir, 'other.sock');
  const s2 = net.createServer();
  await new Promise<void>((r) => s2.listen(other, r));
  t.teardown(() => s2.close());
  secureAdminSocket(other, createLogger('silent'), path.join(dir, 'absent'));
  t.is(fs.statSync(other).gid, process.getgid!());
});

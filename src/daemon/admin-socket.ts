/**
 * The admin socket is knowdctl's way in without a token (the auth hook serves unix-socket clients as
 * local admins), so its file mode is the access check: 0660, owned by the `knowd` group when the host
 * has one — on the appliance, operators in that group use knowdctl over SSH without root.
 */
import fs from 'node:fs';
import type { Logger } from '../obs/index.js';

export const ADMIN_GROUP = 'knowd';

/** A group's id from an /etc/group-format file; undefined when there is no such group. */
export function groupId(name: string, groupFile = '/etc/group'): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(groupFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [n, , gid] = line.split(':');
    if (n === name && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  return undefined;
}

export function secureAdminSocket(socketPath: string, log: Logger, groupFile?: string): void {
  fs.chmodSync(socketPath, 0o660);
  const gid = groupId(ADMIN_GROUP, groupFile);
  if (gid === undefined || fs.statSync(socketPath).gid === gid) return;
  try {
    // Allowed for root, and for a process that is itself a member of the group.
    fs.chownSync(socketPath, -1, gid);
  } catch (e) {
    log.warn({ err: e, socket: socketPath, group: ADMIN_GROUP }, 'cannot give the admin socket to the knowd group: only its owner can use knowdctl');
  }
}

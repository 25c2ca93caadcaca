/**
 * Membership values: the bytes of a config entry, and the one-server-at-a-time changes (Raft thesis
 * §4.1) that produce the next membership from the current one.
 */
import { KnowdError } from '../../base/index.js';
import type { Membership, MembershipChange, NodeId } from './types.js';

export const EMPTY_MEMBERSHIP: Membership = { voters: [], learners: [] };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function sortedUnique(ids: readonly NodeId[]): NodeId[] {
  return [...new Set(ids)].sort();
}

/** Sorted, so that equal memberships encode to equal bytes on every node. */
export function encodeMembership(m: Membership): Uint8Array {
  return encoder.encode(JSON.stringify({ voters: sortedUnique(m.voters), learners: sortedUnique(m.learners) }));
}

function isIdList(v: unknown): v is NodeId[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && x !== '');
}

/** Config entries come from the replicated log, so bytes that do not decode mean the log is damaged. */
export function decodeMembership(bytes: Uint8Array): Membership {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new KnowdError('STORE_CORRUPT', 'Cannot decode a membership config entry: not UTF-8 JSON', {}, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null) {
    throw new KnowdError('STORE_CORRUPT', 'Cannot decode a membership config entry: not an object');
  }
  const { voters, learners } = parsed as Record<string, unknown>;
  if (!isIdList(voters) || !isIdList(learners)) {
    throw new KnowdError('STORE_CORRUPT', 'Cannot decode a membership config entry: voters and learners must be lists of node ids');
  }
  return { voters: sortedUnique(voters), learners: sortedUnique(learners) };
}

export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id);
}

export function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.learners.includes(id);
}

export function membersOf(m: Membership): NodeId[] {
  return sortedUnique([...m.voters, ...m.learners]);
}

export function sameMembership(a: Membership, b: Membership): boolean {
  const ea = encodeMembership(a);
  const eb = encodeMembership(b);
  return ea.length === eb.length && ea.every((x, i) => x === eb[i]);
}

/**
 * The membership after `change`. A change that makes no sense against `m` is the caller's request
 * conflicting with the cluster's state (CONFLICT), not a programmer error: admins race each other.
 */
export function changeMembership(m: Membership, change: MembershipChange): Membership {
  const { id } = change;
  switch (change.type) {
    case 'add-learner':
      if (isMember(m, id)) throw new KnowdError('CONFLICT', `Cannot add "${id}" as a learner: it is already a member`, { id });
      return { voters: sortedUnique(m.voters), learners: sortedUnique([...m.learners, id]) };
    case 'promote':
      if (!m.learners.includes(id)) throw new KnowdError('CONFLICT', `Cannot promote "${id}": it is not a learner`, { id });
      return { voters: sortedUnique([...m.voters, id]), learners: m.learners.filter((x) => x !== id) };
    case 'remove':
      if (!isMember(m, id)) throw new KnowdError('CONFLICT', `Cannot remove "${id}": it is not a member`, { id });
      if (isVoter(m, id) && m.voters.length === 1) {
        throw new KnowdError('CONFLICT', `Cannot remove "${id}": it is the last voter`, { id });
      }
      return { voters: m.voters.filter((x) => x !== id), learners: m.learners.filter((x) => x !== id) };
  }
}

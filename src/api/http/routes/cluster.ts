import { z } from 'zod';
import { KnowdError } from '../../../base/index.js';
import type { BuiltApp } from '../app.js';
import type { ApiDeps } from '../deps.js';
import { parseWith } from './common.js';
import { auditSource } from './ops.js';

const JoinBody = z.object({
  tokenId: z.string().regex(/^[0-9a-f]{12}$/),
  memberId: z.string().min(3).max(300),
  csrPem: z.string().min(100).max(20_000),
  proof: z.string().regex(/^[0-9a-f]{64}$/),
}).strict();

/** How long a newly joined node may take to start and catch up before the leader gives up on it. */
const ADD_MEMBER_PATIENCE_MS = 10 * 60_000;

/**
 * Cluster provisioning: init (CA and cluster id on the first node), single-use join tokens, and
 * the join itself. The join is the one route without a bearer token: the join token's proof is
 * its authentication, and the answer is sealed with a key derived from the token.
 */
export function registerClusterRoutes({ app, can }: BuiltApp, deps: ApiDeps): void {
  const join = (): NonNullable<ApiDeps['join']> => {
    if (deps.join === undefined) throw new KnowdError('NOT_SUPPORTED', 'Cluster provisioning needs the disk store (KNOWD_STORE=disk)');
    return deps.join;
  };

  app.post('/v1/cluster/init', async (req) => {
    can(req, 'admin');
    const r = await join().init();
    await deps.discovery?.update?.({ clusterId: r.clusterId, provisioned: true });
    deps.audit.record({ action: 'cluster.init', ...auditSource(req), outcome: 'ok', clusterId: r.clusterId });
    return { clusterId: r.clusterId, token: r.token, expiresAt: new Date(r.expiresAtMs).toISOString(), restartRequired: true, next: 'restart knowd: it starts as the first voter of the cluster (settings in <dataDir>/cluster/cluster.env)' };
  });

  app.post('/v1/cluster/token', async (req) => {
    can(req, 'admin');
    const r = join().token();
    deps.audit.record({ action: 'cluster.token', ...auditSource(req), outcome: 'ok', expiresAt: new Date(r.expiresAtMs).toISOString() });
    return { token: r.token, expiresAt: new Date(r.expiresAtMs).toISOString() };
  });

  app.post('/v1/cluster/join', { config: { authenticatedBy: 'join-token' } }, async (req) => {
    const body = parseWith(JoinBody, req.body, 'join request');
    const src = auditSource(req);
    if (deps.config.clusterMode === 'single') throw new KnowdError('CONFLICT', 'This node is not running as a cluster member yet: restart it after `knowdctl cluster init`');
    const status = deps.cluster.status();
    const peers = [...status.membership.voters, ...status.membership.learners];
    let sealed: string;
    try {
      ({ sealed } = await join().join(body, peers));
    } catch (e) {
      deps.audit.record({ action: 'cluster.join', ...src, outcome: 'failed', member: body.memberId, error: (e as Error).message });
      throw e;
    }
    deps.audit.record({ action: 'cluster.join', ...src, outcome: 'ok', member: body.memberId, tokenId: body.tokenId });
    // The new node is admitted once it runs and has caught up: learner first, voter after.
    void addWhenCaughtUp(deps, body.memberId, src);
    return { sealed };
  });
}

async function addWhenCaughtUp(deps: ApiDeps, memberId: string, src: { actor: string; from: string }): Promise<void> {
  const deadline = Date.now() + ADD_MEMBER_PATIENCE_MS;
  let lastError = '';
  while (Date.now() < deadline) {
    try {
      await deps.cluster.changeMembership('add', memberId);
      deps.audit.record({ action: 'membership.change', ...src, outcome: 'ok', change: 'add', member: memberId });
      return;
    } catch (e) {
      lastError = (e as Error).message;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  deps.audit.record({ action: 'membership.change', ...src, outcome: 'failed', change: 'add', member: memberId, error: lastError });
  deps.log.warn({ member: memberId, error: lastError }, 'a joined node did not catch up in time; it stays a learner (add it again with knowdctl cluster add)');
}

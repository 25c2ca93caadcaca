/**
 * grpc.health.v1.Health (the standard protocol, so grpc_health_probe and load balancers work):
 * SERVING while the transport is up and the owner says so. The service names answered are "" (the
 * whole server) and "knowd.v1.Raft". Callers still need a client certificate from the cluster CA
 * (the whole server is mutual TLS) but need not be members.
 */
import * as grpc from '@grpc/grpc-js';

export type ServingStatus = 'SERVING' | 'NOT_SERVING';

const KNOWN_SERVICES = new Set(['', 'knowd.v1.Raft']);

function serviceOf(req: unknown): string | null {
  if (typeof req !== 'object' || req === null) return null;
  const s = (req as Record<string, unknown>)['service'];
  return typeof s === 'string' ? s : null;
}

export class HealthService {
  private status: ServingStatus = 'NOT_SERVING';
  private readonly watchers = new Set<grpc.ServerWritableStream<unknown, object>>();

  set(status: ServingStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const w of this.watchers) w.write({ status });
  }

  /** Ends every Watch stream: the server is going away. */
  close(): void {
    this.set('NOT_SERVING');
    for (const w of this.watchers) w.end();
    this.watchers.clear();
  }

  readonly check = (call: grpc.ServerUnaryCall<unknown, object>, callback: grpc.sendUnaryData<object>): void => {
    const service = serviceOf(call.request);
    if (service === null || !KNOWN_SERVICES.has(service)) {
      callback({ code: grpc.status.NOT_FOUND, details: `unknown service "${String(service)}"` });
      return;
    }
    callback(null, { status: this.status });
  };

  readonly watch = (call: grpc.ServerWritableStream<unknown, object>): void => {
    const service = serviceOf(call.request);
    if (service === null || !KNOWN_SERVICES.has(service)) {
      call.write({ status: 'SERVICE_UNKNOWN' });
      call.end();
      return;
    }
    call.write({ status: this.status });
    this.watchers.add(call);
    const drop = (): void => {
      this.watchers.delete(call);
    };
    call.on('cancelled', drop);
    call.on('close', drop);
    call.on('error', drop);
  };
}

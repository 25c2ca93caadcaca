// The soak's HTTP client: loopback only, keep-alive per client, every request bounded in time, and
// a way to hang up mid-answer (a client that disconnects is part of the workload).
import http from 'node:http';

export interface SoakResponse {
  readonly status: number;
  readonly body: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface SoakRequest {
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The whole exchange; past it the socket is destroyed and the request counts as hung. */
  readonly timeoutMs?: number;
  /** Hang up once this many body bytes came (0: as soon as the status line came). */
  readonly hangUpAfterBytes?: number;
  /** Hang up after this long even when nothing came (a query that holds its rows until the end). */
  readonly hangUpAfterMs?: number;
}

/** A request the client itself cut short (not a finding) or one that never finished (a finding). */
export type SoakOutcome = { readonly kind: 'answered'; readonly res: SoakResponse } | { readonly kind: 'hung-up'; readonly status: number | null } | { readonly kind: 'failed'; readonly error: string };

export class SoakHttp {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(private readonly port: number) {}

  request(r: SoakRequest): Promise<SoakOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const done = (o: SoakOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(hangTimer);
        resolve(o);
      };
      const headers: Record<string, string> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
      const hangingUp = r.hangUpAfterBytes !== undefined || r.hangUpAfterMs !== undefined;
      // A connection that is hung up on is not reused: give such requests their own socket.
      const req = http.request({ host: '127.0.0.1', port: this.port, method: r.method, path: r.path, headers, agent: hangingUp ? false : this.agent }, (res) => {
        const parts: Buffer[] = [];
        let got = 0;
        if (r.hangUpAfterBytes === 0) {
          req.destroy();
          return done({ kind: 'hung-up', status: res.statusCode ?? null });
        }
        res.on('data', (c: Buffer) => {
          parts.push(c);
          got += c.length;
          if (r.hangUpAfterBytes !== undefined && got >= r.hangUpAfterBytes) {
            req.destroy();
            done({ kind: 'hung-up', status: res.statusCode ?? null });
          }
        });
        res.on('end', () => done({ kind: 'answered', res: { status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), headers: res.headers } }));
        res.on('error', (e) => done({ kind: 'failed', error: e.message }));
      });
      const timer = setTimeout(() => {
        req.destroy();
        done({ kind: 'failed', error: `no complete answer within ${r.timeoutMs ?? 60_000} ms` });
      }, r.timeoutMs ?? 60_000);
      const hangTimer =
        r.hangUpAfterMs === undefined
          ? undefined
          : setTimeout(() => {
              req.destroy();
              done({ kind: 'hung-up', status: null });
            }, r.hangUpAfterMs);
      req.on('error', (e) => done(settled ? { kind: 'hung-up', status: null } : { kind: 'failed', error: e.message }));
      req.end(r.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

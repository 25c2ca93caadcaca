/**
 * Calls to the node that served the page (same origin only). The session cookie rides along by
 * itself; state-changing calls add the session's CSRF token, which the page got in a JSON answer.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

let csrf: string | null = null;
let onSignedOut: () => void = () => undefined;

export function setCsrf(token: string | null): void {
  csrf = token;
}

/** Called when a call answers 401: the session ended (idle, sign-out elsewhere, restart). */
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

/** The session ended (a 401, or the event stream said so): back to the sign-in form. */
export function signedOut(): void {
  onSignedOut();
}

export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf !== null) headers['x-knowd-csrf'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The node did not answer (network error or the node is down)', {});
  }
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } & Record<string, unknown> } | undefined)?.error;
    if (res.status === 401 && !path.startsWith('/v1/admin/session')) signedOut();
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `The node answered ${res.status}`, err ?? {});
  }
  return json as T;
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const line = e.details['line'];
    const column = e.details['column'];
    const where = typeof line === 'number' ? `Line ${line}${typeof column === 'number' ? `, column ${column}` : ''}: ` : '';
    return `${where}${e.message} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(e);
}

/**
 * TXT record encoding of PeerTxt (RFC 6763 §6: key=value strings, each at most 255 bytes).
 * Decoding is strict: a record that is not a Knowd node's (missing or malformed keys) yields undefined,
 * so a stranger's or an older node's advertisement is ignored instead of half-read.
 */
import type { PeerTxt } from './port.js';

/** Version of this TXT layout (RFC 6763 §6.7); a node ignores records of another version. */
export const TXT_VERSION = '1';
const MAX_STRING_BYTES = 255;

export function encodeTxt(txt: PeerTxt): string[] {
  const strings = [
    `txtvers=${TXT_VERSION}`,
    `clusterId=${txt.clusterId}`,
    `nodeId=${txt.nodeId}`,
    `grpcPort=${txt.grpcPort}`,
    `version=${txt.version}`,
    `provisioned=${txt.provisioned ? '1' : '0'}`,
  ];
  for (const s of strings) {
    if (Buffer.byteLength(s) > MAX_STRING_BYTES) throw new RangeError(`TXT string "${s.slice(0, 40)}…" is longer than ${MAX_STRING_BYTES} bytes`);
  }
  return strings;
}

/** Strings (or raw byte strings) to a key → value map; keys are case-insensitive (RFC 6763 §6.4), the first wins. */
function toMap(strings: readonly (string | Uint8Array)[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of strings) {
    const s = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    const eq = s.indexOf('=');
    const key = (eq < 0 ? s : s.slice(0, eq)).toLowerCase();
    if (key === '' || map.has(key)) continue;
    map.set(key, eq < 0 ? '' : s.slice(eq + 1));
  }
  return map;
}

const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function decodeTxt(strings: readonly (string | Uint8Array)[]): PeerTxt | undefined {
  const m = toMap(strings);
  if (m.get('txtvers') !== TXT_VERSION) return undefined;
  const nodeId = m.get('nodeid');
  const clusterId = m.get('clusterid');
  const grpcText = m.get('grpcport') ?? '';
  const version = m.get('version');
  const provisioned = m.get('provisioned');
  const grpcPort = /^\d{1,5}$/.test(grpcText) ? Number(grpcText) : NaN;
  if (nodeId === undefined || !NODE_ID.test(nodeId)) return undefined;
  if (clusterId === undefined || (clusterId !== '' && !NODE_ID.test(clusterId))) return undefined;
  if (!(grpcPort >= 1 && grpcPort <= 65535)) return undefined;
  if (version === undefined || provisioned === undefined || (provisioned !== '0' && provisioned !== '1')) return undefined;
  return { clusterId, nodeId, grpcPort, version, provisioned: provisioned === '1' };
}

/** The instance name a node advertises: unique because the node id is. */
export function instanceNameOf(nodeId: string): string {
  return `knowd-${nodeId}`;
}

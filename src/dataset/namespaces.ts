import { KnowdError } from '../base/index.js';
import type { ReadTxn, WriteTxn } from '../storage/index.js';

export interface NamespaceInfo {
  readonly name: string;
  readonly id: number;
  readonly createdMs: number;
}

export const NAMESPACE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NEXT_NS_KEY = Buffer.from('nextNs');

export function checkNamespaceName(name: string): void {
  if (!NAMESPACE_NAME.test(name)) {
    throw new KnowdError('BAD_REQUEST', `Invalid namespace name "${name}": use 1-64 letters, digits, '_', '.', '-', starting with a letter or digit`);
  }
}

export function getNamespace(txn: ReadTxn, name: string): NamespaceInfo | undefined {
  // A name no namespace can have is not looked up: it could also exceed the store's key size.
  if (!NAMESPACE_NAME.test(name)) return undefined;
  const v = txn.get('namespaces', Buffer.from(name, 'utf8'));
  return v === undefined ? undefined : (JSON.parse(Buffer.from(v).toString('utf8')) as NamespaceInfo);
}

export function requireNamespace(txn: ReadTxn, name: string): NamespaceInfo {
  checkNamespaceName(name);
  const ns = getNamespace(txn, name);
  if (ns === undefined) throw new KnowdError('NAMESPACE_NOT_FOUND', `Namespace "${name}" does not exist (create it with POST /v1/admin/namespaces)`, { namespace: name });
  return ns;
}

export function listNamespaces(txn: ReadTxn): NamespaceInfo[] {
  return [...txn.scan('namespaces', {})].map((e) => JSON.parse(Buffer.from(e.value).toString('utf8')) as NamespaceInfo);
}

/** Ids are never reused, so caches keyed by namespace id can never serve a deleted namespace's data. */
export function createNamespace(txn: WriteTxn, name: string, createdMs: number): NamespaceInfo {
  checkNamespaceName(name);
  if (getNamespace(txn, name) !== undefined) throw new KnowdError('NAMESPACE_EXISTS', `Namespace "${name}" already exists`, { namespace: name });
  const next = txn.get('meta', NEXT_NS_KEY);
  const id = next === undefined ? 1 : Buffer.from(next).readUInt32BE();
  const info: NamespaceInfo = { name, id, createdMs };
  const idBuf = Buffer.allocUnsafe(4);
  idBuf.writeUInt32BE(id + 1);
  txn.put('meta', NEXT_NS_KEY, idBuf);
  txn.put('namespaces', Buffer.from(name, 'utf8'), Buffer.from(JSON.stringify(info), 'utf8'));
  return info;
}

export function dropNamespaceEntry(txn: WriteTxn, name: string): NamespaceInfo {
  const ns = requireNamespace(txn, name);
  txn.del('namespaces', Buffer.from(name, 'utf8'));
  return ns;
}

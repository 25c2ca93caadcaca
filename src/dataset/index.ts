export { QuadStore, QuadWriter, chooseScan } from './quad-store.js';
export type { GraphSel, IdPattern, NamespaceStats } from './quad-store.js';
export { Dictionary, DictionaryWriter } from './dictionary.js';
export { DEFAULT_GRAPH_ID, Order, ID_BYTES } from './layout.js';
export type { IdQuad } from './layout.js';
export { createNamespace, dropNamespaceEntry, getNamespace, listNamespaces, requireNamespace, checkNamespaceName, NAMESPACE_NAME } from './namespaces.js';
export type { NamespaceInfo } from './namespaces.js';

// Lint rules that keep the layering of ../shared/ARCHITECTURE.md honest: only edge modules may
// import IO libraries, and lower layers may not import higher ones.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const edgeOnly = ['lmdb', 'fastify', 'usearch', '@grpc/grpc-js', 'mdns', 'multicast-dns', 'dbus-next'];
const layers = {
  base: [], rdf: ['base'], storage: ['base'], receipts: ['base', 'rdf'], config: ['base'], obs: ['base', 'config'],
  dataset: ['base', 'rdf', 'storage'],
  sparql: ['base', 'rdf'],
  shacl: ['base', 'rdf', 'storage', 'dataset'],
  hooks: ['base', 'rdf', 'storage', 'dataset', 'sparql', 'receipts', 'shacl'],
  packs: ['base', 'rdf', 'storage', 'shacl', 'hooks'],
  vector: ['base', 'storage'],
  engine: ['base', 'rdf', 'storage', 'dataset', 'receipts', 'obs', 'replication', 'sparql', 'shacl', 'vector', 'hooks', 'packs'],
  replication: ['base', 'rdf', 'storage', 'engine', 'obs'],
  discovery: ['base', 'config', 'obs'],
  federation: ['base', 'rdf', 'storage', 'engine', 'obs', 'replication', 'sparql'],
  api: ['base', 'rdf', 'storage', 'dataset', 'receipts', 'engine', 'obs', 'config', 'replication', 'sparql', 'discovery', 'hooks', 'federation', 'packs'],
  cli: ['base', 'rdf', 'config', 'receipts', 'obs', 'api', 'daemon', 'engine'],
  daemon: ['base', 'rdf', 'storage', 'dataset', 'receipts', 'engine', 'obs', 'config', 'api', 'replication', 'discovery', 'vector', 'federation', 'packs'],
  // The appliance's first-boot provisioner (an entry point of its own, like cli/).
  provision: ['base', 'config', 'obs'],
};
// Layers that are IO edges as a whole; storage/lmdb is handled below.
const edgeLayers = ['api', 'daemon', 'cli'];
const layerRules = Object.entries(layers).map(([layer, allowed]) => {
  const forbidden = Object.keys(layers).filter((l) => l !== layer && !allowed.includes(l));
  return {
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        paths: edgeLayers.includes(layer) ? [] : edgeOnly.map((name) => ({ name, message: 'only edge modules (storage/lmdb, api/http, daemon) import IO libraries' })),
        patterns: forbidden.map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `${layer}/ may not import ${l}/ (see ARCHITECTURE.md)` })),
      }],
    },
  };
});
// storage/lmdb is an edge inside a non-edge layer: it may import lmdb but still no higher layer.
const lmdbEdge = {
  files: ['src/storage/lmdb/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      patterns: Object.keys(layers).filter((l) => l !== 'storage' && l !== 'base').map((l) => ({ group: [`**/${l}/*`], message: `storage/ may not import ${l}/` })),
    }],
  },
};

// discovery/ backends are edges inside a non-edge layer: each imports its own library only.
const discoveryEdges = [['mdns-js', 'multicast-dns'], ['avahi', 'dbus-next']].map(([dir, lib]) => ({
  files: [`src/discovery/${dir}/**/*.ts`],
  rules: {
    'no-restricted-imports': ['error', {
      paths: edgeOnly.filter((name) => name !== lib).map((name) => ({ name, message: `discovery/${dir} imports only ${lib}` })),
      patterns: Object.keys(layers).filter((l) => !['base', 'config', 'obs', 'discovery'].includes(l)).map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `discovery/ may not import ${l}/` })),
    }],
  },
}));

// vector/usearch is the usearch edge inside the vector layer: it may import usearch, still no higher layer.
const usearchEdge = {
  files: ['src/vector/usearch/**/*.ts'],
  rules: {
    'no-restricted-imports': ['error', {
      paths: edgeOnly.filter((name) => name !== 'usearch').map((name) => ({ name, message: 'vector/usearch imports only usearch' })),
      patterns: Object.keys(layers).filter((l) => !['base', 'storage', 'vector'].includes(l)).map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `vector/ may not import ${l}/` })),
    }],
  },
};

// replication/ spans two floors (ARCHITECTURE.md): raft/ (pure core) and log/ sit below the engine;
// node/, transport/ and snapshot/ drive it from above. Rules by folder keep that order.
const lowerReplication = ['engine', 'obs', 'api', 'daemon', 'cli', 'dataset', 'sparql', 'receipts'];
const replicationFloors = [
  {
    files: ['src/replication/raft/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/storage/*', '**/rdf/*', ...lowerReplication.map((l) => `**/${l}/*`)], message: 'the raft core imports only base/ (it is pure)' },
          { group: ['../log/*', '../node/*', '../transport/*', '../snapshot/*'], message: 'the raft core imports only base/ (it is pure)' },
          { group: ['node:*'], message: 'the raft core does no IO' },
        ],
      }],
    },
  },
  {
    files: ['src/replication/log/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: lowerReplication.map((l) => `**/${l}/*`), message: 'replication/log sits below the engine' },
          { group: ['../node/*', '../transport/*', '../snapshot/*'], message: 'replication/log sits below the driver' },
        ],
      }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: edgeOnly.map((name) => ({ name, message: 'only edge modules import IO libraries' })),
        patterns: [
          { group: ['**/replication/node/*', '**/replication/transport/*', '**/replication/snapshot/*'], message: 'the engine is driven by replication/node, not the reverse' },
          ...['api', 'cli', 'daemon', 'config'].map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `engine/ may not import ${l}/ (see ARCHITECTURE.md)` })),
        ],
      }],
    },
  },
  {
    files: ['src/replication/**/*.ts'],
    ignores: ['src/replication/transport/grpc/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: edgeOnly.map((name) => ({ name, message: 'only edge modules import IO libraries' })),
        patterns: ['api', 'cli', 'daemon', 'config', 'dataset', 'sparql'].map((l) => ({ group: [`**/${l}/*`, `**/${l}`], message: `replication/ may not import ${l}/` })),
      }],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'data/**', 'bench/results/**', 'firmware-agnostic-image/out/**', 'firmware-agnostic-image/work/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // A generator function made per call gets a hidden class of its own, which V8 keeps outside the
  // young generation and which points back to the function's closure: whatever the call worked on
  // then outlives the next minor GCs (test/unit/sparql/query-garbage.test.ts measures it). In the
  // layers that run per query and per transaction, generators are module-level functions or class
  // methods. (Elsewhere a generator inside a factory called once, or per snapshot, costs nothing.)
  {
    files: ['src/{sparql,hooks,shacl,dataset,storage,rdf,receipts,vector}/**/*.ts', 'src/engine/apply.ts', 'src/engine/queryable.ts', 'src/engine/query-job.ts', 'src/engine/part-lines.ts'],
    rules: {
      'no-restricted-syntax': ['error',
        { selector: ':function FunctionExpression[generator=true]:not(MethodDefinition > FunctionExpression)', message: 'a generator (or a *method() of an object literal) made per call: make it a module-level function or a class method' },
        { selector: ':function FunctionDeclaration[generator=true]', message: 'a generator made per call: make it a module-level function or a class method' },
      ],
    },
  },
  ...layerRules.filter((r) => !r.files[0].startsWith('src/replication/') && !r.files[0].startsWith('src/engine/')),
  lmdbEdge,
  usearchEdge,
  ...discoveryEdges,
  // The raft and log rules come after the generic replication rule so they win for their folders.
  replicationFloors[3],
  replicationFloors[0],
  replicationFloors[1],
  replicationFloors[2],
  // The admin UI's browser code (src/api/ui, compiled by tsconfig.ui.json): it runs in the page and
  // talks to the node over HTTP only, so it imports nothing but its own modules (and uPlot's types).
  {
    files: ['src/api/ui/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../*', 'node:*'], message: 'the browser UI imports only its own modules (src/api/ui)' },
        ],
      }],
    },
  },
);

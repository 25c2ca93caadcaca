/** TXT encoding of a node's identity: round trip, strict decoding, size limits. */
import test from 'ava';
import { decodeTxt, encodeTxt, instanceNameOf, type PeerTxt } from '../../../src/discovery/index.js';

const TXT: PeerTxt = { clusterId: 'c-1234', nodeId: '5b0c9d7e-2a1f-4c55-9a11-3e0f6f2b7c10', grpcPort: 8091, version: '0.1.0', provisioned: true };

test('encode → decode round trip, as strings and as bytes', (t) => {
  const strings = encodeTxt(TXT);
  t.deepEqual(decodeTxt(strings), TXT);
  t.deepEqual(decodeTxt(strings.map((s) => Buffer.from(s))), TXT);
  t.deepEqual(decodeTxt(encodeTxt({ ...TXT, clusterId: '', provisioned: false })), { ...TXT, clusterId: '', provisioned: false });
});

test('the record carries txtvers and only static identity (no term, no role)', (t) => {
  const keys = encodeTxt(TXT).map((s) => s.split('=')[0]);
  t.deepEqual(keys, ['txtvers', 'clusterId', 'nodeId', 'grpcPort', 'version', 'provisioned']);
});

test('keys are case-insensitive and the first occurrence wins (RFC 6763 §6.4)', (t) => {
  const strings = ['TXTVERS=1', 'CLUSTERID=', 'NodeId=n1', 'nodeid=n2', 'grpcport=1', 'version=v', 'provisioned=0'];
  t.is(decodeTxt(strings)?.nodeId, 'n1');
});

test('records that are not a Knowd node\'s are ignored, not half-read', (t) => {
  const good = encodeTxt(TXT);
  const without = (key: string): string[] => good.filter((s) => !s.startsWith(`${key}=`));
  const replaced = (key: string, value: string): string[] => good.map((s) => (s.startsWith(`${key}=`) ? `${key}=${value}` : s));
  t.is(decodeTxt([]), undefined);
  t.is(decodeTxt(['path=/printer']), undefined);
  for (const key of ['txtvers', 'clusterId', 'nodeId', 'grpcPort', 'version', 'provisioned']) t.is(decodeTxt(without(key)), undefined, key);
  t.is(decodeTxt(replaced('txtvers', '2')), undefined, 'a future layout');
  t.is(decodeTxt(replaced('grpcPort', '0')), undefined);
  t.is(decodeTxt(replaced('grpcPort', '65536')), undefined);
  t.is(decodeTxt(replaced('grpcPort', '80x')), undefined);
  t.is(decodeTxt(replaced('provisioned', 'yes')), undefined);
  t.is(decodeTxt(replaced('nodeId', '')), undefined);
  t.is(decodeTxt(replaced('nodeId', 'a b')), undefined);
  t.is(decodeTxt(replaced('clusterId', 'x'.repeat(200))), undefined);
});

test('a string longer than 255 bytes cannot be encoded', (t) => {
  t.throws(() => encodeTxt({ ...TXT, version: 'v'.repeat(300) }), { instanceOf: RangeError });
});

test('instance names are unique per node', (t) => {
  t.is(instanceNameOf(TXT.nodeId), `knowd-${TXT.nodeId}`);
  t.true(instanceNameOf(TXT.nodeId).length <= 63, 'a DNS label');
});

/**
 * The pure-JS backend's DNS-SD layer, fed with packets instead of a socket: what a node announces,
 * which queries it answers, and how received records become peers (and expire or say goodbye).
 */
import test from 'ava';
import type { Answer } from 'dns-packet';
import { PeerTable, encodeTxt, type DiscoveredPeer, type PeerTxt } from '../../../src/discovery/index.js';
import { Browser, SERVICE_FQDN, announcement, answerQuery, instanceFqdn, type Advert } from '../../../src/discovery/mdns-js/dnssd.js';

const txt = (nodeId: string, extra: Partial<PeerTxt> = {}): PeerTxt => ({ clusterId: '', nodeId, grpcPort: 8091, version: '0.1.0', provisioned: false, ...extra });
const advert = (n: number, extra: Partial<PeerTxt> = {}): Advert => ({
  instance: `knowd-n${n}`, host: `knowd-n${n}.local`, httpPort: 8090, addresses: [`198.18.0.${n}`], txt: encodeTxt(txt(`n${n}`, extra)),
});

const dataOf = (r: Answer): unknown => ('data' in r ? r.data : undefined);

function browse(): { browser: Browser; table: PeerTable; events: string[] } {
  const table = new PeerTable();
  table.setSelf('n1');
  const events: string[] = [];
  for (const e of ['up', 'update', 'down'] as const) table.on(e, (p: DiscoveredPeer) => events.push(`${e} ${p.txt.nodeId}`));
  return { browser: new Browser(table), table, events };
}

test('an announcement carries PTR, SRV, TXT and our own host\'s A record; unique records flush caches', (t) => {
  const { answers } = announcement(advert(2), 15);
  t.deepEqual(answers.map((r) => `${r.type} ${r.name}`), [
    `PTR ${SERVICE_FQDN}`, `SRV ${instanceFqdn('knowd-n2')}`, `TXT ${instanceFqdn('knowd-n2')}`, 'A knowd-n2.local',
  ]);
  t.true(answers.every((r) => 'ttl' in r && r.ttl === 15));
  t.deepEqual(answers.map((r) => ('flush' in r ? r.flush === true : false)), [false, true, true, true], 'PTR is shared, the rest are ours alone');
  t.true(announcement(advert(2), 0).answers.every((r) => 'ttl' in r && r.ttl === 0), 'goodbye = TTL 0');
});

test('queries: PTR for the service, the DNS-SD meta query, SRV/TXT of our instance, A of our host — and nothing else', (t) => {
  const a = advert(2);
  const ptr = answerQuery(a, [{ name: SERVICE_FQDN, type: 'PTR' }], 15);
  t.deepEqual(ptr?.answers.map((r) => r.type), ['PTR']);
  t.deepEqual(ptr?.additionals.map((r) => r.type), ['SRV', 'TXT', 'A']);
  t.deepEqual(answerQuery(a, [{ name: '_services._dns-sd._udp.local', type: 'PTR' }], 15)?.answers.map(dataOf), [SERVICE_FQDN]);
  t.deepEqual(answerQuery(a, [{ name: instanceFqdn('KNOWD-N2'), type: 'SRV' }], 15)?.answers.map((r) => r.type), ['SRV'], 'names are case-insensitive');
  t.deepEqual(answerQuery(a, [{ name: 'knowd-n2.local', type: 'A' }], 15)?.answers.map(dataOf), ['198.18.0.2']);
  t.is(answerQuery(a, [{ name: '_http._tcp.local', type: 'PTR' }], 15), undefined);
  t.is(answerQuery(a, [{ name: 'knowd-n3.local', type: 'A' }], 15), undefined);
  t.is(answerQuery(a, [{ name: 'knowd-n2.local', type: 'AAAA' }], 15), undefined);
});

test('a complete announcement brings a peer up; our own is ignored; a TXT change is an update', (t) => {
  const { browser, table, events } = browse();
  browser.ingest(announcement(advert(1), 15).answers, 0);
  browser.ingest(announcement(advert(2), 15).answers, 0);
  t.deepEqual(events, ['up n2']);
  t.deepEqual(table.list().map((p) => [p.instance, p.host, p.addresses, p.httpPort, p.txt.grpcPort]), [['knowd-n2', 'knowd-n2.local', ['198.18.0.2'], 8090, 8091]]);
  browser.ingest(announcement(advert(2, { clusterId: 'c1', provisioned: true }), 15).answers, 1000);
  t.deepEqual(events, ['up n2', 'update n2']);
  t.true(table.list()[0]?.txt.provisioned);
});

test('records arriving in pieces resolve once all are there; missing() asks for the rest', (t) => {
  const { browser, events } = browse();
  const [ptr, srv, txtRec, a] = announcement(advert(3), 15).answers as [Answer, Answer, Answer, Answer];
  browser.ingest([ptr], 0);
  t.deepEqual(browser.missing().map((q) => q.type), ['SRV', 'TXT']);
  browser.ingest([srv], 0);
  t.deepEqual(browser.missing().map((q) => `${q.type} ${q.name}`), ['TXT ' + instanceFqdn('knowd-n3'), 'A knowd-n3.local']);
  browser.ingest([txtRec], 0);
  t.deepEqual(events, []);
  browser.ingest([a], 0);
  t.deepEqual(events, ['up n3']);
  t.deepEqual(browser.missing(), []);
});

test('a goodbye takes the peer down at once; silence takes it down when its records expire', (t) => {
  const { browser, events } = browse();
  browser.ingest(announcement(advert(2), 15).answers, 0);
  browser.ingest(announcement(advert(3), 15).answers, 0);
  browser.ingest(announcement(advert(2), 0).answers, 100);
  t.deepEqual(events, ['up n2', 'up n3', 'down n2']);
  browser.expire(14_000);
  t.deepEqual(events, ['up n2', 'up n3', 'down n2'], 'still within its TTL');
  browser.ingest(announcement(advert(3), 15).answers, 10_000);
  browser.expire(20_000);
  t.is(events.length, 3, 'refreshed by the re-announcement');
  browser.expire(25_000);
  t.deepEqual(events, ['up n2', 'up n3', 'down n2', 'down n3']);
});

test('a non-Knowd TXT record or a foreign service type never yields a peer', (t) => {
  const { browser, events } = browse();
  browser.ingest([...announcement({ ...advert(4), txt: ['path=/'] }, 15).answers], 0);
  browser.ingest([{ name: '_http._tcp.local', type: 'PTR', ttl: 15, data: 'web._http._tcp.local' }], 0);
  t.deepEqual(events, []);
});

test('a changed address (cache-flush A record) replaces the old one', (t) => {
  const { browser, table } = browse();
  browser.ingest(announcement(advert(2), 15).answers, 0);
  browser.ingest(announcement({ ...advert(2), addresses: ['198.18.0.22'] }, 15).answers, 1000);
  browser.expire(2500);
  browser.ingest(announcement({ ...advert(2), addresses: ['198.18.0.22'] }, 15).answers, 2500);
  t.deepEqual(table.list()[0]?.addresses, ['198.18.0.22']);
});

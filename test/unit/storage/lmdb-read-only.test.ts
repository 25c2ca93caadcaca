/**
 * A read-only handle (a query worker's) reads what another thread committed. lmdb-js keeps a
 * handle's shared read transaction current until a timer of its own fires, so a read right after
 * someone else's commit could see the snapshot before it (the soak saw a just-created namespace
 * answer 404, and an ASK miss a triple whose 200 had come back).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { open } from 'lmdb';
import { openLmdbStorage } from '../../../src/storage/lmdb/index.js';

test('a read on a read-only handle sees a commit made since its previous read, in the same tick', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'knowd-ro-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const writer = openLmdbStorage({ path: dir });
  const key = Buffer.from('k');
  await writer.write((w) => w.put('meta', key, Buffer.from('v1')));
  const reader = openLmdbStorage({ path: dir, readOnly: true });
  // Another handle commits synchronously between two reads of the same tick (the writer's own
  // commits are asynchronous, so the test uses lmdb-js directly, as another thread would).
  const other = open({ path: path.join(dir, 'store'), maxDbs: 16 });
  const meta = other.openDB<Buffer, Buffer>({ name: 'meta', keyEncoding: 'binary', encoding: 'binary' });
  t.teardown(async () => {
    await other.close();
    await reader.close();
    await writer.close();
  });
  t.is(Buffer.from(reader.read((r) => r.get('meta', key))!).toString(), 'v1');
  meta.putSync(key, Buffer.from('v2'));
  t.is(Buffer.from(reader.read((r) => r.get('meta', key))!).toString(), 'v2');
});

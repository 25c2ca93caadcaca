/** The dictionary's key format is on disk: these bytes must never change for existing stores. */
import { createHash } from 'node:crypto';
import test from 'ava';
import { termKey } from '../../../src/dataset/dictionary.js';

test('term keys: namespace id (u32 BE) + the UTF-8 term, or 0x00 + SHA-256 past 480 bytes', (t) => {
  const ns = Buffer.from([0, 0, 1, 2]);
  t.deepEqual(termKey(258, 'http://ex/a'), Buffer.concat([ns, Buffer.from('http://ex/a', 'utf8')]));
  const accented = '"café ✓"@fr';
  t.deepEqual(termKey(258, accented), Buffer.concat([ns, Buffer.from(accented, 'utf8')]));
  const at = `"${'é'.repeat(239)}"`; // 480 bytes: still inline
  t.is(Buffer.byteLength(at), 480);
  t.deepEqual(termKey(258, at), Buffer.concat([ns, Buffer.from(at, 'utf8')]));
  const past = `"${'é'.repeat(239)}x"`; // 481 bytes: hashed
  t.deepEqual(termKey(258, past), Buffer.concat([ns, Buffer.from([0]), createHash('sha256').update(Buffer.from(past, 'utf8')).digest()]));
});

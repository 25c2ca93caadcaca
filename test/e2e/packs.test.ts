/**
 * Policy packs with the real daemon and knowdctl: KNOWD_PACKS loaded at start-up, `knowdctl packs
 * list|reload` over the admin socket, a broken pack listed problem by problem (exit 1) while the
 * loaded one keeps vetoing.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { knowdctl, sendJson, startKnowd, tmpDir } from '../helpers/procs.js';

const VETO = { id: 'no-overdraft', phase: 'pre', condition: { ask: 'PREFIX ex: <http://ex/> ASK { ?a ex:balance ?b FILTER(?b < 0) }' } };

test('KNOWD_PACKS at start-up; knowdctl packs list and reload; a broken pack changes nothing and lists its problems', async (t) => {
  const dir = tmpDir(t);
  const packs = path.join(dir, 'packs');
  fs.mkdirSync(path.join(packs, 'bank/default/hooks'), { recursive: true });
  fs.writeFileSync(path.join(packs, 'bank/default/hooks/veto.json'), JSON.stringify(VETO));
  const dataDir = path.join(dir, 'data');
  const node = await startKnowd(t, { dataDir, env: { KNOWD_PACKS: packs } });
  const ctl = (...args: string[]) => knowdctl(t, ['--data-dir', dataDir, ...args]);

  const list = await ctl('--json', 'packs', 'list');
  t.is(list.code, 0, list.stderr);
  const st = JSON.parse(list.stdout) as { dir: string; packs: { name: string; items: { hooks: { id: string }[] }[] }[] };
  t.is(st.dir, packs);
  t.deepEqual(st.packs.map((p) => [p.name, p.items[0]!.hooks.map((h) => h.id)]), [['bank', ['no-overdraft']]]);
  t.is((await sendJson(`${node.url}/v1/tx`, 'POST', { add: '<http://ex/a> <http://ex/balance> -1 .' })).status, 422);

  const same = await ctl('packs', 'reload');
  t.is(same.code, 0, same.stderr);
  t.regex(same.stdout, /^unchanged/);

  fs.writeFileSync(path.join(packs, 'bank/default/hooks/veto.json'), '{\n  "id": "no-overdraft",\n  "phase": "pre",,\n}');
  fs.mkdirSync(path.join(packs, 'bank/nowhere/shapes'), { recursive: true });
  fs.writeFileSync(path.join(packs, 'bank/nowhere/shapes/s.ttl'), '');
  const broken = await ctl('packs', 'reload');
  t.is(broken.code, 1);
  t.regex(broken.stdout, /^nothing changed: 2 problems/);
  t.regex(broken.stdout, /bank\/default\/hooks\/veto\.json:3:\d+: not valid JSON/);
  t.regex(broken.stdout, /bank\/nowhere: unknown namespace "nowhere"/);
  t.is((await sendJson(`${node.url}/v1/tx`, 'POST', { add: '<http://ex/a> <http://ex/balance> -2 .' })).status, 422, 'the loaded pack still vetoes');
  const after = await ctl('packs', 'list');
  t.regex(after.stdout, /last load FAILED/);

  fs.rmSync(path.join(packs, 'bank'), { recursive: true });
  const removed = await ctl('packs', 'reload');
  t.is(removed.code, 0, removed.stderr);
  t.regex(removed.stdout, /^loaded \(receipts: default-\d+\)/);
  t.is((await sendJson(`${node.url}/v1/tx`, 'POST', { add: '<http://ex/a> <http://ex/balance> -3 .' })).status, 200, 'the pack is gone, and its hook with it');
});

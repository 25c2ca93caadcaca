/** The built-in embedder: deterministic, normalised, any dimension, and lexical (shared words score high). */
import test from 'ava';
import { distance, hashingEmbedder, httpEmbedder } from '../../../src/vector/index.js';

test('hashing embedder: deterministic unit vectors of the asked dimension', (t) => {
  const e = hashingEmbedder();
  const [a, b] = e.embedSync!(['The quick brown fox', 'The quick brown fox'], 64);
  t.is(a!.length, 64);
  t.deepEqual(a, b);
  t.true(Math.abs(Math.hypot(...a!) - 1) < 1e-5);
  t.is(e.embedSync!(['x'])[0]!.length, 384);
  t.true(e.embedSync!([''], 8)[0]!.every((x) => x === 0), 'no words, no direction');
});

test('hashing embedder is lexical: shared words are close, synonyms are not', (t) => {
  const e = hashingEmbedder();
  const [q, same, other, synonym] = e.embedSync!(['red running shoes', 'running shoes in red', 'tomato pasta recipe', 'crimson jogging sneakers'], 384);
  t.true(distance('cos', q!, same!) < distance('cos', q!, other!));
  t.true(distance('cos', q!, synonym!) > 0.8, 'honest: no semantics');
});

test('http embedder: the endpoint and model come from the URL; bad answers are named', async (t) => {
  const calls: { url: string; body: unknown }[] = [];
  const fake = (answer: unknown, status = 200): typeof fetch =>
    (async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      return new Response(JSON.stringify(answer), { status });
    }) as typeof fetch;
  const ok = httpEmbedder('http://127.0.0.1:1234/?model=m1', { fetch: fake({ data: [{ index: 1, embedding: [0, 1] }, { index: 0, embedding: [1, 0] }] }) });
  t.deepEqual((await ok.embed(['a', 'b'])).map((v) => [...v]), [[1, 0], [0, 1]]);
  t.deepEqual(calls[0], { url: 'http://127.0.0.1:1234/v1/embeddings', body: { input: ['a', 'b'], model: 'm1' } });
  await httpEmbedder('http://127.0.0.1:1234/custom/embeddings', { fetch: fake({ data: [{ embedding: [1] }] }) }).embed(['x']);
  t.is(calls[1]!.url, 'http://127.0.0.1:1234/custom/embeddings');
  await t.throwsAsync(httpEmbedder('http://h', { fetch: fake({ nope: 1 }) }).embed(['x']), { message: /KNOWD_EMBED_URL.*data/ });
  await t.throwsAsync(httpEmbedder('http://h', { fetch: fake({}, 500) }).embed(['x']), { message: /HTTP 500/ });
  await t.throwsAsync(httpEmbedder('http://h', { fetch: fake({ data: [{ embedding: [1, 2] }] }) }).embed(['x'], 3), { message: /3/ });
});

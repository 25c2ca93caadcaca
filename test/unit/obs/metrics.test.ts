import test from 'ava';
import { Metrics } from '../../../src/obs/metrics.js';

test('every GC kind has its series from the start, so the first major GC adds no series', async (t) => {
  const text = await new Metrics().registry.metrics();
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    t.regex(text, new RegExp(`^knowd_process_nodejs_gc_duration_seconds_count\\{kind="${kind}"\\} \\d+$`, 'm'), kind);
  }
});

import type uPlot from 'uplot';
import { h } from './dom.js';
import type { ChartSample as Sample } from './wire.js';

/**
 * The overview's small chart: largest follower lag (entries, left axis) and commits per second
 * (right axis) over the last minutes. uPlot is loaded as a classic script (vendor/uPlot.iife.min.js)
 * before this module; only its types are imported here.
 */
type UPlotCtor = typeof uPlot;
const UPlot = (window as unknown as { uPlot?: UPlotCtor }).uPlot;

/** How many samples stay on screen: five minutes at one a second. */
const WINDOW = 300;

export class LagChart {
  readonly el: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly data: [number[], number[], number[]] = [[], [], []];
  private plot: uPlot | undefined;
  private readonly resize: ResizeObserver;

  constructor() {
    const box = h('div', { class: 'chart', role: 'img', 'aria-label': 'Chart: follower lag in entries and commits per second over the last 5 minutes', 'aria-describedby': 'chart-summary' });
    this.summary = h('p', { id: 'chart-summary', class: 'muted' }, 'No samples yet.');
    this.el = h('figure', { class: 'chart-figure' }, box, h('figcaption', {}, 'Lag and throughput, last 5 minutes'), this.summary);
    if (UPlot !== undefined) {
      const opts: uPlot.Options = {
        width: 600,
        height: 180,
        scales: { x: { time: true }, lag: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] }, rate: { auto: true, range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {},
          { label: 'Lag (entries)', scale: 'lag', stroke: '#b3261e', width: 2 },
          { label: 'Commits/s', scale: 'rate', stroke: '#1f5fbf', width: 2, dash: [6, 3] },
        ],
        axes: [{}, { scale: 'lag', label: 'entries' }, { scale: 'rate', side: 1, label: 'commits/s', grid: { show: false } }],
        legend: { live: false },
        cursor: { show: false },
      };
      this.plot = new UPlot(opts, this.data, box);
    } else {
      box.textContent = 'The chart library did not load; the numbers below still update.';
    }
    this.resize = new ResizeObserver(() => {
      const w = Math.max(260, Math.floor(box.clientWidth));
      this.plot?.setSize({ width: w, height: w < 500 ? 150 : 180 });
    });
    this.resize.observe(box);
  }

  reset(samples: readonly Sample[]): void {
    this.data[0].length = 0;
    this.data[1].length = 0;
    this.data[2].length = 0;
    for (const s of samples) this.push(s, false);
    this.redraw();
  }

  add(s: Sample): void {
    this.push(s, true);
    this.redraw();
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot?.destroy();
  }

  private push(s: Sample, trim: boolean): void {
    this.data[0].push(s.t / 1000);
    this.data[1].push(s.lagEntries);
    this.data[2].push(s.commitsPerSec);
    if (trim || this.data[0].length > WINDOW) {
      while (this.data[0].length > WINDOW) {
        this.data[0].shift();
        this.data[1].shift();
        this.data[2].shift();
      }
    }
  }

  private redraw(): void {
    this.plot?.setData(this.data);
    const n = this.data[0].length;
    if (n === 0) return;
    const maxLag = Math.max(...this.data[1]);
    const lastRate = this.data[2][n - 1] ?? 0;
    const maxRate = Math.max(...this.data[2]);
    this.summary.textContent = `Over the last ${Math.round((this.data[0][n - 1]! - this.data[0][0]!) / 60 * 10) / 10} min: largest lag ${maxLag} entries; ${lastRate} commits/s now, peak ${maxRate}.`;
  }
}

/** A one-line progress bar on stderr, drawn only on a TTY and at most ~10 times a second. */
export class ProgressBar {
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly totalBytes: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  get enabled(): boolean {
    return this.stream.isTTY === true;
  }

  update(doneBytes: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const frac = this.totalBytes > 0 ? Math.min(1, doneBytes / this.totalBytes) : 0;
    const width = 30;
    const filled = Math.round(frac * width);
    const mib = (n: number): string => (n / 1048576).toFixed(1);
    const rate = doneBytes / Math.max(0.001, (now - this.started) / 1000);
    this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib(doneBytes)}/${mib(this.totalBytes)} MiB ${mib(rate)} MiB/s `);
  }

  done(): void {
    if (this.enabled) this.stream.write('\n');
  }
}

/** The progress line drawn in place and not yet ended, if any (one at a time on a terminal). */
let openLine: (() => void) | null = null;

/**
 * Ends a progress line left open on the terminal, so that an error printed next starts a line of
 * its own instead of being glued to the bar.
 */
export function endProgressLine(): void {
  openLine?.();
}

/**
 * Progress on stderr: a line redrawn in place on a terminal, and only the stage names when stderr is
 * a pipe or a file, so logs stay readable. stdout is left to results (and to --json's last line).
 */
export class Progress {
  readonly #tty: boolean;
  #lastDraw = 0;
  #open = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {
    this.#tty = Boolean(stream.isTTY);
  }

  stage(label: string): void {
    if (this.quiet) return;
    this.#end();
    this.stream.write(`${label}\n`);
  }

  update(label: string, done: number, total: number): void {
    if (this.quiet || !this.#tty) return;
    const now = Date.now();
    if (done < total && now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const width = 30;
    const filled = Math.round((width * done) / Math.max(1, total));
    this.stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    this.#open = true;
    openLine = this.#endLine;
    if (done >= total) this.#end();
  }

  warn(message: string): void {
    this.#end();
    this.stream.write(`warning: ${message}\n`);
  }

  readonly #endLine = () => this.#end();

  #end(): void {
    if (this.#open) this.stream.write('\n');
    this.#open = false;
    if (openLine === this.#endLine) openLine = null;
  }
}

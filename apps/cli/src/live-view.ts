/** Where the live view draws: process.stderr, or a test double. */
export interface ViewStream {
  write(text: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
}

const ESC = '\u001b[';

/**
 * Draws frames of lines on a terminal, each replacing the last in place: the cursor goes back to the
 * frame's first line (CSI n F) and the screen below is cleared (CSI J). Frames come at most every
 * `minIntervalMs` unless forced, so a fast model does not spend its time repainting.
 */
export class InPlaceView {
  private drawnLines = 0;
  private lastDrawAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly stream: ViewStream,
    private readonly minIntervalMs = 80,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Replaces the frame on screen with `render()`'s lines (not called when throttled). */
  draw(render: () => readonly string[], force = false): void {
    const now = this.now();
    if (!force && now - this.lastDrawAt < this.minIntervalMs) return;
    this.lastDrawAt = now;
    const lines = render();
    this.stream.write(`${this.eraseSequence()}${lines.join('\n')}\n`);
    this.drawnLines = lines.length;
  }

  /** Removes the frame, leaving the cursor where it began. */
  clear(): void {
    if (this.drawnLines > 0) this.stream.write(this.eraseSequence());
    this.drawnLines = 0;
  }

  private eraseSequence(): string {
    return this.drawnLines > 0 ? `${ESC}${this.drawnLines}F${ESC}J` : '';
  }
}

/**
 * Progress shows how far a long command (verify-db, export, backup, migrate) has got, on stderr so
 * stdout keeps only the result. On a terminal it rewrites one line in place, at most ten times a
 * second; anywhere else (a pipe, a log file, systemd) it prints a line every ten seconds, so a
 * long run is visibly alive without flooding a log, and a short one prints nothing but its result.
 */
export interface ProgressOut {
  isTTY?: boolean;
  write(s: string): unknown;
}

const TTY_EVERY_MS = 100;
const LOG_EVERY_MS = 10_000;

export class Progress {
  private readonly start: number;
  private last: number;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly unit: string,
    private readonly out: ProgressOut = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.start = this.last = now();
  }

  /** update reports done of total (total unknown: undefined); cheap enough to call per chunk. */
  update(done: number, total?: number): void {
    const t = this.now();
    if (t - this.last < (this.out.isTTY ? TTY_EVERY_MS : LOG_EVERY_MS)) return;
    this.last = t;
    const line = this.line(done, total, t);
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else this.out.write(`${line}\n`);
    this.shown = true;
  }

  /** end clears the terminal line, so the command's result line stands alone. */
  end(): void {
    if (this.shown && this.out.isTTY) this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private line(done: number, total: number | undefined, t: number): string {
    const secs = (t - this.start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    let s = `${this.label}: ${fmt(done)}`;
    if (total !== undefined && total > 0) {
      s += ` / ${fmt(total)} ${this.unit} (${Math.floor((done / total) * 100)}%)`;
      if (rate > 0 && done < total) s += `, about ${Math.ceil((total - done) / rate)} s left`;
    } else {
      s += ` ${this.unit}`;
    }
    return `${s}, ${fmt(Math.round(rate))}/s`;
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * What an exec keeps of a command's output: stdout and stderr share one cap (`maxOutputBytes`), what
 * is beyond it is dropped and reported as `truncated`. With `pidLine`, the first stdout line is the
 * command's PID (see `withPidLine`) and is taken out. Engine-neutral: feed it the demultiplexed chunks.
 */
export class ExecOutput {
  /** The command's PID in its host, once its first line has come (with `pidLine`). */
  pid: number | undefined;
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private size = 0;
  private truncated = false;
  private pending = '';

  constructor(
    private readonly maxOutputBytes: number,
    private readonly pidLine = false,
  ) {}

  stdout(chunk: Buffer): void {
    if (this.pidLine && this.pid === undefined) {
      this.pending += chunk.toString('latin1');
      const nl = this.pending.indexOf('\n');
      if (nl === -1) return;
      this.pid = Number(this.pending.slice(0, nl));
      const rest = Buffer.from(this.pending.slice(nl + 1), 'latin1');
      this.pending = '';
      if (rest.length) this.keep(this.out, rest);
      return;
    }
    this.keep(this.out, chunk);
  }

  stderr(chunk: Buffer): void {
    this.keep(this.err, chunk);
  }

  result(): { stdout: Buffer; stderr: Buffer; truncated: boolean } {
    return { stdout: Buffer.concat(this.out), stderr: Buffer.concat(this.err), truncated: this.truncated };
  }

  private keep(into: Buffer[], chunk: Buffer): void {
    const room = this.maxOutputBytes - this.size;
    if (room <= 0) {
      this.truncated ||= chunk.length > 0;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.truncated ||= part.length < chunk.length;
    this.size += part.length;
    into.push(part);
  }
}

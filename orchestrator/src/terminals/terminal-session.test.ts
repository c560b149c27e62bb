import { expect } from 'chai';
import { Duplex } from 'node:stream';
import type { ShellStream } from '../runtime/runtime-driver.ts';
import { TERMINAL_LIMITS } from '../../../contract/terminal-events.ts';
import { TerminalSession, type TerminalPeer } from './terminal-session.ts';

/** A shell whose program never reads its input (writes never complete) and whose output we push. */
function stuckShell() {
  let written = 0;
  const stream = new Duplex({
    read() {
      // output is pushed by the test
    },
    write(chunk: Buffer, _encoding, _callback) {
      written += chunk.length; // never calls back: the engine takes nothing more
    },
  });
  stream.pause();
  let exit: (code: number | null) => void = () => undefined;
  const shell: ShellStream = {
    stream,
    resize: () => Promise.resolve(),
    kill: () => {
      exit(null);
      return Promise.resolve();
    },
    exited: new Promise((resolve) => (exit = resolve)),
  };
  return { shell, stream, written: () => written };
}

function peer(id: string, backlog: () => number = () => 0) {
  const events: [string, ...unknown[]][] = [];
  const p: TerminalPeer = {
    id,
    emit: (event, ...args) => events.push([event, ...args]),
    backlog,
  };
  return { peer: p, events };
}

const session = (shell: ShellStream) =>
  new TerminalSession({
    terminalId: 't1',
    exerciseId: 'x',
    teamId: 'team-1',
    host: 'console',
    openedBy: 'p',
    ownerKey: 'k',
    sessionId: 's',
    shell,
    cols: 80,
    rows: 24,
    recordsInput: false,
    graceMs: 60_000,
  });

const attach = (t: TerminalSession, p: TerminalPeer) =>
  new Promise<void>((resolve) => t.attachOwner(p, { cols: 80, rows: 24 }, () => resolve()));

describe('TerminalSession limits', () => {
  it('queues at most maxQueuedInputBytes for a shell that does not read, and says so once', async () => {
    const { shell } = stuckShell();
    const t = session(shell);
    const owner = peer('owner');
    await attach(t, owner.peer);
    t.start();
    const paste = 'x'.repeat(TERMINAL_LIMITS.maxInputBytes);
    const answers = Array.from({ length: 20 }, () => t.input('owner', paste));
    expect(answers.filter((a) => a === undefined)).to.have.length(
      TERMINAL_LIMITS.maxQueuedInputBytes / TERMINAL_LIMITS.maxInputBytes,
    );
    expect(answers.filter((a) => a === 'INPUT_BACKLOG')).to.have.length(1);
    expect(answers.filter((a) => a === 'INPUT_DROPPED')).to.have.length(20 - 4 - 1);
    expect(t.queuedInput).to.be.at.most(TERMINAL_LIMITS.maxQueuedInputBytes);
    await t.kill('closed');
  });

  it("pauses the engine stream while the owner's transport holds more than transportHigh, acks or not", async () => {
    const { shell, stream } = stuckShell();
    const t = session(shell);
    let backlog = 0;
    const owner = peer('owner', () => backlog);
    await attach(t, owner.peer);
    t.start();
    expect(stream.isPaused()).to.equal(false);
    backlog = 2 * 1024 * 1024; // the client stopped reading
    stream.push(Buffer.from('y\n'));
    await new Promise((r) => setImmediate(r));
    t.ack('owner', 1024 * 1024); // a lie: it changes nothing
    expect(stream.isPaused()).to.equal(true);
    backlog = 0; // it drained: the session notices without being told
    await new Promise((r) => setTimeout(r, 250));
    expect(stream.isPaused()).to.equal(false);
    await t.kill('closed');
  });
});

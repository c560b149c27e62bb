/**
 * The raw reference for memory per idle terminal: a bare Node process that holds N dockerode exec
 * shells (Tty, hijacked socket, output read and dropped) and nothing else, run by the terminal
 * benchmark as `node --expose-gc --import tsx raw-child.ts`. IPC: `{ id, cmd: 'open', containers, count }`
 * opens `count` more shells spread over the containers; `memory` (GC twice, `process.memoryUsage()`);
 * `close` ends every shell and disconnects. Answers `{ id, result }`; `{ ready: {} }` first.
 */
import Docker from 'dockerode';
import { openRawTerminal, type BenchTerminal } from './bench-terminals.ts';

if (!process.send) throw new Error('run with an IPC channel');
const send = process.send.bind(process);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const docker = new Docker();
const shells: BenchTerminal[] = [];

process.on('message', (message: { id: number; cmd: string; containers?: string[]; count?: number }) => {
  const answer = (result: unknown) => send({ id: message.id, result });
  const fail = (error: unknown) => {
    answer({ error: error instanceof Error ? error.message : String(error) });
  };
  switch (message.cmd) {
    case 'open': {
      const containers = message.containers ?? [];
      const count = message.count ?? 0;
      const start = shells.length;
      void (async () => {
        for (let i = 0; i < count; i += 10) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(10, count - i) }, (_, k) =>
              openRawTerminal(docker, containers[(start + i + k) % containers.length]!),
            ),
          );
          shells.push(...batch);
        }
      })().then(() => {
        answer({ open: shells.length });
      }, fail);
      break;
    }
    case 'memory':
      gc();
      gc();
      answer(process.memoryUsage());
      break;
    case 'close':
      void Promise.all(shells.map((s) => s.close())).then(() => {
        answer({});
        process.disconnect();
      }, fail);
      break;
  }
});
send({ ready: {} });

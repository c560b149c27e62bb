/**
 * The platform server under test, run by the terminal benchmark as a child process
 * (`node --expose-gc --import tsx platform-child.ts <dir> <subnet-pool>`), so that it has its own event
 * loop and V8 heap as in a deployment and its memory can be read after a full GC. `<dir>` holds
 * `catalogue/` (the bench scenario) and `data/`. Talks to the parent over the IPC channel:
 * first `{ ready: { url, operatorPassword } }`, then one `{ id, result }` answer per `{ id, cmd }`:
 * `memory` (GC twice, then `process.memoryUsage()`), `cpu` (`process.cpuUsage()`), `eld-reset` and
 * `eld` (event-loop delay percentiles in ms since the last reset), `close`.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { AccountService } from '../../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../../orchestrator/src/config/load-config.ts';
import { startPlatform } from '../../../orchestrator/src/main.ts';
import { openDatabase } from '../../../orchestrator/src/store/database.ts';

type ChildCommand = 'memory' | 'cpu' | 'eld-reset' | 'eld' | 'close';

const [dir, subnetPool] = process.argv.slice(2);
if (!dir || !subnetPool || !process.send)
  throw new Error('usage: platform-child.ts <dir> <subnet-pool> (IPC)');
const send = process.send.bind(process);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const database = await openDatabase(path.join(dir, 'data'));
const operatorPassword = (await new AccountService({ db: database.db }).ensureFirstOperator())?.password;
await database.close();
const config = loadConfig(
  { CYROP_SUBNET_POOL: subnetPool },
  { port: 0, host: '127.0.0.1', dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
);
const platform = await startPlatform(config, pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' }));
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

process.on('message', (message: { id: number; cmd: ChildCommand }) => {
  const answer = (result: unknown) => send({ id: message.id, result });
  switch (message.cmd) {
    case 'memory':
      gc();
      gc();
      answer(process.memoryUsage());
      break;
    case 'cpu':
      answer(process.cpuUsage());
      break;
    case 'eld-reset':
      eld.reset();
      answer({});
      break;
    case 'eld':
      answer({ p50Ms: ms(eld.percentile(50)), p99Ms: ms(eld.percentile(99)), maxMs: ms(eld.max) });
      break;
    case 'close':
      eld.disable();
      void platform.close().then(
        () => {
          answer({});
          process.disconnect();
        },
        (error: unknown) => {
          answer({ error: String(error) });
          process.disconnect();
        },
      );
      break;
  }
});
send({ ready: { url: platform.url, operatorPassword } });

/**
 * The platform server under attack, run as a child process by the abuse benchmark and the abuse
 * engine test (`node --expose-gc --import tsx platform-child.ts <dir> <subnet-pool>`), so that its RSS
 * is its own (the attacking clients live in the parent). `<dir>` holds `catalogue/` and `data/`.
 * The terminal keys (`CYROP_TERMINALS_*`, `CYROP_TERMINAL_*`, `CYROP_EXERCISE_TERMINAL_*`) are passed through from the
 * environment. IPC: first `{ ready: { url, operatorPassword } }`, then `{ id, result }` per
 * `{ id, cmd }`: `gc` (a full GC, twice), `close`.
 */
import path from 'node:path';
import { pino } from 'pino';
import { AccountService } from '../../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../../orchestrator/src/config/load-config.ts';
import { startPlatform } from '../../../orchestrator/src/main.ts';
import { openDatabase } from '../../../orchestrator/src/store/database.ts';

const [dir, subnetPool] = process.argv.slice(2);
if (!dir || !subnetPool || !process.send)
  throw new Error('usage: platform-child.ts <dir> <subnet-pool> (IPC)');
const send = process.send.bind(process);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const database = await openDatabase(path.join(dir, 'data'));
const operatorPassword = (await new AccountService({ db: database.db }).ensureFirstOperator())?.password;
await database.close();
const passed: Record<string, string> = { CYROP_SUBNET_POOL: subnetPool };
for (const [key, value] of Object.entries(process.env)) {
  if (/^CYROP_(EXERCISE_)?TERMINALS?_/.test(key) && value !== undefined) passed[key] = value;
}
const config = loadConfig(passed, {
  port: 0,
  host: '127.0.0.1',
  dataDir: path.join(dir, 'data'),
  scenariosDir: path.join(dir, 'catalogue'),
});
const platform = await startPlatform(config, pino({ level: process.env.ABUSE_LOG_LEVEL ?? 'silent' }));

process.on('message', (message: { id: number; cmd: 'gc' | 'close' }) => {
  const answer = (result: unknown) => send({ id: message.id, result });
  if (message.cmd === 'gc') {
    gc();
    gc();
    answer({});
  } else
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
});
send({ ready: { url: platform.url, operatorPassword } });

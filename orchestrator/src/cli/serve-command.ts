import { loadConfig } from '../config/load-config.ts';
import { startPlatform } from '../main.ts';
import type { Io } from './main.ts';

export async function serveCommand(opts: { port?: number; host?: string }, io: Io): Promise<void> {
  const config = loadConfig(process.env, {
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host ? { host: opts.host } : {}),
  });
  const platform = await startPlatform(config);
  io.out(`CYROP is ready: open ${platform.url}\n`);
  const stop = (): void => {
    void platform.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await new Promise<void>((resolve) => platform.server.once('close', resolve));
}

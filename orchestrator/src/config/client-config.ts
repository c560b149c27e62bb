import os from 'node:os';
import path from 'node:path';
import { CyropError } from '../errors.ts';

/** What the `cyrop` command needs to act as a client of a running server (not the server's own config). */
export interface ClientConfig {
  /** The server the administration commands talk to (`CYROP_SERVER`), when no `--server` is given. */
  server: string | undefined;
  /** Where the CLI keeps its sign-in sessions: `$XDG_CONFIG_HOME/cyrop`, else `~/.config/cyrop`. */
  configDir: string;
  /** A password for `cyrop login` (`CYROP_PASSWORD`), for scripts that cannot pipe one in. */
  password: string | undefined;
}

/** The client side of the environment; like `loadConfig`, the only reader of these variables. */
export function loadClientConfig(env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const xdg = env.XDG_CONFIG_HOME?.trim();
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), '.config');
  const server = env.CYROP_SERVER?.trim();
  return {
    server: server ? serverOrigin(server, 'CYROP_SERVER') : undefined,
    configDir: path.join(base, 'cyrop'),
    password: env.CYROP_PASSWORD !== undefined && env.CYROP_PASSWORD !== '' ? env.CYROP_PASSWORD : undefined,
  };
}

/**
 * The origin of a server URL (`http://host:port`): requests go to its `/api/…`, sessions are kept
 * per origin, and the Origin header the server checks is this. Only http and https.
 */
export function serverOrigin(text: string, where = '--server'): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new CyropError('BAD_REQUEST', `${where}: '${text}' is not a URL such as http://127.0.0.1:8420`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CyropError('BAD_REQUEST', `${where}: '${text}' must start with http:// or https://`);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password)
    throw new CyropError(
      'BAD_REQUEST',
      `${where}: '${text}' must be the server's address alone (scheme, host, port), such as ${url.origin}`,
    );
  return url.origin;
}

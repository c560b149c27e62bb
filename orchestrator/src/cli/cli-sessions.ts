import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CyropError } from '../errors.ts';

/** A sign-in the CLI keeps for one server. */
export interface StoredSession {
  /** `cyrop_session=…`, sent back as the Cookie header. */
  cookie: string;
  email: string;
  /** Epoch ms after which the server no longer knows it. */
  expiresAt: number | null;
}

/**
 * `sessions.json` in the CLI's config folder: the session cookie of each server, keyed by the server's
 * origin. The file is the user's alone (mode 0600, folder 0700): a session cookie signs in as them.
 */
export class SessionFile {
  readonly file: string;

  constructor(configDir: string) {
    this.file = path.join(configDir, 'sessions.json');
  }

  get(origin: string): StoredSession | undefined {
    return this.read()[origin];
  }

  set(origin: string, session: StoredSession): void {
    this.write({ ...this.read(), [origin]: session });
  }

  /** Whether there was one to delete. */
  delete(origin: string): boolean {
    const all = this.read();
    if (!(origin in all)) return false;
    this.write(Object.fromEntries(Object.entries(all).filter(([key]) => key !== origin)));
    return true;
  }

  private read(): Record<string, StoredSession> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new CyropError('IO_ERROR', `${this.file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, StoredSession>;
    } catch {
      // reported below
    }
    throw new CyropError('IO_ERROR', `${this.file} is not a JSON object: delete it and sign in again`);
  }

  private write(all: Record<string, StoredSession>): void {
    const dir = path.dirname(this.file);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      // Written whole under another name, then renamed: a crash never leaves half a file.
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
      chmodSync(temp, 0o600); // the umask may not narrow it, but an existing file's mode is not reset
      renameSync(temp, this.file);
    } catch (error) {
      throw new CyropError('IO_ERROR', `${this.file}: ${(error as Error).message}`, { cause: error });
    }
  }
}

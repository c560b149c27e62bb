import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO, '..', 'shared');

/** Run the real `cyrop` command (a new node process) and capture what it prints. */
export function cyrop(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(REPO, 'orchestrator/bin/cyrop.js'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, CYROP_LOG_LEVEL: 'silent', ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

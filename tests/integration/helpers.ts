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

/** A one-host, one-question scenario with the given id, for the CLI tests' uploads. */
export const tinyScenario = (id: string): string => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: ${id}, version: 1.0.0, title: Tiny, category: other, difficulty: beginner }
hosts:
  - name: box
    image: cyrop/attacker:1
    networks: [lan]
    console: true
networks: [{ name: lan }]
objectives:
  - { id: one, kind: question, title: One, points: 10, question: { answers: ["42"] } }
`;

import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

/**
 * What the live-class journeys share (live-exercise, live-polish, classroom): a platform on a fresh
 * data folder whose catalogue is the test's own scenario, a training company, and its instructor
 * signed in through the API.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClassPlatform {
  /** A temporary folder holding the scenario and the platform's data (remove it after). */
  dir: string;
  platform: RunningPlatform;
  /** The platform's origin without a trailing slash. */
  origin: string;
  /** The instructor's API client, signed in. */
  staffApi: ReturnType<typeof apiClient>;
}

export async function startClassPlatform(options: {
  /** The scenario's id (its folder) and its YAML. */
  scenario: { id: string; yaml: string };
  /** Settings beyond the data and scenario folders, e.g. `CYROP_SUBNET_POOL` (each suite its own). */
  env: Record<string, string>;
  organisation: string;
  instructor: { email: string; password: string; name: string };
}): Promise<ClassPlatform> {
  if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
    throw new Error('the web console is not built: run `npm run build:web` first');
  const dir = mkdtempSync(path.join(os.tmpdir(), `cyrop-${options.scenario.id}-e2e-`));
  const scenarios = path.join(dir, 'scenarios');
  mkdirSync(path.join(scenarios, options.scenario.id), { recursive: true });
  writeFileSync(path.join(scenarios, options.scenario.id, 'scenario.yaml'), options.scenario.yaml);
  const dataDir = path.join(dir, 'data');
  const database = await openDatabase(dataDir);
  const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!.password;
  await database.close();
  const platform = await startPlatform(
    loadConfig(options.env, { port: 0, dataDir, scenariosDir: scenarios }),
    pino({ level: 'silent' }),
  );
  try {
    const operator = apiClient(platform.url);
    const login = await operator('POST', '/api/auth/login', { email: 'admin@localhost', password: first });
    expect(login.status, login.text).to.equal(200);
    const changed = await operator('POST', '/api/auth/password', {
      currentPassword: first,
      newPassword: `${options.scenario.id} e2e operator secret 1`,
    });
    expect(changed.status, changed.text).to.equal(200);
    const org = await operator('POST', '/api/organisations', {
      name: options.organisation,
      kind: 'training-company',
    });
    expect(org.status, org.text).to.equal(201);
    const { email, password, name } = options.instructor;
    const made = await operator('POST', `/api/organisations/${org.body.id as string}/users`, {
      email,
      name,
      role: 'instructor',
      password,
    });
    expect(made.status, made.text).to.equal(201);
    const staffApi = apiClient(platform.url);
    const signedIn = await staffApi('POST', '/api/auth/login', { email, password });
    expect(signedIn.status, signedIn.text).to.equal(200);
    return { dir, platform, origin: platform.url.replace(/\/$/, ''), staffApi };
  } catch (error) {
    await platform.close();
    throw error;
  }
}

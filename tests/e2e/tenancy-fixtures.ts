import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { strToU8, zipSync } from 'fflate';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

/**
 * What the tenancy journeys share, in Chromium (tenancy.test.ts) and in Firefox
 * (firefox-tenancy.test.ts): the organisation's own scenario, the Japanese CSV roster, what the
 * people panel must list, the audit actions the journey leaves, and a fresh platform.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A small scenario of the organisation's own: one host, one question whose answer is 42. */
export const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata:
  id: acme-quiz
  version: 1.0.0
  title: { en: The Acme quiz, ja: Acme クイズ }
  summary: { en: One question for the roster test., ja: 名簿テストのための一問。 }
  category: other
  difficulty: beginner
networks:
  - name: lab
hosts:
  - name: desk
    image: cyrop/forensics-workstation:1
    networks: [lab]
    console: { user: trainee, shell: /bin/bash, workdir: /home/trainee }
    resources: { cpu: 0.5, memory: 128Mi, pids: 64, disk: 256Mi }
    command: [sleep, infinity]
objectives:
  - id: answer
    kind: question
    title: { en: What is six times seven?, ja: 6 かける 7 は？ }
    points: 10
    question: { answers: ["42"] }
`;

/** The scenario at another version, zipped as a colleague would send its folder. */
export function scenarioZip(version: string): Uint8Array {
  return zipSync({
    'acme-quiz/scenario.yaml': strToU8(SCENARIO.replace('version: 1.0.0', `version: ${version}`)),
  });
}

/** A CSV roster as Excel saves it in Japan: UTF-8 with a BOM, Japanese headers, two teams. */
export const ROSTER =
  '\uFEFFチーム,表示名,メールアドレス\n赤チーム,山田 太郎,yamada@example.com\n赤チーム,佐藤 花子,\nBlue,Bob,\n';

/** The people panel's rows for ROSTER ("team|name"), in order. */
export const ROSTER_MEMBERS = ['赤チーム|山田 太郎', '赤チーム|佐藤 花子', 'Blue|Bob'];

/** The audit actions the journey must leave. */
export const TENANCY_AUDIT_ACTIONS = [
  'invitation.created',
  'invitation.accepted',
  'scenario.upload',
  'exercise.create',
  'roster.imported',
  'join-sheet.printed',
  'exercise.entered',
];

export const OPERATOR_PASSWORD = 'operator secret 123';

export interface FreshPlatform {
  /** A temporary folder holding the platform's data (remove it after). */
  dir: string;
  platform: RunningPlatform;
  /** The platform's origin without a trailing slash. */
  origin: string;
  /** The operator's API client, signed in with OPERATOR_PASSWORD already chosen. */
  operatorApi: ReturnType<typeof apiClient>;
}

/**
 * A platform on a fresh data folder with no shipped catalogue (only what organisations upload),
 * its first operator signed in and their one-time password replaced by OPERATOR_PASSWORD.
 */
export async function startFreshPlatform(prefix: string, subnetPool: string): Promise<FreshPlatform> {
  if (!existsSync(path.join(REPO, 'web-console', 'dist', 'index.html')))
    throw new Error('the web console is not built: run `npm run build:web` first');
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(dir, 'data');
  mkdirSync(path.join(dir, 'none'));
  const database = await openDatabase(dataDir);
  const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!.password;
  await database.close();
  const platform = await startPlatform(
    loadConfig({ CYROP_SUBNET_POOL: subnetPool }, { port: 0, dataDir, scenariosDir: path.join(dir, 'none') }),
    pino({ level: 'silent' }),
  );
  const operatorApi = apiClient(platform.url);
  expect(
    (await operatorApi('POST', '/api/auth/login', { email: 'admin@localhost', password: first })).status,
  ).to.equal(200);
  const changed = await operatorApi('POST', '/api/auth/password', {
    currentPassword: first,
    newPassword: OPERATOR_PASSWORD,
  });
  expect(changed.status, changed.text).to.equal(200);
  return { dir, platform, origin: platform.url.replace(/\/$/, ''), operatorApi };
}

import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { pino } from 'pino';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { contractScenario } from '../contract/runtime-driver-contract.ts';
import { ensureTestImage } from '../contract/test-images.ts';
import { apiClient } from '../api-client.ts';

/**
 * The composed platform on the real engine: an operator signs in, makes an instructor; the instructor
 * launches a catalogue scenario for two teams; a trainee joins team 1 by code and submits the flag;
 * the instructor's board shows the points.
 */
describe('platform end to end (Docker engine)', function () {
  this.timeout(180_000);
  let dir: string;
  let platform: RunningPlatform;
  let operatorPassword: string;

  const client = () => apiClient(platform.url);

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-platform-'));
    const image = await ensureTestImage(new Docker(), 'box');
    mkdirSync(path.join(dir, 'catalogue', 'contract'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'contract', 'scenario.yaml'), contractScenario(image));
    const database = await openDatabase(path.join(dir, 'data'));
    operatorPassword = (await new AccountService({ db: database.db }).ensureFirstOperator())!.password;
    await database.close();
    const config = loadConfig(
      { CYROP_SUBNET_POOL: '10.241.0.0/16' },
      { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
    );
    platform = await startPlatform(config, pino({ level: 'silent' }));
  });
  after(async () => {
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an exercise from sign-in to a scored flag', async () => {
    const operator = client();
    expect(
      (await operator('POST', '/api/auth/login', { email: 'admin@localhost', password: operatorPassword }))
        .status,
    ).to.equal(200);
    expect(
      (
        await operator('POST', '/api/auth/password', {
          currentPassword: operatorPassword,
          newPassword: 'a much longer secret 1',
        })
      ).status,
    ).to.equal(200);
    const org = await operator('POST', '/api/organisations', {
      name: 'Training Co',
      kind: 'training-company',
    });
    expect(org.status).to.equal(201);
    const orgId = org.body.id as string;
    const made = await operator('POST', `/api/organisations/${orgId}/users`, {
      email: 'teacher@example.com',
      name: 'Teacher',
      role: 'instructor',
      password: 'teacher secret 123',
    });
    expect(made.status, JSON.stringify(made.body)).to.equal(201);

    const instructor = client();
    expect(
      (
        await instructor('POST', '/api/auth/login', {
          email: 'teacher@example.com',
          password: 'teacher secret 123',
        })
      ).status,
    ).to.equal(200);
    const created = await instructor('POST', '/api/exercises', {
      scenario: 'contract',
      teams: 2,
      id: `e2e-${process.pid}`,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(202);
    const id = created.body.id as string;
    try {
      let status: { state: string; teams: { state: string }[] } = { state: '', teams: [] };
      for (
        let i = 0;
        i < 120 && !(status.state === 'running' && status.teams.every((t) => t.state === 'ready'));
        i++
      ) {
        await new Promise((r) => setTimeout(r, 500));
        status = (await instructor('GET', `/api/exercises/${id}`)).body as typeof status;
      }
      expect(status.teams.map((t) => t.state)).to.deep.equal(['ready', 'ready']);
      expect(
        (await instructor('POST', `/api/exercises/${id}/scoring/status`, { action: 'start' })).status,
      ).to.be.within(200, 204);

      const code = (await instructor('POST', `/api/exercises/${id}/teams/team-1/join-codes`, {})).body
        .code as string;
      const trainee = client();
      expect((await trainee('POST', '/api/join', { code, displayName: 'Alice' })).status).to.equal(200);
      expect((await trainee('GET', `/api/exercises/${id}`)).status).to.equal(403); // a participant is not staff

      const objectives = (await trainee('GET', '/api/play/objectives')).body as {
        objectives: { id: string }[];
      };
      expect(objectives.objectives.map((o) => o.id)).to.deep.equal(['flag']);
      const wrong = await trainee('POST', '/api/play/submissions', {
        objective: 'flag',
        answer: 'CYROP{nope}',
      });
      expect(wrong.body.outcome).to.equal('wrong');
      // the trainee reads the flag inside the team's own environment, as they would in a terminal
      const plan = await new Promise<string>((resolve, reject) => {
        new Docker()
          .getContainer(`cyrop-${id}-team-1-server`)
          .exec({ Cmd: ['cat', '/srv/flag.txt'], AttachStdout: true, AttachStderr: true, User: 'trainee' })
          .then((exec) => exec.start({ hijack: true, stdin: false }))
          .then((stream) => {
            let out = '';
            stream.on('data', (c: Buffer) => (out += c.toString('latin1')));
            stream.on('end', () => resolve(/CYROP\{[0-9a-f]+\}/.exec(out)?.[0] ?? ''));
          })
          .catch(reject);
      });
      const right = await trainee('POST', '/api/play/submissions', { objective: 'flag', answer: plan });
      expect(right.body.outcome).to.equal('correct');
      const board = (await instructor('GET', `/api/exercises/${id}/scoreboard`)).body as {
        board: { teamId: string; points: number }[];
      };
      expect(board.board.find((r) => r.teamId === 'team-1')?.points).to.equal(10);
      expect(board.board.find((r) => r.teamId === 'team-2')?.points ?? 0).to.equal(0);
    } finally {
      expect((await instructor('DELETE', `/api/exercises/${id}`)).status).to.equal(200);
    }
  });
});

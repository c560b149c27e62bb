import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { io as connect, type Socket } from 'socket.io-client';
import { AccountService } from '../../orchestrator/src/accounts/account-service.ts';
import { loadConfig } from '../../orchestrator/src/config/load-config.ts';
import { startPlatform, type RunningPlatform } from '../../orchestrator/src/main.ts';
import { FakeRuntimeDriver } from '../../orchestrator/src/runtime/fake/fake-runtime-driver.ts';
import type {
  ExerciseStateMessage,
  ExerciseTeamMessage,
  ScoringClientToServer,
  ScoringServerToClient,
} from '../../contract/scoring-events.ts';
import { openDatabase } from '../../orchestrator/src/store/database.ts';
import { apiClient } from '../api-client.ts';

const SCENARIO = `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: plain, version: 1.0.0, title: Plain, category: other, difficulty: beginner }
networks: [{ name: lan }]
hosts:
  - { name: box, image: cyrop/attacker:1, networks: [lan], console: true }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

/** The in-memory engine, holding every provisioning until `open()` (a launch seen from its start). */
class GatedDriver extends FakeRuntimeDriver {
  private release: () => void = () => undefined;
  private gate: Promise<void> = Promise.resolve();
  shut(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  open(): void {
    this.release();
  }
  override async provision(...args: Parameters<FakeRuntimeDriver['provision']>) {
    await this.gate;
    return super.provision(...args);
  }
}

/**
 * Through the real server on the in-memory engine: `startScoring` at creation opens scoring before
 * any team is ready (and is documented in the OpenAPI document); without it scoring waits for the
 * instructor. A trainee's `/scoring` socket is pushed `exercise:state` for the launch, an extension
 * and the teardown, without asking; an instructor's is also pushed `exercise:team` (state and ready
 * hosts of each team), which never reaches a trainee.
 */
describe('live exercise state over /scoring, and scoring at launch (real server, in-memory engine)', function () {
  this.timeout(60_000);
  let dir: string;
  let platform: RunningPlatform;
  let staff: ReturnType<typeof apiClient>;
  const sockets: Socket[] = [];
  const driver = new GatedDriver();

  const ok = async (method: string, url: string, body?: unknown) => {
    const res = await staff(method, url, body);
    expect(res.status, `${method} ${url}: ${res.text}`).to.be.below(300);
    return res.body;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-live-push-'));
    mkdirSync(path.join(dir, 'catalogue', 'plain'), { recursive: true });
    writeFileSync(path.join(dir, 'catalogue', 'plain', 'scenario.yaml'), SCENARIO);
    const database = await openDatabase(path.join(dir, 'data'));
    const first = (await new AccountService({ db: database.db }).ensureFirstOperator())!;
    await database.close();
    platform = await startPlatform(
      loadConfig(
        { CYROP_ENGINE: 'none' },
        { port: 0, dataDir: path.join(dir, 'data'), scenariosDir: path.join(dir, 'catalogue') },
      ),
      pino({ level: 'silent' }),
      { driver },
    );
    staff = apiClient(platform.url, { checkResponses: true });
    await ok('POST', '/api/auth/login', { email: first.email, password: first.password });
    await ok('POST', '/api/auth/password', {
      currentPassword: first.password,
      newPassword: 'operator secret password 1',
    });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await platform.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitReady = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const e = (await ok('GET', `/api/exercises/${id}`)) as { state: string };
      if (e.state === 'running') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`exercise ${id} never ran`);
  };

  it('documents startScoring on POST /api/exercises', async () => {
    const doc = (await ok('GET', '/api/openapi.json')) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: unknown }> } } }>;
    };
    const schema = doc.paths['/api/exercises']?.post?.requestBody?.content['application/json']?.schema as {
      properties: Record<string, { type: string }>;
    };
    expect(schema.properties['startScoring']?.type).to.equal('boolean');
  });

  it('opens scoring with the launch when asked, and only then', async () => {
    const at = (await ok('POST', '/api/exercises', { scenario: 'plain', teams: 1, startScoring: true })) as {
      id: string;
    };
    // straight after the 202, before any team is ready
    expect(((await ok('GET', `/api/exercises/${at.id}/scoreboard`)) as { status: string }).status).to.equal(
      'running',
    );
    const later = (await ok('POST', '/api/exercises', { scenario: 'plain', teams: 1 })) as { id: string };
    expect(
      ((await ok('GET', `/api/exercises/${later.id}/scoreboard`)) as { status: string }).status,
    ).to.equal('pending');
    const refused = await staff('POST', '/api/exercises', {
      scenario: 'plain',
      teams: 1,
      startScoring: 'yes',
    });
    expect(refused.status, refused.text).to.equal(400);
    await waitReady(at.id);
    await waitReady(later.id);
  });

  it("pushes the exercise's state and end time to a trainee's socket (launch, extension, teardown), and each team's provisioning to the instructor only", async () => {
    driver.shut(); // the launch waits until the trainee's socket is there
    const created = (await ok('POST', '/api/exercises', { scenario: 'plain', teams: 1, ttl: '1h' })) as {
      id: string;
    };
    const id = created.id;
    const { code } = (await ok('POST', `/api/exercises/${id}/teams/team-1/join-codes`, {})) as {
      code: string;
    };
    const trainee = apiClient(platform.url, { checkResponses: true });
    const joined = await trainee('POST', '/api/join', { code, displayName: 'Tess' });
    expect(joined.status, joined.text).to.be.below(300);
    const origin = platform.url.replace(/\/$/, '');
    const socket: Socket<ScoringServerToClient, ScoringClientToServer> = connect(`${origin}/scoring`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, cookie: trainee.cookie() },
    });
    sockets.push(socket);
    const pushed: ExerciseStateMessage[] = [];
    socket.on('exercise:state', (m) => pushed.push(m));
    await new Promise<void>((resolve, reject) => {
      socket.once('board:snapshot', () => resolve());
      socket.once('connect_error', reject);
    });
    const until = async (what: string, test: () => boolean) => {
      for (let i = 0; i < 400 && !test(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(test(), `${what}: ${JSON.stringify(pushed)}`).to.equal(true);
    };

    // the instructor's page subscribes to the exercise: it alone is pushed each team's provisioning
    const instructor: Socket<ScoringServerToClient, ScoringClientToServer> = connect(`${origin}/scoring`, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, cookie: staff.cookie() },
    });
    sockets.push(instructor);
    const teamPushes: ExerciseTeamMessage[] = [];
    const leaked: ExerciseTeamMessage[] = [];
    instructor.on('exercise:team', (m) => teamPushes.push(m));
    socket.on('exercise:team', (m) => leaked.push(m));
    await new Promise<void>((resolve, reject) => {
      instructor.once('connect', () => {
        instructor.emit('subscribe', { exerciseId: id }, (reply) => {
          if (reply.ok) resolve();
          else reject(new Error(reply.error.message));
        });
      });
      instructor.once('connect_error', reject);
    });

    driver.open();
    await waitReady(id);
    await until('running pushed', () => pushed.some((m) => m.state === 'running'));
    await until('ready pushed to the instructor', () => teamPushes.some((m) => m.state === 'ready'));
    // (its 'provisioning' began with the launch, before this subscription) the engine reported the
    // host ready before the team was: 1 of 1 while provisioning, then ready
    expect(teamPushes.map((m) => `${m.teamId} ${m.state} ${m.readyHosts}`)).to.deep.equal([
      'team-1 provisioning 1',
      'team-1 ready 1',
    ]);
    const before = pushed.at(-1)!.endsAt!;

    const extended = (await ok('POST', `/api/exercises/${id}/extend`, { by: '30m' })) as {
      expiresAt: number;
    };
    const endsAt = new Date(extended.expiresAt).toISOString();
    expect(Date.parse(endsAt) - Date.parse(before)).to.equal(30 * 60_000);
    await until('the extension pushed', () => pushed.at(-1)?.endsAt === endsAt);

    await ok('DELETE', `/api/exercises/${id}`);
    await until('the end pushed', () => pushed.at(-1)?.state === 'ended');
    expect(teamPushes.at(-1)).to.deep.include({ teamId: 'team-1', state: 'destroyed', readyHosts: 0 });
    expect(leaked, 'a trainee is never pushed provisioning').to.deep.equal([]);
    expect(pushed.map((m) => m.state)).to.include('tearing-down');
    expect(pushed.every((m) => m.exerciseId === id)).to.equal(true);
  });
});

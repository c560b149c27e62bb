import { expect } from 'chai';
import SQLite from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Principal } from '../../orchestrator/src/api/api-registry.ts';
import { SeededRandom } from '../../orchestrator/src/scoring/scoring-test-data.ts';
import { REPO } from './helpers.ts';
import { answerOf, scoringTestPlans } from './fixtures/scoring-scenario.ts';
import { checkedFetch } from '../response-check.ts';

const EX = 'ex-durable';
const TEAMS = 100;
const FLAGS = 10;
const REQUESTS = 2000;
const IN_FLIGHT = 50;
const KILL_AFTER = 700;

function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(REPO, 'tests/integration/fixtures/scoring-server.ts'),
      dataDir,
      String(TEAMS),
      String(FLAGS),
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
  });
}

describe('scoring durability: kill -9 during a storm of submissions', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-scoring-durable-'));
  });
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged solve, once, and rebuilds the board they make', async () => {
    const plans = scoringTestPlans({ exerciseId: EX, teams: TEAMS, extraFlags: FLAGS });
    const first = await startServer(dir);
    child = first.child;
    // every (team, flag) twice, shuffled: the second one must be already-solved
    const random = new SeededRandom(7);
    const work: { teamId: string; objective: string }[] = [];
    for (let t = 1; t <= TEAMS; t++)
      for (let f = 1; f <= FLAGS; f++)
        for (let k = 0; k < REQUESTS / (TEAMS * FLAGS); k++)
          work.push({ teamId: `team-${t}`, objective: `flag${f}` });
    for (let i = work.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [work[i], work[j]] = [work[j]!, work[i]!];
    }
    const acked = new Map<string, number>(); // "team/objective" → count of acknowledged `correct`
    const inFlight = new Set<string>();
    const sentUnanswered = new Set<string>();
    let answered = 0;
    let killed = false;
    let next = 0;
    const worker = async () => {
      while (next < work.length && !killed) {
        const item = work[next++]!;
        const key = `${item.teamId}/${item.objective}`;
        const principal: Principal = {
          kind: 'participant',
          exerciseId: EX,
          teamId: item.teamId,
          name: item.teamId,
        };
        inFlight.add(key);
        try {
          const res = await checkedFetch(`${first.url}/api/play/submissions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-test-principal': JSON.stringify(principal) },
            body: JSON.stringify({
              objective: item.objective,
              answer: answerOf(plans, item.teamId, item.objective),
            }),
          });
          const body = (await res.json()) as { outcome?: string };
          if (res.status === 200 && body.outcome === 'correct') acked.set(key, (acked.get(key) ?? 0) + 1);
          answered++;
          if (answered === KILL_AFTER) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        } catch {
          sentUnanswered.add(key); // the reply was lost: it may or may not have been committed
        } finally {
          inFlight.delete(key);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(killed).to.equal(true);
    await new Promise((r) =>
      first.child.exitCode !== null || first.child.signalCode !== null
        ? r(undefined)
        : first.child.once('exit', r),
    );
    expect(
      [...acked.values()].every((n) => n === 1),
      'a solve acknowledged twice',
    ).to.equal(true);
    expect(acked.size).to.be.greaterThan(100);

    const second = await startServer(dir);
    child = second.child;
    const instructor: Principal = {
      kind: 'user',
      userId: 'u',
      orgId: 'org-1',
      role: 'instructor',
      name: 'I',
    };
    const get = async (url: string) =>
      (await (
        await checkedFetch(second.url + url, { headers: { 'x-test-principal': JSON.stringify(instructor) } })
      ).json()) as Record<string, unknown>;

    const db = new SQLite(path.join(dir, 'cyrop.db'), { readonly: true });
    const solves = db
      .prepare(
        'select team_id as teamId, objective_id as objectiveId, seq from solves where exercise_id = ? order by seq',
      )
      .all(EX) as { teamId: string; objectiveId: string; seq: number }[];
    db.close();
    const stored = new Set(solves.map((s) => `${s.teamId}/${s.objectiveId}`));
    expect(stored.size, 'a solve stored twice').to.equal(solves.length);
    for (const key of acked.keys()) expect(stored.has(key), `acknowledged ${key} lost`).to.equal(true);
    for (const key of stored)
      expect(acked.has(key) || sentUnanswered.has(key), `${key} stored but never sent`).to.equal(true);

    // the rebuilt board is exactly the points those solves make (static values, 10 % first blood)
    const firstBlood = new Map<string, string>();
    for (const s of solves) if (!firstBlood.has(s.objectiveId)) firstBlood.set(s.objectiveId, s.teamId);
    const expected = new Map<string, number>();
    for (const s of solves) {
      const value = 10 * Number(s.objectiveId.slice(4));
      const bonus = firstBlood.get(s.objectiveId) === s.teamId ? Math.floor(value / 10) : 0;
      expected.set(s.teamId, (expected.get(s.teamId) ?? 0) + value + bonus);
    }
    const board = (await get(`/api/exercises/${EX}/scoreboard`))['board'] as {
      teamId: string;
      points: number;
      solves: number;
    }[];
    expect(board).to.have.length(TEAMS);
    for (const row of board) expect(row.points, row.teamId).to.equal(expected.get(row.teamId) ?? 0);
    const unacked = [...stored].filter((k) => !acked.has(k)).length;
    console.log(
      `      acknowledged ${acked.size} solves of ${answered} answers; ${sentUnanswered.size} replies lost, ${unacked} of them committed`,
    );
  });
});

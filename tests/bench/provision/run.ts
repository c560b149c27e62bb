/**
 * Provisioning benchmark: 20 teams × 3 hosts on the local Docker engine, three ways in the same run:
 *   (a) ours: ExerciseService.launch (the DockerRuntimeDriver over the Engine API);
 *   (b) sequential `docker` CLI, one team after another (how per-user instance plugins of CTF platforms do it);
 *   (c) a parallel `docker` CLI script creating the same objects (the engine's floor for this workload).
 * Also: time to first usable terminal for one team (launch → shell prompt answers), p50 over 10 launches.
 * Prints JSON with ratios; asserts nothing about time.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { ExerciseService } from '../../../orchestrator/src/exercises/exercise-service.ts';
import { DockerRuntimeDriver } from '../../../orchestrator/src/runtime/docker/docker-runtime-driver.ts';
import { openDatabase } from '../../../orchestrator/src/store/database.ts';
import { ensureTestImage } from '../../contract/test-images.ts';

const run = promisify(execFile);
const TEAMS = Number(process.env.BENCH_TEAMS ?? 20);
const LABEL = 'cyrop-bench=1';

const scenario = (image: string) => `apiVersion: cyrop/v1
kind: Scenario
metadata: { id: bench, version: 1.0.0, title: Bench, category: other, difficulty: beginner }
networks: [{ name: front }, { name: back }]
hosts:
  - { name: console, image: ${image}, networks: [front], console: { user: trainee }, resources: { cpu: 0.5, memory: 128Mi, pids: 64 } }
  - { name: web, image: ${image}, networks: [front, back], resources: { cpu: 0.5, memory: 128Mi, pids: 64 } }
  - { name: db, image: ${image}, networks: [back], resources: { cpu: 0.5, memory: 128Mi, pids: 64 } }
objectives:
  - { id: q, kind: question, title: Q, points: 1, question: { answers: ["a"] } }
`;

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** The `docker` CLI commands that create one team the way a shell script would (same limits and hardening). */
function teamCommands(image: string, prefix: string, team: number): string[][] {
  const net = (n: string) => `${prefix}-t${team}-${n}`;
  const third = 100 + team;
  const box = (name: string, network: string, ip: string) => [
    'run',
    '-d',
    '--name',
    `${prefix}-t${team}-${name}`,
    '--label',
    LABEL,
    '--network',
    network,
    '--ip',
    ip,
    '--memory',
    '128m',
    '--memory-swap',
    '128m',
    '--cpus',
    '0.5',
    '--pids-limit',
    '64',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--init',
    '--hostname',
    name,
    image,
  ];
  return [
    ['network', 'create', '--internal', '--label', LABEL, '--subnet', `10.234.${third}.0/25`, net('front')],
    ['network', 'create', '--internal', '--label', LABEL, '--subnet', `10.234.${third}.128/25`, net('back')],
    box('console', net('front'), `10.234.${third}.10`),
    box('web', net('front'), `10.234.${third}.11`),
    ['network', 'connect', '--ip', `10.234.${third}.140`, net('back'), `${prefix}-t${team}-web`],
    box('db', net('back'), `10.234.${third}.141`),
  ];
}

async function cleanCli(): Promise<void> {
  const { stdout: ids } = await run('docker', ['ps', '-aq', '--filter', `label=${LABEL}`]);
  if (ids.trim()) await run('docker', ['rm', '-f', ...ids.trim().split('\n')]);
  const { stdout: nets } = await run('docker', ['network', 'ls', '-q', '--filter', `label=${LABEL}`]);
  if (nets.trim()) await run('docker', ['network', 'rm', ...nets.trim().split('\n')]);
}

async function main(): Promise<void> {
  const docker = new Docker();
  const image = await ensureTestImage(docker, 'box');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-bench-'));
  mkdirSync(path.join(dir, 'scenario'));
  writeFileSync(path.join(dir, 'scenario', 'scenario.yaml'), scenario(image));
  const database = await openDatabase(path.join(dir, 'data'));
  const driver = await DockerRuntimeDriver.connect();
  const exercises = new ExerciseService({ db: database.db, driver, subnetPool: '10.235.0.0/16' });
  await cleanCli();
  try {
    // (a) ours
    const a0 = process.hrtime.bigint();
    const created = await exercises.create({
      scenarioPath: path.join(dir, 'scenario'),
      teams: TEAMS,
      id: `bench-${process.pid}`,
      secret: 'bench-secret',
      launching: true,
    });
    const launched = await exercises.launch(created.id, {
      concurrency: Number(process.env.BENCH_CONCURRENCY ?? TEAMS),
    });
    const ours = seconds(a0);
    const oursReady = launched.teams.filter((t) => t.state === 'ready').length;
    const t0 = process.hrtime.bigint();
    await exercises.teardown(created.id);
    const oursTeardown = seconds(t0);

    // (b) sequential docker CLI, one team after another
    const b0 = process.hrtime.bigint();
    for (let t = 1; t <= TEAMS; t++)
      for (const cmd of teamCommands(image, 'bseq', t)) await run('docker', cmd);
    const sequential = seconds(b0);
    await cleanCli();

    // (c) parallel docker CLI script: every team at once, each team's commands in order
    const c0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: TEAMS }, async (_, i) => {
        for (const cmd of teamCommands(image, 'bpar', i + 1)) await run('docker', cmd);
      }),
    );
    const parallel = seconds(c0);
    await cleanCli();

    // time to first usable terminal, one team, 10 launches
    const firstTerminal: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s0 = process.hrtime.bigint();
      const ex = await exercises.create({
        scenarioPath: path.join(dir, 'scenario'),
        teams: 1,
        id: `bench-term-${process.pid}-${i}`,
        secret: 'bench-secret',
        launching: true,
      });
      await exercises.launch(ex.id);
      const shell = await driver.openShell(
        { exercise: ex.id, team: 'team-1', host: 'console' },
        { user: 'trainee', cols: 80, rows: 24 },
      );
      await new Promise<void>((resolve) => {
        let seen = '';
        shell.stream.on('data', (c: Buffer) => {
          seen += c.toString();
          if (seen.includes('ready-4711')) resolve();
        });
        shell.stream.resume(); // shells come paused, so that no output is lost before a reader attaches
        shell.stream.write('echo ready-$((4700+11))\n');
      });
      firstTerminal.push(seconds(s0) * 1000);
      await shell.kill();
      await exercises.teardown(ex.id);
    }
    firstTerminal.sort((x, y) => x - y);
    const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    console.log(
      JSON.stringify(
        {
          benchmark: 'provision',
          teams: TEAMS,
          hostsPerTeam: 3,
          seconds: {
            ours: round(ours),
            sequentialDockerCli: round(sequential),
            parallelDockerCli: round(parallel),
            oursTeardown: round(oursTeardown),
          },
          oursTeamsReady: oursReady,
          ratios: {
            oursOverParallelCli: round(ours / parallel),
            sequentialCliOverOurs: round(sequential / ours),
          },
          bars: { oursOverParallelCliAtMost: 1.0, sequentialCliOverOursAtLeast: 3 },
          firstTerminalMs: {
            p50: round(firstTerminal[4]! + (firstTerminal[5]! - firstTerminal[4]!) / 2, 0),
            min: round(firstTerminal[0]!, 0),
            max: round(firstTerminal[9]!, 0),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    await cleanCli().catch(() => undefined);
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

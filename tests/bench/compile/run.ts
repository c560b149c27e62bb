/**
 * Compiler benchmark: scenarios validated + planned per second, for the shipped catalogue and for
 * a generated 200-host scenario. Prints one JSON document. The reference, measured in the same
 * run, is parsing the same YAML text alone (`yaml.parse`): `ratioToYamlParse` says how many YAML
 * parses one full compile costs, which is comparable across noisy machines; absolute rates are not.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileScenario } from '../../../orchestrator/src/compiler/compile-scenario.ts';
import { planExercise } from '../../../orchestrator/src/compiler/plan-exercise.ts';
import {
  findScenarioFiles,
  folderSourceReader,
} from '../../../orchestrator/src/scenarios/scenario-folder.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MIN_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

interface Input {
  file: string;
  text: string;
  folder: string;
}

/** Runs `fn` repeatedly for at least MIN_SECONDS; returns operations per second. */
function rate(fn: () => void): { opsPerSecond: number; runs: number } {
  for (let i = 0; i < 3; i++) fn(); // warm-up (JIT, template caches)
  let runs = 0;
  const started = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < MIN_SECONDS) {
    fn();
    runs++;
    elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  }
  return { opsPerSecond: runs / elapsed, runs };
}

function compileAndPlan(inputs: readonly Input[], teams: number): void {
  for (const input of inputs) {
    const result = compileScenario(input.text, {
      file: input.file,
      readSource: folderSourceReader(input.folder),
    });
    if (!result.compiled)
      throw new Error(`${input.file} does not compile: ${result.diagnostics[0]?.message ?? '?'}`);
    planExercise(result.compiled, { exerciseId: 'bench', teams, secret: 'bench-secret' });
  }
}

export function generateScenario(hosts: number): string {
  const networks = 4;
  const lines = [
    'apiVersion: cyrop/v1',
    'kind: Scenario',
    'metadata: { id: generated, version: 1.0.0, title: { en: Generated, ja: 生成 }, category: other, difficulty: advanced, duration: 4h }',
    'competencies: { framework: nice-2.1.0, workRoles: [PD-WRL-001], statements: [K1079] }',
    'parameters:',
    ...Array.from({ length: 20 }, (_, i) => `  flag_${i}: { kind: flag }`),
    '  db_password: { kind: password, length: 20 }',
    'networks:',
    ...Array.from({ length: networks }, (_, i) => `  - name: net-${i}`),
    'hosts:',
  ];
  for (let h = 0; h < hosts; h++) {
    lines.push(
      `  - name: host-${h}`,
      `    image: cyrop/target:1`,
      `    networks: [net-${h % networks}${h % 10 === 0 ? `, net-${(h + 1) % networks}` : ''}]`,
      ...(h === 0 ? ['    console: true', '    capabilities: [NET_RAW]'] : []),
      `    resources: { cpu: 0.25, memory: 128Mi, pids: 64 }`,
      `    env: { DB_PASSWORD: "{{params.db_password}}", PEER: "{{hosts.host-${(h + 4) % hosts}.address.net-${((h + 4) % hosts) % networks}}}" }`,
      `    files:`,
      `      - { path: /srv/flag.txt, content: "{{params.flag_${h % 20}}}\\n", mode: "0600" }`,
      `      - { path: /etc/motd, content: "Welcome to host-${h} of {{team.name}} in {{exercise.id}}\\n" }`,
      `    ready: { tcp: 22, timeout: 30s }`,
    );
  }
  lines.push('objectives:');
  for (let o = 0; o < 20; o++) {
    lines.push(
      `  - id: obj-${o}`,
      `    kind: flag`,
      `    title: { en: Objective ${o}, ja: 課題 ${o} }`,
      `    description: { en: "Find the flag on host-${o} at {{hosts.host-${o}.address.net-${o % networks}}}" }`,
      `    points: ${100 + o}`,
      `    flag: "{{params.flag_${o}}}"`,
      ...(o > 0 ? [`    requires: [obj-${o - 1}]`] : []),
      `    hints: [{ id: hint-${o}, cost: 10, text: "Look at host-${o}" }]`,
      `    competencies: [K1079]`,
    );
  }
  return lines.join('\n') + '\n';
}

const catalogue: Input[] = findScenarioFiles([path.join(REPO, 'scenarios')]).map((file) => ({
  file,
  text: readFileSync(file, 'utf8'),
  folder: path.dirname(file),
}));
const generated: Input[] = [{ file: 'generated-200.yaml', text: generateScenario(200), folder: REPO }];

function measure(name: string, inputs: Input[], teams: number) {
  const yamlOnly = rate(() => {
    for (const input of inputs) parse(input.text);
  });
  const ours = rate(() => compileAndPlan(inputs, teams));
  return {
    name,
    scenarios: inputs.length,
    teams,
    scenariosPerSecond: Math.round(ours.opsPerSecond * inputs.length * 10) / 10,
    yamlParsesPerSecond: Math.round(yamlOnly.opsPerSecond * inputs.length * 10) / 10,
    ratioToYamlParse: Math.round((yamlOnly.opsPerSecond / ours.opsPerSecond) * 100) / 100,
    runs: ours.runs,
  };
}

const heapBefore = process.memoryUsage().heapUsed;
const results = [
  measure('catalogue', catalogue, 2),
  measure('generated-200-hosts', generated, 1),
  measure('generated-200-hosts-20-teams', generated, 20),
];
console.log(
  JSON.stringify(
    {
      benchmark: 'compile',
      node: process.version,
      secondsPerMeasurement: MIN_SECONDS,
      reference:
        'yaml.parse of the same text, same run; ratioToYamlParse = full validate+plan cost in YAML parses',
      results,
      heapUsedDeltaMiB: Math.round(((process.memoryUsage().heapUsed - heapBefore) / 1024 ** 2) * 10) / 10,
    },
    null,
    2,
  ),
);

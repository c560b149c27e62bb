import { randomBytes } from 'node:crypto';
import { formatDiagnostic, hasErrors } from '../compiler/diagnostic.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { planExercise } from '../compiler/plan-exercise.ts';
import { localize } from '../compiler/scenario.ts';
import { loadConfig } from '../config/load-config.ts';
import { compileScenarioFile, resolveScenarioFile } from '../scenarios/scenario-folder.ts';
import { competencyCatalogues } from '../scenarios/competency-catalogues.ts';
import { EXIT, type Io } from './main.ts';

export interface PlanCommandOptions {
  teams: number;
  secret?: string;
  exercise: string;
  pool?: string;
  format: 'text' | 'json';
}

export async function planCommand(target: string, opts: PlanCommandOptions, io: Io): Promise<number> {
  const config = loadConfig(process.env, opts.pool ? { subnetPool: opts.pool } : {});
  const file = resolveScenarioFile(target);
  const result = compileScenarioFile(file, (await competencyCatalogues(config.dataDir)).catalogueFor, {
    diskMaxBytes: config.hostDiskMaxBytes,
  });
  for (const d of result.diagnostics) io.err(formatDiagnostic(d) + '\n');
  if (!result.compiled || hasErrors(result.diagnostics)) {
    io.err(`cyrop: ${file} is not valid; no plan made\n`);
    return EXIT.invalid;
  }
  let secret = opts.secret;
  if (secret === undefined) {
    secret = randomBytes(24).toString('base64url');
    io.err(`cyrop: no --secret given; using ${secret} (pass it as --secret to get the same plan again)\n`);
  }
  const plans = planExercise(result.compiled, {
    exerciseId: opts.exercise,
    teams: opts.teams,
    secret,
    subnetPool: config.subnetPool,
    diskMaxBytes: config.hostDiskMaxBytes,
  });
  io.out(opts.format === 'json' ? JSON.stringify(plans, null, 2) + '\n' : plans.map(planAsText).join('\n'));
  return EXIT.ok;
}

/** A reading of one team's plan for a person: networks, hosts with addresses, per-team values. */
export function planAsText(plan: EnvironmentPlan): string {
  const lines = [
    `${plan.team.name} (${plan.team.id})  exercise ${plan.exercise.id}  scenario ${plan.scenario.id}@${plan.scenario.version}  plan ${plan.hash.slice(0, 12)}`,
  ];
  lines.push('  networks:');
  for (const n of plan.networks)
    lines.push(`    ${n.name.padEnd(16)} ${n.subnet}${n.fixed ? ' (fixed)' : ''}  gateway ${n.gateway}`);
  lines.push('  hosts:');
  for (const h of plan.hosts) {
    const nets = h.networks
      .map((n) => `${n.name}=${n.address}${n.aliases.length ? ` (${n.aliases.join(', ')})` : ''}`)
      .join('  ');
    const cpu = `${h.resources.cpu} cpu, ${Math.round(h.resources.memoryBytes / 1024 ** 2)}Mi, ${h.resources.pids} pids`;
    lines.push(
      `    ${h.name.padEnd(16)} ${h.image}  ${nets}  [${cpu}]${h.console ? `  console ${h.console.user}@${h.console.shell}` : ''}`,
    );
    if (h.capabilities.length) lines.push(`      capabilities: ${h.capabilities.join(', ')}`);
    for (const f of h.files)
      lines.push(
        `      file ${f.path} (${f.mode.toString(8).padStart(4, '0')}, ${f.encoding === 'utf8' ? Buffer.byteLength(f.content) : Buffer.from(f.content, 'base64').length} bytes)`,
      );
  }
  lines.push('  objectives:');
  for (const o of plan.objectives) {
    const answer = o.flag
      ? 'exact' in o.flag
        ? o.flag.exact
        : `/${o.flag.regex}/`
      : o.question
        ? o.question.answers.join(' | ')
        : o.check
          ? `${o.check.host}: ${o.check.run.join(' ')}`
          : '';
    lines.push(
      `    ${o.id.padEnd(16)} ${o.kind.padEnd(8)} ${String(o.points).padStart(5)} pts  ${localize(o.title) ?? ''}  → ${answer}`,
    );
  }
  return lines.join('\n') + '\n';
}

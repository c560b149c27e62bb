import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Course, CourseRun } from '../courses/course-service.ts';
import type { OrgUsage } from '../courses/usage-meter.ts';
import { isCyropError } from '../errors.ts';
import type { CourseBackend } from './course-local.ts';
import { EXIT, type Io } from './main.ts';

interface Common {
  format: 'text' | 'json';
}

/**
 * `cyrop course list|show|create|run-create|runs|enrol` and `cyrop billing usage`, on the data
 * directory (`CYROP_DATA_DIR`) as `system:cli`. Refusals print as `cyrop: CODE: message` (exit 2), a
 * validation refusal with one line per field (`  /pointer  message`).
 */
export function courseCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const print = (opts: Common, value: unknown, text: () => string) => {
    io.out(opts.format === 'json' ? JSON.stringify(value, null, 2) + '\n' : text());
  };
  const run = async (fn: (b: CourseBackend) => Promise<void>): Promise<void> => {
    try {
      const { openCourseBackend } = await import('./course-local.ts'); // the store: loaded only here
      const backend = await openCourseBackend();
      try {
        await fn(backend);
      } finally {
        await backend.close();
      }
    } catch (error) {
      if (!isCyropError(error)) throw error;
      io.err(`cyrop: ${error.code}: ${error.message}\n`);
      if (Array.isArray(error.details))
        for (const d of error.details as { pointer?: string; message?: string }[])
          if (d.pointer !== undefined) io.err(`  ${d.pointer}  ${d.message ?? ''}\n`);
      setExit(EXIT.failed);
    }
  };

  const course = program
    .command('course')
    .description("training companies' courses and their runs (data directory)");
  course
    .command('list')
    .description('every course, or one organisation’s')
    .option('--org <id>', 'only this organisation’s courses')
    .addOption(format())
    .action(async (opts: Common & { org?: string }) => {
      await run(async ({ courses, by }) => {
        const all = await courses.listCourses(by.actor, opts.org);
        print(opts, all, () => all.map(courseLine).join(''));
      });
    });
  course
    .command('show')
    .description('one course')
    .argument('<id>')
    .addOption(format())
    .action(async (id: string, opts: Common) => {
      await run(async ({ courses, by }) => {
        const c = await courses.getCourse(by.actor, id);
        print(
          opts,
          c,
          () => courseLine(c) + c.scenarios.map((s, i) => `  ${i + 1}. ${s.id}@${s.version}\n`).join(''),
        );
      });
    });
  course
    .command('create')
    .description('a new course of a training company')
    .requiredOption('--org <id>', 'the training company')
    .requiredOption('--title-ja <text>', 'title in Japanese')
    .requiredOption('--title-en <text>', 'title in English')
    .option('--description-ja <text>', 'description in Japanese', '')
    .option('--description-en <text>', 'description in English', '')
    .requiredOption(
      '--scenario <id@version>',
      'a scenario pinned to a version, in course order (repeat the option)',
      (v: string, all: string[] | undefined) => [...(all ?? []), v],
    )
    .requiredOption('--price <yen>', 'price per seat, integer yen, tax excluded', (v) => whole(v, '--price'))
    .requiredOption('--capacity <n>', 'seats per run', (v) => whole(v, '--capacity'))
    .requiredOption('--days <n>', 'days the course takes', (v) => whole(v, '--days'))
    .requiredOption('--hours-per-day <n>', 'hours of training per day', (v) => whole(v, '--hours-per-day'))
    .addOption(format())
    .action(
      async (
        opts: Common & {
          org: string;
          titleJa: string;
          titleEn: string;
          descriptionJa: string;
          descriptionEn: string;
          scenario: string[];
          price: number;
          capacity: number;
          days: number;
          hoursPerDay: number;
        },
      ) => {
        await run(async ({ courses, by }) => {
          const created = await courses.createCourse(by, opts.org, {
            title: { ja: opts.titleJa, en: opts.titleEn },
            description: { ja: opts.descriptionJa, en: opts.descriptionEn },
            scenarios: opts.scenario.map((ref) => {
              const at = ref.lastIndexOf('@');
              return at > 0 ? { id: ref.slice(0, at), version: ref.slice(at + 1) } : { id: ref, version: '' };
            }),
            pricePerSeat: opts.price,
            capacity: opts.capacity,
            schedule: { days: opts.days, hoursPerDay: opts.hoursPerDay },
          });
          print(opts, created, () => courseLine(created));
        });
      },
    );
  course
    .command('run-create')
    .description('a run of a course for a customer organisation')
    .argument('<course>', 'the course id')
    .requiredOption('--customer <org>', 'the customer organisation')
    .requiredOption(
      '--from <date>',
      'first day (YYYY-MM-DD, the platform time zone) or an ISO date-time with a zone',
    )
    .requiredOption(
      '--to <date>',
      'end, exclusive (YYYY-MM-DD, the platform time zone) or an ISO date-time with a zone',
    )
    .option('--team-size <n>', 'trainees per team at launch (default 1)', (v) => whole(v, '--team-size'))
    .addOption(format())
    .action(
      async (
        courseId: string,
        opts: Common & { customer: string; from: string; to: string; teamSize?: number },
      ) => {
        await run(async ({ courses, by, timeZone }) => {
          const { parsePeriodBound } = await import('../courses/usage-meter.ts');
          const created = await courses.createRun(by, courseId, {
            customerOrgId: opts.customer,
            startsAt: parsePeriodBound('from', opts.from, timeZone),
            endsAt: parsePeriodBound('to', opts.to, timeZone),
            ...(opts.teamSize !== undefined ? { teamSize: opts.teamSize } : {}),
          });
          print(opts, created, () => runLine(created));
        });
      },
    );
  course
    .command('runs')
    .description('the runs of a course, or every run')
    .argument('[course]', 'the course id')
    .addOption(format())
    .action(async (courseId: string | undefined, opts: Common) => {
      await run(async ({ courses, by }) => {
        const all = await courses.listRuns(by.actor, courseId);
        print(opts, all, () => all.map(runLine).join(''));
      });
    });
  course
    .command('enrol')
    .description("enrol trainees of the run's customer by e-mail (all or nothing, within capacity)")
    .argument('<run>', 'the course run id')
    .argument('<emails...>', 'trainee e-mail addresses')
    .addOption(format())
    .action(async (runId: string, emails: string[], opts: Common) => {
      await run(async ({ courses, by }) => {
        const result = await courses.enrol(by, runId, { emails });
        print(
          opts,
          result,
          () =>
            `enrolled ${result.enrolled.length}, already enrolled ${result.already.length}; ${result.enrolments.length} in the run\n`,
        );
      });
    });

  const billing =
    program.commands.find((c) => c.name() === 'billing') ??
    program.command('billing').description('billing: usage (metering)');
  billing
    .command('usage')
    .description(
      "an organisation's metered usage in [from, to): course runs, exercises, team-hours, trainee-hours, distinct trainees, and runs with paying-customer usage but no sales (flagged)",
    )
    .requiredOption('--org <id>', 'the organisation')
    .requiredOption(
      '--from <date>',
      'YYYY-MM-DD (midnight in the platform time zone) or an ISO date-time with a zone',
    )
    .requiredOption('--to <date>', 'exclusive; YYYY-MM-DD or an ISO date-time with a zone')
    .addOption(format())
    .action(async (opts: Common & { org: string; from: string; to: string }) => {
      await run(async ({ usage, timeZone }) => {
        const { parsePeriodBound } = await import('../courses/usage-meter.ts');
        const result = await usage.usage(
          opts.org,
          parsePeriodBound('from', opts.from, timeZone),
          parsePeriodBound('to', opts.to, timeZone),
        );
        print(opts, result, () => usageText(result));
      });
    });
}

function whole(text: string, option: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`${option}: '${text}' is not a whole number`);
  return Number(text);
}

function courseLine(c: Course): string {
  return `${c.id}  ${c.orgId}  ${c.title.en} / ${c.title.ja}  ¥${c.pricePerSeat.toLocaleString('en')} per seat, ${c.capacity} seats, ${c.scenarios.length} scenario(s)${c.archived ? '  (archived)' : ''}\n`;
}

function runLine(r: CourseRun): string {
  return `${r.id}  course ${r.courseId}  customer ${r.customerOrgId}  ${new Date(r.startsAt).toISOString()} → ${new Date(r.endsAt).toISOString()}  ${r.enrolled}/${r.capacity} enrolled${r.cancelled ? '  (cancelled)' : ''}\n`;
}

function usageText(u: OrgUsage): string {
  const lines = [
    `organisation ${u.orgId}  ${new Date(u.from).toISOString()} → ${new Date(u.to).toISOString()}`,
    `course runs ${u.courseRuns}  exercises ${u.exercises}  team-hours ${u.teamHours}  trainee-hours ${u.traineeHours}  distinct trainees ${u.distinctTrainees}`,
    ...u.runs.map(
      (r) =>
        `  ${r.runId}  customer ${r.customerOrgId}  exercises ${r.exercises}  team-hours ${r.teamHours}  trainee-hours ${r.traineeHours}  sales ${r.sales}${r.flagged ? '  FLAGGED: usage without sales' : ''}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

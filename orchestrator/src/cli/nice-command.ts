import { Option, type Command } from 'commander';
import { loadConfig } from '../config/load-config.ts';
import { NICE_FRAMEWORKS, type NiceFramework } from '../nice/nice-catalogue.ts';
import { NiceCatalogueStore } from '../nice/nice-catalogue-store.ts';
import { formatNiceIdInfo, showNiceId } from '../nice/show-nice-id.ts';
import { EXIT, type Io } from './main.ts';

/** `cyrop nice import FILE`, `cyrop nice show ID`, `cyrop nice coverage` and `cyrop nice gaps`. */
export function niceCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const nice = program
    .command('nice')
    .description('NICE Framework catalogues (import NIST files, look ids up)');
  nice
    .command('import')
    .description(
      'store a NIST NICE Framework file (SP 800-181 rev0 catalogue JSON or a CPRT JSON export) in the data directory',
    )
    .argument('<file>', 'the NIST file')
    .action(async (file: string) => {
      const store = new NiceCatalogueStore(loadConfig().dataDir);
      const s = await store.import(file);
      io.out(
        `imported ${s.framework} (document version ${s.sourceVersion}) from ${s.sourceName}: ` +
          `${s.workRoles} work roles, ${s.statements.task} tasks, ${s.statements.knowledge} knowledge, ${s.statements.skill} skills` +
          `${s.statements.ability ? `, ${s.statements.ability} abilities` : ''}, ${s.competencyAreas} competency areas\n` +
          `stored in ${s.storedPath}\n`,
      );
      for (const w of s.warnings) io.err(`warning: ${w}\n`);
      setExit(EXIT.ok);
    });
  nice
    .command('show')
    .description('what a work role, statement or competency area id is, in every imported framework version')
    .argument('<id>', 'e.g. PD-WRL-001, K0018, NF-COM-007')
    .addOption(
      new Option('--framework <framework>', 'look only in this version').choices([...NICE_FRAMEWORKS]),
    )
    .action(async (id: string, opts: { framework?: NiceFramework }) => {
      const store = new NiceCatalogueStore(loadConfig().dataDir);
      const infos = await showNiceId(store, id, opts.framework);
      io.out(infos.map(formatNiceIdInfo).join('\n\n') + '\n');
      setExit(EXIT.ok);
    });

  const framework = () =>
    new Option('--framework <framework>', 'NICE Framework version')
      .choices([...NICE_FRAMEWORKS])
      .default('nice-2.1.0');
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json', 'csv']).default('text');
  const scope = (c: Command) =>
    c
      .option('--org <id>', "an organisation's own scenarios (its uploads)")
      .option('--scenarios <ids>', 'these scenario ids, comma-separated')
      .option('--all', 'every scenario offered (shipped, uploaded, published)');
  scope(
    nice
      .command('coverage')
      .description(
        'the share of the NICE statements the materials cover: overall, by statement type, by work role (default: the shipped catalogue)',
      )
      .addOption(framework())
      .option('--role <id>', 'only this work role in the by-role figures')
      .option(
        '--crosswalk',
        'also count scenarios mapped in other versions, through shared statement ids (shown apart)',
      )
      .addOption(format()),
  ).action(async (opts: Parameters<typeof import('./analytics-command.ts').coverageCommand>[0]) => {
    const { coverageCommand } = await import('./analytics-command.ts');
    setExit(await coverageCommand(opts, io));
  });
  scope(
    nice
      .command('gaps')
      .description(
        "a work role's statements that no material covers, with NIST's text: the backlog for new materials",
      )
      .requiredOption('--role <id>', 'the target work role, e.g. PD-WRL-001')
      .addOption(framework())
      .addOption(format()),
  ).action(async (opts: Parameters<typeof import('./analytics-command.ts').gapsCommand>[0]) => {
    const { gapsCommand } = await import('./analytics-command.ts');
    setExit(await gapsCommand(opts, io));
  });
}

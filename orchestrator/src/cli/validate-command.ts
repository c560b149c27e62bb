import { SingleBar, Presets } from 'cli-progress';
import { formatDiagnostic } from '../compiler/diagnostic.ts';
import { loadConfig } from '../config/load-config.ts';
import {
  compileScenarioFile,
  findScenarioFiles,
  type ScenarioFileResult,
} from '../scenarios/scenario-folder.ts';
import { competencyCatalogues } from '../scenarios/competency-catalogues.ts';
import { EXIT, type Io } from './main.ts';

const PROGRESS_FROM_FILES = 10;

export async function validateCommand(
  paths: string[],
  opts: { format: 'text' | 'json' },
  io: Io,
): Promise<number> {
  const files = findScenarioFiles(paths);
  const config = loadConfig();
  const catalogues = await competencyCatalogues(config.dataDir);
  const bar =
    io.interactive && opts.format === 'text' && files.length >= PROGRESS_FROM_FILES
      ? new SingleBar(
          {
            format: 'validating {bar} {value}/{total} {file}',
            stream: process.stderr,
            clearOnComplete: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  bar?.start(files.length, 0, { file: '' });
  const results: ScenarioFileResult[] = [];
  for (const file of files) {
    bar?.update(results.length, { file });
    results.push(
      compileScenarioFile(file, catalogues.catalogueFor, { diskMaxBytes: config.hostDiskMaxBytes }),
    );
  }
  bar?.update(files.length, { file: '' });
  bar?.stop();

  const all = results.flatMap((r) => r.diagnostics);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.filter((d) => d.severity === 'warning').length;
  const invalid = results.filter((r) => r.diagnostics.some((d) => d.severity === 'error')).length;
  const syntaxOnly = [
    ...new Set(
      results
        .filter((r) => r.competencyCheck === 'syntax-only' && r.compiled)
        .map((r) => r.compiled?.scenario.competencies?.framework),
    ),
  ];

  if (opts.format === 'json') {
    io.out(
      JSON.stringify(
        {
          files: results.map((r) => ({
            file: r.file,
            valid: !r.diagnostics.some((d) => d.severity === 'error'),
            scenario: r.compiled
              ? { id: r.compiled.scenario.metadata.id, version: r.compiled.scenario.metadata.version }
              : null,
            competencyCheck: r.competencyCheck,
            diagnostics: r.diagnostics,
          })),
          summary: { files: results.length, invalid, errors, warnings },
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const d of all) io.out(formatDiagnostic(d) + '\n');
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    io.out(
      `${plural(results.length, 'scenario')} checked: ${invalid === 0 ? 'all valid' : `${invalid} invalid`}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`,
    );
    if (syntaxOnly.length > 0) {
      io.out(
        `note: competency ids of ${syntaxOnly.join(', ')} were checked for syntax only: no NICE catalogue imported for it (cyrop nice import FILE)\n`,
      );
    }
  }
  return errors > 0 ? EXIT.invalid : EXIT.ok;
}

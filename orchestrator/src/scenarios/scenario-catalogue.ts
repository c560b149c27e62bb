import { existsSync } from 'node:fs';
import path from 'node:path';
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import { isForgeableCheck, type FrameworkId, type LocalizedText } from '../compiler/scenario.ts';
import { compileScenarioFile, findScenarioFiles, type ScenarioFileResult } from './scenario-folder.ts';

export interface CatalogueEntry {
  id: string;
  version: string;
  title: LocalizedText;
  summary?: LocalizedText;
  category: string;
  difficulty: string;
  duration?: string;
  tags: string[];
  framework?: FrameworkId;
  workRoles: string[];
  /** The scenario's own NICE statement ids (`competencies.statements`; objectives add their own). */
  statements: string[];
  /** `forgeable`: a check that runs on a host the trainee controls (shown to instructors). */
  objectives: {
    id: string;
    kind: string;
    title: LocalizedText;
    points: number;
    /** Objectives to solve before this one is shown to a team. */
    requires?: string[];
    /** The objective's NICE statement ids (`competencies`), when it names any. */
    competencies?: string[];
    forgeable?: true;
  }[];
  /** `web`: the host's web services (web service tabs), for the staff's buttons. */
  hosts: {
    name: string;
    image: string;
    console: boolean;
    web: { port: number; title?: LocalizedText; path: string }[];
  }[];
  valid: boolean;
  competencyCheck: ScenarioFileResult['competencyCheck'];
  diagnostics: Diagnostic[];
  /** The scenario file, relative to the catalogue folder. */
  file: string;
  /** Shipped with CYROP (read-only, offered to everyone), or uploaded by an organisation. */
  shipped: boolean;
  /** sha256 of the scenario's source files: what an exercise planned from it records. */
  contentHash: string;
}

/**
 * The compiled scenario catalogue: the shipped folder plus the versions organisations uploaded
 * (`<uploads>/<id>/<version>/`), compiled when loaded. It knows nothing of owners: who may see or
 * launch what is `ScenarioLibrary`'s. `list()` offers the newest version of each id.
 */
export class ScenarioCatalogue {
  private entries: CatalogueEntry[] = [];
  private readonly files = new Map<string, string>(); // id@version → scenario file
  private invalidFiles: { file: string; diagnostics: Diagnostic[] }[] = [];

  constructor(
    private readonly folder: string,
    private readonly catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined,
    private readonly uploads?: string,
    private readonly limits?: ScenarioLimits,
  ) {}

  load(): this {
    const entries: CatalogueEntry[] = [];
    const invalid: { file: string; diagnostics: Diagnostic[] }[] = [];
    this.files.clear();
    const roots = [this.folder, ...(this.uploads && existsSync(this.uploads) ? [this.uploads] : [])];
    for (const [root, file] of roots.flatMap((r) => findScenarioFiles([r]).map((f) => [r, f] as const))) {
      const shipped = root === this.folder;
      // An upload is `<id>/<version>/scenario.yaml`; anything else under the uploads folder is not one.
      if (!shipped && path.relative(root, file).split(path.sep).length !== 3) continue;
      this.take(
        entries,
        invalid,
        {
          file,
          relative: path.relative(root, file),
          shipped,
          result: compileScenarioFile(file, this.catalogueFor, this.limits),
        },
        (d) => path.relative(root, d),
      );
    }
    this.entries = entries.sort((a, b) => a.id.localeCompare(b.id) || compareSemver(b.version, a.version));
    this.invalidFiles = invalid;
    return this;
  }

  /**
   * Add an upload that was just stored, from the compilation that validated it (off the event loop):
   * nothing else is compiled again. `folder` is its `<uploads>/<id>/<version>` folder.
   */
  addUpload(folder: string, result: ScenarioFileResult): void {
    if (!this.uploads) return;
    const entries = [...this.entries];
    const relativeFolder = path.relative(this.uploads, folder);
    const file = path.join(folder, 'scenario.yaml');
    this.take(
      entries,
      [],
      { file, relative: path.join(relativeFolder, 'scenario.yaml'), shipped: false, result },
      (d) => path.join(relativeFolder, d),
    );
    this.entries = entries.sort((a, b) => a.id.localeCompare(b.id) || compareSemver(b.version, a.version));
  }

  private take(
    entries: CatalogueEntry[],
    invalid: { file: string; diagnostics: Diagnostic[] }[],
    {
      file,
      relative,
      shipped,
      result,
    }: { file: string; relative: string; shipped: boolean; result: ScenarioFileResult },
    diagnosticFile: (file: string) => string,
  ): void {
    const diagnostics = result.diagnostics.map((d) => ({ ...d, file: diagnosticFile(d.file) }));
    const scenario = result.compiled?.scenario;
    if (!scenario) {
      invalid.push({ file: relative, diagnostics });
      return;
    }
    entries.push({
      id: scenario.metadata.id,
      version: scenario.metadata.version,
      title: scenario.metadata.title,
      ...(scenario.metadata.summary !== undefined ? { summary: scenario.metadata.summary } : {}),
      category: scenario.metadata.category,
      difficulty: scenario.metadata.difficulty,
      ...(scenario.metadata.duration ? { duration: scenario.metadata.duration } : {}),
      tags: scenario.metadata.tags ?? [],
      ...(scenario.competencies ? { framework: scenario.competencies.framework } : {}),
      workRoles: scenario.competencies?.workRoles ?? [],
      statements: scenario.competencies?.statements ?? [],
      objectives: scenario.objectives.map((o) => ({
        id: o.id,
        kind: o.kind,
        title: o.title,
        points: o.points,
        // which objectives start hidden (a projector names only those every team can see)
        ...(o.requires && o.requires.length > 0 ? { requires: o.requires } : {}),
        ...(o.competencies && o.competencies.length > 0 ? { competencies: o.competencies } : {}),
        ...(o.check && isForgeableCheck(scenario.hosts, o.check) ? { forgeable: true as const } : {}),
      })),
      hosts: scenario.hosts.map((h) => ({
        name: h.name,
        image: h.image,
        console: Boolean(h.console),
        web: (h.web ?? []).map((w) => ({
          port: w.port,
          ...(w.title ? { title: w.title } : {}),
          path: w.path ?? '/',
        })),
      })),
      valid: true,
      competencyCheck: result.competencyCheck,
      diagnostics,
      file: relative,
      shipped,
      contentHash: result.compiled?.sourceHash ?? '',
    });
    const key = `${scenario.metadata.id}@${scenario.metadata.version}`;
    // The shipped catalogue wins over an upload of the same id and version (an earlier release let
    // anyone upload shipped ids): such an upload stays on disk for the exercises that ran it.
    if (this.files.has(key)) {
      entries.pop();
      return;
    }
    this.files.set(key, file);
  }

  /** Every version of every scenario: by id, newest version first. */
  all(): readonly CatalogueEntry[] {
    return this.entries;
  }

  /** The newest version of every scenario. */
  list(): readonly CatalogueEntry[] {
    return this.entries.filter((e, i) => this.entries.findIndex((x) => x.id === e.id) === i);
  }

  /** A scenario at a version, or its newest version. */
  get(id: string, version?: string): CatalogueEntry | undefined {
    return this.entries.find((e) => e.id === id && (version === undefined || e.version === version));
  }

  /** Every version of a scenario, newest first. */
  versions(id: string): readonly CatalogueEntry[] {
    return this.entries.filter((e) => e.id === id);
  }

  /** The scenario file of a valid catalogue entry (newest version unless one is named). */
  pathOf(id: string, version?: string): string | undefined {
    const entry = this.get(id, version);
    return entry ? this.files.get(`${entry.id}@${entry.version}`) : undefined;
  }

  /** Files in the catalogue folder that do not compile, with their problems. */
  invalid(): readonly { file: string; diagnostics: Diagnostic[] }[] {
    return this.invalidFiles;
  }
}

/** Semantic version order (prereleases before their release; build metadata ignored). */
export function compareSemver(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.split('+')[0]?.split(/-(.*)/s) ?? [];
    return { nums: core.split('.').map(Number), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++)
    if ((x.nums[i] ?? 0) !== (y.nums[i] ?? 0)) return (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre, 'en', { numeric: true });
}

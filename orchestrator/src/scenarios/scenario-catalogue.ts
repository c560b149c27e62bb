import path from 'node:path';
import type { CompetencyCatalogue } from '../compiler/check-scenario.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import type { FrameworkId, LocalizedText } from '../compiler/scenario.ts';
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
  objectives: { id: string; kind: string; title: LocalizedText; points: number }[];
  hosts: { name: string; image: string; console: boolean }[];
  valid: boolean;
  competencyCheck: ScenarioFileResult['competencyCheck'];
  diagnostics: Diagnostic[];
  /** The scenario file, relative to the catalogue folder. */
  file: string;
}

/** The shipped (or configured) scenario catalogue, compiled once when loaded. */
export class ScenarioCatalogue {
  private entries: CatalogueEntry[] = [];
  private invalidFiles: { file: string; diagnostics: Diagnostic[] }[] = [];

  constructor(
    private readonly folder: string,
    private readonly catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined,
  ) {}

  load(): this {
    const entries: CatalogueEntry[] = [];
    const invalid: { file: string; diagnostics: Diagnostic[] }[] = [];
    for (const file of findScenarioFiles([this.folder])) {
      const result = compileScenarioFile(file, this.catalogueFor);
      const relative = path.relative(this.folder, file);
      const diagnostics = result.diagnostics.map((d) => ({ ...d, file: path.relative(this.folder, d.file) }));
      const scenario = result.compiled?.scenario;
      if (!scenario) {
        invalid.push({ file: relative, diagnostics });
        continue;
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
        objectives: scenario.objectives.map((o) => ({ id: o.id, kind: o.kind, title: o.title, points: o.points })),
        hosts: scenario.hosts.map((h) => ({ name: h.name, image: h.image, console: Boolean(h.console) })),
        valid: true,
        competencyCheck: result.competencyCheck,
        diagnostics,
        file: relative,
      });
    }
    this.entries = entries.sort((a, b) => a.id.localeCompare(b.id));
    this.invalidFiles = invalid;
    return this;
  }

  list(): readonly CatalogueEntry[] {
    return this.entries;
  }

  get(id: string): CatalogueEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** The scenario file of a valid catalogue entry. */
  pathOf(id: string): string | undefined {
    const entry = this.get(id);
    return entry ? path.join(this.folder, entry.file) : undefined;
  }

  /** Files in the catalogue folder that do not compile, with their problems. */
  invalid(): readonly { file: string; diagnostics: Diagnostic[] }[] {
    return this.invalidFiles;
  }
}

import { lstatSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  hostNetworkName,
  isForgeableCheck,
  isTraineeControlled,
  type FrameworkId,
  type LocalizedText,
  type Scenario,
} from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';
import { findNiceEntry, isNiceFramework } from '../nice/nice-catalogue.ts';
import type { NiceCatalogueSource } from '../nice/nice-catalogue-store.ts';
import type { ScenarioFileResult } from './scenario-folder.ts';

/** One objective as the instructor's scenario page shows it (no answers: those are per team). */
export interface GuideObjective {
  id: string;
  kind: 'flag' | 'question' | 'check';
  title: LocalizedText;
  description?: LocalizedText;
  points: number;
  /** Objectives that must be solved first (the objective is locked until then). */
  requires: string[];
  /** NICE ids of this objective. */
  competencies: string[];
  hints: { id: string; cost: number; text: LocalizedText }[];
  /** For a check: the host it is about, where it runs, and whether a trainee could forge it. */
  check?: { host: string; from?: string; forgeable: boolean };
}

export interface GuideHost {
  name: string;
  image: string;
  description?: LocalizedText;
  console: boolean;
  traineeControlled: boolean;
  networks: { name: string; address?: string; aliases: string[] }[];
}

/**
 * Everything an instructor needs to run a scenario, in the scenario's own words: the story, every
 * objective in order (kind, points, what it requires, hints with their costs, NICE ids), the NICE
 * mapping, the topology and the solution text. No per-team value: the answer key is the exercise's.
 */
export interface ScenarioGuide {
  id: string;
  version: string;
  /** sha256 of the scenario's source files. */
  contentHash: string;
  title: LocalizedText;
  summary?: LocalizedText;
  /** `metadata.story`; without one, the "Story" section of the folder's README.md (as written). */
  story?: LocalizedText;
  category: string;
  difficulty: string;
  duration?: string;
  tags: string[];
  competencies: { framework: FrameworkId | null; workRoles: string[]; statements: string[] };
  objectives: GuideObjective[];
  /** The scenario's networks in order (those hosts name without declaring them included). */
  networks: { name: string; subnet?: string; description?: LocalizedText }[];
  hosts: GuideHost[];
  /**
   * Names of the NICE ids the scenario and its objectives use (a work role's or competency area's
   * name, a statement's text), from the catalogue imported for its framework (`cyrop nice import`);
   * empty without one.
   */
  niceNames: Record<string, string>;
  /**
   * The solution (markdown): the "How it is solved" section of the scenario folder's README.md
   * (`解き方` / `解法` also count), else `solution/README.md`; null when it has neither.
   */
  solution: string | null;
}

/** The largest README read for the solution; past it, the solution is left out. */
const SOLUTION_FILE_MAX_BYTES = 256 * 1024;

/** The guide of a compiled scenario. Pure. */
export function scenarioGuide(
  scenario: Scenario,
  contentHash: string,
  solution: string | null,
): ScenarioGuide {
  const declared = scenario.networks ?? [];
  const named = scenario.hosts.flatMap((h) => h.networks.map(hostNetworkName));
  const networks = [
    ...declared.map((n) => ({
      name: n.name,
      ...(n.subnet !== undefined ? { subnet: n.subnet } : {}),
      ...(n.description !== undefined ? { description: n.description } : {}),
    })),
    ...[...new Set(named)].filter((n) => !declared.some((d) => d.name === n)).map((name) => ({ name })),
  ];
  const m = scenario.metadata;
  return {
    id: m.id,
    version: m.version,
    contentHash,
    title: m.title,
    ...(m.summary !== undefined ? { summary: m.summary } : {}),
    ...(m.story !== undefined ? { story: m.story } : {}),
    category: m.category,
    difficulty: m.difficulty,
    ...(m.duration !== undefined ? { duration: m.duration } : {}),
    tags: m.tags ?? [],
    competencies: {
      framework: scenario.competencies?.framework ?? null,
      workRoles: scenario.competencies?.workRoles ?? [],
      statements: scenario.competencies?.statements ?? [],
    },
    objectives: scenario.objectives.map((o) => ({
      id: o.id,
      kind: o.kind,
      title: o.title,
      ...(o.description !== undefined ? { description: o.description } : {}),
      points: o.points,
      requires: o.requires ?? [],
      competencies: o.competencies ?? [],
      hints: (o.hints ?? []).map((h) => ({ id: h.id, cost: h.cost ?? 0, text: h.text })),
      ...(o.check
        ? {
            check: {
              host: o.check.host,
              ...(o.check.from !== undefined ? { from: o.check.from } : {}),
              forgeable: isForgeableCheck(scenario.hosts, o.check),
            },
          }
        : {}),
    })),
    networks,
    hosts: scenario.hosts.map((h) => ({
      name: h.name,
      image: h.image,
      ...(h.description !== undefined ? { description: h.description } : {}),
      console: Boolean(h.console),
      traineeControlled: isTraineeControlled(h),
      networks: h.networks.map((n) =>
        typeof n === 'string'
          ? { name: n, aliases: [] }
          : {
              name: n.name,
              ...(n.address !== undefined ? { address: n.address } : {}),
              aliases: n.aliases ?? [],
            },
      ),
    })),
    solution,
    niceNames: {},
  };
}

/**
 * The "How it is solved" section of a README (`## How it is solved`, `## 解き方`, `## 解法`, any
 * heading level from 1 to 3), up to the next heading of the same or a higher level; null without one.
 */
export function solutionSection(readme: string): string | null {
  return readmeSection(readme, /^(how it is solved|solution|解き方|解法)$/i);
}

/** The `## Story` (`ストーリー`, `背景`) section of a README; null without one. */
export function storySection(readme: string): string | null {
  return readmeSection(readme, /^(story|ストーリー|背景)$/i);
}

/** The section under the first heading (levels 1 to 3) whose text matches `title`, up to the next heading of its level. */
function readmeSection(readme: string, title: RegExp): string | null {
  const lines = readme.replace(/\r\n?/g, '\n').split('\n');
  let start = -1;
  let level = 0;
  let fenced = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const depth = heading[1]?.length ?? 0;
    if (start < 0) {
      if (depth <= 3 && title.test(heading[2] ?? '')) {
        start = i + 1;
        level = depth;
      }
    } else if (depth <= level) {
      return trimmed(lines.slice(start, i));
    }
  }
  return start < 0 ? null : trimmed(lines.slice(start));
}

function trimmed(lines: string[]): string | null {
  const text = lines.join('\n').trim();
  return text === '' ? null : text;
}

/** Size and time of last change of a file ('' when it cannot be read). */
function fileStamp(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return '';
  }
}

/** Reads a regular file of the folder (never through a symbolic link), at most the size limit. */
function readSmallFile(file: string): string | undefined {
  try {
    const stat = lstatSync(file);
    if (!stat.isFile() || stat.size > SOLUTION_FILE_MAX_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * What the README of the scenario folder holding `scenarioFile` adds to the guide: the solution
 * (see `ScenarioGuide.solution`) and its story section (used when the scenario file has no story).
 */
export function readReadme(scenarioFile: string): { story: string | null; solution: string | null } {
  const folder = path.dirname(scenarioFile);
  const readme = readSmallFile(path.join(folder, 'README.md'));
  const story = readme === undefined ? null : storySection(readme);
  const section = readme === undefined ? null : solutionSection(readme);
  if (section !== null) return { story, solution: section };
  const separate = readSmallFile(path.join(folder, 'solution', 'README.md'));
  return { story, solution: separate === undefined ? null : trimmed(separate.split(/\r?\n/)) };
}

/**
 * Guides of scenario files, compiled by `compile` (the bounded compiler: uploads are untrusted) and
 * kept for the most recent files, by path, size and time of change (scenario versions never change
 * on disk, but a shipped file edited in place, or a damaged upload, is compiled again).
 */
export class ScenarioGuides {
  private readonly cache = new Map<string, Promise<ScenarioGuide>>();

  constructor(
    private readonly compile: (file: string) => Promise<ScenarioFileResult>,
    private readonly options: {
      /** Names of NICE ids in a framework's imported catalogue (see `niceNamer`). */
      niceNames?: (framework: FrameworkId, ids: readonly string[]) => Promise<Record<string, string>>;
      /** How many guides are kept. */
      keep?: number;
    } = {},
  ) {}

  /**
   * The guide of a scenario file, with the names of its NICE ids as the catalogues are now;
   * SCENARIO_INVALID (422) when the file no longer compiles.
   */
  async guideOf(file: string): Promise<ScenarioGuide> {
    const guide = await this.compiledGuide(file);
    const framework = guide.competencies.framework;
    if (!framework || !this.options.niceNames) return guide;
    const ids = [
      ...new Set([
        ...guide.competencies.workRoles,
        ...guide.competencies.statements,
        ...guide.objectives.flatMap((o) => o.competencies),
      ]),
    ];
    return { ...guide, niceNames: await this.options.niceNames(framework, ids) };
  }

  private compiledGuide(file: string): Promise<ScenarioGuide> {
    // Keyed by the file's size and time of change as well: a file changed in place is compiled again.
    const key = `${file}\u0000${fileStamp(file)}`;
    const cached = this.cache.get(key);
    if (cached) {
      // most recently used last
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const made = this.make(file);
    this.cache.set(key, made);
    made.catch(() => this.cache.delete(key));
    while (this.cache.size > (this.options.keep ?? 32)) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return made;
  }

  private async make(file: string): Promise<ScenarioGuide> {
    const result = await this.compile(file);
    if (!result.compiled)
      throw new CyropError(
        'SCENARIO_INVALID',
        `${path.basename(path.dirname(file))}/${path.basename(file)} no longer compiles (${result.diagnostics.filter((d) => d.severity === 'error').length} error(s))`,
        { details: result.diagnostics },
      );
    const readme = readReadme(file);
    const scenario = result.compiled.scenario;
    const guide = scenarioGuide(scenario, result.compiled.sourceHash, readme.solution);
    return scenario.metadata.story === undefined && readme.story !== null
      ? { ...guide, story: readme.story }
      : guide;
  }
}

/**
 * Names of NICE ids from the catalogues a source holds (the data directory's imports): a work role's
 * or competency area's name, a statement's text. Ids the catalogue lacks, and every id when no
 * catalogue of the framework was imported, are left out.
 */
export function niceNamer(source: NiceCatalogueSource) {
  return async (framework: FrameworkId, ids: readonly string[]): Promise<Record<string, string>> => {
    if (!isNiceFramework(framework)) return {};
    const catalogue = await source.load(framework).catch(() => undefined);
    if (!catalogue) return {};
    const names: Record<string, string> = {};
    for (const id of ids) {
      const entry = findNiceEntry(catalogue, id);
      if (!entry) continue;
      names[id] =
        entry.kind === 'workRole'
          ? entry.workRole.name
          : entry.kind === 'statement'
            ? entry.statement.text
            : entry.kind === 'competencyArea'
              ? entry.competencyArea.name
              : entry.category.name;
    }
    return names;
  };
}

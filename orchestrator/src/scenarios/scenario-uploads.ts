import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';
import { compileScenarioFile, SCENARIO_FILE, type ScenarioFileResult } from './scenario-folder.ts';

/** A scenario folder sent as text files: relative path → content. */
export type ScenarioFiles = Readonly<Record<string, string>>;

export const UPLOAD_LIMITS = { files: 64, pathLength: 200 };
const SAFE_PATH = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export interface UploadResult extends ScenarioFileResult {
  stored?: { id: string; version: string; created: boolean };
}

/**
 * Uploaded scenario versions under `<dir>/<id>/<version>/`. A version is immutable: uploading it
 * again with the same files is a no-op, with other files a conflict (bump `metadata.version`).
 */
export class ScenarioUploads {
  constructor(
    readonly dir: string,
    private readonly catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined,
    private readonly limits?: ScenarioLimits,
  ) {}

  /** Compile the files as a scenario folder, without storing anything. */
  validate(files: ScenarioFiles): ScenarioFileResult {
    return this.withStaging(files, (folder) => ({ result: this.compile(folder) })).result;
  }

  /** Validate, then store as a new version when valid. */
  store(files: ScenarioFiles): UploadResult {
    return this.withStaging(files, (folder, keep) => {
      const result = this.compile(folder);
      const scenario = result.compiled?.scenario;
      if (!scenario) return { result };
      const { id, version } = scenario.metadata;
      const target = path.join(this.dir, id, version);
      if (existsSync(target)) {
        if (!sameFiles(target, files)) throw new CyropError('CONFLICT', `${id}@${version} is already stored with other files: raise metadata.version to upload a change`);
        return { result: { ...result, stored: { id, version, created: false } } };
      }
      mkdirSync(path.dirname(target), { recursive: true });
      renameSync(folder, target); // atomic: a version is there whole or not at all
      keep();
      return { result: { ...result, stored: { id, version, created: true } } };
    }).result;
  }

  /** Compile a staged folder; diagnostics name files as the uploader did (relative to the folder). */
  private compile(folder: string): ScenarioFileResult {
    const result = compileScenarioFile(path.join(folder, SCENARIO_FILE), this.catalogueFor, this.limits);
    const diagnostics = result.diagnostics.map((d) => ({ ...d, file: path.relative(folder, d.file) }));
    return { ...result, file: SCENARIO_FILE, diagnostics };
  }

  private withStaging<T>(files: ScenarioFiles, fn: (folder: string, keep: () => void) => { result: T }): { result: T } {
    const names = Object.keys(files);
    if (!names.includes(SCENARIO_FILE)) throw new CyropError('BAD_REQUEST', `the files must include ${SCENARIO_FILE}`);
    if (names.length > UPLOAD_LIMITS.files) throw new CyropError('BAD_REQUEST', `at most ${UPLOAD_LIMITS.files} files`);
    for (const name of names) {
      if (name.length > UPLOAD_LIMITS.pathLength || !SAFE_PATH.test(name) || name.split('/').includes('..')) {
        throw new CyropError('BAD_REQUEST', `file name '${name.slice(0, 80)}' must be a relative path of letters, digits, '.', '-', '_' and '/'`);
      }
    }
    mkdirSync(this.dir, { recursive: true });
    const folder = path.join(this.dir, `.staging-${randomBytes(6).toString('hex')}`);
    const staging = { kept: false };
    try {
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(folder, name);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content, { flag: 'wx' });
      }
      return fn(folder, () => {
        staging.kept = true;
      });
    } finally {
      if (!staging.kept) rmSync(folder, { recursive: true, force: true });
    }
  }
}

function sameFiles(folder: string, files: ScenarioFiles): boolean {
  const stored: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir)) {
      const full = path.join(dir, entry);
      if (statSync(full).isDirectory()) walk(full, `${prefix}${entry}/`);
      else stored.push(`${prefix}${entry}`);
    }
  };
  walk(folder, '');
  const names = Object.keys(files).sort();
  return stored.sort().join('\0') === names.join('\0') && names.every((n) => readFileSync(path.join(folder, n), 'utf8') === files[n]);
}

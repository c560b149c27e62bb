import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { CyropError } from '../errors.ts';
import { ScenarioCompiler } from './scenario-compiler.ts';
import { SCENARIO_FILE, type ScenarioFileResult } from './scenario-folder.ts';

/** A scenario folder sent as text files: relative path → content. */
export type ScenarioFiles = Readonly<Record<string, string>>;

export const UPLOAD_LIMITS = { files: 64, pathLength: 200 };
const SAFE_PATH = /^(?:[A-Za-z0-9_][A-Za-z0-9_.-]*\/)*[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const STAGING_PREFIX = '.staging-';

export interface UploadResult extends ScenarioFileResult {
  stored?: { id: string; version: string; created: boolean };
}

/**
 * Uploaded scenario versions under `<dir>/<id>/<version>/`. A version is immutable: uploading it
 * again with the same files is a no-op, with other files a conflict (bump `metadata.version`).
 * Uploaded files are compiled off the event loop, within the compiler's time and memory bounds.
 * Staging folders left by a crash are removed when this is constructed (at start-up).
 */
export class ScenarioUploads {
  constructor(
    readonly dir: string,
    private readonly compiler: ScenarioCompiler = new ScenarioCompiler(),
  ) {
    removeStaleStaging(dir);
  }

  /** Compile the files as a scenario folder, without storing anything. */
  async validate(files: ScenarioFiles): Promise<ScenarioFileResult> {
    return (await this.withStaging(files, async (folder) => ({ result: await this.compile(folder) }))).result;
  }

  /**
   * Validate, then store as a new version when valid. `admit` runs before the files move into place
   * (it records ownership, or throws to refuse); `abandon` runs when they could not be moved after it.
   */
  async store(
    files: ScenarioFiles,
    admit: (version: { id: string; version: string; contentHash: string }) => Promise<void> = () =>
      Promise.resolve(),
    abandon: (version: { id: string; version: string }) => Promise<void> = () => Promise.resolve(),
  ): Promise<UploadResult> {
    return (
      await this.withStaging(files, async (folder, keep) => {
        const result = await this.compile(folder);
        const scenario = result.compiled?.scenario;
        if (!result.compiled || !scenario) return { result };
        const { id, version } = scenario.metadata;
        const target = path.join(this.dir, id, version);
        await admit({ id, version, contentHash: result.compiled.sourceHash });
        if (existsSync(target)) {
          if (!sameFiles(target, files))
            throw new CyropError(
              'CONFLICT',
              `${id}@${version} is already stored with other files: raise metadata.version to upload a change`,
            );
          return { result: { ...result, stored: { id, version, created: false } } };
        }
        try {
          mkdirSync(path.dirname(target), { recursive: true });
          renameSync(folder, target); // atomic: a version is there whole or not at all
        } catch (error) {
          await abandon({ id, version });
          throw new CyropError('IO_ERROR', `${id}@${version} could not be stored`, { cause: error });
        }
        keep();
        return { result: { ...result, stored: { id, version, created: true } } };
      })
    ).result;
  }

  /** Compile a staged folder; diagnostics name files as the uploader did (relative to the folder). */
  private async compile(folder: string): Promise<ScenarioFileResult> {
    const result = await this.compiler.compileFile(path.join(folder, SCENARIO_FILE));
    const diagnostics = result.diagnostics.map((d) => ({ ...d, file: path.relative(folder, d.file) }));
    return { ...result, file: SCENARIO_FILE, diagnostics };
  }

  private async withStaging<T>(
    files: ScenarioFiles,
    fn: (folder: string, keep: () => void) => Promise<{ result: T }>,
  ): Promise<{ result: T }> {
    const names = Object.keys(files);
    if (!names.includes(SCENARIO_FILE))
      throw new CyropError('BAD_REQUEST', `the files must include ${SCENARIO_FILE}`);
    if (names.length > UPLOAD_LIMITS.files)
      throw new CyropError('BAD_REQUEST', `at most ${UPLOAD_LIMITS.files} files`);
    for (const name of names) {
      if (name.length > UPLOAD_LIMITS.pathLength || !SAFE_PATH.test(name) || name.split('/').includes('..')) {
        throw new CyropError(
          'BAD_REQUEST',
          `file name '${name.slice(0, 80)}' must be a relative path of letters, digits, '.', '-', '_' and '/'`,
        );
      }
    }
    const fileNames = new Set(names);
    for (const name of names) {
      const parts = name.split('/');
      for (let i = 1; i < parts.length; i++) {
        const folder = parts.slice(0, i).join('/');
        if (fileNames.has(folder))
          throw new CyropError(
            'BAD_REQUEST',
            `'${folder}' is sent both as a file and as the folder of '${name}': a path is a file or a folder, not both`,
          );
      }
    }
    mkdirSync(this.dir, { recursive: true });
    const folder = path.join(this.dir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
    const staging = { kept: false };
    try {
      for (const [name, content] of Object.entries(files)) {
        const file = path.join(folder, name);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, content, { flag: 'wx' });
      }
      return await fn(folder, () => {
        staging.kept = true;
      });
    } finally {
      if (!staging.kept) rmSync(folder, { recursive: true, force: true });
    }
  }
}

/** Staging folders of uploads that a crash interrupted: nothing else is using them at start-up. */
function removeStaleStaging(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries)
    if (entry.startsWith(STAGING_PREFIX)) rmSync(path.join(dir, entry), { recursive: true, force: true });
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
  return (
    stored.sort().join('\0') === names.join('\0') &&
    names.every((n) => readFileSync(path.join(folder, n), 'utf8') === files[n])
  );
}

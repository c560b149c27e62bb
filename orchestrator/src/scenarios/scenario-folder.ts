import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  compileScenario,
  SOURCE_LIMITS,
  type CompileResult,
  type SourceFileReader,
} from '../compiler/compile-scenario.ts';
import type { CompetencyCatalogue, ScenarioLimits } from '../compiler/check-scenario.ts';
import type { FrameworkId } from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';

/** The main file of a scenario folder. */
export const SCENARIO_FILE = 'scenario.yaml';
const SKIPPED_DIRS = new Set(['node_modules', 'solution', 'files', 'checks']);

/**
 * The scenario files under the given paths: a file is itself; a folder holding scenario.yaml is
 * that scenario; any other folder contributes its lone .yaml/.yml files and its sub-folders.
 */
export function findScenarioFiles(paths: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    const main = path.join(dir, SCENARIO_FILE);
    if (isFile(main)) {
      found.push(main);
      return;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) walk(full);
      else if (entry.isFile() && /\.ya?ml$/.test(entry.name)) found.push(full);
    }
  };
  for (const p of paths) {
    let stat;
    try {
      stat = statSync(p);
    } catch {
      throw new CyropError('NOT_FOUND', `${p}: no such file or folder`);
    }
    if (stat.isDirectory()) walk(p);
    else found.push(p);
  }
  return found;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads `files[].source` paths of the scenario in `folder`: relative paths only, never leaving the
 * folder (after `..`, and after following symlinks), regular files only, at most the size limit.
 */
export function folderSourceReader(folder: string): SourceFileReader {
  let root: string | undefined;
  return (relative) => {
    if (relative.includes('\0')) return { ok: false, problem: 'the path contains a NUL character' };
    if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative) || relative.startsWith('\\')) {
      return { ok: false, problem: 'must be a path relative to the scenario folder, not an absolute path' };
    }
    const normalised = path.posix.normalize(relative.replace(/\\/g, '/'));
    if (normalised === '..' || normalised.startsWith('../'))
      return { ok: false, problem: 'escapes the scenario folder' };
    try {
      root ??= realpathSync(folder);
      const full = path.join(root, normalised);
      const real = realpathSync(full);
      if (real !== root && !real.startsWith(root + path.sep)) {
        return { ok: false, problem: `escapes the scenario folder through a symbolic link (to ${real})` };
      }
      const stat = lstatSync(real);
      if (!stat.isFile()) return { ok: false, problem: 'is not a regular file' };
      if (stat.size > SOURCE_LIMITS.sourceFileBytes) {
        return { ok: false, problem: `is ${stat.size} bytes; the limit is ${SOURCE_LIMITS.sourceFileBytes}` };
      }
      return { ok: true, bytes: readFileSync(real) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return {
        ok: false,
        problem:
          code === 'ENOENT'
            ? 'no such file in the scenario folder'
            : `cannot be read (${code ?? String(error)})`,
      };
    }
  };
}

/** A scenario folder's main file, or the file itself. */
export function resolveScenarioFile(target: string): string {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new CyropError('NOT_FOUND', `${target}: no such file or folder`);
  }
  return stat.isDirectory() ? path.join(target, SCENARIO_FILE) : target;
}

export interface ScenarioFileResult extends CompileResult {
  file: string;
  text?: string;
}

/** Read and compile one scenario file (its folder is the root of its `files[].source`). Never throws for bad input. */
export function compileScenarioFile(
  file: string,
  catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined,
  limits?: ScenarioLimits,
): ScenarioFileResult {
  let text: string;
  try {
    const stat = statSync(file);
    if (stat.size > SOURCE_LIMITS.scenarioFileBytes) {
      return {
        file,
        competencyCheck: 'none',
        diagnostics: [
          {
            severity: 'error',
            rule: 'limit.file-size',
            file,
            line: 0,
            column: 0,
            pointer: '',
            message: `scenario file is ${stat.size} bytes; the limit is ${SOURCE_LIMITS.scenarioFileBytes}`,
          },
        ],
      };
    }
    const bytes = readFileSync(file);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      const bad = firstInvalidUtf8(bytes);
      const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
      return {
        file,
        competencyCheck: 'none',
        diagnostics: [
          {
            severity: 'error',
            rule: 'file.encoding',
            file,
            line,
            column: 0,
            pointer: '',
            message: `the file is not UTF-8 text (invalid byte 0x${(bytes[bad] ?? 0).toString(16)} at offset ${bad}); save it as UTF-8`,
          },
        ],
      };
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      file,
      competencyCheck: 'none',
      diagnostics: [
        {
          severity: 'error',
          rule: 'file.read',
          file,
          line: 0,
          column: 0,
          pointer: '',
          message: `cannot read the file (${code ?? String(error)})`,
        },
      ],
    };
  }
  const folder = path.dirname(file);
  const result = compileScenario(text, {
    file,
    readSource: folderSourceReader(folder),
    sourceDisplayRoot: folder,
    ...(catalogueFor ? { catalogueFor } : {}),
    ...(limits ? { limits } : {}),
  });
  return { ...result, file, text };
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (linear scan). */
function firstInvalidUtf8(bytes: Buffer): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i] ?? 0;
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += length;
  }
  return bytes.length;
}

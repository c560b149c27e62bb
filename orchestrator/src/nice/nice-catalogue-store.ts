import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CyropError } from '../errors.ts';
import {
  countStatements,
  isNiceFramework,
  NICE_FRAMEWORKS,
  NICE_STATEMENT_TYPES,
  type NiceCatalogue,
  type NiceFramework,
  type NiceStatementCounts,
} from './nice-catalogue.ts';
import { parseNiceFile } from './parse-nice-file.ts';

/** What an import stored. */
export interface NiceImportSummary {
  readonly framework: NiceFramework;
  readonly sourceVersion: string;
  readonly sourceName: string;
  /** Where the normalised catalogue was written. */
  readonly storedPath: string;
  readonly categories: number;
  readonly workRoles: number;
  readonly competencyAreas: number;
  /** Statements defined, by type. */
  readonly statements: NiceStatementCounts;
  /** Work role → statement links, by type. */
  readonly links: NiceStatementCounts;
  readonly warnings: readonly string[];
}

/** The read side of the store, which is all that lookups need. */
export interface NiceCatalogueSource {
  list(): Promise<NiceFramework[]>;
  load(framework: NiceFramework): Promise<NiceCatalogue | undefined>;
}

const STORED_FORMAT = 'cyrop-nice-catalogue';
const STORED_FORMAT_VERSION = 1;

/**
 * Imported NICE Framework catalogues under `<dataDir>/nice/<framework>.json`, one per framework
 * version. Files are written atomically (temporary file, then rename) and re-importing replaces.
 * Loaded catalogues are cached in memory for the life of the store.
 */
export class NiceCatalogueStore implements NiceCatalogueSource {
  readonly directory: string;
  private readonly cache = new Map<NiceFramework, Promise<NiceCatalogue | undefined>>();

  constructor(dataDir: string) {
    this.directory = path.join(dataDir, 'nice');
  }

  /** Path of the stored catalogue of `framework` (which need not exist). */
  pathOf(framework: NiceFramework): string {
    return path.join(this.directory, `${checkFramework(framework)}.json`);
  }

  /** Read, parse and store a NIST NICE Framework file; replaces an earlier import of the same version. */
  async import(filePath: string): Promise<NiceImportSummary> {
    const sourceName = path.basename(filePath);
    let text: string;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      throw new CyropError('IO_ERROR', `cannot read NICE Framework file ${filePath}: ${reason(error)}`, {
        cause: error,
        details: { file: filePath },
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(stripBom(text));
    } catch (error) {
      throw new CyropError(
        'NICE_FORMAT_UNKNOWN',
        `${filePath} is not valid JSON (${reason(error)}); expected a NIST NICE Framework JSON file (CPRT JSON or the SP 800-181 rev0 catalogue)`,
        { cause: error, details: { file: filePath } },
      );
    }
    const catalogue = parseNiceFile(json, sourceName);
    const storedPath = this.pathOf(catalogue.framework);
    const stored = { format: STORED_FORMAT, formatVersion: STORED_FORMAT_VERSION, catalogue };
    await writeAtomically(storedPath, `${JSON.stringify(stored)}\n`);
    this.cache.set(catalogue.framework, Promise.resolve(catalogue));
    return summarise(catalogue, storedPath);
  }

  /** The stored catalogue of `framework`, or undefined if none was imported. */
  load(framework: NiceFramework): Promise<NiceCatalogue | undefined> {
    if (!isNiceFramework(framework)) return Promise.reject(unknownFramework(framework));
    const file = this.pathOf(framework);
    let pending = this.cache.get(framework);
    if (pending === undefined) {
      const reading = readStored(file, framework);
      pending = reading;
      this.cache.set(framework, reading);
      // Only a catalogue is worth keeping; "not imported (yet)" and failures are asked again next time.
      const forget = (): void => {
        if (this.cache.get(framework) === reading) this.cache.delete(framework);
      };
      reading.then((catalogue) => {
        if (catalogue === undefined) forget();
      }, forget);
    }
    return pending;
  }

  /** Like load, but a missing catalogue is a NICE_CATALOGUE_MISSING error saying how to import one. */
  async loadRequired(framework: NiceFramework): Promise<NiceCatalogue> {
    const catalogue = await this.load(framework);
    if (catalogue === undefined) {
      throw new CyropError(
        'NICE_CATALOGUE_MISSING',
        `no NICE Framework catalogue for ${framework} has been imported (expected ${this.pathOf(framework)}); import the NIST file with \`cyrop nice import <file>\``,
        { details: { framework } },
      );
    }
    return catalogue;
  }

  /** The frameworks with a stored catalogue, in NICE_FRAMEWORKS order. */
  async list(): Promise<NiceFramework[]> {
    let names: string[];
    try {
      names = await readdir(this.directory);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw new CyropError('IO_ERROR', `cannot list NICE catalogues in ${this.directory}: ${reason(error)}`, {
        cause: error,
        details: { directory: this.directory },
      });
    }
    const present = new Set(names);
    return NICE_FRAMEWORKS.filter((framework) => present.has(`${framework}.json`));
  }
}

function summarise(catalogue: NiceCatalogue, storedPath: string): NiceImportSummary {
  const links: NiceStatementCounts = { task: 0, knowledge: 0, skill: 0, ability: 0 };
  for (const role of catalogue.workRoles) {
    const counts = countStatements(catalogue, role.statements);
    for (const type of NICE_STATEMENT_TYPES) links[type] += counts[type];
  }
  return {
    framework: catalogue.framework,
    sourceVersion: catalogue.sourceVersion,
    sourceName: catalogue.sourceName,
    storedPath,
    categories: catalogue.categories.length,
    workRoles: catalogue.workRoles.length,
    competencyAreas: catalogue.competencyAreas.length,
    statements: countStatements(
      catalogue,
      catalogue.statements.map((s) => s.id),
    ),
    links,
    warnings: catalogue.warnings,
  };
}

function checkFramework(framework: string): NiceFramework {
  if (isNiceFramework(framework)) return framework;
  throw unknownFramework(framework);
}

function unknownFramework(framework: string): CyropError {
  return new CyropError(
    'BAD_REQUEST',
    `unknown NICE Framework version ${JSON.stringify(framework)}; expected one of ${NICE_FRAMEWORKS.join(', ')}`,
    { details: { framework } },
  );
}

async function readStored(file: string, framework: NiceFramework): Promise<NiceCatalogue | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new CyropError('IO_ERROR', `cannot read stored NICE catalogue ${file}: ${reason(error)}`, {
      cause: error,
      details: { file },
    });
  }
  const corrupt = (problem: string, cause?: unknown): CyropError =>
    new CyropError(
      'IO_ERROR',
      `stored NICE catalogue ${file} is corrupt (${problem}); re-import the NIST file with \`cyrop nice import <file>\``,
      { cause, details: { file, problem } },
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw corrupt(`not valid JSON: ${reason(error)}`, error);
  }
  const problem = storedProblem(json, framework);
  if (problem !== undefined) throw corrupt(problem);
  return (json as { catalogue: NiceCatalogue }).catalogue;
}

/** Validates the stored file completely, so that lookups can trust every field. */
function storedProblem(json: unknown, framework: NiceFramework): string | undefined {
  if (!isObject(json)) return 'the top level is not an object';
  if (json['format'] !== STORED_FORMAT || json['formatVersion'] !== STORED_FORMAT_VERSION) {
    return `expected format ${STORED_FORMAT} version ${STORED_FORMAT_VERSION}`;
  }
  const c = json['catalogue'];
  if (!isObject(c)) return 'catalogue is not an object';
  if (c['framework'] !== framework) return `it holds ${JSON.stringify(c['framework'])}, not ${framework}`;
  for (const key of ['sourceVersion', 'sourceName', 'sourceTitle']) {
    if (typeof c[key] !== 'string') return `catalogue.${key} is not a string`;
  }
  const types: readonly string[] = NICE_STATEMENT_TYPES;
  return (
    arrayProblem(c, 'categories', (x) => hasStrings(x, ['id', 'name', 'description'])) ??
    arrayProblem(
      c,
      'workRoles',
      (x) =>
        hasStrings(x, ['id', 'name', 'description', 'category']) &&
        isStringArray(x['opmCodes']) &&
        isStringArray(x['statements']),
    ) ??
    arrayProblem(
      c,
      'statements',
      (x) => hasStrings(x, ['id', 'type', 'text']) && types.includes(x['type'] as string),
    ) ??
    arrayProblem(
      c,
      'competencyAreas',
      (x) => hasStrings(x, ['id', 'name', 'description']) && isStringArray(x['statements']),
    ) ??
    (isStringArray(c['warnings']) ? undefined : 'catalogue.warnings is not a list of strings')
  );
}

function arrayProblem(
  object: Record<string, unknown>,
  key: string,
  valid: (item: Record<string, unknown>) => boolean,
): string | undefined {
  const value = object[key];
  if (!Array.isArray(value)) return `catalogue.${key} is not an array`;
  const bad = value.findIndex((item: unknown) => !isObject(item) || !valid(item));
  return bad === -1 ? undefined : `catalogue.${key}[${bad}] is malformed`;
}

function hasStrings(object: Record<string, unknown>, keys: readonly string[]): boolean {
  return keys.every((key) => typeof object[key] === 'string');
}

function isStringArray(value: unknown): boolean {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function writeAtomically(file: string, content: string): Promise<void> {
  const directory = path.dirname(file);
  const temporary = path.join(directory, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(directory, { recursive: true });
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new CyropError('IO_ERROR', `cannot write NICE catalogue ${file}: ${reason(error)}`, {
      cause: error,
      details: { file },
    });
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CyropError } from '../errors.ts';

/**
 * An image whose build context is more than its own folder (`cyrop/platform`): its folder holds a
 * `context.json` that names what of the repository, which Node and which of `node_modules` go in.
 * Scenario host images have no such file: their context is their folder alone.
 */
export const CONTEXT_SPEC_FILE = 'context.json';

export interface ContextSpec {
  /** Built only when named (`cyrop images build platform`), never by a plain `cyrop images build`. */
  onRequest: boolean;
  /** Repository paths (files or folders) copied to `app/<path>`. */
  repository: string[];
  /** Repository paths that must exist, with what makes them (e.g. `web-console/dist`: `npm run build:web`). */
  required: Record<string, string>;
  /** File name endings left out of the repository paths (e.g. `.test.ts`). */
  excludeSuffixes: string[];
  /** `production`: the installed packages package-lock.json does not mark `dev`, copied to `app/node_modules/`. */
  nodeModules: 'production' | 'none';
  /** `running`: the Node binary running this command (`process.execPath`), copied to `node/node`. */
  node: 'running' | 'none';
}

/** A file of the build context that lives outside the image's folder. */
export interface ContextFile {
  /** Its path in the build context (`app/package.json`, `node/node`). */
  rel: string;
  /** Where it is read from. */
  source: string;
}

/** The folder's `context.json`, or undefined when it has none (a scenario host image). */
export function readContextSpec(dir: string): ContextSpec | undefined {
  const file = path.join(dir, CONTEXT_SPEC_FILE);
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CyropError('CONFIG_INVALID', `${file}: not JSON (${(error as Error).message})`);
  }
  const o = (raw ?? {}) as Record<string, unknown>;
  const strings = (key: string): string[] => {
    const v = o[key] ?? [];
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))
      throw new CyropError('CONFIG_INVALID', `${file}: ${key} must be a list of strings`);
    return v as string[];
  };
  const required = (o.required ?? {}) as Record<string, unknown>;
  if (typeof required !== 'object' || Object.values(required).some((v) => typeof v !== 'string'))
    throw new CyropError('CONFIG_INVALID', `${file}: required must map paths to how they are made`);
  const nodeModules = o.nodeModules ?? 'none';
  if (nodeModules !== 'production' && nodeModules !== 'none')
    throw new CyropError('CONFIG_INVALID', `${file}: nodeModules must be production or none`);
  const node = o.node ?? 'none';
  if (node !== 'running' && node !== 'none')
    throw new CyropError('CONFIG_INVALID', `${file}: node must be running or none`);
  const repository = strings('repository');
  for (const p of repository)
    if (path.isAbsolute(p) || p.split('/').includes('..'))
      throw new CyropError('CONFIG_INVALID', `${file}: ${p} must be a path inside the repository`);
  return {
    onRequest: o.onRequest === true,
    repository,
    required: required as Record<string, string>,
    excludeSuffixes: strings('excludeSuffixes'),
    nodeModules,
    node,
  };
}

/**
 * The files the spec adds to the build context, sorted by context path: repository paths under
 * `app/`, the production packages under `app/node_modules/`, the running Node as `node/node`.
 */
export function contextFiles(
  spec: ContextSpec,
  repoRoot: string,
  nodeBinary = process.execPath,
): ContextFile[] {
  for (const [p, how] of Object.entries(spec.required))
    if (!existsSync(path.join(repoRoot, p)))
      throw new CyropError('NOT_FOUND', `${path.join(repoRoot, p)} is missing: make it first (${how})`);
  const out: ContextFile[] = [];
  const keep = (rel: string) => !spec.excludeSuffixes.some((s) => rel.endsWith(s));
  for (const p of spec.repository) {
    const source = path.join(repoRoot, p);
    if (!existsSync(source))
      throw new CyropError('NOT_FOUND', `${source}: no such file or folder (context.json)`);
    for (const rel of walk(source)) if (keep(rel)) out.push({ rel: `app/${p}${rel}`, source: source + rel });
  }
  if (spec.nodeModules === 'production') {
    for (const pkg of productionPackages(repoRoot)) {
      const source = path.join(repoRoot, pkg);
      for (const rel of walk(source)) out.push({ rel: `app/${pkg}${rel}`, source: source + rel });
    }
  }
  if (spec.node === 'running') out.push({ rel: 'node/node', source: nodeBinary });
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * The installed package folders package-lock.json does not mark as development-only (`dev` or
 * `devOptional`), outermost only (a nested package travels with the folder holding it).
 */
export function productionPackages(repoRoot: string): string[] {
  const lockFile = path.join(repoRoot, 'package-lock.json');
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    packages?: Record<string, { dev?: boolean; devOptional?: boolean; link?: boolean }>;
  };
  if (!lock.packages)
    throw new CyropError('CONFIG_INVALID', `${lockFile}: no "packages" (lockfile v2 or later needed)`);
  const wanted = Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith('node_modules/') && !p.dev && !p.devOptional && !p.link)
    .map(([key]) => key)
    .filter((key) => existsSync(path.join(repoRoot, key)))
    .sort();
  return wanted.filter((key) => !wanted.some((outer) => outer !== key && key.startsWith(`${outer}/`)));
}

/** Every regular file under `source` as `/rel/path` (`''` when `source` is a file), sorted; links and `.bin` left out. */
function walk(source: string): string[] {
  const st = lstatSync(source);
  if (st.isFile()) return [''];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  const visit = (prefix: string) => {
    for (const e of readdirSync(path.join(source, prefix), { withFileTypes: true })) {
      const rel = `${prefix}/${e.name}`;
      if (e.isDirectory() && e.name !== '.bin') visit(rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  visit('');
  return out.sort();
}

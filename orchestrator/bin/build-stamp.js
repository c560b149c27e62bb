// The stamp of the compiled build, orchestrator/dist/build.json: every file the build was made from
// (repository-relative) with the sha256 of its content, and its size and mtime as the build saw them
// (a file whose size and mtime are unchanged is not read again: a start stats ~130 files rather than
// hashing them; any other file is hashed, so a touched but unchanged file still counts as current). orchestrator/build.ts writes it; cyrop.js checks
// it before running the build, so a source edited since the build runs as source, never as the older
// build. Plain JavaScript, because it runs before anything could compile TypeScript.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, URL } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));
/** Where the build goes (git-ignored). */
export const DIST_DIR = path.join(REPO_ROOT, 'orchestrator', 'dist');
/** The stamp's file name inside the build folder. */
export const STAMP_FILE = 'build.json';

/** The sha256 (hex) of one file's content. */
export function fileHash(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** The stamp for `inputs` (repository-relative paths): `{ version: 2, files: { path: { sha256, size, mtimeMs } } }`. */
export function makeStamp(repoRoot, inputs) {
  const files = {};
  for (const rel of [...inputs].sort()) {
    const file = path.join(repoRoot, rel);
    const { size, mtimeMs } = statSync(file);
    files[rel] = { sha256: fileHash(file), size, mtimeMs };
  }
  return { version: 2, files };
}

/**
 * Whether the build in `distDir` was made from the files as they are now: `{ state: 'current' }`,
 * `{ state: 'absent' }` (never built), or `{ state: 'stale', reason }` naming what differs.
 */
export function checkBuild(repoRoot = REPO_ROOT, distDir = DIST_DIR) {
  const where = path.relative(repoRoot, distDir) || distDir;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(path.join(distDir, STAMP_FILE), 'utf8'));
  } catch (error) {
    if (error?.code === 'ENOENT') return { state: 'absent' };
    return { state: 'stale', reason: `${where}/${STAMP_FILE} cannot be read (${error?.message ?? error})` };
  }
  if (stamp?.version !== 2 || typeof stamp.files !== 'object' || stamp.files === null)
    return { state: 'stale', reason: `${where}/${STAMP_FILE} is not a build stamp this command knows` };
  for (const [rel, seen] of Object.entries(stamp.files)) {
    const file = path.join(repoRoot, rel);
    let now;
    try {
      now = statSync(file);
      if (now.size === seen?.size && now.mtimeMs === seen?.mtimeMs) continue;
      if (fileHash(file) === seen?.sha256) continue;
    } catch {
      return { state: 'stale', reason: `${rel}, which ${where} was built from, is gone` };
    }
    return { state: 'stale', reason: `${rel} changed since ${where} was built` };
  }
  return { state: 'current' };
}

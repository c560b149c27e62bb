// Types of build-stamp.js (plain JavaScript, as it runs before TypeScript can be compiled).

export interface BuildStamp {
  version: 2;
  /** Repository-relative path → the sha256 (hex) of its content, its size and mtime when built. */
  files: Record<string, { sha256: string; size: number; mtimeMs: number }>;
}

export type BuildState = { state: 'current' } | { state: 'absent' } | { state: 'stale'; reason: string };

export const REPO_ROOT: string;
export const DIST_DIR: string;
export const STAMP_FILE: string;
export function fileHash(file: string): string;
export function makeStamp(repoRoot: string, inputs: Iterable<string>): BuildStamp;
export function checkBuild(repoRoot?: string, distDir?: string): BuildState;

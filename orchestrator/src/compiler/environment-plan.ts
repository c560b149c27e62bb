import { createHash } from 'node:crypto';
import type { LocalizedText } from './scenario.ts';

/**
 * What one team's environment is: plain JSON, no I/O, the only input of a RuntimeDriver.
 * `hash` (and each host's `hash`) is the SHA-256 of the canonical JSON of the rest, so a driver
 * can tell whether what runs still matches what was planned.
 */
export interface EnvironmentPlan {
  apiVersion: 'cyrop.io/plan/v1';
  hash: string;
  exercise: { id: string };
  team: { id: string; name: string; index: number };
  scenario: { id: string; version: string; sourceHash: string };
  labels: Record<string, string>;
  networks: PlannedNetwork[];
  hosts: PlannedHost[];
  objectives: PlannedObjective[];
  scoring: PlannedScoring;
  settings: { recordKeystrokes: boolean; wrongSubmissionsPerMinute: number };
}

export interface PlannedNetwork {
  name: string;
  subnet: string;
  gateway: string;
  /** True when the scenario fixed the subnet (then every team has the same block). */
  fixed: boolean;
}

export interface PlannedFile {
  path: string;
  encoding: 'utf8' | 'base64';
  content: string;
  /** Octal permission bits as a number, e.g. 0o644. */
  mode: number;
  owner?: string;
}

export interface PlannedHost {
  name: string;
  hash: string;
  hostname: string;
  image: string;
  networks: { name: string; address: string; aliases: string[] }[];
  console: { user: string; shell: string; workdir: string } | null;
  capabilities: string[];
  /** `diskBytes`: what the host may write on top of its image (its writable layer), engine-neutral. */
  resources: { cpu: number; memoryBytes: number; pids: number; diskBytes: number };
  env: Record<string, string>;
  files: PlannedFile[];
  command?: string[];
  entrypoint?: string[];
  user?: string;
  workdir?: string;
  ready?: { tcp?: number; exec?: string[]; timeoutMs: number };
  /**
   * Web applications of this host that trainees of its team open through the platform's web proxy.
   * Not part of `hash`: what the engine runs does not depend on it.
   */
  web?: PlannedWebService[];
}

export interface PlannedWebService {
  port: number;
  /** What the tab says (default: the host name and port). */
  title: LocalizedText;
  /** The path the tab opens. */
  path: string;
}

export interface PlannedObjective {
  id: string;
  kind: 'flag' | 'question' | 'check';
  title: LocalizedText;
  description?: LocalizedText;
  points: number;
  requires: string[];
  competencies: string[];
  hints: { id: string; cost: number; text: LocalizedText }[];
  flag?: { exact: string } | { regex: string; caseSensitive: boolean };
  question?: { text?: LocalizedText; answers: string[]; caseSensitive: boolean };
  check?: {
    /** The host the check is about. */
    host: string;
    /** Where the command runs when not on `host` (a host the trainee does not control). */
    from?: string;
    /** The command runs on a host the trainee controls: root there can fake a pass. */
    forgeable: boolean;
    run: string[];
    user?: string;
    expect: { exitCode: number; stdout?: string };
    timeoutMs: number;
    everyMs?: number;
  };
}

export interface PlannedScoring {
  model: 'static' | 'dynamic';
  dynamic?: { initial: number; minimum: number; decay: number; function: 'linear' | 'parabolic' };
  firstBloodBonusPercent: number;
  freezeBeforeEndMs?: number;
}

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}

export function sha256Hex(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

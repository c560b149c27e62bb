/**
 * The shape of a cyrop/v1 scenario once it has passed the JSON Schema
 * (orchestrator/schema/scenario.schema.json is the source of truth; keep the two in step).
 */
export type LocalizedText = string | Record<string, string>;

export type FrameworkId = 'nice-sp800-181r0' | 'nice-1.0.0' | 'nice-2.0.0' | 'nice-2.1.0';

export type ParameterSpec =
  | { kind: 'flag'; prefix?: string; length?: number }
  | { kind: 'password'; length?: number; alphabet?: 'alphanumeric' | 'lower' | 'digits' | 'hex' }
  | { kind: 'choice'; values: (string | number)[] }
  | { kind: 'static'; value: string | number | boolean };

export interface NetworkSpec {
  name: string;
  subnet?: string;
  description?: LocalizedText;
}

export type HostNetworkSpec = string | { name: string; address?: string; aliases?: string[] };

export interface FileSpec {
  path: string;
  content?: string;
  source?: string;
  mode?: string;
  owner?: string;
}

export interface ReadySpec {
  tcp?: number;
  exec?: string[];
  timeout?: string;
}

export interface ConsoleSpec {
  user?: string;
  shell?: string;
  workdir?: string;
}

export interface HostSpec {
  name: string;
  image: string;
  hostname?: string;
  description?: LocalizedText;
  networks: HostNetworkSpec[];
  console?: boolean | ConsoleSpec;
  /** Whether trainees control this host (root there can forge a check); default: it has a console. */
  traineeControlled?: boolean;
  capabilities?: string[];
  resources?: { cpu?: number; memory?: string; pids?: number; disk?: string };
  env?: Record<string, string | number | boolean>;
  files?: FileSpec[];
  command?: string[];
  entrypoint?: string[];
  user?: string;
  workdir?: string;
  ready?: ReadySpec;
  /** Web applications trainees of the team open in their browser through the platform. */
  web?: WebServiceSpec[];
}

export interface WebServiceSpec {
  port: number;
  title?: LocalizedText;
  /** The path the tab opens (default `/`). */
  path?: string;
}

export interface HintSpec {
  id: string;
  cost?: number;
  text: LocalizedText;
}

export interface ObjectiveSpec {
  id: string;
  kind: 'flag' | 'question' | 'check';
  title: LocalizedText;
  description?: LocalizedText;
  points: number;
  competencies?: string[];
  requires?: string[];
  hints?: HintSpec[];
  flag?: string | { regex: string; caseSensitive?: boolean };
  question?: { text?: LocalizedText; answers: string[]; caseSensitive?: boolean };
  check?: {
    host: string;
    /** The host the command runs on instead of `host` (a host the trainee does not control). */
    from?: string;
    run: string[];
    user?: string;
    expect?: { exitCode?: number; stdout?: string };
    timeout?: string;
    every?: string;
  };
}

export interface ScoringSpec {
  model?: 'static' | 'dynamic';
  dynamic?: { initial: number; minimum: number; decay: number; function?: 'linear' | 'parabolic' };
  firstBlood?: { bonusPercent: number };
  freezeBeforeEnd?: string;
}

export interface Scenario {
  apiVersion: 'cyrop/v1';
  kind: 'Scenario';
  metadata: {
    id: string;
    version: string;
    title: LocalizedText;
    summary?: LocalizedText;
    story?: LocalizedText;
    category: string;
    difficulty: 'beginner' | 'intermediate' | 'advanced';
    duration?: string;
    tags?: string[];
    authors?: string[];
    locales?: string[];
  };
  competencies?: { framework: FrameworkId; workRoles?: string[]; statements?: string[] };
  parameters?: Record<string, ParameterSpec>;
  networks?: NetworkSpec[];
  hosts: HostSpec[];
  objectives: ObjectiveSpec[];
  scoring?: ScoringSpec;
  exercise?: { recordKeystrokes?: boolean; submissionRateLimit?: { wrongPerMinute?: number } };
}

/** Whether trainees control a host: `traineeControlled` when given, else whether it has a console. */
export function isTraineeControlled(host: HostSpec): boolean {
  return host.traineeControlled ?? Boolean(host.console);
}

/**
 * Whether a check objective can be forged by a trainee: its command runs (on `from`, else on
 * `host`) on a host the trainee controls, where root can fake any output. Unknown hosts: false.
 */
export function isForgeableCheck(
  hosts: readonly HostSpec[],
  check: { host: string; from?: string },
): boolean {
  const runsOn = hosts.find((h) => h.name === (check.from ?? check.host));
  return runsOn !== undefined && isTraineeControlled(runsOn);
}

export function hostNetworkName(n: HostNetworkSpec): string {
  return typeof n === 'string' ? n : n.name;
}

/** Pick the text for a locale, falling back to English, then Japanese, then any. */
export function localize(text: LocalizedText | undefined, locale = 'en'): string | undefined {
  if (text === undefined || typeof text === 'string') return text;
  return text[locale] ?? text.en ?? text.ja ?? Object.values(text)[0];
}

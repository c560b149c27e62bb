/**
 * What the competency-analytics API answers (`/api/analytics/…`), as types both sides import: the
 * server's analytics modules build these, the console's analytics pages read them. Types only.
 */

/** A NICE framework version (the server's `NICE_FRAMEWORKS`). */
export type NiceFramework = 'nice-sp800-181r0' | 'nice-1.0.0' | 'nice-2.0.0' | 'nice-2.1.0';
export type NiceStatementType = 'task' | 'knowledge' | 'skill' | 'ability';

/** A framework version the platform knows, and whether its NIST catalogue is imported. */
export interface NiceFrameworkInfo {
  id: NiceFramework;
  /** NIST's name of the version, English (e.g. "NICE Framework Components v2.1.0"). */
  label: string;
  /** The catalogue's own version (`2.1.0`, `2017`); null when it is not imported. */
  sourceVersion: string | null;
  imported: boolean;
}

/** What the analytics pages need before their first figure (`GET /api/analytics/config`). */
export interface AnalyticsConfig {
  /** Every framework version, oldest first. */
  frameworks: NiceFrameworkInfo[];
  /** The version the pages open with: the newest imported one (v2.1.0 when none is). */
  defaultFramework: NiceFramework;
  /**
   * The platform's reporting time zone (IANA name, `Asia/Tokyo` by default): the zone of every
   * calendar date on transcripts, statements and period boundaries; pages show dates in it too.
   */
  timeZone: string;
}
/** One statement of a NICE catalogue, with NIST's English text. */
export interface NiceStatement {
  readonly id: string;
  readonly type: NiceStatementType;
  readonly text: string;
}
/** Text of a scenario: one string, or one per language. */
export type LocalizedText = string | Record<string, string>;

export interface Fraction {
  covered: number;
  total: number;
  /** covered / total × 100, one decimal; null when total is 0. */
  percent: number | null;
}

export interface RoleCoverage extends Fraction {
  id: string;
  name: string;
  /** The role's category id (`PD`, `PR`, …; empty when NIST links it to none); names in `categories`. */
  category: string;
  /** Materials that name this role in their mapping (direct framework only). */
  namedBy: number;
  /**
   * The role's statements by type: covered of the role's statements of that type. Every type the
   * catalogue has is present (a type the role has no statement of: `{0, 0, null}`).
   */
  byType: Partial<Record<NiceStatementType, Fraction>>;
}

/** A work-role category (SP 800-181 rev0) or role group (v1.0.0+) with NIST's English name. */
export interface NiceCategoryName {
  id: string;
  name: string;
}

export interface CoverageFigures {
  overall: Fraction;
  byType: Partial<Record<NiceStatementType, Fraction>>;
  byRole: RoleCoverage[];
}

export interface CoverageReport extends CoverageFigures {
  framework: NiceFramework;
  sourceVersion: string;
  /** The framework's categories (role groups), from its NIST file, in the file's order. */
  categories: NiceCategoryName[];
  /** What the denominators are, in words. */
  universe: string;
  materials: {
    total: number;
    /** Mapped in this framework version. */
    direct: number;
    /** Mapped in another version (counted only in `crosswalked`, and only when asked). */
    otherFramework: number;
    /** No NICE mapping at all. */
    unmapped: number;
    /** Direct materials that cover at least one statement. */
    covering: number;
  };
  /** Ids of direct materials that are not statements of the catalogue, per material. */
  otherIds: { material: string; id: string; reason: 'competency-area' | 'unknown' }[];
  /** Present with `crosswalk: true`. */
  crosswalked?: CrosswalkFigures;
}

export interface CrosswalkFigures extends CoverageFigures {
  /** Statements covered ONLY through the crosswalk (not directly), by the same denominators. */
  addedOnly: Fraction;
  /** The materials crosswalked, with how many of their ids crossed and how many did not. */
  sources: { material: string; framework: NiceFramework; crossed: number; notCrossed: number }[];
  rule: string;
}

export interface GapReport {
  framework: NiceFramework;
  role: { id: string; name: string };
  coverage: Fraction;
  /** Uncovered statements of the role, by type (T, K, S, A) then id. */
  gaps: NiceStatement[];
}

export interface SolvedObjective {
  id: string;
  title: LocalizedText;
  solvedAt: number;
  /** The account that submitted the solving answer; null for a check or an anonymous participant. */
  solvedBy: string | null;
  statementIds: string[];
}

export interface ExerciseEvidence {
  exerciseId: string;
  orgId: string | null;
  teamId: string;
  teamName: string;
  startedAt: number;
  scenario: { id: string; version: string; title: LocalizedText; framework: string | null };
  objectivesTotal: number;
  objectivesSolved: SolvedObjective[];
  /** The scenario's own statements, when every objective was solved. */
  scenarioStatements: { at: number; statementIds: string[] } | null;
}

export interface EvidencedStatement {
  id: string;
  type: NiceStatementType;
  text: string;
  firstAt: number;
  /** Exercises in which it was demonstrated, in order of first demonstration. */
  exerciseIds: string[];
}

export interface RoleProgress {
  id: string;
  name: string;
  demonstrated: number;
  total: number;
}

export interface FrameworkEvidence {
  framework: NiceFramework;
  /** False when the framework's catalogue is not imported: statements are then ids only, no roles. */
  catalogueImported: boolean;
  statements: EvidencedStatement[];
  /** Roles with at least one statement demonstrated, plus the roles the scenarios name; most first. */
  roles: RoleProgress[];
}

export type EvidenceSubject =
  { kind: 'trainee'; userId: string } | { kind: 'team'; exerciseId: string; teamId: string };

export interface Evidence {
  subject: EvidenceSubject;
  exercises: ExerciseEvidence[];
  frameworks: FrameworkEvidence[];
  /** Exercises whose scenario version is no longer in the catalogue: their solves evidence nothing. */
  unresolved: { exerciseId: string; scenario: string; reason: string }[];
}

export interface UsageMaterial {
  id: string;
  title: LocalizedText;
}

export interface MaterialUse {
  id: string;
  title: LocalizedText | null;
  launches: number;
  /** Launches with at least one real team. */
  realLaunches: number;
  realTeams: number;
  trainees: number;
  traineeHours: number;
}

export interface UsageReport {
  period: { from: number; to: number };
  orgId: string | null;
  utilisation: Fraction;
  launches: number;
  realTeams: number;
  traineeHours: number;
  /** Every material of the catalogue, most trainee-hours first, then by id. */
  materials: MaterialUse[];
  neverUsed: { id: string; title: LocalizedText }[];
  outsideCatalogue: MaterialUse[];
}

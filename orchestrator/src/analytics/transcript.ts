import type { LocalizedText } from '../compiler/scenario.ts';
import type { Bilingual, TranscriptDocument } from '../documents/document-types.ts';
import type { NiceFramework } from '../nice/nice-catalogue.ts';
import type { Evidence } from './evidence.ts';
import { calendarDate, DEFAULT_TIME_ZONE } from '../time-zone.ts';
export { calendarDate, DEFAULT_TIME_ZONE, startOfDay } from '../time-zone.ts';

/** Both interface languages of a scenario text (English when Japanese is missing, and the reverse). */
export function bilingual(text: LocalizedText): Bilingual {
  if (typeof text === 'string') return { en: text, ja: text };
  const first = Object.values(text)[0] ?? '';
  return { en: text['en'] ?? first, ja: text['ja'] ?? text['en'] ?? first };
}

export interface TranscriptInput {
  trainee: TranscriptDocument['trainee'];
  issuedAt: number;
  timeZone?: string;
  course?: { title: Bilingual };
  /** The framework to report; default: the one with the most statements evidenced. */
  framework?: NiceFramework;
}

/**
 * A trainee's transcript (`TranscriptDocument`, rendered to PDF elsewhere) from their evidence:
 * exercises in the chosen framework with the objectives solved, each statement once with its first
 * date, and progress per work role (the evidence's roles: demonstrated ones and those the scenarios
 * name). For one course's runs, read the evidence of those exercises only (`forTrainee(id, {exerciseIds})`).
 */
export function buildTranscript(evidence: Evidence, input: TranscriptInput): TranscriptDocument {
  const date = (ms: number) => calendarDate(ms, input.timeZone ?? DEFAULT_TIME_ZONE);
  const framework =
    input.framework ??
    [...evidence.frameworks].sort((a, b) => b.statements.length - a.statements.length)[0]?.framework ??
    (evidence.exercises.find((e) => e.scenario.framework)?.scenario.framework as NiceFramework | undefined) ??
    'nice-2.1.0';
  const fw = evidence.frameworks.find((f) => f.framework === framework);
  return {
    issuedOn: date(input.issuedAt),
    trainee: input.trainee,
    ...(input.course ? { course: input.course } : {}),
    framework,
    exercises: evidence.exercises
      .filter((e) => e.scenario.framework === framework)
      .map((e) => ({
        scenario: { id: e.scenario.id, version: e.scenario.version, title: bilingual(e.scenario.title) },
        exerciseId: e.exerciseId,
        startedOn: date(e.startedAt),
        objectivesSolved: e.objectivesSolved.map((o) => ({
          id: o.id,
          title: bilingual(o.title),
          solvedOn: date(o.solvedAt),
          statementIds: o.statementIds,
        })),
      })),
    statements: (fw?.statements ?? []).map((s) => ({
      id: s.id,
      type: s.type,
      text: s.text,
      firstDemonstratedOn: date(s.firstAt),
    })),
    roles: (fw?.roles ?? []).map((r) => ({
      id: r.id,
      name: r.name,
      demonstrated: r.demonstrated,
      total: r.total,
    })),
  };
}

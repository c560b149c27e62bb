import { csvText, type CsvCell } from './csv-text.ts';
import type { DocumentLanguage } from './document-format.ts';
import { documentLabels } from './document-labels.ts';
import type { TranscriptDocument } from './document-types.ts';

const HEADERS: Record<DocumentLanguage, string[]> = {
  ja: [
    '行種別',
    '受講者',
    '所属',
    'コース',
    'フレームワーク',
    'シナリオID',
    'シナリオ版',
    'シナリオ名',
    '演習ID',
    '演習開始日',
    'ID',
    '名称・内容',
    '種別',
    '日付',
    '実証した項目',
    '実証数',
    '全項目数',
  ],
  en: [
    'record',
    'trainee',
    'organisation',
    'course',
    'framework',
    'scenario id',
    'scenario version',
    'scenario title',
    'exercise',
    'exercise started',
    'id',
    'title or text',
    'type',
    'date',
    'statements',
    'demonstrated',
    'total',
  ],
};

/**
 * A transcript as CSV (UTF-8 with BOM, CRLF; see csvText) for a spreadsheet, one record type per
 * first column so that a filter shows one table:
 * - `課題`/`objective`: an objective solved — its scenario (id, version, title), exercise, start,
 *   objective id and title, date solved, and the statement ids it evidenced (space-separated);
 * - `NICE項目`/`statement`: a statement demonstrated — id, NIST's text, type, first date;
 * - `ワークロール`/`role`: a work role — id, name, statements demonstrated and the role's total.
 * Every record repeats the trainee, organisation, course and framework version.
 */
export function transcriptCsv(doc: TranscriptDocument, lang: DocumentLanguage): string {
  const t = documentLabels[lang];
  const who: CsvCell[] = [doc.trainee.name, doc.trainee.organisation, doc.course?.title[lang], doc.framework];
  const noScenario: CsvCell[] = [undefined, undefined, undefined, undefined, undefined];
  const rows = function* (): Generator<CsvCell[]> {
    for (const exercise of doc.exercises) {
      for (const objective of exercise.objectivesSolved) {
        yield [
          t.csvRecordObjective,
          ...who,
          exercise.scenario.id,
          exercise.scenario.version,
          exercise.scenario.title[lang],
          exercise.exerciseId,
          exercise.startedOn,
          objective.id,
          objective.title[lang],
          undefined,
          objective.solvedOn,
          objective.statementIds.join(' '),
          undefined,
          undefined,
        ];
      }
    }
    for (const s of doc.statements) {
      yield [
        t.csvRecordStatement,
        ...who,
        ...noScenario,
        s.id,
        s.text,
        s.type,
        s.firstDemonstratedOn,
        undefined,
        undefined,
        undefined,
      ];
    }
    for (const role of doc.roles) {
      yield [
        t.csvRecordRole,
        ...who,
        ...noScenario,
        role.id,
        role.name,
        undefined,
        undefined,
        undefined,
        role.demonstrated,
        role.total,
      ];
    }
  };
  return csvText(HEADERS[lang], rows());
}

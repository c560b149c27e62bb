import { formatLongDate, formatShare, formatShortDate, type DocumentLanguage } from './document-format.ts';
import { documentLabels } from './document-labels.ts';
import type { TranscriptDocument } from './document-types.ts';
import { renderInPages, type PdfLayoutOptions } from './pdf-layout.ts';
import type { RenderPdfOptions } from './render-invoice-pdf.ts';

/**
 * A trainee's transcript as an A4 PDF in Japanese or English: who, which course and NICE framework
 * version; every exercise with the objectives solved, when, and the statements each evidenced; every
 * statement demonstrated (NIST's English text) with its first date; progress per work role. Tables
 * continue over pages under a repeated header row; every page carries the trainee and "page n of N".
 * @throws CyropError `IO_ERROR` when no Japanese font is installed.
 */
export async function renderTranscriptPdf(
  doc: TranscriptDocument,
  lang: DocumentLanguage,
  options: RenderPdfOptions = {},
): Promise<Buffer> {
  const t = documentLabels[lang];
  const pdfOptions: PdfLayoutOptions = {
    title: `${t.transcriptTitle} — ${doc.trainee.name}`,
    author: 'CYROP',
    subject: doc.course === undefined ? t.transcriptTitle : doc.course.title[lang],
    createdOn: doc.issuedOn,
    runningHeader: `${t.transcriptTitle} — ${doc.trainee.name} ${t.continued}`,
    footer: `${t.transcriptTitle} · ${doc.trainee.name} · ${t.issuedOn} ${formatLongDate(doc.issuedOn, lang)}`,
    pageLabel: t.page,
    lang,
    ...(options.fontPath === undefined ? {} : { fontPath: options.fontPath }),
  };
  return renderInPages(pdfOptions, (layout) => {
    layout.text(t.transcriptTitle, 18, { align: 'center' });
    layout.gap(16);
    const facts: [string, string][] = [[t.trainee, doc.trainee.name]];
    if (doc.trainee.organisation !== undefined) facts.push([t.organisation, doc.trainee.organisation]);
    if (doc.trainee.email !== undefined) facts.push([t.email, doc.trainee.email]);
    if (doc.course !== undefined) facts.push([t.course, doc.course.title[lang]]);
    facts.push([t.framework, doc.framework]);
    facts.push([t.issuedOn, formatLongDate(doc.issuedOn, lang)]);
    const labelWidth = 110;
    for (const [label, value] of facts) {
      const y = layout.y;
      layout.text(label, 9.5, { width: labelWidth, colour: '#555555' });
      const labelBottom = layout.y;
      layout.y = y;
      layout.text(value, 9.5, { x: layout.left + labelWidth, width: layout.width - labelWidth });
      layout.y = Math.max(layout.y, labelBottom) + 2;
    }

    // Exercises and the objectives solved in each.
    layout.gap(14);
    layout.heading(t.exercises);
    const exerciseRows = function* (): Generator<string[]> {
      for (const exercise of doc.exercises) {
        const scenario = `${exercise.scenario.title[lang]}\n${exercise.scenario.id} ${exercise.scenario.version} · ${exercise.exerciseId}`;
        const started = formatShortDate(exercise.startedOn, lang);
        if (exercise.objectivesSolved.length === 0) {
          yield [scenario, started, t.noObjectivesSolved, '', ''];
          continue;
        }
        let first = true;
        for (const objective of exercise.objectivesSolved) {
          yield [
            first ? scenario : '',
            first ? started : '',
            objective.title[lang],
            formatShortDate(objective.solvedOn, lang),
            objective.statementIds.join(', '),
          ];
          first = false;
        }
      }
    };
    layout.table(
      [
        { label: t.columnScenario, width: 150, align: 'left' },
        { label: t.columnStarted, width: 58, align: 'left' },
        { label: t.columnObjective, width: 0, align: 'left' },
        { label: t.columnSolvedOn, width: 58, align: 'left' },
        { label: t.columnStatements, width: 90, align: 'left' },
      ],
      exerciseRows(),
      { widen: 2, repeatOnNewPage: [0, 1] },
    );

    // Statements demonstrated.
    layout.gap(16);
    layout.heading(`${t.statementsEvidenced} (${doc.statements.length})`);
    layout.text(t.statementTextNote, 7.5, { colour: '#555555' });
    layout.gap(3);
    layout.table(
      [
        { label: t.columnStatementId, width: 62, align: 'left' },
        { label: t.columnStatementType, width: 58, align: 'left' },
        { label: t.columnStatementText, width: 0, align: 'left' },
        { label: t.columnFirstDemonstrated, width: 70, align: 'left' },
      ],
      doc.statements.map((s) => [
        s.id,
        t.statementType(s.type),
        s.text,
        formatShortDate(s.firstDemonstratedOn, lang),
      ]),
      { widen: 2 },
    );

    // Progress per work role.
    layout.gap(16);
    layout.heading(t.roleProgress);
    layout.table(
      [
        { label: t.columnRole, width: 0, align: 'left' },
        { label: t.columnDemonstrated, width: 100, align: 'right' },
        { label: t.columnProgress, width: 60, align: 'right' },
      ],
      doc.roles.map((r) => [
        `${r.id} ${r.name}`,
        t.demonstratedOf(r.demonstrated, r.total),
        formatShare(r.demonstrated, r.total),
      ]),
      { widen: 0 },
    );
  });
}

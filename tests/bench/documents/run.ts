/**
 * Documents benchmark: a usage-fee statement of LINES sales (default 100,000) rendered as a PDF, and
 * as CSV, against writing the same table rows as plain text lines to a file (the least any renderer
 * must do). Each task runs in a child process of its own so that its peak RSS is its own; the
 * reference process loads the same modules. Prints one JSON document; the ratios (task / plain text)
 * are what compares across machines, the absolute times are not.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatShortDate,
  formatYen,
  groupDigits,
} from '../../../orchestrator/src/documents/document-format.ts';
import { invoiceCsv } from '../../../orchestrator/src/documents/invoice-csv.ts';
import { renderInvoicePdf } from '../../../orchestrator/src/documents/render-invoice-pdf.ts';
import { sampleLongStatement } from '../../../orchestrator/src/documents/sample-documents.ts';

type Task = 'text' | 'csv' | 'pdf';

interface TaskResult {
  task: Task;
  lines: number;
  seconds: number;
  maxRssMiB: number;
  bytes: number;
}

const LINES = Number(process.env.LINES ?? 100_000);

async function runTask(task: Task, out: string): Promise<TaskResult> {
  const doc = sampleLongStatement(LINES);
  const started = process.hrtime.bigint();
  if (task === 'pdf') {
    writeFileSync(out, await renderInvoicePdf(doc, 'ja'));
  } else if (task === 'csv') {
    writeFileSync(out, invoiceCsv(doc, 'ja'));
  } else {
    const rows = doc.lines.map((line) =>
      [
        line.date === undefined ? '' : formatShortDate(line.date, 'ja'),
        line.description.ja,
        line.quantity === undefined ? '' : groupDigits(line.quantity),
        line.unitPriceYen === undefined ? '' : formatYen(line.unitPriceYen, 'ja'),
        `${line.taxRatePercent}%`,
        formatYen(line.amountYen, 'ja'),
      ].join('\t'),
    );
    writeFileSync(out, `${rows.join('\n')}\n`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    task,
    lines: LINES,
    seconds,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    bytes: statSync(out).size,
  };
}

const self = fileURLToPath(import.meta.url);
const taskArg = process.argv[2];
if (taskArg === 'text' || taskArg === 'csv' || taskArg === 'pdf') {
  const out = process.argv[3];
  if (out === undefined) throw new Error('usage: run.ts TASK OUTPUT-FILE');
  process.stdout.write(JSON.stringify(await runTask(taskArg, out)));
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'cyrop-bench-documents-'));
  try {
    const results: Record<Task, TaskResult> = {} as Record<Task, TaskResult>;
    for (const task of ['text', 'csv', 'pdf'] as const) {
      const output = execFileSync(
        process.execPath,
        ['--import', 'tsx', self, task, path.join(dir, `statement.${task}`)],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      );
      results[task] = JSON.parse(output) as TaskResult;
    }
    const ratio = (task: Task): { time: number; maxRss: number } => ({
      time: Number((results[task].seconds / results.text.seconds).toFixed(1)),
      maxRss: Number((results[task].maxRssMiB / results.text.maxRssMiB).toFixed(2)),
    });
    console.log(
      JSON.stringify(
        {
          bench: 'documents',
          lines: LINES,
          loadAverage1m: Number((loadavg()[0] ?? 0).toFixed(2)),
          results,
          ratioToPlainText: { csv: ratio('csv'), pdf: ratio('pdf') },
          pdfLinesPerSecond: Math.round(LINES / results.pdf.seconds),
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

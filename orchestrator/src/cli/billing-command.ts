import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CyropError, isCyropError } from '../errors.ts';
import { EXIT, type Io } from './main.ts';

type Format = 'text' | 'json' | 'csv' | 'pdf';

/**
 * `cyrop billing …` on the data directory (`CYROP_DATA_DIR`), as the operator (`system:cli`, audited):
 * `sales import`, `statement`, `fees`, `receivables`, `payment`, `verify`. The store and the billing
 * service are loaded only when a subcommand runs.
 */
export function billingCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const billing = program
    .command('billing')
    .description('sales, usage-fee statements, CYNEX fees, payments and the journal (data directory)');
  const format = (choices: Format[]) =>
    new Option('--format <format>', 'output format').choices(choices).default('text');

  const open = async () => {
    const [{ loadConfig }, { openDatabase }, { AccountService }, { BillingService }, { cliPrincipal }] =
      await Promise.all([
        import('../config/load-config.ts'),
        import('../store/database.ts'),
        import('../accounts/account-service.ts'),
        import('../billing/billing-service.ts'),
        import('../access/principal.ts'),
      ]);
    const config = loadConfig();
    const database = await openDatabase(config.dataDir);
    const accounts = new AccountService({ db: database.db });
    const first = await accounts.ensureFirstOperator();
    if (first)
      io.err(
        `First start: sign in as ${first.email} with the one-time password ${first.password}\n(you will be asked to change it)\n`,
      );
    const orgs = await accounts.listOrganisations();
    const operator = orgs.find((o) => o.kind === 'operator');
    if (!operator) throw new CyropError('INTERNAL', 'no operator organisation');
    /** An organisation by id or by its exact name. */
    const orgRef = (ref: string) => {
      const found = orgs.find((o) => o.id === ref) ?? orgs.filter((o) => o.name === ref);
      if (!Array.isArray(found)) return found.id;
      if (found.length === 1) return (found[0] as { id: string }).id;
      throw new CyropError(
        'NOT_FOUND',
        found.length
          ? `'${ref}' names ${found.length} organisations: give the id`
          : `no organisation '${ref}'`,
      );
    };
    return {
      service: new BillingService({ sqlite: database.sqlite, accounts, timeZone: config.timeZone }),
      by: cliPrincipal(operator.id),
      orgRef,
      close: () => database.close(),
    };
  };
  type Opened = Awaited<ReturnType<typeof open>>;
  const run = async (fn: (o: Opened) => Promise<void>) => {
    let opened: Opened | undefined;
    try {
      opened = await open();
      await fn(opened);
    } catch (error) {
      if (!isCyropError(error)) throw error;
      io.err(`cyrop: ${error.code}: ${error.message}\n`);
      setExit(EXIT.failed);
    } finally {
      await opened?.close();
    }
  };
  const formats = () => import('../billing/invoice-formats.ts');

  const sales = billing.command('sales').description("a company's sales");
  sales
    .command('import')
    .description(
      'import a sales CSV (UTF-8, BOM or not; headers date/日付, customer/顧客, course/コース, course run/実施回, seats/席数, unit price/単価, amount/金額, memo/備考): every row, or with any problem none',
    )
    .requiredOption('--org <org>', 'the company (id or exact name)')
    .argument('<file>', 'the CSV file')
    .addOption(format(['text', 'json']))
    .action(async (file: string, opts: { org: string; format: Format }) => {
      await run(async ({ service, by, orgRef }) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (error) {
          throw new CyropError('NOT_FOUND', `${file}: ${(error as Error).message}`);
        }
        const result = await service.importSales(by, orgRef(opts.org), text);
        const { formatSaleProblem } = await import('../billing/sales-csv.ts');
        if (opts.format === 'json') io.out(JSON.stringify(result, null, 2) + '\n');
        else if (result.problems.length)
          io.out(
            result.problems.map((p) => `${file}: ${formatSaleProblem(p)}\n`).join('') +
              `${result.problems.length} problem(s): nothing imported\n`,
          );
        else
          io.out(
            `imported ${result.imported} sale(s), ¥${result.totalYen.toLocaleString('en')} (tax excluded)\n`,
          );
        if (result.problems.length) setExit(EXIT.invalid);
      });
    });

  billing
    .command('statement')
    .description(
      "a company's monthly usage-fee statement: the issued one, else a draft (with --issue: issue it)",
    )
    .requiredOption('--org <org>', 'the company (id or exact name)')
    .requiredOption('--period <YYYY-MM>', 'the month')
    .option('--issue', 'issue it (a month that has ended; stored unchanged from then on)')
    .addOption(format(['text', 'json', 'csv', 'pdf']))
    .addOption(
      new Option('--lang <lang>', 'the language of a PDF or CSV').choices(['ja', 'en']).default('ja'),
    )
    .option('--output <file>', 'write the PDF to this file (required with --format pdf)')
    .action(
      async (opts: {
        org: string;
        period: string;
        issue?: boolean;
        format: Format;
        lang: 'ja' | 'en';
        output?: string;
      }) => {
        if (opts.format === 'pdf' && opts.output === undefined)
          throw new InvalidArgumentError(
            '--format pdf needs --output FILE (a PDF is not written to a terminal)',
          );
        await run(async ({ service, by, orgRef }) => {
          const orgId = orgRef(opts.org);
          if (opts.issue) await service.issueStatement(by, orgId, opts.period);
          const doc = await service.statement(by, orgId, opts.period);
          if (opts.format === 'pdf') {
            const { renderInvoicePdf } = await import('../documents/render-invoice-pdf.ts');
            const pdf = await renderInvoicePdf(doc, opts.lang);
            writeFileSync(opts.output as string, pdf);
            io.out(
              `${opts.output}: statement ${doc.number}, ${doc.lines.length} line(s), ${pdf.length} bytes\n`,
            );
            return;
          }
          if (opts.format === 'csv') {
            const { invoiceCsv } = await import('../documents/invoice-csv.ts');
            io.out(invoiceCsv(doc, opts.lang));
            return;
          }
          io.out(
            opts.format === 'json' ? JSON.stringify(doc, null, 2) + '\n' : (await formats()).invoiceText(doc),
          );
        });
      },
    );

  billing
    .command('fees')
    .description(
      "the fiscal year's CYNEX participation-fee invoices of every member (with --issue: issue them)",
    )
    .requiredOption('--fiscal-year <YYYY>', 'the fiscal year, by the calendar year it starts in', (text) => {
      if (!/^[0-9]{4}$/.test(text)) throw new InvalidArgumentError(`'${text}' is not a year`);
      return Number(text);
    })
    .option('--issue', 'issue every invoice not issued yet')
    .addOption(format(['text', 'json', 'csv']))
    .action(async (opts: { fiscalYear: number; issue?: boolean; format: Format }) => {
      await run(async ({ service, by }) => {
        const result = opts.issue
          ? await service.issueFees(by, opts.fiscalYear)
          : await service.fees(by, opts.fiscalYear);
        const f = await formats();
        io.out(
          opts.format === 'json'
            ? JSON.stringify(result, null, 2) + '\n'
            : opts.format === 'csv'
              ? f.feeRunCsv(result)
              : f.feeRunText(result),
        );
      });
    });

  billing
    .command('receivables')
    .description('what is owed on issued invoices, aged 0-30, 31-60, 61-90, >90 days since issue')
    .option('--as-of <YYYY-MM-DD>', 'the day to age to (default today)')
    .option('--org <org>', 'only this organisation')
    .addOption(format(['text', 'json', 'csv']))
    .action(async (opts: { asOf?: string; org?: string; format: Format }) => {
      await run(async ({ service, by, orgRef }) => {
        const result = await service.receivables(by, {
          ...(opts.asOf ? { asOf: opts.asOf } : {}),
          ...(opts.org ? { orgId: orgRef(opts.org) } : {}),
        });
        const f = await formats();
        if (opts.format === 'json') io.out(JSON.stringify(result, null, 2) + '\n');
        else if (opts.format === 'csv') io.out(f.receivablesCsv(result));
        else
          io.out(
            result.invoices
              .map(
                (r) =>
                  `${r.number}  ${r.bucket.padEnd(6)} ${String(r.outstandingYen).padStart(12)}  ${r.orgName}\n`,
              )
              .join('') +
              `as of ${result.asOf}: 0-30 ${result.totals['0-30']}, 31-60 ${result.totals['31-60']}, 61-90 ${result.totals['61-90']}, >90 ${result.totals['>90']}, total ${result.totals.totalYen} yen\n`,
          );
      });
    });

  billing
    .command('payment')
    .description('record a payment received against an issued invoice')
    .requiredOption('--invoice <number>', 'the invoice number')
    .requiredOption('--on <YYYY-MM-DD>', 'the day it was received')
    .requiredOption('--amount <yen>', 'whole yen', (text) => {
      if (!/^[0-9]+$/.test(text)) throw new InvalidArgumentError(`'${text}' is not whole yen`);
      return Number(text);
    })
    .addOption(format(['text', 'json']))
    .action(async (opts: { invoice: string; on: string; amount: number; format: Format }) => {
      await run(async ({ service, by }) => {
        const entry = service.recordPayment(by, {
          invoiceNumber: opts.invoice,
          on: opts.on,
          amountYen: opts.amount,
        });
        io.out(
          opts.format === 'json'
            ? JSON.stringify(entry, null, 2) + '\n'
            : `payment of ${entry.amount_yen} yen on ${entry.entry_date} recorded against ${opts.invoice} (journal entry ${entry.seq})\n`,
        );
        return Promise.resolve();
      });
    });

  billing
    .command('verify')
    .description("walk the journal's hash chain; exit 1 and list every edited, deleted or reordered entry")
    .addOption(format(['text', 'json']))
    .action(async (opts: { format: Format }) => {
      await run(async ({ service, by }) => {
        const result = service.verify(by);
        io.out(
          opts.format === 'json'
            ? JSON.stringify(result, null, 2) + '\n'
            : result.problems
                .map((p) => `entry ${p.seq}${p.id ? ` (${p.id})` : ''}: ${p.problem}\n`)
                .join('') +
                (result.ok
                  ? `journal intact: ${result.entries} entries, head ${result.headHash}\n`
                  : `journal TAMPERED: ${result.problems.length} problem(s) in ${result.entries} entries\n`),
        );
        if (!result.ok) setExit(EXIT.invalid);
        return Promise.resolve();
      });
    });
}

import { expect } from 'chai';
import {
  parseSalesCsv,
  SALES_CSV_LIMITS,
  type SaleCsvProblem,
  type SaleCsvProblemCode,
} from './sales-csv.ts';

/** The problems of a file, without their English messages (asserted elsewhere). */
const problems = (csv: string) =>
  parseSalesCsv(csv).problems.map(({ message: _message, ...rest }: SaleCsvProblem) => rest);

describe('parseSalesCsv: every problem carries a code and what it names, for the console to translate', () => {
  const cases: [string, string, ReturnType<typeof problems>][] = [
    ['an empty file', '', [{ line: 1, code: 'empty-file' }]],
    ['a header only', 'date,customer,amount\n', [{ line: 2, code: 'no-sales' }]],
    [
      'an unknown and a doubled column',
      '日付,顧客,金額,色,売上日\n2026-04-01,A,100,red,2026-04-01\n',
      [
        { line: 1, column: '色', code: 'unknown-column', params: { value: '色' } },
        { line: 1, column: '売上日', code: 'duplicate-column', params: { value: '売上日' } },
      ],
    ],
    [
      'no customer column, no amount column',
      'date,seats\n2026-04-01,1\n',
      [
        {
          line: 1,
          code: 'missing-column',
          params: { names: 'customer, client, 顧客, 顧客名, 取引先, 取引先名' },
        },
        { line: 1, code: 'missing-amount-column' },
      ],
    ],
    [
      'a bad date, an empty customer, a word for an amount',
      '日付,顧客,金額\n2026/4/31,,abc\n',
      [
        { line: 2, column: '日付', code: 'not-a-date', params: { value: '2026/4/31' } },
        { line: 2, column: '顧客', code: 'empty' },
        { line: 2, column: '金額', code: 'not-a-number', params: { value: 'abc' } },
      ],
    ],
    [
      'a negative amount, a control character',
      'date,customer,amount\n2026-04-01,"A\u0007",-5\n',
      [
        { line: 2, column: 'customer', code: 'control-characters' },
        { line: 2, column: 'amount', code: 'too-small', params: { value: '-5', min: 1 } },
      ],
    ],
    [
      'too long a customer',
      `date,customer,amount\n2026-04-01,${'x'.repeat(SALES_CSV_LIMITS.field + 1)},5\n`,
      [{ line: 2, column: 'customer', code: 'too-long', params: { limit: SALES_CSV_LIMITS.field } }],
    ],
    [
      'no amount; seats × a zero price; an amount that is not seats × price',
      '日付,顧客,席数,単価,金額\n2026-04-01,A,,,\n2026-04-01,B,2,0,\n2026-04-01,C,2,500,999\n',
      [
        { line: 2, column: '金額', code: 'no-amount' },
        { line: 3, column: '単価', code: 'zero-amount' },
        {
          line: 4,
          column: '金額',
          code: 'amount-mismatch',
          params: { amount: 999, seats: 2, unitPrice: 500, product: 1000 },
        },
      ],
    ],
    [
      'an unclosed quote',
      'date,customer,amount\n2026-04-01,"A,5\n',
      [
        {
          line: 2,
          code: 'not-csv',
          params: { value: 'Quote Not Closed: the parsing is finished with an opening quote at line 2' },
        },
      ],
    ],
  ];
  for (const [what, csv, expected] of cases)
    it(what, () => {
      expect(problems(csv)).to.deep.equal(expected);
    });

  it('keeps the English message beside the code', () => {
    expect(parseSalesCsv('日付,顧客,金額\n2026-04-01,A,abc\n').problems).to.deep.equal([
      {
        line: 2,
        column: '金額',
        code: 'not-a-number',
        params: { value: 'abc' },
        message: "'abc' is not a whole number",
      },
    ]);
  });

  it('every code but the size limits and a closed month is reached by a case above', () => {
    const seen = new Set(cases.flatMap(([, , expected]) => expected.map((p) => p.code)));
    const all: SaleCsvProblemCode[] = [
      'file-too-large',
      'not-csv',
      'empty-file',
      'unknown-column',
      'duplicate-column',
      'missing-column',
      'missing-amount-column',
      'too-many-rows',
      'no-sales',
      'empty',
      'too-long',
      'control-characters',
      'not-a-date',
      'not-a-number',
      'too-small',
      'no-amount',
      'zero-amount',
      'amount-mismatch',
      'month-invoiced',
    ];
    expect(all.filter((code) => !seen.has(code))).to.deep.equal([
      'file-too-large',
      'too-many-rows',
      'month-invoiced',
    ]);
  });
});

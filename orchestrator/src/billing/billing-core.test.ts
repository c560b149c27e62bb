import { expect } from 'chai';
import fc from 'fast-check';
import {
  coNexusMultiplier,
  DEFAULT_FEE_SCHEDULE,
  feeScheduleProblems,
  fiscalYear,
  monthRange,
  type FeeSchedule,
} from './fee-schedule.ts';
import {
  participationFee,
  participationFeeInvoice,
  usageFeeStatement,
  type SaleForStatement,
} from './invoices.ts';
import { applyRate, compareRational } from './money.ts';
import { registrationNumberProblem } from './registration-number.ts';

const ISSUER = { name: 'CYROP運営', registrationNumber: 'T7000012050002' };
const RECIPIENT = { name: 'Acme Training' };

function sale(
  id: string,
  date: string,
  amountYen: number,
  extra: Partial<SaleForStatement> = {},
): SaleForStatement {
  return {
    id,
    date,
    customer: 'Customer',
    course: null,
    courseRun: null,
    seats: null,
    unitPriceYen: null,
    amountYen,
    ...extra,
  };
}

function statement(sales: SaleForStatement[], schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE) {
  return usageFeeStatement({
    number: 'UF-TEST',
    issuedOn: '2026-05-01',
    period: monthRange('2026-04'),
    issuer: ISSUER,
    recipient: RECIPIENT,
    sales,
    schedule,
  });
}

describe('billing core', () => {
  it("the issue's worked example: ¥123,456 + ¥78,901 → fee ¥20,235, tax ¥2,023, total ¥22,258 (round down)", () => {
    // By hand: 123,456 + 78,901 = 202,357; 10 % = 20,235.7 → 20,235; tax 10 % = 2,023.5 → 2,023;
    // 20,235 + 2,023 = 22,258.
    const doc = statement([sale('a', '2026-04-03', 123_456), sale('b', '2026-04-20', 78_901)]);
    expect(doc.taxTotals).to.deep.equal([{ taxRatePercent: 10, taxableYen: 20_235, taxYen: 2_023 }]);
    expect(doc.totalYen).to.equal(22_258);
    expect(doc.lines.map((l) => l.amountYen)).to.deep.equal([12_345, 7_890]);
    expect(doc.dueOn).to.equal('2026-05-31');
    expect(doc.issuer.registrationNumber).to.equal('T7000012050002');
  });

  it('rounds once on the total, not per line: three sales of ¥5 make a fee of ¥1, not ¥0', () => {
    // By hand: 5 + 5 + 5 = 15; 10 % = 1.5 → 1. Per line it would be 0.5 → 0 three times = 0.
    const doc = statement([
      sale('a', '2026-04-01', 5),
      sale('b', '2026-04-02', 5),
      sale('c', '2026-04-03', 5),
    ]);
    expect(doc.taxTotals[0]?.taxableYen).to.equal(1);
    expect(doc.lines.map((l) => l.amountYen)).to.deep.equal([0, 1, 0]);
  });

  it('half-up and up rounding rules, and tax rounded once per rate', () => {
    // By hand: 15 × 10 % = 1.5 → half-up 2; tax on 2 = 0.2 → 0. up: fee 2, tax 0.2 → 1.
    expect(
      statement([sale('a', '2026-04-01', 15)], { ...DEFAULT_FEE_SCHEDULE, rounding: 'half-up' }).totalYen,
    ).to.equal(2);
    expect(
      statement([sale('a', '2026-04-01', 15)], { ...DEFAULT_FEE_SCHEDULE, rounding: 'up' }).totalYen,
    ).to.equal(3);
  });

  it('a statement without an issuer registration number is refused, naming it', () => {
    expect(() =>
      usageFeeStatement({
        number: 'X',
        issuedOn: '2026-05-01',
        period: monthRange('2026-04'),
        issuer: { name: 'Op' },
        recipient: RECIPIENT,
        sales: [],
        schedule: DEFAULT_FEE_SCHEDULE,
      }),
    ).to.throw(/registration number/);
    const draft = usageFeeStatement({
      number: 'X',
      issuedOn: '2026-05-01',
      period: monthRange('2026-04'),
      issuer: { name: 'Op' },
      recipient: RECIPIENT,
      sales: [sale('a', '2026-04-01', 100)],
      schedule: DEFAULT_FEE_SCHEDULE,
      draft: true,
    });
    expect(draft.issuer).to.deep.equal({ name: 'Op', registrationNumber: '' });
  });

  it('participation fees: SME with 2 Co-Nexus pays ¥750,000 + ¥75,000 tax; large enterprise with 5 pays ¥2,000,000', () => {
    const year = fiscalYear([], 2026);
    expect(year).to.include({ from: '2026-04-01', to: '2027-03-31' });
    const doc = participationFeeInvoice({
      number: 'PF-TEST',
      issuedOn: '2026-04-01',
      fiscalYear: 2026,
      period: year,
      issuer: ISSUER,
      member: { name: 'SME Co', category: 'sme', coNexus: ['A', 'C'] },
      schedule: year.schedule,
    });
    // By hand: 500,000 × 3/2 = 750,000; tax 75,000; total 825,000.
    expect(doc.totalYen).to.equal(825_000);
    const big = participationFee(
      DEFAULT_FEE_SCHEDULE,
      { name: 'L', category: 'large-enterprise', coNexus: ['A', 'B', 'C', 'D', 'E'] },
      year,
    );
    expect(big.amountYen).to.equal(2_000_000);
    expect(
      participationFee(DEFAULT_FEE_SCHEDULE, { name: 'G', category: 'government', coNexus: ['C'] }, year)
        .amountYen,
    ).to.equal(0);
  });

  it('monthly proration counts the joining month: joining in October pays 6/12', () => {
    const year = fiscalYear([], 2026);
    const fee = participationFee(
      { ...DEFAULT_FEE_SCHEDULE, proration: 'monthly' },
      { name: 'N', category: 'npo', coNexus: ['C'], joinedOn: '2026-10-15' },
      year,
    );
    // By hand: October … March = 6 months; 50,000 × 6/12 = 25,000.
    expect(fee).to.include({ amountYen: 25_000, months: 6 });
    const none = participationFee(
      DEFAULT_FEE_SCHEDULE,
      { name: 'N', category: 'npo', coNexus: ['C'], joinedOn: '2026-10-15' },
      year,
    );
    expect(none.amountYen).to.equal(50_000);
  });

  it('refuses a schedule whose multiplier exceeds 2, decreases or does not start at 1, naming the entry', () => {
    const bad = (coNexusMultipliers: FeeSchedule['coNexusMultipliers']) =>
      feeScheduleProblems({ ...DEFAULT_FEE_SCHEDULE, coNexusMultipliers }).map(
        (p) => `${p.pointer} ${p.message}`,
      );
    expect(
      bad([
        { numerator: 1, denominator: 1 },
        { numerator: 201, denominator: 100 },
      ]),
    ).to.deep.equal(['/coNexusMultipliers/1 201/100 exceeds 2 (CYNEX: at most twice the fee)']);
    expect(
      bad([
        { numerator: 1, denominator: 1 },
        { numerator: 2, denominator: 1 },
        { numerator: 3, denominator: 2 },
      ])[0],
    ).to.match(/^\/coNexusMultipliers\/2 decreases/);
    expect(bad([{ numerator: 3, denominator: 2 }])[0]).to.match(/^\/coNexusMultipliers\/0 must be 1/);
    expect(feeScheduleProblems(DEFAULT_FEE_SCHEDULE)).to.deep.equal([]);
  });

  it('registration numbers: the corporate-number check digit is checked', () => {
    expect(registrationNumberProblem('T7000012050002')).to.equal(undefined); // the National Tax Agency
    expect(registrationNumberProblem('T1180301018771')).to.equal(undefined);
    expect(registrationNumberProblem('T8000012050002')).to.match(/check digit 8 is wrong .*expected 7/);
    expect(registrationNumberProblem('T700001205000')).to.match(/13 digits/);
  });

  describe('properties', () => {
    const amount = fc.integer({ min: 1, max: 50_000_000 });
    const day = fc.integer({ min: 1, max: 30 }).map((d) => `2026-04-${String(d).padStart(2, '0')}`);
    const sales = fc
      .array(fc.tuple(day, amount), { maxLength: 60 })
      .map((list) => list.map(([d, a], i) => sale(`s${i}`, d, a)));
    const rules = fc.constantFrom<FeeSchedule['rounding']>('down', 'half-up', 'up');

    it('totals equal the sum of the lines plus one tax per rate; every amount an integer; fee = rate × sum rounded once', () => {
      fc.assert(
        fc.property(sales, rules, (list, rounding) => {
          const schedule = { ...DEFAULT_FEE_SCHEDULE, rounding };
          const doc = statement(list, schedule);
          const lineSum = doc.lines.reduce((s, l) => s + l.amountYen, 0);
          const taxable = doc.taxTotals.reduce((s, t) => s + t.taxableYen, 0);
          const tax = doc.taxTotals.reduce((s, t) => s + t.taxYen, 0);
          expect(taxable).to.equal(lineSum);
          expect(doc.totalYen).to.equal(taxable + tax);
          const salesSum = list.reduce((s, x) => s + x.amountYen, 0);
          expect(lineSum).to.equal(applyRate(salesSum, schedule.usageFeeRate, rounding));
          expect(tax).to.equal(applyRate(taxable, { numerator: 10, denominator: 100 }, rounding));
          for (const n of [doc.totalYen, ...doc.lines.map((l) => l.amountYen), tax])
            expect(Number.isSafeInteger(n)).to.equal(true);
          // no line is more than one yen from its own exact share
          for (const [i, l] of doc.lines.entries()) {
            const exact =
              [...list].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))[i]!.amountYen / 10;
            expect(Math.abs(l.amountYen - exact)).to.be.lessThan(1 + 1e-9);
          }
        }),
      );
    });

    it('a reversed sale nets to zero: the statement equals the one without the sale and its reversal', () => {
      fc.assert(
        fc.property(sales, amount, day, (list, a, d) => {
          const withPair = [...list, sale('x', d, a), sale('rx', d, -a, { reverses: 'x' })];
          expect(statement(withPair).totalYen).to.equal(statement(list).totalYen);
          expect(applyRate(-a, { numerator: 10, denominator: 100 }, 'down')).to.equal(
            -applyRate(a, { numerator: 10, denominator: 100 }, 'down'),
          );
        }),
      );
    });

    it('the default multiplier is min(2, 1 + 0.5(n − 1)): never above 2, never decreasing', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 200 }), (n) => {
          const m = coNexusMultiplier(DEFAULT_FEE_SCHEDULE, n);
          // min(2, 1 + (n − 1)/2) = min(4, n + 1) / 2, compared exactly
          expect(compareRational(m, { numerator: Math.min(4, n + 1), denominator: 2 })).to.equal(0);
          expect(compareRational(m, { numerator: 2, denominator: 1 })).to.be.at.most(0);
          expect(compareRational(coNexusMultiplier(DEFAULT_FEE_SCHEDULE, n + 1), m)).to.be.at.least(0);
        }),
      );
    });

    it('any schedule the validator accepts has a multiplier ≤ 2 and monotone for every count', () => {
      const ratio = fc.record({
        numerator: fc.integer({ min: 0, max: 400 }),
        denominator: fc.integer({ min: 1, max: 200 }),
      });
      fc.assert(
        fc.property(fc.array(ratio, { minLength: 1, maxLength: 6 }), (rest) => {
          const schedule = {
            ...DEFAULT_FEE_SCHEDULE,
            coNexusMultipliers: [{ numerator: 1, denominator: 1 }, ...rest],
          };
          if (feeScheduleProblems(schedule).length > 0) return;
          for (let n = 1; n <= 10; n++) {
            const m = coNexusMultiplier(schedule, n);
            expect(compareRational(m, { numerator: 2, denominator: 1 })).to.be.at.most(0);
            expect(compareRational(coNexusMultiplier(schedule, n + 1), m)).to.be.at.least(0);
            const fee = participationFee(
              schedule,
              {
                name: 'x',
                category: 'large-enterprise',
                coNexus: Array.from({ length: n }, (_, i) => `c${i}`),
              },
              fiscalYear([], 2026),
            );
            expect(fee.amountYen).to.be.at.most(2_000_000);
            expect(Number.isSafeInteger(fee.amountYen)).to.equal(true);
          }
        }),
      );
    });
  });
});

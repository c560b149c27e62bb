import type { InvoiceDocument, InvoiceLine, TranscriptDocument } from './document-types.ts';

/**
 * Documents with known contents, for the renderers' tests, the benchmark and a preview: figures
 * computed by hand in the comments (integer yen, tax rounded down once per rate).
 */

/**
 * A usage-fee statement for April 2026: two sales (¥123,450 and ¥78,900) at 10 % → fees ¥12,345 and
 * ¥7,890 = ¥20,235; consumption tax 10 % of ¥20,235 = ¥2,023.5 → ¥2,023; total ¥22,258. One payment
 * of ¥10,000, so ¥12,258 is still due.
 */
export function sampleUsageFeeStatement(): InvoiceDocument {
  return {
    kind: 'usage-fee-statement',
    number: 'UF-2026-04-0007',
    issuedOn: '2026-05-01',
    period: { from: '2026-04-01', to: '2026-04-30' },
    issuer: {
      name: 'CYNEX 運営事務局',
      registrationNumber: 'T1234567890123',
      address: '東京都小金井市貫井北町4-2-1',
    },
    recipient: { name: '株式会社サンプル研修', address: '大阪府大阪市北区梅田1-1-1' },
    lines: [
      {
        date: '2026-04-03',
        description: {
          ja: '利用料：売上 123,450円（インシデント対応入門、顧客 A社）の10%',
          en: 'Usage fee: 10% of sale ¥123,450 (Incident response basics, customer A Corp.)',
        },
        amountYen: 12_345,
        taxRatePercent: 10,
      },
      {
        date: '2026-04-17',
        description: {
          ja: '利用料：売上 78,900円（Web セキュリティ演習、顧客 B大学）の10%',
          en: 'Usage fee: 10% of sale ¥78,900 (Web security lab, customer B University)',
        },
        amountYen: 7_890,
        taxRatePercent: 10,
      },
    ],
    taxTotals: [{ taxRatePercent: 10, taxableYen: 20_235, taxYen: 2_023 }],
    totalYen: 22_258,
    dueOn: '2026-05-31',
    payments: [{ on: '2026-05-20', amountYen: 10_000 }],
    notes: [
      {
        ja: 'CYROP を利用した事業の売上の10%を利用料としてご請求します。',
        en: 'The usage fee is 10% of the sales of the business run on CYROP.',
      },
    ],
  };
}

/**
 * A statement of `count` sales: sale i (1-based) earns a fee of 100 + i yen at 10 %, so the fees sum
 * to 100·n + n(n+1)/2 and the tax is that sum × 10 %, rounded down.
 */
export function sampleLongStatement(count: number): InvoiceDocument {
  const lines: InvoiceLine[] = [];
  for (let i = 1; i <= count; i += 1) {
    const day = String(1 + (i % 28)).padStart(2, '0');
    lines.push({
      date: `2026-04-${day}`,
      description: {
        ja: `利用料：売上 No.${i}（顧客 ${i} 社）`,
        en: `Usage fee: sale No.${i} (customer ${i})`,
      },
      quantity: 1,
      unitPriceYen: 100 + i,
      amountYen: 100 + i,
      taxRatePercent: 10,
    });
  }
  const taxable = 100 * count + (count * (count + 1)) / 2;
  const tax = Math.floor(taxable / 10);
  return {
    ...sampleUsageFeeStatement(),
    number: `UF-2026-04-L${count}`,
    lines,
    taxTotals: [{ taxRatePercent: 10, taxableYen: taxable, taxYen: tax }],
    totalYen: taxable + tax,
    payments: [],
  };
}

/**
 * April's statement with a return: a March sale of ¥45,670 reversed in April → its fee ¥4,567 is
 * returned, tax 10 % of ¥4,567 = ¥456.7 → ¥456; total ¥22,258 − (¥4,567 + ¥456) = ¥17,235.
 */
export function sampleStatementWithReturn(): InvoiceDocument {
  return {
    ...sampleUsageFeeStatement(),
    number: 'UF-2026-04-0008',
    payments: [],
    returns: {
      lines: [
        {
          date: '2026-03-18',
          description: {
            ja: '返還: 株式会社テスト様への売上 ¥45,670 の利用料 10%（2026-04-09 取消）',
            en: 'Return: usage fee 10% of sale ¥45,670 to Test KK, reversed on 2026-04-09',
          },
          amountYen: 4_567,
          taxRatePercent: 10,
        },
      ],
      taxTotals: [{ taxRatePercent: 10, taxableYen: 4_567, taxYen: 456 }],
    },
    totalYen: 17_235,
  };
}

/**
 * A yearly CYNEX participation fee with a standard-rate fee and a reduced-rate (8 %) line and a
 * tax-free line, to show every rate: ¥750,000 at 10 % → tax ¥75,000; ¥3,240 at 8 % → ¥259.2 →
 * ¥259; ¥1,000 at 0 % → ¥0. Total 750,000 + 75,000 + 3,240 + 259 + 1,000 = ¥829,499. Addressed
 * to a person (様).
 */
export function sampleParticipationFeeInvoice(): InvoiceDocument {
  return {
    kind: 'participation-fee-invoice',
    number: 'CF-2026-0031',
    issuedOn: '2026-04-01',
    period: { from: '2026-04-01', to: '2027-03-31' },
    issuer: { name: 'CYNEX 運営事務局', registrationNumber: 'T1234567890123' },
    recipient: { name: '山田 太郎', individual: true },
    lines: [
      {
        description: {
          ja: 'CYNEX 参加費（中小企業、Co-Nexus 2 件、×1.5）',
          en: 'CYNEX participation fee (SME, 2 Co-Nexus, ×1.5)',
        },
        quantity: 1,
        unitPriceYen: 750_000,
        amountYen: 750_000,
        taxRatePercent: 10,
      },
      {
        date: '2026-04-10',
        description: { ja: '会合時の飲食料品', en: 'Food and drink at the kick-off meeting' },
        quantity: 3,
        unitPriceYen: 1_080,
        amountYen: 3_240,
        taxRatePercent: 8,
      },
      {
        description: { ja: '振込手数料の立替', en: 'Bank transfer fee advanced' },
        amountYen: 1_000,
        taxRatePercent: 0,
      },
    ],
    taxTotals: [
      { taxRatePercent: 10, taxableYen: 750_000, taxYen: 75_000 },
      { taxRatePercent: 8, taxableYen: 3_240, taxYen: 259 },
      { taxRatePercent: 0, taxableYen: 1_000, taxYen: 0 },
    ],
    totalYen: 829_499,
    dueOn: '2026-04-30',
  };
}

/** A transcript: two exercises, three objectives solved, four statements, two work roles. */
export function sampleTranscript(): TranscriptDocument {
  return {
    issuedOn: '2026-06-30',
    trainee: { name: '佐藤 花子', email: 'hanako@example.jp', organisation: '株式会社サンプル研修' },
    course: { title: { ja: 'インシデント対応実践コース', en: 'Incident Response in Practice' } },
    framework: 'nice-2.1.0',
    exercises: [
      {
        scenario: {
          id: 'web-sqli',
          version: '1.2.0',
          title: { ja: 'SQL インジェクション演習', en: 'SQL injection lab' },
        },
        exerciseId: 'ex-0042',
        startedOn: '2026-06-02',
        objectivesSolved: [
          {
            id: 'find-injection',
            title: { ja: '脆弱なパラメータを特定する', en: 'Find the vulnerable parameter' },
            solvedOn: '2026-06-02',
            statementIds: ['K0070', 'S0001'],
          },
          {
            id: 'dump-users',
            title: { ja: '利用者テーブルを取得する', en: 'Dump the users table' },
            solvedOn: '2026-06-03',
            statementIds: ['S0051'],
          },
        ],
      },
      {
        scenario: {
          id: 'log-triage',
          version: '0.9.1',
          title: { ja: 'ログ解析による侵害調査', en: 'Log triage' },
        },
        exerciseId: 'ex-0057',
        startedOn: '2026-06-16',
        objectivesSolved: [
          {
            id: 'find-attacker-ip',
            title: { ja: '攻撃元 IP アドレスを特定する', en: "Identify the attacker's IP address" },
            solvedOn: '2026-06-16',
            statementIds: ['T0027'],
          },
        ],
      },
    ],
    statements: [
      {
        id: 'K0070',
        type: 'knowledge',
        text: 'Knowledge of system and application security threats and vulnerabilities.',
        firstDemonstratedOn: '2026-06-02',
      },
      {
        id: 'S0001',
        type: 'skill',
        text: 'Skill in conducting vulnerability scans.',
        firstDemonstratedOn: '2026-06-02',
      },
      {
        id: 'S0051',
        type: 'skill',
        text: 'Skill in the use of penetration testing tools.',
        firstDemonstratedOn: '2026-06-03',
      },
      {
        id: 'T0027',
        type: 'task',
        text: 'Conduct analysis of log files to identify intrusions.',
        firstDemonstratedOn: '2026-06-16',
      },
    ],
    roles: [
      { id: 'PD-WRL-001', name: 'Defensive Cybersecurity', demonstrated: 3, total: 212 },
      { id: 'PD-WRL-007', name: 'Vulnerability Analysis', demonstrated: 2, total: 97 },
    ],
  };
}

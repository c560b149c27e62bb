import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { sampleTranscript } from './sample-documents.ts';
import { transcriptCsv } from './transcript-csv.ts';

/** Parses as an accounting import would: BOM removed, header row as the keys. */
function records(csv: string): Record<string, string>[] {
  return parse<Record<string, string>>(csv, { bom: true, columns: true });
}

describe('transcriptCsv', () => {
  it('has a record per objective solved, statement and work role, in Japanese and English', () => {
    const ja = records(transcriptCsv(sampleTranscript(), 'ja'));
    expect(ja.map((r) => r['行種別'])).to.deep.equal([
      '課題',
      '課題',
      '課題',
      'NICE項目',
      'NICE項目',
      'NICE項目',
      'NICE項目',
      'ワークロール',
      'ワークロール',
    ]);
    expect(ja[0]).to.include({
      受講者: '佐藤 花子',
      コース: 'インシデント対応実践コース',
      フレームワーク: 'nice-2.1.0',
      シナリオID: 'web-sqli',
      シナリオ版: '1.2.0',
      演習ID: 'ex-0042',
      ID: 'find-injection',
      '名称・内容': '脆弱なパラメータを特定する',
      日付: '2026-06-02',
      実証した項目: 'K0070 S0001',
    });
    const en = records(transcriptCsv(sampleTranscript(), 'en'));
    expect(en.find((r) => r['id'] === 'S0051')).to.include({
      record: 'statement',
      type: 'skill',
      date: '2026-06-03',
    });
    expect(en.find((r) => r['id'] === 'PD-WRL-001')).to.include({
      record: 'role',
      demonstrated: '3',
      total: '212',
    });
  });
});

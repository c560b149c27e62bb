import { expect } from 'chai';
import type { TranscriptDocument } from './document-types.ts';
import { pdfPages } from './pdf-test-tools.ts';
import { renderTranscriptPdf } from './render-transcript-pdf.ts';
import { sampleTranscript } from './sample-documents.ts';

const flat = (text: string): string => text.replace(/[ \t]+/g, ' ');

describe('renderTranscriptPdf (read back with pdftotext)', function () {
  this.timeout(60_000);

  it('lists in Japanese the trainee, course, framework, scenarios, objectives solved, statements and dates', async () => {
    const text = flat(pdfPages(await renderTranscriptPdf(sampleTranscript(), 'ja')).join('\n'));
    expect(text).to.include('演習履歴証明書');
    expect(text).to.match(/受講者 佐藤 花子/);
    expect(text).to.match(/所属 株式会社サンプル研修/);
    expect(text).to.match(/コース インシデント対応実践コース/);
    expect(text).to.match(/NICE フレームワーク nice-2.1.0/);
    expect(text).to.match(/発行日 2026年6月30日/);
    expect(text).to.match(
      /SQL インジェクション演習 2026\/06\/02 脆弱なパラメータを特定する 2026\/06\/02 K0070, S0001/,
    );
    expect(text).to.match(/利用者テーブルを取得する 2026\/06\/03 S0051/);
    expect(text).to.match(/web-sqli 1.2.0 · ex-0042/);
    expect(text).to.match(
      /ログ解析による侵害調査 2026\/06\/16 攻撃元 IP アドレスを特定する 2026\/06\/16 T0027/,
    );
    expect(text).to.match(/実証した NICE 項目 \(4\)/);
    // NIST's English text, whatever the language around it.
    expect(text).to.match(
      /K0070 知識 Knowledge of system and application security threats and vulnerabilities\. 2026\/06\/02/,
    );
    expect(text).to.match(/T0027 タスク Conduct analysis of log files to identify intrusions\. 2026\/06\/16/);
    expect(text).to.match(/PD-WRL-001 Defensive Cybersecurity 3 \/ 212 1%/);
    expect(text).to.match(/PD-WRL-007 Vulnerability Analysis 2 \/ 97 2%/);
    expect(text).to.include('1 / 1 ページ');
  });

  it('says the same in English', async () => {
    const text = flat(pdfPages(await renderTranscriptPdf(sampleTranscript(), 'en')).join('\n'));
    expect(text).to.include('Training Transcript');
    expect(text).to.match(/Trainee 佐藤 花子/);
    expect(text).to.match(/Course Incident Response in Practice/);
    expect(text).to.match(
      /SQL injection lab 2026-06-02 Find the vulnerable parameter 2026-06-02 K0070, S0001/,
    );
    expect(text).to.match(/Log triage 2026-06-16 Identify the attacker's IP address 2026-06-16 T0027/);
    expect(text).to.match(/S0051 skill Skill in the use of penetration testing tools\. 2026-06-03/);
    expect(text).to.match(/PD-WRL-001 Defensive Cybersecurity 3 \/ 212 1%/);
    expect(text).to.include('Page 1 of 1');
  });

  it('names the scenario again at the top of a page that continues its objectives', async () => {
    const base = sampleTranscript();
    const [first] = base.exercises;
    if (!first) throw new Error('the sample has exercises');
    const objectivesSolved = Array.from({ length: 120 }, (_, i) => ({
      id: `objective-${i + 1}`,
      title: { ja: `課題 ${i + 1}`, en: `Objective ${i + 1}` },
      solvedOn: '2026-06-02',
      statementIds: ['K0070'],
    }));
    const pages = pdfPages(
      await renderTranscriptPdf({ ...base, exercises: [{ ...first, objectivesSolved }] }, 'en'),
    );
    expect(pages.length).to.be.greaterThan(1);
    const second = flat(pages[1] ?? '');
    // The page's first row is a continued objective, and carries the scenario and its start.
    expect(second).to.match(
      /Scenario Started Objective solved Solved on Statements\n+ ?SQL injection lab 2026-06-02 Objective \d+ /,
    );
    const objectives = pages.flatMap((page) =>
      [...flat(page).matchAll(/Objective (\d+) 2026-06-02 K0070/g)].map((m) => Number(m[1])),
    );
    expect(objectives).to.deep.equal(Array.from({ length: 120 }, (_, i) => i + 1));
  });

  it('continues a long transcript over pages with the header row repeated, losing no statement', async () => {
    const base = sampleTranscript();
    const statements: TranscriptDocument['statements'] = Array.from({ length: 400 }, (_, i) => ({
      id: `K${String(i + 1).padStart(4, '0')}`,
      type: 'knowledge',
      text: `Knowledge of topic number ${i + 1}.`,
      firstDemonstratedOn: '2026-06-02',
    }));
    const pages = pdfPages(await renderTranscriptPdf({ ...base, statements }, 'en'));
    expect(pages.length).to.be.greaterThan(3);
    const ids: string[] = [];
    pages.forEach((page, i) => {
      const text = flat(page);
      expect(text).to.include(`Page ${i + 1} of ${pages.length}`);
      if (i > 0 && /K\d{4} skill|K\d{4} knowledge/.test(text)) {
        expect(text, `page ${i + 1}`).to.match(/ID Type Statement \(NIST text\) First/);
      }
      for (const match of text.matchAll(/(K\d{4}) knowledge Knowledge of topic number (\d+)\./g)) {
        expect(Number(match[2])).to.equal(Number(match[1]?.slice(1)));
        ids.push(match[1] ?? '');
      }
    });
    expect(ids).to.deep.equal(statements.map((s) => s.id));
  });
});

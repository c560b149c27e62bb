import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Scenario } from '../compiler/scenario.ts';
import { readReadme, scenarioGuide, solutionSection, storySection } from './scenario-guide.ts';

const scenario: Scenario = {
  apiVersion: 'cyrop/v1',
  kind: 'Scenario',
  metadata: {
    id: 'g',
    version: '1.0.0',
    title: { en: 'G', ja: 'ジー' },
    category: 'web',
    difficulty: 'beginner',
  },
  networks: [{ name: 'dmz' }],
  hosts: [
    { name: 'kali', image: 'cyrop/attacker:1', networks: ['dmz'], console: true },
    { name: 'web', image: 'cyrop/target-web:1', networks: [{ name: 'dmz', aliases: ['www'] }, 'back'] },
  ],
  objectives: [
    { id: 'a', kind: 'flag', title: 'A', points: 10, flag: 'CYROP{x}', hints: [{ id: 'h', text: 'look' }] },
    {
      id: 'b',
      kind: 'check',
      title: 'B',
      points: 5,
      requires: ['a'],
      check: { host: 'web', run: ['true'] },
    },
  ],
};

describe('scenario guide', () => {
  it('keeps objectives in order with locks and hint costs, adds undeclared networks, and holds no answer', () => {
    const guide = scenarioGuide(scenario, 'abc', null);
    expect(guide.objectives.map((o) => [o.id, o.requires, o.hints])).to.deep.equal([
      ['a', [], [{ id: 'h', cost: 0, text: 'look' }]],
      ['b', ['a'], []],
    ]);
    expect(guide.objectives[1]?.check).to.deep.equal({ host: 'web', forgeable: false });
    expect(guide.networks.map((n) => n.name)).to.deep.equal(['dmz', 'back']);
    expect(guide.hosts[1]?.networks).to.deep.equal([
      { name: 'dmz', aliases: ['www'] },
      { name: 'back', aliases: [] },
    ]);
    expect(JSON.stringify(guide)).not.to.include('CYROP{x}');
  });

  it('finds the solution and story sections of a README, not headings inside code blocks', () => {
    const readme = [
      '# Title',
      '## Story',
      'Once upon a time.',
      '## How it is solved',
      '```sh',
      '## not a heading',
      'nmap -p- shop',
      '```',
      '### Step two',
      'done',
      '## Next section',
      'other',
    ].join('\n');
    expect(storySection(readme)).to.equal('Once upon a time.');
    expect(solutionSection(readme)).to.equal(
      '```sh\n## not a heading\nnmap -p- shop\n```\n### Step two\ndone',
    );
    expect(solutionSection('# T\n\n## 解き方\n\n答えは 42。\n')).to.equal('答えは 42。');
    expect(solutionSection('# T\n\nno sections')).to.equal(null);
    expect(solutionSection('## Solution\n\n')).to.equal(null);
  });

  it('reads the README of the folder, else solution/README.md, and never follows a symbolic link', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-guide-'));
    try {
      const file = path.join(dir, 'scenario.yaml');
      expect(readReadme(file)).to.deep.equal({ story: null, solution: null });
      mkdirSync(path.join(dir, 'solution'));
      writeFileSync(path.join(dir, 'solution', 'README.md'), '# Solved\n\nrun it\n');
      writeFileSync(path.join(dir, 'README.md'), '## Story\n\nA shop.\n');
      expect(readReadme(file)).to.deep.equal({ story: 'A shop.', solution: '# Solved\n\nrun it' });
      rmSync(path.join(dir, 'README.md'));
      writeFileSync(path.join(dir, 'elsewhere.md'), '## Story\n\nsecret\n');
      symlinkSync(path.join(dir, 'elsewhere.md'), path.join(dir, 'README.md'));
      expect(readReadme(file).story).to.equal(null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

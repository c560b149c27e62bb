import { expect } from 'chai';
import { strToU8, zipSync } from 'fflate';
import { ArchiveProblem, filesFromZip } from './scenario-archive.ts';

const zip = (files: Record<string, string | Uint8Array>) =>
  zipSync(
    Object.fromEntries(
      Object.entries(files).map(([name, content]) => [
        name,
        typeof content === 'string' ? strToU8(content) : content,
      ]),
    ),
  );

describe('scenario zip archives', () => {
  it('takes the files of the single top-level folder, relative to it, Japanese text intact', () => {
    const files = filesFromZip(
      zip({
        'web-quiz/scenario.yaml': 'title: 日本語のシナリオ\n',
        'web-quiz/files/notes.txt': 'note',
        'web-quiz/': new Uint8Array(),
        '__MACOSX/web-quiz/._scenario.yaml': 'junk',
        'web-quiz/.DS_Store': 'junk',
      }),
    );
    expect(files).to.deep.equal({ 'scenario.yaml': 'title: 日本語のシナリオ\n', 'files/notes.txt': 'note' });
  });

  it('keeps the paths of an archive made from inside the folder', () => {
    expect(filesFromZip(zip({ 'scenario.yaml': 'a', 'files/x.txt': 'b' }))).to.deep.equal({
      'scenario.yaml': 'a',
      'files/x.txt': 'b',
    });
  });

  it('leaves out files over 1 MiB, as a folder upload does', () => {
    const big = new Uint8Array(1024 * 1024 + 1);
    expect(Object.keys(filesFromZip(zip({ 's/scenario.yaml': 'a', 's/big.bin': big })))).to.deep.equal([
      'scenario.yaml',
    ]);
  });

  it('refuses what is not a zip, an empty archive and one with too many files, saying why', () => {
    expect(() => filesFromZip(strToU8('scenario.yaml is not a zip'))).to.throw(
      ArchiveProblem,
      /not a readable zip archive/,
    );
    expect(() => filesFromZip(zip({ 'empty/': new Uint8Array() }))).to.throw(ArchiveProblem, 'no files');
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`s/f${i}.txt`, 'x']));
    expect(() => filesFromZip(zip(many))).to.throw(ArchiveProblem, 'more than 64 files');
  });
});

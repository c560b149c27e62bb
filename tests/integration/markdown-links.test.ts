import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './helpers.ts';

/**
 * The repository's documents stand alone: every relative link of every markdown file leads to a file
 * or folder of the repository, no text sends a reader to the team's documents outside it (`../shared/`,
 * `DESIGN.md`, `notes/…`), and every `scenarios/NAME` a document names is a shipped scenario.
 */

const markdownFiles = execFileSync(
  'git',
  ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'],
  {
    cwd: REPO,
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => f !== '' && existsSync(path.join(REPO, f)));

/** The text of a markdown file with its fenced code blocks blanked (links there are not links). */
function prose(text: string): string {
  return text.replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, (m) =>
    m.replace(/[^\n]/g, ' '),
  );
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

describe('markdown documents of the repository', () => {
  it('are found', () => {
    expect(markdownFiles).to.include.members([
      'README.md',
      'docs/architecture.md',
      'docs/scenario-format.md',
    ]);
  });

  it('link only to files and folders that exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles) {
      const text = prose(readFileSync(path.join(REPO, file), 'utf8'));
      // inline links and images: [text](target "title"), and reference definitions: [id]: target
      const links = [
        ...[...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({
          target: m[1]!,
          at: m.index,
        })),
        ...[...text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => ({
          target: m[1]!,
          at: m.index,
        })),
      ];
      for (const { target, at } of links) {
        if (/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(target)) continue; // http:, mailto:, data:, #fragment
        const relative = decodeURI(target.split('#')[0]!);
        const resolved = path.resolve(path.dirname(path.join(REPO, file)), relative);
        const inside = resolved === REPO || resolved.startsWith(REPO + path.sep);
        if (!inside || !existsSync(resolved)) broken.push(`${file}:${lineOf(text, at)}: ${target}`);
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('send no reader to documents outside the repository', () => {
    const outside: string[] = [];
    for (const file of markdownFiles) {
      const text = readFileSync(path.join(REPO, file), 'utf8');
      for (const m of text.matchAll(
        /\bDESIGN\.md\b|\bnotes\/[a-z0-9-]+\.md\b|\bshared\/(?:nice|notes)\b|shared `?scenario-format/g,
      ))
        outside.push(`${file}:${lineOf(text, m.index)}: ${m[0]}`);
      // `../x` in prose or code: a path relative to the document that must stay inside the repository
      // (`../shared/` of a driver's README is orchestrator/src/runtime/shared/; beside the repository is not)
      for (const m of text.matchAll(/(?<![\w.=])((?:\.\.\/)+)([\w.-]+)/g)) {
        const resolved = path.resolve(path.dirname(path.join(REPO, file)), m[1]!, m[2]!);
        if (!resolved.startsWith(REPO + path.sep) || !existsSync(resolved))
          outside.push(`${file}:${lineOf(text, m.index)}: ${m[0]}`);
      }
    }
    expect(outside).to.deep.equal([]);
  });

  it('name only scenarios that the catalogue ships', () => {
    const shipped = new Set(
      readdirSync(path.join(REPO, 'scenarios'), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name),
    );
    const unknown: string[] = [];
    for (const file of markdownFiles) {
      const text = readFileSync(path.join(REPO, file), 'utf8');
      for (const m of text.matchAll(/(?<![\w./-])scenarios\/([a-z0-9][a-z0-9-]*[a-z0-9])(?![\w-]|\.\w)/g))
        if (!shipped.has(m[1]!)) unknown.push(`${file}:${lineOf(text, m.index)}: ${m[0]}`);
    }
    expect(unknown).to.deep.equal([]);
  });
});

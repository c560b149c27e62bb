import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkBuild, type BuildStamp } from '../../orchestrator/bin/build-stamp.js';
import { REPO } from './helpers.ts';

// The compiled CLI (orchestrator/build.ts → orchestrator/dist/, run by bin/cyrop.js when current),
// in a copy of the repository's orchestrator/ (node_modules linked), so that building, editing a
// source and rebuilding never touch the real tree. Which modules a command loads is read from a
// module resolve hook of the child process that appends every URL it resolves to a file.
describe('cyrop CLI: the compiled build', function () {
  this.timeout(120_000);
  let root: string;
  let log: string;
  let hook: string;
  const ORIGINAL = "description('CYROP — open cyber-range platform')";
  const EDITED = "description('CYROP — edited after the build')";

  const build = () =>
    spawnSync(process.execPath, ['--import', 'tsx', 'orchestrator/build.ts'], {
      cwd: root,
      encoding: 'utf8',
    });

  /** Run the copy's `cyrop` with the module log; what it printed and every module URL it resolved. */
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    writeFileSync(log, '');
    const r = spawnSync(
      process.execPath,
      ['--import', hook, path.join(root, 'orchestrator/bin/cyrop.js'), ...args],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CYROP_LOG_LEVEL: 'silent', CYROP_TEST_MODULE_LOG: log, ...env },
      },
    );
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const inCopy = (folder: string) =>
      urls
        .filter((u) => u.startsWith(`file://${root}/orchestrator/${folder}/`))
        .map((u) => u.slice(`file://${root}/orchestrator/`.length));
    const packages = [
      ...new Set(
        urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p) => p !== undefined),
      ),
    ].sort();
    return { ...r, dist: inCopy('dist'), src: inCopy('src'), packages };
  };

  before(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'cyrop-build-'));
    for (const p of [
      'package.json',
      'contract',
      'orchestrator/bin',
      'orchestrator/src',
      'orchestrator/schema',
      'orchestrator/build.ts',
    ])
      cpSync(path.join(REPO, p), path.join(root, p), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'));
    log = path.join(root, 'modules.log');
    writeFileSync(
      path.join(root, 'module-log.mjs'),
      `import { appendFileSync } from 'node:fs';
let logFile;
export function initialize(data) {
  logFile = data.log;
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(logFile, result.url + '\\n');
  return result;
}
`,
    );
    hook = path.join(root, 'register-module-log.mjs');
    writeFileSync(
      hook,
      `import { register } from 'node:module';
register('./module-log.mjs', import.meta.url, { data: { log: process.env.CYROP_TEST_MODULE_LOG } });
`,
    );
    const b = build();
    expect(b.status, b.stderr).to.equal(0);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('runs `cyrop --help` from orchestrator/dist/ without tsx, loading commander and cli-progress and no other package (no server, store or engine client)', () => {
    expect(checkBuild(root, path.join(root, 'orchestrator/dist'))).to.deep.equal({ state: 'current' });
    const r = run(['--help']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout)
      .to.match(/^Usage: cyrop /)
      .and.include('validate')
      .and.include('serve');
    expect(r.stderr).to.equal('');
    expect(r.dist).to.include('dist/cli.js');
    expect(r.src).to.deep.equal([]);
    expect(r.packages).to.deep.equal(['cli-progress', 'commander']);
  });

  it('validates as the sources do (the precompiled schema validator included), without tsx', () => {
    const fixtures = path.join(REPO, 'tests/fixtures/invalid');
    const compiled = run(['validate', fixtures, '--format', 'json']);
    const sources = run(['validate', fixtures, '--format', 'json'], { CYROP_RUN_SOURCES: '1' });
    expect(compiled.status).to.equal(1);
    expect(compiled.packages).to.not.include('tsx');
    expect(compiled.src).to.deep.equal([]);
    expect(sources.packages).to.include('tsx');
    expect(sources.src).to.include('src/cli/main.ts');
    expect(JSON.parse(compiled.stdout)).to.deep.equal(JSON.parse(sources.stdout));
    expect(compiled.stderr).to.equal(sources.stderr);
    const valid = run(['validate', path.join(REPO, 'scenarios')]);
    expect(valid.status, valid.stderr).to.equal(0);
    expect(valid.stdout).to.match(/scenarios checked: all valid/);
  });

  it('never runs a build older than the sources: an edited source runs through tsx, with a notice at a terminal', () => {
    const main = path.join(root, 'orchestrator/src/cli/main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace(ORIGINAL, EDITED));
    expect(checkBuild(root, path.join(root, 'orchestrator/dist'))).to.deep.equal({
      state: 'stale',
      reason: 'orchestrator/src/cli/main.ts changed since orchestrator/dist was built',
    });

    const r = run(['--help']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include('CYROP — edited after the build');
    expect(r.packages).to.include('tsx');
    expect(r.src).to.include('src/cli/main.ts');
    expect(r.dist).to.deep.equal([]);
    // Piped (scripts, tests): the output is the command's own. At a terminal: one line saying why.
    expect(r.stderr).to.equal('');
    expect(existsSync('/usr/bin/script'), 'util-linux script(1), to give the command a terminal').to.equal(
      true,
    );
    const tty = spawnSync(
      '/usr/bin/script',
      ['-qec', `"${process.execPath}" orchestrator/bin/cyrop.js --help`, '/dev/null'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(tty.stdout).to.include(
      'cyrop: running the sources through tsx, as orchestrator/src/cli/main.ts changed since orchestrator/dist was built (npm run build:orchestrator makes it current)',
    );
    expect(tty.stdout).to.include('CYROP — edited after the build');

    // Rebuilt, the build is current again and carries the edit.
    const b = build();
    expect(b.status, b.stderr).to.equal(0);
    const again = run(['--help']);
    expect(again.stdout).to.include('CYROP — edited after the build');
    expect(again.dist).to.include('dist/cli.js');
    expect(again.packages).to.deep.equal(['cli-progress', 'commander']);
  });

  it('calls a build stale when a file it was made from is gone, absent when there is none, current when a file was only touched', () => {
    const extra = path.join(root, 'orchestrator/dist.test-copy');
    cpSync(path.join(root, 'orchestrator/dist'), extra, { recursive: true });
    const stamp = JSON.parse(readFileSync(path.join(extra, 'build.json'), 'utf8')) as BuildStamp;
    stamp.files['orchestrator/src/not-there.ts'] = { sha256: 'feed', size: 1, mtimeMs: 1 };
    writeFileSync(path.join(extra, 'build.json'), JSON.stringify(stamp));
    expect(checkBuild(root, extra)).to.deep.equal({
      state: 'stale',
      reason: 'orchestrator/src/not-there.ts, which orchestrator/dist.test-copy was built from, is gone',
    });
    expect(checkBuild(root, path.join(root, 'orchestrator/no-build'))).to.deep.equal({ state: 'absent' });
    // Touched, not changed (a checkout, a copy): its hash still matches, the build is current.
    utimesSync(path.join(root, 'orchestrator/src/errors.ts'), new Date(), new Date(2001, 1, 1));
    expect(checkBuild(root, path.join(root, 'orchestrator/dist'))).to.deep.equal({ state: 'current' });
  });

  it('refuses to build a module that reads its own location (it would name orchestrator/dist/ once compiled)', () => {
    const errors = path.join(root, 'orchestrator/src/errors.ts');
    const text = readFileSync(errors, 'utf8');
    try {
      writeFileSync(errors, `${text}\nexport const HERE = import.meta.url;\n`);
      const b = build();
      expect(b.status).to.equal(1);
      expect(b.stderr)
        .to.include('orchestrator/src/errors.ts uses import.meta.url')
        .and.include('src/paths.ts');
    } finally {
      writeFileSync(errors, text);
    }
  });
});

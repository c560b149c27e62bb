import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDiagnostic } from '../../orchestrator/src/compiler/diagnostic.ts';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import { niceTestData } from '../../orchestrator/src/nice/nice-test-data.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { REPO } from './helpers.ts';

/**
 * The examples of the repository's documents are what a newcomer copies, so they must work as
 * written. Every command of every fenced `sh`/`bash`/`shell`/`console` block of the documents below
 * is classified here: run (in a clean data and config directory, from the repository root) or not
 * run, with the reason. A new example fails this test until it is classified; a classification whose
 * example is gone fails too. Every YAML scenario of docs/scenario-format.md is compiled by the real
 * compiler and planned for two teams.
 */

const DOCUMENTS = ['README.md', 'scenarios/README.md', ...docsFiles()];

function docsFiles(): string[] {
  const dir = path.join(REPO, 'docs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`);
}

interface Fence {
  file: string;
  line: number;
  lang: string;
  info: string;
  body: string;
}

/** Fenced code blocks (``` or ~~~) of a markdown text, with the line of their opening fence. */
export function fencedBlocks(file: string, text: string): Fence[] {
  const blocks: Fence[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j]!))
      body.push(lines[j++]!);
    blocks.push({
      file,
      line: i + 1,
      lang: open[2]!.toLowerCase(),
      info: open[3]!.trim(),
      body: body.join('\n'),
    });
    i = j;
  }
  return blocks;
}

/** A command line without its trailing `# comment` (a `#` after blank space, outside quotes). */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') i++;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

interface Example {
  where: string;
  command: string;
}

/** The commands of a shell block: comments dropped, `\` continuations joined, blanks collapsed. */
export function commandsOf(block: Fence): Example[] {
  const out: Example[] = [];
  const lines = block.body.split('\n');
  let pending = '';
  let start = 0;
  for (const [k, raw] of lines.entries()) {
    let line = raw;
    if (block.lang === 'console') {
      if (pending === '' && !line.startsWith('$ ')) continue; // output, not a command
      if (pending === '') line = line.slice(2);
    }
    if (pending === '') start = k;
    const code = withoutComment(line);
    if (code.endsWith('\\')) {
      pending += code.slice(0, -1) + ' ';
      continue;
    }
    const command = (pending + code).replace(/\s+/g, ' ').trim();
    pending = '';
    if (command !== '') out.push({ where: `${block.file}:${block.line + 1 + start}`, command });
  }
  return out;
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

function examples(): Example[] {
  return DOCUMENTS.flatMap((file) =>
    fencedBlocks(file, readFileSync(path.join(REPO, file), 'utf8'))
      .filter((b) => SHELL_LANGS.has(b.lang))
      .flatMap(commandsOf),
  );
}

interface Run {
  /** Exit status expected (default 0). */
  status?: number;
  /** What its standard output must match. */
  stdout?: RegExp;
  /** Needs NIST's NICE v2.1.0 file (not in the repository); not run, and said so, where it is absent. */
  nice?: true;
}
type Classification = { run: Run } | { skip: string };

const placeholder = (what: string): { skip: string } => ({
  skip: `names a placeholder (${what}) the reader replaces; tests/integration/admin-cli*.test.ts run the command`,
});
const ENGINE = 'needs the container engine and builds or changes exercises on it (tests/engine/ run it)';
const REMOTE = 'talks to a server at an address of the reader (tests/integration/admin-cli-remote.test.ts)';
const CLUSTER =
  'starts, stops or reads the local Kubernetes cluster: needs root and minutes (tests/kubernetes/)';

/** Every command of the documents, exactly as normalised by `commandsOf`. */
const CLASSIFIED: Record<string, Classification> = {
  // README.md: the two commands a newcomer runs first
  'npm ci && npm start': {
    skip: 'reinstalls node_modules, builds images and serves until stopped (tests/e2e/ start the server)',
  },
  'npm ci && npm test': { skip: 'reinstalls node_modules and runs every suite, engines included (CI)' },
  // README.md: the cyrop command
  'npx cyrop validate scenarios': { run: { stdout: /^\d+ scenarios checked: all valid, 0 errors/m } },
  'npx cyrop validate scenarios --format json': {
    run: { stdout: /"summary": \{\s*"files": \d+,\s*"invalid": 0/ },
  },
  'npx cyrop plan scenarios/web-sqli-pivot --teams 3 --secret s3cret-value': {
    run: { stdout: /^Team 3 \(team-3\)\s+exercise \S+\s+scenario web-sqli-pivot@/m },
  },
  'npx cyrop nice import /path/to/nice_v2.1.0_cprt_SP_800_181_2_1_0.json': {
    skip: 'NIST file path of the reader; the test imports the same file from the nice tests data when present',
  },
  'npx cyrop nice show PD-WRL-001': { run: { nice: true, stdout: /PD-WRL-001/ } },
  'npx cyrop nice coverage --role PD-WRL-001': {
    run: { nice: true, stdout: /^statements covered: 74 of 2148 \(3\.4%\)$/m },
  },
  'npx cyrop nice gaps --role PD-WRL-001 --format csv': {
    run: { nice: true, stdout: /^\ufeffwork_role,statement_id,type,text\r\nPD-WRL-001,T\d{4},task,/ },
  },
  'npx cyrop usage --from 2026-04-01 --to 2026-04-30': {
    run: { stdout: /^materials used with real teams: 0 of 6 \(0%\)$/m },
  },
  'npx cyrop images build': { skip: ENGINE },
  'npx cyrop exercise launch scenarios/web-sqli-pivot --teams 4 --ttl 3h': { skip: ENGINE },
  'npx cyrop exercise status web-sqli-pivot-1a2b3c': { skip: `${ENGINE}; names an example exercise id` },
  'npx cyrop exercise reset web-sqli-pivot-1a2b3c --team team-2 [--host shop]': { skip: ENGINE },
  'npx cyrop exercise extend web-sqli-pivot-1a2b3c 30m': { skip: ENGINE },
  'npx cyrop exercise teardown web-sqli-pivot-1a2b3c': { skip: ENGINE },
  'npx cyrop exercise reconcile': { skip: ENGINE },
  'npx cyrop gc [--firewall] [--any-installation]': { skip: ENGINE },
  'npx cyrop serve --port 8420': { skip: 'serves until stopped (tests/integration/server.test.ts)' },
  // README.md: administration against the data directory
  'npx cyrop org list': { run: { stdout: /operator\s+-\s+\S*\s*Platform operator/ } },
  'npx cyrop org create --name "Acme Training" --kind training-company --category sme --contact-email billing@acme.example --invoice-number T9234567890123':
    { run: { stdout: /Acme Training/ } },
  'npx cyrop org disable ORG_ID [--enable]': placeholder('ORG_ID'),
  'npx cyrop user list [--org ORG_ID]': placeholder('ORG_ID'),
  'npx cyrop user create --org ORG_ID --email a@acme.example --name "A. Admin" --role org-admin':
    placeholder('ORG_ID'),
  'npx cyrop user disable a@acme.example [--enable]': placeholder('an account the reader made'),
  'npx cyrop user reset-password a@acme.example': placeholder('an account the reader made'),
  'npx cyrop scenario list [--org ORG_ID]': placeholder('ORG_ID'),
  'npx cyrop scenario upload path/to/folder [--org ORG_ID]': placeholder('path/to/folder'),
  'npx cyrop scenario archive my-drill@1.0.0 [--restore]': placeholder('an uploaded scenario'),
  'npx cyrop scenario publish my-drill@1.0.0': placeholder('an uploaded scenario'),
  // README.md: over a running server
  'npx cyrop login --server https://range.example.org --email ops@example.org': { skip: REMOTE },
  'printf \'%s\\n\' "$PASSWORD" | npx cyrop login --server https://range.example.org --email ops@example.org':
    {
      skip: REMOTE,
    },
  'export CYROP_SERVER=https://range.example.org': { skip: 'sets a variable for the commands after it' },
  'npx cyrop org list --format json': { run: { stdout: /"kind": "operator"/ } },
  'npx cyrop scenario upload path/to/folder': { skip: REMOTE },
  'npx cyrop logout': { skip: REMOTE },
  // README.md: the local Kubernetes cluster
  'npx cyrop cluster up': { skip: CLUSTER },
  'npx cyrop cluster status --format json': { skip: CLUSTER },
  'npx cyrop cluster kubectl -- get nodes': { skip: CLUSTER },
  'npx cyrop cluster down [--purge]': { skip: CLUSTER },
  'npx cyrop cluster check --kubeconfig /var/lib/cyrop-k8s/admin.kubeconfig --image 127.0.0.1:5100/cyrop/platform:1 --service-account cyrop-system/cyrop [--format json]':
    { skip: CLUSTER },
  // scenarios/README.md
  'npx cyrop nice import /path/to/cprt_SP_800_181_2_1_0.json': {
    skip: 'NIST file path of the reader; the test imports the same file from the nice tests data when present',
  },
  'npx cyrop plan scenarios/web-sqli-pivot --teams 2 --secret some-long-secret': {
    run: { stdout: /^Team 2 \(team-2\)\s+exercise \S+\s+scenario web-sqli-pivot@/m },
  },
  'npx cyrop plan scenarios/web-sqli-pivot --teams 1 --secret some-long-secret --format json': {
    run: { stdout: /^\[\s*\{\s*"apiVersion"|"scenario": \{\s*"id": "web-sqli-pivot"/ },
  },
  // docs/scenario-format.md
  'npx cyrop validate tests/fixtures/valid/format-example': {
    run: { stdout: /^1 scenario checked: all valid, 0 errors, 0 warnings$/m },
  },
  'npx cyrop plan tests/fixtures/valid/format-example --teams 2 --secret demo-secret': {
    run: { stdout: /^Team 2 \(team-2\)[^\n]*scenario web-sqli-basics@1\.0\.0/m },
  },
};

describe('README and docs examples', function () {
  this.timeout(120_000);
  const all = examples();
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const repoState = (): string =>
    execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: REPO, encoding: 'utf8' });
  let stateBefore: string;

  before(() => {
    stateBefore = repoState();
    dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-readme-'));
    mkdirSync(path.join(dir, 'home'));
    // a clean environment: none of the caller's CYROP_* settings (server, password, engine, folders)
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CYROP_'))),
      HOME: path.join(dir, 'home'),
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      CYROP_DATA_DIR: path.join(dir, 'data'),
      CYROP_LOG_LEVEL: 'silent',
      npm_config_update_notifier: 'false',
      npm_config_offline: 'true',
    };
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('has examples to check (the documents were found)', () => {
    expect(all.length).to.be.greaterThan(20);
  });

  it('classifies every command of every shell example as run or not run, with a reason', () => {
    const unclassified = all.filter((e) => !(e.command in CLASSIFIED));
    expect(
      unclassified.map((e) => `${e.where}: ${e.command}`),
      'add these to CLASSIFIED in tests/integration/readme-examples.test.ts, as { run: {…} } or ' +
        '{ skip: reason }; the keys, ready to paste:\n' +
        unclassified.map((e) => `  ${JSON.stringify(e.command).replace(/^"|"$/g, "'")}: …,`).join('\n') +
        '\n',
    ).to.deep.equal([]);
    const present = new Set(all.map((e) => e.command));
    expect(
      Object.keys(CLASSIFIED).filter((c) => !present.has(c)),
      'classified but in no document any more',
    ).to.deep.equal([]);
  });

  const runs = Object.entries(CLASSIFIED).flatMap(([command, c]) =>
    'run' in c ? [{ command, run: c.run }] : [],
  );
  for (const { command, run } of runs) {
    it(`runs as written: ${command}`, function () {
      if (run.nice) {
        const file = niceTestData.path('v210');
        if (!existsSync(file)) this.skip(); // NIST's file is not in the repository
        const imported = spawnSync('npx', ['cyrop', 'nice', 'import', file], {
          cwd: REPO,
          env,
          encoding: 'utf8',
        });
        expect(imported.status, imported.stderr).to.equal(0);
      }
      const r = spawnSync('sh', ['-c', command], { cwd: REPO, env, encoding: 'utf8', timeout: 110_000 });
      expect(r.status, `${command}\n${r.stderr}`).to.equal(run.status ?? 0);
      if (run.stdout) expect(r.stdout).to.match(run.stdout);
    });
  }

  it('left the repository as it found it (the examples wrote only to their temporary folders)', () => {
    expect(repoState()).to.equal(stateBefore);
  });
});

describe('the scenarios of docs/scenario-format.md', function () {
  this.timeout(60_000);
  const doc = path.join(REPO, 'docs/scenario-format.md');
  const blocks = existsSync(doc) ? fencedBlocks('docs/scenario-format.md', readFileSync(doc, 'utf8')) : [];
  const yamlBlocks = blocks.filter((b) => b.lang === 'yaml' || b.lang === 'yml');

  it('has scenario examples', () => {
    expect(yamlBlocks.length).to.be.greaterThan(0);
  });

  for (const block of yamlBlocks) {
    it(`compiles with no errors and no warnings and plans two teams: ${block.file}:${block.line}`, () => {
      // `files[].source` of an example are the files of the folder its info string names
      // (```yaml docs/examples/NAME): the block must be that folder's scenario.yaml, byte for byte
      const folder = /^(\S+)$/.exec(block.info)?.[1];
      const tmp = mkdtempSync(path.join(os.tmpdir(), 'cyrop-doc-yaml-'));
      try {
        if (folder) {
          const source = path.join(REPO, folder);
          expect(
            readFileSync(path.join(source, 'scenario.yaml'), 'utf8'),
            `${folder}/scenario.yaml`,
          ).to.equal(block.body + '\n');
          cpSync(source, tmp, { recursive: true });
        }
        writeFileSync(path.join(tmp, 'scenario.yaml'), block.body + '\n');
        const result = compileScenarioFile(path.join(tmp, 'scenario.yaml'));
        expect(result.diagnostics.map(formatDiagnostic)).to.deep.equal([]);
        expect(result.compiled).to.not.equal(undefined);
        const plans = planExercise(result.compiled!, { exerciseId: 'docs', teams: 2, secret: 'docs-secret' });
        expect(plans.map((p) => p.team.id)).to.deep.equal(['team-1', 'team-2']);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});

#!/usr/bin/env node
// The `cyrop` command. It runs the compiled build, orchestrator/dist/ (`npm run build:orchestrator`,
// which `npm ci` and `npm start` run), when build.json shows it was made from the sources as they are
// now; otherwise it runs the TypeScript sources through tsx (slower to start, same behaviour), with a
// one-line notice at a terminal when a build exists but is older than the sources.
// CYROP_RUN_SOURCES=1 runs the sources whatever the build.
import { checkBuild } from './build-stamp.js';

const build = process.env.CYROP_RUN_SOURCES === '1' ? { state: 'skipped' } : checkBuild();
let main;
if (build.state === 'current') {
  if (process.env.CYROP_DEBUG) process.setSourceMapsEnabled(true);
  ({ main } = await import('../dist/cli.js'));
} else {
  if (build.state === 'stale' && process.stderr.isTTY)
    process.stderr.write(
      `cyrop: running the sources through tsx, as ${build.reason} (npm run build:orchestrator makes it current)\n`,
    );
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));

import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export interface BuildResult {
  outDir: string;
  files: string[];
}

/**
 * Builds the web console into `web-console/dist/`: one bundle of `src/main.ts` (ESM, with its
 * sourcemap), the app's stylesheet, xterm's stylesheet and an `index.html` naming them. Script and
 * stylesheets carry a content hash in their names, so a browser never mixes two builds.
 */
export async function build(outDir = path.join(HERE, 'dist')): Promise<BuildResult> {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await esbuild({
    entryPoints: { app: path.join(HERE, 'src', 'main.ts'), 'app-style': path.join(HERE, 'src', 'app.css') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120'],
    sourcemap: true,
    minify: true,
    legalComments: 'linked',
    entryNames: '[name]-[hash]',
    outdir: outDir,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const script = outputs.find((f) => f.startsWith('app-') && f.endsWith('.js'));
  const style = outputs.find((f) => f.startsWith('app-style-') && f.endsWith('.css'));
  if (!script || !style) throw new Error(`the bundle is incomplete: ${outputs.join(', ')}`);

  const xtermCss = require.resolve('@xterm/xterm/css/xterm.css');
  const xtermHash = (await import('node:crypto'))
    .createHash('sha256')
    .update(await readFile(xtermCss))
    .digest('hex')
    .slice(0, 8);
  const xtermName = `xterm-${xtermHash}.css`;
  await copyFile(xtermCss, path.join(outDir, xtermName));

  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>CYROP</title>
    <link rel="stylesheet" href="${xtermName}" />
    <link rel="stylesheet" href="${style}" />
    <script type="module" src="${script}"></script>
  </head>
  <body>
    <noscript>CYROP's console needs JavaScript. / CYROP のコンソールには JavaScript が必要です。</noscript>
  </body>
</html>
`;
  await writeFile(path.join(outDir, 'index.html'), html);
  return { outDir, files: [...outputs, xtermName, 'index.html'] };
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const started = performance.now();
  build().then(
    ({ outDir, files }) => {
      process.stdout.write(
        `web console built in ${Math.round(performance.now() - started)} ms: ${path.relative(process.cwd(), outDir)}/ (${files.length} files)\n`,
      );
    },
    (error: unknown) => {
      process.stderr.write(
        `web console build failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}

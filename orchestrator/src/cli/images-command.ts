import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  createImageBuilder,
  type ImageBuildEvent,
  type ImageBuildResult,
  type ImageListEntry,
} from '../images/image-builder.ts';
import { pushImages } from '../images/image-pusher.ts';
import { CyropError } from '../errors.ts';
import { EXIT, type Io } from './main.ts';

interface BuildOptions {
  force?: boolean;
  cache: boolean;
  concurrency: number;
  dir?: string;
  format: 'text' | 'json';
}

/** `cyrop images build|list|push`: the scenario host images of infra/images/. */
export function imagesCommand(program: Command, io: Io, setExit: (code: number) => void): void {
  const images = program
    .command('images')
    .description('the container images of scenario hosts (infra/images/<name>/ → cyrop/<name>:1)');
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const dir = () => new Option('--dir <folder>', 'image definitions folder (default: infra/images of CYROP)');

  images
    .command('build')
    .description(
      'build the images (all, or the named ones) unless an image of the same content already exists; ' +
        `makes the debian:bookworm-slim base from a debootstrap root file system when it is missing`,
    )
    .argument('[names...]', 'image names, e.g. attacker target-linux')
    .option('--force', 'build even when an image with the same content hash exists')
    .option('--no-cache', "do not use the builder's layer cache (fresh package downloads)")
    .option('--concurrency <n>', 'images built at the same time', parseConcurrency, 2)
    .addOption(dir())
    .addOption(format())
    .action(async (names: string[], opts: BuildOptions) => {
      setExit(await buildImages(names, opts, io));
    });

  images
    .command('list')
    .description('each image, its tag and whether the builder has it up to date')
    .addOption(dir())
    .addOption(format())
    .action(async (opts: { dir?: string; format: 'text' | 'json' }) => {
      const builder = await createImageBuilder(opts.dir ? { imagesDir: opts.dir } : {});
      const entries = await builder.list();
      if (opts.format === 'json') {
        io.out(JSON.stringify({ baseImage: builder.baseImage, images: entries }, null, 2) + '\n');
      } else {
        io.out(listAsText(entries));
        if (entries.some((e) => e.state === 'unknown')) {
          io.out(`note: the base image ${builder.baseImage} is missing (cyrop images build makes it)\n`);
        }
      }
      setExit(EXIT.ok);
    });

  images
    .command('push')
    .description(
      'tag the built images (all, or the named ones) as REGISTRY/cyrop/<name>:1 and push them there ' +
        '(docker push), for a Kubernetes cluster to pull; prints the digests (by image)',
    )
    .argument('[names...]', 'image names, e.g. attacker target-linux')
    .requiredOption(
      '--registry <registry>',
      'HOST[:PORT][/PATH] the cluster pulls from, e.g. registry.example:5000/ranges',
    )
    .option('--record <file>', 'also write the digests (JSON, by image) to this file')
    .addOption(dir())
    .addOption(format())
    .action(
      async (
        names: string[],
        opts: { registry: string; record?: string; dir?: string; format: 'text' | 'json' },
      ) => {
        const builder = await createImageBuilder(opts.dir ? { imagesDir: opts.dir } : {});
        const entries = await builder.list(names);
        const stale = entries.filter((e) => e.state !== 'up-to-date');
        if (stale.length) {
          io.err(
            `cyrop: not built or outdated: ${stale.map((e) => `${e.tag} (${e.state})`).join(', ')} (build with: npx cyrop images build ${stale.map((e) => e.name).join(' ')})\n`,
          );
          setExit(EXIT.failed);
          return;
        }
        try {
          const pushed = await pushImages(
            entries.map((e) => e.tag),
            opts.registry,
            (e) => io.err(`${e.image}: ${e.state}${e.digest ? ` ${e.digest}` : ''}\n`),
          );
          const digests = Object.fromEntries(pushed.map((p) => [p.image, p.digest]));
          if (opts.record) {
            const { writeFile } = await import('node:fs/promises');
            await writeFile(
              opts.record,
              JSON.stringify({ registry: opts.registry, digests }, null, 2) + '\n',
            );
          }
          if (opts.format === 'json')
            io.out(JSON.stringify({ registry: opts.registry, images: pushed }, null, 2) + '\n');
          else
            io.out(
              table([['IMAGE', 'PUSHED AS', 'DIGEST'], ...pushed.map((p) => [p.image, p.remote, p.digest])]),
            );
          setExit(EXIT.ok);
        } catch (error) {
          if (!(error instanceof CyropError)) throw error;
          io.err(`cyrop: ${error.message}\n`);
          setExit(error.code === 'BAD_REQUEST' ? EXIT.invalid : EXIT.failed);
        }
      },
    );
}

export async function buildImages(names: string[], opts: BuildOptions, io: Io): Promise<number> {
  const builder = await createImageBuilder({
    concurrency: opts.concurrency,
    ...(opts.dir ? { imagesDir: opts.dir } : {}),
  });
  const view = io.interactive && opts.format === 'text' ? new BarView(io) : new LineView(io);
  let results: ImageBuildResult[];
  try {
    results = await builder.build(names, {
      ...(opts.force ? { force: true } : {}),
      ...(opts.cache ? {} : { noCache: true }),
      onEvent: (event) => view.event(event),
    });
  } finally {
    view.stop();
  }
  const failed = results.filter((r) => r.status === 'failed');
  if (opts.format === 'json') {
    io.out(
      JSON.stringify(
        { baseImage: builder.baseImage, images: results, summary: summaryOf(results) },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const r of failed) io.err(`cyrop: ${r.error ?? `image ${r.name} failed`}\n`);
    io.out(resultsAsText(results));
  }
  return failed.length > 0 ? EXIT.failed : EXIT.ok;
}

function summaryOf(
  results: readonly ImageBuildResult[],
): Record<'images' | 'built' | 'upToDate' | 'failed', number> {
  return {
    images: results.length,
    built: results.filter((r) => r.status === 'built').length,
    upToDate: results.filter((r) => r.status === 'up-to-date').length,
    failed: results.filter((r) => r.status === 'failed').length,
  };
}

function resultsAsText(results: readonly ImageBuildResult[]): string {
  const rows = results.map((r) => [
    r.tag,
    r.status === 'up-to-date' ? `up to date${r.retagged ? ' (retagged)' : ''}` : r.status,
    duration(r.durationMs),
    r.sizeBytes !== undefined ? megabytes(r.sizeBytes) : '-',
    r.imageId ? shortId(r.imageId) : '-',
  ]);
  const s = summaryOf(results);
  return (
    table([['IMAGE', 'STATUS', 'TIME', 'SIZE', 'ID'], ...rows]) +
    `${s.images} image${s.images === 1 ? '' : 's'}: ${s.built} built, ${s.upToDate} up to date, ${s.failed} failed\n`
  );
}

function listAsText(entries: readonly ImageListEntry[]): string {
  const rows = entries.map((e) => [
    e.tag,
    e.state,
    e.sizeBytes !== undefined ? megabytes(e.sizeBytes) : '-',
    e.imageId ? shortId(e.imageId) : '-',
    e.created ? e.created.replace(/\.\d+Z$/, 'Z') : '-',
    e.contentHash ? e.contentHash.slice(0, 12) : '-',
  ]);
  return table([['IMAGE', 'STATE', 'SIZE', 'ID', 'CREATED', 'CONTENT'], ...rows]);
}

function table(rows: readonly string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map(
      (r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}

function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(0)} MB`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function parseConcurrency(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 8)
    throw new InvalidArgumentError(`'${text}' is not a number from 1 to 8`);
  return Number(text);
}

interface ProgressView {
  event(event: ImageBuildEvent): void;
  stop(): void;
}

/** No terminal: one plain line per step and per finished image, on stderr. */
class LineView implements ProgressView {
  constructor(private readonly io: Io) {}

  event(e: ImageBuildEvent): void {
    switch (e.kind) {
      case 'base':
        if (e.state === 'creating')
          this.io.err(`${e.image}: missing, making it${e.how ? ` (${e.how})` : ''}\n`);
        if (e.state === 'created') this.io.err(`${e.image}: made\n`);
        break;
      case 'base-output':
        this.io.err(`${e.image}: ${e.line}\n`);
        break;
      case 'started':
        this.io.err(`${e.image}: building\n`);
        break;
      case 'step':
        this.io.err(`${e.image}: step ${e.index}/${e.total} ${oneLine(e.instruction, 100)}\n`);
        break;
      case 'finished':
        this.io.err(`${e.image}: ${finishedText(e.result)}\n`);
        break;
      default:
        break;
    }
  }

  stop(): void {}
}

/** A terminal: one progress bar per image (steps done), with the latest output line. */
class BarView implements ProgressView {
  private readonly multi: MultiBar;
  private readonly bars = new Map<string, SingleBar>();
  private baseLine = false;

  constructor(private readonly io: Io) {
    this.multi = new MultiBar(
      {
        format: '{name} {bar} {value}/{total} {status}',
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
        barsize: 24,
      },
      Presets.shades_classic,
    );
  }

  event(e: ImageBuildEvent): void {
    const width = Math.max(20, (process.stderr.columns || 100) - 60);
    switch (e.kind) {
      case 'base':
        if (e.state === 'creating')
          this.io.err(`${e.image}: missing, making it${e.how ? ` (${e.how})` : ''}\n`);
        if (e.state === 'created') {
          if (this.baseLine) this.io.err('\n');
          this.baseLine = false;
          this.io.err(`${e.image}: made\n`);
        }
        break;
      case 'base-output':
        this.baseLine = true;
        this.io.err(`\r\x1b[K${oneLine(`${e.image}: ${e.line}`, width + 40)}`);
        break;
      case 'queued':
        this.bars.set(e.image, this.multi.create(1, 0, { name: e.image.padEnd(22), status: 'queued' }));
        break;
      case 'started':
        this.bars.get(e.image)?.update(0, { status: 'building' });
        break;
      case 'step': {
        const bar = this.bars.get(e.image);
        bar?.setTotal(e.total);
        bar?.update(e.index - 1, { status: oneLine(e.instruction, width) });
        break;
      }
      case 'output':
        this.bars.get(e.image)?.update({ status: oneLine(e.line, width) });
        break;
      case 'finished': {
        const bar = this.bars.get(e.image);
        if (bar) {
          const total = bar.getTotal();
          bar.update(e.result.status === 'failed' ? bar.getProgress() * total : total, {
            status: finishedText(e.result),
          });
          bar.stop();
        }
        break;
      }
    }
  }

  stop(): void {
    this.multi.stop();
  }
}

function finishedText(r: ImageBuildResult): string {
  switch (r.status) {
    case 'up-to-date':
      return `up to date${r.retagged ? ', tagged' : ''} (${r.tag} = ${r.imageId ? shortId(r.imageId) : '?'})`;
    case 'built':
      return `built in ${duration(r.durationMs)}, ${r.sizeBytes !== undefined ? megabytes(r.sizeBytes) : '?'} (${r.tag} = ${r.imageId ? shortId(r.imageId) : '?'})`;
    case 'failed':
      return `FAILED${r.failedStep ? ` at step ${r.failedStep.index}/${r.failedStep.total}` : ''}`;
  }
}

function oneLine(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

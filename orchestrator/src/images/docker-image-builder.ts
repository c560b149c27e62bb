import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { CyropError } from '../errors.ts';
import { REPO_ROOT } from '../paths.ts';
import { isStatus, translateDockerError } from '../runtime/docker/translate-error.ts';
import { contextFiles, readContextSpec, type ContextFile } from './image-context.ts';
import type {
  ImageBuilder,
  ImageBuildEvent,
  ImageBuildOptions,
  ImageBuildResult,
  ImageListEntry,
} from './image-builder.ts';

/** `infra/images/` of this repository: one folder per image, each with a Dockerfile. */
export const DEFAULT_IMAGES_DIR = path.join(REPO_ROOT, 'infra', 'images') + path.sep;
/** This repository (what the platform image's `context.json` copies from). */
export { REPO_ROOT };
export const DEFAULT_BASE_IMAGE = 'debian:bookworm-slim';
/** Makes the base where no registry is reachable: debootstrap + docker import (needs root). */
export const BASE_SCRIPT = path.join(DEFAULT_IMAGES_DIR, 'make-base.sh');
/** The tag scenarios name (`cyrop/attacker:1`); bumped when an image changes incompatibly. */
export const STABLE_TAG = '1';
export const IMAGE_REPOSITORY_PREFIX = 'cyrop/';
const DEFAULT_CONCURRENCY = 2;
/** Lines of a failing step's output kept for the error message. */
const FAILED_OUTPUT_LINES = 25;

export const IMAGE_LABEL = {
  contentHash: 'cyrop.io/content-hash',
  image: 'cyrop.io/image',
  baseImage: 'cyrop.io/base-image-id',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;

/** One folder of `infra/images/`: its name is the image's name (`cyrop/<name>`). */
export interface ImageFolder {
  name: string;
  dir: string;
  /** Every file of the folder, relative, with `/` separators, sorted. */
  files: string[];
  /** Built only when named (its `context.json` says `onRequest`). */
  onRequest?: boolean;
  /** Files from outside the folder its `context.json` adds (the platform image's server and Node). */
  extras?: ContextFile[];
}

/** Makes the base image when it is missing; gets each line of its output. */
export type BaseImageMaker = (
  image: string,
  onLine: (line: string) => void,
  signal?: AbortSignal,
) => Promise<void>;

export interface DockerImageBuilderOptions {
  docker?: Docker;
  imagesDir?: string;
  baseImage?: string;
  /** Builds at the same time (default 2). */
  concurrency?: number;
  makeBase?: BaseImageMaker;
  /** The repository a `context.json` copies from (default: this one). */
  repoRoot?: string;
}

/**
 * Builds the scenario host images of `infra/images/` on the local Docker engine (the `ImageBuilder`
 * port's implementation). Each image is
 * labelled with a content hash (its folder's files plus the base image id): an image with the
 * current hash is only (re)tagged, never rebuilt, so a warm machine does nothing.
 */
export class DockerImageBuilder implements ImageBuilder {
  readonly docker: Docker;
  readonly imagesDir: string;
  readonly baseImage: string;
  /** Where the repository paths of a `context.json` are read from. */
  readonly repoRoot: string;
  private readonly concurrency: number;
  private readonly makeBase: BaseImageMaker;

  constructor(options: DockerImageBuilderOptions = {}) {
    this.docker = options.docker ?? new Docker();
    this.imagesDir = options.imagesDir ?? DEFAULT_IMAGES_DIR;
    this.baseImage = options.baseImage ?? DEFAULT_BASE_IMAGE;
    this.repoRoot = options.repoRoot ?? REPO_ROOT;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
    this.makeBase = options.makeBase ?? makeBaseWithScript(BASE_SCRIPT);
  }

  /**
   * The image folders: the named ones (an unknown name is an error), or all but those built only
   * on request (`cyrop/platform`). A folder with a `context.json` gets its extra files here.
   */
  folders(names: readonly string[] = []): ImageFolder[] {
    const all = findImageFolders(this.imagesDir);
    if (names.length === 0) return all.filter((f) => !f.onRequest);
    const unknown = names.filter((n) => !all.some((f) => f.name === n));
    if (unknown.length > 0) {
      throw new CyropError(
        'NOT_FOUND',
        `no image ${unknown.join(', ')} in ${this.imagesDir} (images: ${all.map((f) => f.name).join(', ') || 'none'})`,
      );
    }
    return all.filter((f) => names.includes(f.name)).map((f) => withExtras(f, this.repoRoot));
  }

  /** The base image's id, or undefined when the engine does not have it. */
  async baseImageId(): Promise<string | undefined> {
    try {
      const info = await this.docker.getImage(this.baseImage).inspect();
      return info.Id;
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw translateDockerError(error, `inspecting the base image ${this.baseImage}`);
    }
  }

  /** The base image's id; makes the base (debootstrap + docker import) when it is missing. */
  async ensureBase(options: Pick<ImageBuildOptions, 'onEvent' | 'signal'> = {}): Promise<string> {
    const emit = options.onEvent ?? (() => undefined);
    const present = await this.baseImageId();
    if (present) {
      emit({ kind: 'base', image: this.baseImage, state: 'present' });
      return present;
    }
    emit({ kind: 'base', image: this.baseImage, state: 'creating', how: 'debootstrap + docker import' });
    await this.makeBase(
      this.baseImage,
      (line) => emit({ kind: 'base-output', image: this.baseImage, line }),
      options.signal,
    );
    const made = await this.baseImageId();
    if (!made)
      throw new CyropError(
        'ENGINE_ERROR',
        `making the base image ${this.baseImage} finished, but the engine does not have it`,
      );
    emit({ kind: 'base', image: this.baseImage, state: 'created' });
    return made;
  }

  /**
   * Build the named images (default: all). Never throws for a failing image: its result has
   * status `failed` and an error naming the image and the step. Engine and base-image problems throw.
   */
  async build(names: readonly string[] = [], options: ImageBuildOptions = {}): Promise<ImageBuildResult[]> {
    const folders = this.folders(names);
    const baseId = await this.ensureBase(options);
    const hashes = new Map(folders.map((f) => [f.name, contentHash(f, baseId)]));
    for (const f of folders)
      options.onEvent?.({ kind: 'queued', image: f.name, contentHash: hashes.get(f.name) ?? '' });
    return runPool(folders, this.concurrency, async (folder) => {
      const result = await this.buildOne(folder, hashes.get(folder.name) ?? '', baseId, options);
      options.onEvent?.({ kind: 'finished', image: folder.name, result });
      return result;
    });
  }

  /** What the engine has for each image folder. */
  async list(names: readonly string[] = []): Promise<ImageListEntry[]> {
    const folders = this.folders(names);
    const baseId = await this.baseImageId();
    const entries: ImageListEntry[] = [];
    for (const folder of folders) {
      const tag = stableTag(folder.name);
      const hash = baseId ? contentHash(folder, baseId) : undefined;
      const info = await this.inspect(tag);
      if (!info) {
        entries.push({
          name: folder.name,
          tag,
          state: baseId ? 'missing' : 'unknown',
          ...(hash ? { contentHash: hash } : {}),
        });
        continue;
      }
      // The engine sends null for an image without labels, whatever the type says.
      const labels = info.Config.Labels as Record<string, string> | null;
      const labelled = labels?.[IMAGE_LABEL.contentHash];
      entries.push({
        name: folder.name,
        tag,
        state: !hash ? 'unknown' : labelled === hash ? 'up-to-date' : 'outdated',
        ...(hash ? { contentHash: hash } : {}),
        imageId: info.Id,
        sizeBytes: info.Size,
        created: info.Created,
      });
    }
    return entries;
  }

  // --- internals

  private async buildOne(
    folder: ImageFolder,
    hash: string,
    baseId: string,
    options: ImageBuildOptions,
  ): Promise<ImageBuildResult> {
    const started = Date.now();
    const tag = stableTag(folder.name);
    const hashTag = `${IMAGE_REPOSITORY_PREFIX}${folder.name}:${hash.slice(0, 12)}`;
    const base = { name: folder.name, tag, hashTag, contentHash: hash };
    const emit = options.onEvent ?? (() => undefined);

    if (!options.force) {
      const existing = await this.findByHash(hash);
      if (existing) {
        const retagged = await this.tagAll(existing, folder.name, hash);
        const info = await this.inspect(existing);
        return {
          ...base,
          status: 'up-to-date',
          imageId: existing,
          ...(info ? { sizeBytes: info.Size } : {}),
          durationMs: Date.now() - started,
          retagged,
        };
      }
    }

    emit({ kind: 'started', image: folder.name });
    const context = buildContext(folder);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.buildImage(context, {
        t: hashTag,
        labels: {
          [IMAGE_LABEL.contentHash]: hash,
          [IMAGE_LABEL.image]: folder.name,
          [IMAGE_LABEL.baseImage]: baseId,
          [IMAGE_LABEL.managedBy]: 'cyrop',
        },
        rm: true,
        forcerm: true,
        pull: false,
        nocache: options.noCache === true,
        version: '1',
        ...(options.signal ? { abortSignal: options.signal } : {}),
      });
    } catch (error) {
      const e = translateDockerError(error, `building image ${folder.name}`);
      return { ...base, status: 'failed', durationMs: Date.now() - started, error: e.message };
    }
    const progress = new BuildProgress(folder.name, emit);
    try {
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (event: BuildStreamEvent) => progress.push(event),
        );
      });
    } catch (error) {
      progress.fail(`the build stream broke: ${(error as Error).message}`);
    }
    progress.flush();
    if (progress.error !== undefined || !progress.imageId) {
      const failure = progress.failure(
        progress.error ?? 'the engine reported no image id (the build did not finish)',
      );
      return {
        ...base,
        status: 'failed',
        durationMs: Date.now() - started,
        error: failure.message,
        ...(failure.step ? { failedStep: failure.step } : {}),
      };
    }
    const imageId = progress.imageId;
    await this.tagAll(imageId, folder.name, hash);
    const info = await this.inspect(imageId);
    return {
      ...base,
      status: 'built',
      imageId,
      ...(info ? { sizeBytes: info.Size } : {}),
      durationMs: Date.now() - started,
    };
  }

  private async findByHash(hash: string): Promise<string | undefined> {
    try {
      const images = await this.docker.listImages({
        filters: { label: [`${IMAGE_LABEL.contentHash}=${hash}`] },
      });
      const newest = images.sort((a, b) => b.Created - a.Created)[0];
      return newest?.Id;
    } catch (error) {
      throw translateDockerError(error, 'listing images');
    }
  }

  /** Put `cyrop/<name>:1` and `cyrop/<name>:<hash12>` on the image; true when a tag moved. */
  private async tagAll(imageId: string, name: string, hash: string): Promise<boolean> {
    let moved = false;
    const repo = `${IMAGE_REPOSITORY_PREFIX}${name}`;
    for (const tag of [STABLE_TAG, hash.slice(0, 12)]) {
      const current = await this.inspect(`${repo}:${tag}`);
      if (current?.Id === imageId) continue;
      try {
        await this.docker.getImage(imageId).tag({ repo, tag });
      } catch (error) {
        throw translateDockerError(error, `tagging ${repo}:${tag}`);
      }
      moved = true;
    }
    return moved;
  }

  private async inspect(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.docker.getImage(ref).inspect();
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw translateDockerError(error, `inspecting image ${ref}`);
    }
  }
}

export function stableTag(name: string): string {
  return `${IMAGE_REPOSITORY_PREFIX}${name}:${STABLE_TAG}`;
}

/** The sub-folders of `dir` that hold a Dockerfile, sorted by name, with their files. */
export function findImageFolders(dir: string): ImageFolder[] {
  if (!existsSync(dir)) throw new CyropError('NOT_FOUND', `${dir}: no such folder (image definitions)`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'Dockerfile')))
    .map((e) => {
      const folder = path.join(dir, e.name);
      const onRequest = readContextSpec(folder)?.onRequest === true;
      return { name: e.name, dir: folder, files: listFiles(folder), ...(onRequest ? { onRequest } : {}) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The folder with the files its `context.json` adds (none without one). */
export function withExtras(folder: ImageFolder, repoRoot: string): ImageFolder {
  const spec = readContextSpec(folder.dir);
  return spec ? { ...folder, extras: contextFiles(spec, repoRoot) } : folder;
}

function listFiles(root: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(root, rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function isExecutable(file: string): boolean {
  return (statSync(file).mode & 0o111) !== 0;
}

/**
 * SHA-256 over the base image id and, for each file in sorted order, its relative path, whether
 * it is executable and its bytes (each part length-prefixed, so no two folders collide).
 */
export function contentHash(folder: ImageFolder, baseImageId: string): string {
  const hash = createHash('sha256');
  const part = (data: string | Buffer) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    hash.update(`${bytes.length}:`).update(bytes);
  };
  part('cyrop-image/v1');
  part(baseImageId);
  for (const rel of folder.files) {
    const file = path.join(folder.dir, rel);
    part(rel);
    part(isExecutable(file) ? 'x' : '-');
    part(readFileSync(file));
  }
  // Files from outside the folder (none for a scenario host image, whose hash is unchanged).
  for (const extra of folder.extras ?? []) {
    part(`+${extra.rel}`);
    part(isExecutable(extra.source) ? 'x' : '-');
    part(readFileSync(extra.source));
  }
  return hash.digest('hex');
}

/** The folder as a tar stream (the build context), with fixed times and owners. */
export function buildContext(folder: ImageFolder): NodeJS.ReadableStream {
  const archive = pack();
  const entries = [
    ...folder.files.map((rel) => ({ rel, file: path.join(folder.dir, rel) })),
    ...(folder.extras ?? []).map((e) => ({ rel: e.rel, file: e.source })),
  ];
  for (const { rel, file } of entries) {
    const content = readFileSync(file);
    archive.entry(
      {
        name: rel,
        mode: isExecutable(file) ? 0o755 : 0o644,
        size: content.length,
        mtime: new Date(0),
        uid: 0,
        gid: 0,
      },
      content,
    );
  }
  archive.finalize();
  return archive as unknown as NodeJS.ReadableStream;
}

export interface BuildStreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string };
}

/** Follows the legacy builder's JSON stream: steps, output lines, the image id, the error. */
export class BuildProgress {
  imageId: string | undefined;
  error: string | undefined;
  private step: { index: number; total: number; instruction: string } | undefined;
  private stepOutput: string[] = [];
  private partial = '';

  constructor(
    private readonly image: string,
    private readonly emit: (event: ImageBuildEvent) => void,
  ) {}

  push(event: BuildStreamEvent): void {
    if (event.aux?.ID) this.imageId = event.aux.ID;
    if (event.stream !== undefined) this.text(event.stream);
    if (event.status !== undefined) this.text(`${event.status}\n`);
    if (event.error !== undefined || event.errorDetail?.message !== undefined) {
      this.flush();
      const message = stripAnsi(event.errorDetail?.message ?? event.error ?? 'unknown error');
      // "The command '/bin/sh -c <the whole RUN>' returned a non-zero code: 100": the step says which.
      const code = /^The command .* returned a non-zero code: (\d+)$/s.exec(message.trim());
      this.error = code ? `the command exited with code ${code[1] ?? '?'}` : message;
    }
  }

  fail(message: string): void {
    this.error ??= message;
  }

  flush(): void {
    if (this.partial) this.line(this.partial);
    this.partial = '';
  }

  failure(reason: string): {
    message: string;
    step?: { index: number; total: number; instruction: string; output: string[] };
  } {
    const output = this.stepOutput.slice(-FAILED_OUTPUT_LINES);
    if (!this.step) return { message: `image ${this.image}: ${reason}` };
    const step = { ...this.step, output };
    const tail = output.length ? `\n${output.map((l) => `  | ${l}`).join('\n')}` : '';
    return {
      message: `image ${this.image}: step ${step.index}/${step.total} (${shorten(step.instruction, 120)}) failed: ${reason}${tail}`,
      step,
    };
  }

  private text(chunk: string): void {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    for (const l of parts) this.line(l);
  }

  private line(raw: string): void {
    const line = stripAnsi(raw).replace(/\r/g, '').trimEnd();
    if (!line) return;
    const step = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
    if (step) {
      this.step = { index: Number(step[1]), total: Number(step[2]), instruction: step[3] ?? '' };
      this.stepOutput = [];
      this.emit({ kind: 'step', image: this.image, ...this.step });
      return;
    }
    const built = /^Successfully built ([0-9a-f]+)$/.exec(line);
    if (built && !this.imageId) this.imageId = built[1];
    // The builder's own bookkeeping is not the step's output.
    if (/^ ---> |^Removing intermediate container |^Successfully (built|tagged) /.test(line)) return;
    this.stepOutput.push(line);
    if (this.stepOutput.length > FAILED_OUTPUT_LINES * 4)
      this.stepOutput.splice(0, this.stepOutput.length - FAILED_OUTPUT_LINES);
    this.emit({ kind: 'output', image: this.image, line });
  }
}

/** Terminal colour and cursor sequences (the builder colours a step's stderr). */
function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Run `work` over `items`, at most `limit` at a time; results in the order of `items`. */
async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The default base maker: `bash infra/images/make-base.sh IMAGE` (debootstrap + docker import; needs root). */
export function makeBaseWithScript(script: string): BaseImageMaker {
  return (image, onLine, signal) =>
    new Promise<void>((resolve, reject) => {
      if (!existsSync(script)) {
        reject(new CyropError('NOT_FOUND', `cannot make the base image ${image}: ${script} is missing`));
        return;
      }
      const child = spawn('bash', [script, image], {
        stdio: ['ignore', 'pipe', 'pipe'],
        ...(signal ? { signal } : {}),
      });
      const tail: string[] = [];
      const lines = (stream: NodeJS.ReadableStream) => {
        let partial = '';
        stream.on('data', (chunk: Buffer) => {
          const parts = (partial + chunk.toString('utf8')).split('\n');
          partial = parts.pop() ?? '';
          for (const l of parts) {
            if (!l.trim()) continue;
            tail.push(l);
            if (tail.length > FAILED_OUTPUT_LINES) tail.shift();
            onLine(l);
          }
        });
      };
      lines(child.stdout);
      lines(child.stderr);
      child.once('error', (error) => {
        reject(
          new CyropError('ENGINE_ERROR', `cannot make the base image ${image}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.once('close', (code) => {
        if (code === 0) resolve();
        else {
          reject(
            new CyropError(
              'ENGINE_ERROR',
              `making the base image ${image} with ${script} failed (exit ${String(code)}):\n${tail.map((l) => `  | ${l}`).join('\n')}`,
            ),
          );
        }
      });
    });
}

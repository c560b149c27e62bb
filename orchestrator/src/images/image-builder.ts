/**
 * The image builder port: what the CLI (`cyrop images`) needs to make and list the scenario host
 * images of `infra/images/`, whatever builds them. `docker-image-builder.ts` implements it on the
 * local Docker engine; `createImageBuilder` picks the implementation.
 */
export interface ImageBuilder {
  /** The base image every image is built on (`debian:bookworm-slim`). */
  readonly baseImage: string;
  /** Where the image definitions are (one folder per image). */
  readonly imagesDir: string;
  /**
   * Build the named images (default: all) unless an image of the same content exists. Never throws
   * for a failing image: its result has status `failed` and an error naming the image and the step.
   */
  build(names?: readonly string[], options?: ImageBuildOptions): Promise<ImageBuildResult[]>;
  /** What the builder's engine has for each image definition. */
  list(names?: readonly string[]): Promise<ImageListEntry[]>;
}

export interface ImageBuilderSettings {
  /** The image definitions folder (default: `infra/images/` of CYROP). */
  imagesDir?: string;
  /** Builds at the same time (default 2). */
  concurrency?: number;
}

/** The image builder of this installation: images are built with the local Docker engine. */
export async function createImageBuilder(settings: ImageBuilderSettings = {}): Promise<ImageBuilder> {
  const { DockerImageBuilder } = await import('./docker-image-builder.ts');
  return new DockerImageBuilder(settings);
}

export type ImageBuildStatus = 'built' | 'up-to-date' | 'failed';

export interface ImageBuildResult {
  name: string;
  status: ImageBuildStatus;
  /** `cyrop/<name>:1`, what scenarios use. */
  tag: string;
  /** `cyrop/<name>:<first 12 hex digits of the content hash>`. */
  hashTag: string;
  contentHash: string;
  imageId?: string;
  sizeBytes?: number;
  durationMs: number;
  /** For `up-to-date`: whether the tags had to be (re)set on the existing image. */
  retagged?: boolean;
  /** For `failed`: the whole message (image, step, the step's last output lines). */
  error?: string;
  failedStep?: { index: number; total: number; instruction: string; output: string[] };
}

export type ImageBuildEvent =
  /** `how`: how a missing base is made (e.g. `debootstrap + docker import`), for people. */
  | { kind: 'base'; image: string; state: 'present' | 'creating' | 'created'; how?: string }
  | { kind: 'base-output'; image: string; line: string }
  | { kind: 'queued'; image: string; contentHash: string }
  | { kind: 'started'; image: string }
  | { kind: 'step'; image: string; index: number; total: number; instruction: string }
  | { kind: 'output'; image: string; line: string }
  | { kind: 'finished'; image: string; result: ImageBuildResult };

export interface ImageBuildOptions {
  /** Build even when an image with the same content hash exists. */
  force?: boolean;
  /** Do not use the engine's layer cache (fresh `apt-get` downloads). */
  noCache?: boolean;
  onEvent?: (event: ImageBuildEvent) => void;
  signal?: AbortSignal;
}

export type ImageState = 'up-to-date' | 'outdated' | 'missing' | 'unknown';

export interface ImageListEntry {
  name: string;
  tag: string;
  /** up-to-date: the tag points to an image of the current content; outdated: to another one;
   * missing: no such tag; unknown: the base image is missing, so the content hash is unknown. */
  state: ImageState;
  contentHash?: string;
  imageId?: string;
  sizeBytes?: number;
  created?: string;
}

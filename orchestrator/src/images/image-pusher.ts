import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CyropError } from '../errors.ts';

const run = promisify(execFile);

export interface PushResult {
  /** The plan's name of the image, e.g. `cyrop/attacker:1`. */
  image: string;
  /** Where it went, e.g. `registry.example:5000/ranges/cyrop/attacker:1`. */
  remote: string;
  /** The registry's digest of what was pushed (`sha256:…`): clusters pull by it. */
  digest: string;
}

/** `HOST[:PORT][/PATH]`, lower-case path components; no scheme, no tag. */
export function checkRegistry(registry: string): string {
  const r = registry.replace(/\/+$/, '');
  if (!/^[a-zA-Z0-9.-]+(:\d{1,5})?(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(r))
    throw new CyropError(
      'BAD_REQUEST',
      `'${registry}' is not a registry: give HOST[:PORT][/PATH], e.g. registry.example:5000/ranges (no scheme, no tag)`,
    );
  return r;
}

/**
 * Tag each image with the registry and push it with the docker CLI (which brings the engine's
 * credentials and insecure-registry settings), then read the digest the registry gave it.
 */
export async function pushImages(
  images: readonly string[],
  registry: string,
  onEvent?: (event: { image: string; state: 'pushing' | 'pushed'; digest?: string }) => void,
): Promise<PushResult[]> {
  const target = checkRegistry(registry);
  const results: PushResult[] = [];
  for (const image of images) {
    const remote = `${target}/${image}`;
    onEvent?.({ image, state: 'pushing' });
    await docker(['tag', image, remote], `tagging ${image} as ${remote}`);
    const out = await docker(['push', remote], `pushing ${remote}`);
    const digest =
      /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1] ??
      (await repoDigest(remote, `${target}/${image.replace(/:[^/:]+$/, '')}`));
    if (!digest) throw new CyropError('ENGINE_ERROR', `pushed ${remote} but the registry reported no digest`);
    onEvent?.({ image, state: 'pushed', digest });
    results.push({ image, remote, digest });
  }
  return results;
}

async function repoDigest(remote: string, repository: string): Promise<string | undefined> {
  const out = await docker(
    ['image', 'inspect', '--format', '{{json .RepoDigests}}', remote],
    `inspecting ${remote}`,
  );
  const digests = JSON.parse(out) as string[] | null;
  return digests?.find((d) => d.startsWith(`${repository}@`))?.split('@')[1];
}

async function docker(args: string[], what: string): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { code?: string | number; stderr?: string };
    if (e.code === 'ENOENT')
      throw new CyropError('ENGINE_UNAVAILABLE', `${what}: the docker command is not installed`, {
        cause: error,
      });
    throw new CyropError('ENGINE_ERROR', `${what}: ${(e.stderr ?? String(error)).trim()}`, { cause: error });
  }
}

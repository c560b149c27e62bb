import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { pack } from 'tar-stream';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** Build tests/contract/<name>/ as `cyrop-test/<name>:1` unless an image with the same content hash exists. */
export async function ensureTestImage(docker: Docker, name: string): Promise<string> {
  const dir = path.join(HERE, name);
  const files = readdirSync(dir).sort();
  const hash = createHash('sha256');
  for (const f of files)
    hash
      .update(f)
      .update('\0')
      .update(readFileSync(path.join(dir, f)));
  const digest = hash.digest('hex').slice(0, 16);
  const tag = `cyrop-test/${name}:1`;
  const existing = await docker
    .getImage(tag)
    .inspect()
    .catch(() => undefined);
  // an image without labels has Labels: null, whatever the type declarations say
  const labels = existing ? (existing.Config.Labels as Record<string, string> | null) : null;
  if (labels?.['cyrop.io/content-hash'] === digest) return tag;
  const archive = pack();
  for (const f of files) archive.entry({ name: f }, readFileSync(path.join(dir, f)));
  archive.finalize();
  const stream = await docker.buildImage(archive as unknown as NodeJS.ReadableStream, {
    t: tag,
    labels: { 'cyrop.io/content-hash': digest },
  });
  const output = await new Promise<{ error?: string }[]>((resolve, reject) => {
    docker.modem.followProgress(stream, (err, res) =>
      err ? reject(err) : resolve(res as { error?: string }[]),
    );
  });
  const failed = output.find((o) => o.error);
  if (failed) throw new Error(`building ${tag}: ${failed.error ?? ''}`);
  return tag;
}

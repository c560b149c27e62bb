import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { contentHash, DockerImageBuilder, findImageFolders, withExtras } from './docker-image-builder.ts';
import { contextFiles, productionPackages, readContextSpec } from './image-context.ts';

function write(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

/** A repository with a lockfile, a production package (with a nested one), a development one and an image folder. */
function fixture(): { repo: string; images: string } {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'cyrop-context-'));
  write(
    repo,
    'package-lock.json',
    JSON.stringify({
      lockfileVersion: 3,
      packages: {
        '': { name: 'x' },
        'node_modules/express': { version: '5.0.0' },
        'node_modules/express/node_modules/debug': { version: '4.0.0' },
        'node_modules/mocha': { version: '12.0.0', dev: true },
        'node_modules/fsevents': { version: '2.0.0', optional: true },
      },
    }),
  );
  write(repo, 'package.json', '{}');
  write(repo, 'node_modules/express/index.js', 'e');
  write(repo, 'node_modules/express/node_modules/debug/index.js', 'd');
  write(repo, 'node_modules/mocha/index.js', 'm');
  write(repo, 'src/main.ts', 'main');
  write(repo, 'src/main.test.ts', 'test');
  write(repo, 'dist/index.html', '<html>');
  const images = path.join(repo, 'images');
  write(images, 'web/Dockerfile', 'FROM debian:bookworm-slim\n');
  write(images, 'platform/Dockerfile', 'FROM debian:bookworm-slim\n');
  write(
    images,
    'platform/context.json',
    JSON.stringify({
      onRequest: true,
      repository: ['package.json', 'src', 'dist'],
      required: { 'dist/index.html': 'npm run build:web' },
      excludeSuffixes: ['.test.ts'],
      nodeModules: 'production',
      node: 'running',
    }),
  );
  return { repo, images };
}

describe('image context (context.json)', () => {
  it('takes the packages the lockfile does not mark dev, outermost folders only (absent optional ones skipped)', () => {
    const { repo } = fixture();
    expect(productionPackages(repo)).to.deep.equal(['node_modules/express']);
  });

  it('adds repository paths under app/, production packages, and the running Node as node/node', () => {
    const { repo, images } = fixture();
    const spec = readContextSpec(path.join(images, 'platform'));
    expect(spec?.onRequest).to.equal(true);
    const files = contextFiles(spec!, repo, '/usr/bin/true').map((f) => `${f.rel}=${f.source}`);
    expect(files).to.deep.equal([
      `app/dist/index.html=${repo}/dist/index.html`,
      `app/node_modules/express/index.js=${repo}/node_modules/express/index.js`,
      `app/node_modules/express/node_modules/debug/index.js=${repo}/node_modules/express/node_modules/debug/index.js`,
      `app/package.json=${repo}/package.json`,
      `app/src/main.ts=${repo}/src/main.ts`,
      'node/node=/usr/bin/true',
    ]);
  });

  it('says what makes a missing required path, and refuses paths outside the repository', () => {
    const { repo, images } = fixture();
    const spec = readContextSpec(path.join(images, 'platform'))!;
    expect(() => contextFiles(spec, path.join(repo, 'nowhere'))).to.throw(
      /dist\/index\.html is missing: make it first \(npm run build:web\)/,
    );
    write(images, 'bad/Dockerfile', 'FROM x\n');
    write(images, 'bad/context.json', JSON.stringify({ repository: ['../etc'] }));
    expect(() => readContextSpec(path.join(images, 'bad'))).to.throw(
      /\.\.\/etc must be a path inside the repository/,
    );
  });

  it('keeps an on-request image out of a build naming no image; its extra files change its hash', () => {
    const { repo, images } = fixture();
    const builder = new DockerImageBuilder({ imagesDir: images, repoRoot: repo });
    expect(builder.folders().map((f) => f.name)).to.deep.equal(['web']);
    const [platform] = builder.folders(['platform']);
    expect(platform?.extras?.length).to.equal(6);
    const before = contentHash(platform!, 'sha256:base');
    write(repo, 'src/main.ts', 'main, changed');
    const after = contentHash(
      withExtras(
        findImageFolders(images).find((f) => f.name === 'platform')!,
        repo,
      ),
      'sha256:base',
    );
    expect(after).to.not.equal(before);
    // A folder without context.json hashes as before: its own files only.
    const web = findImageFolders(images).find((f) => f.name === 'web')!;
    expect(contentHash(withExtras(web, repo), 'sha256:base')).to.equal(contentHash(web, 'sha256:base'));
  });
});

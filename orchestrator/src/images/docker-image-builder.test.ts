import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type Docker from 'dockerode';
import {
  BuildProgress,
  contentHash,
  findImageFolders,
  IMAGE_LABEL,
  DockerImageBuilder,
} from './docker-image-builder.ts';
import type { ImageBuildEvent } from './image-builder.ts';

describe('image-builder', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cyrop-images-'));
    mkdirSync(path.join(dir, 'web', 'files'), { recursive: true });
    writeFileSync(path.join(dir, 'web', 'Dockerfile'), 'FROM debian:bookworm-slim\nCOPY files /opt/\n');
    writeFileSync(path.join(dir, 'web', 'files', 'run.sh'), '#!/bin/sh\nexec sleep infinity\n');
    mkdirSync(path.join(dir, 'attacker'));
    writeFileSync(path.join(dir, 'attacker', 'Dockerfile'), 'FROM debian:bookworm-slim\n');
    mkdirSync(path.join(dir, 'not-an-image'));
    writeFileSync(path.join(dir, 'README.md'), '# images\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('findImageFolders', () => {
    it('lists the folders with a Dockerfile, sorted, with their files', () => {
      const folders = findImageFolders(dir);
      expect(folders.map((f) => f.name)).to.deep.equal(['attacker', 'web']);
      expect(folders[1]?.files).to.deep.equal(['Dockerfile', 'files/run.sh']);
    });

    it('names the unknown images it is asked for', () => {
      expect(() => new DockerImageBuilder({ imagesDir: dir }).folders(['web', 'nope'])).to.throw(
        /no image nope/,
      );
    });
  });

  describe('contentHash', () => {
    const hashOf = (base = 'sha256:base') => contentHash(findImageFolders(dir)[1]!, base);

    it('is stable for the same files and base image', () => {
      expect(hashOf())
        .to.match(/^[0-9a-f]{64}$/)
        .and.equal(hashOf());
    });

    it('changes with a byte, a new file, the executable bit or the base image', () => {
      const before = hashOf();
      expect(hashOf('sha256:other')).not.to.equal(before);
      chmodSync(path.join(dir, 'web', 'files', 'run.sh'), 0o755);
      const executable = hashOf();
      expect(executable).not.to.equal(before);
      writeFileSync(path.join(dir, 'web', 'files', 'run.sh'), '#!/bin/sh\nexec sleep 1\n');
      expect(hashOf()).not.to.equal(executable);
      const edited = hashOf();
      writeFileSync(path.join(dir, 'web', 'files', 'extra'), '');
      expect(hashOf()).not.to.equal(edited);
    });

    it('does not depend on files outside the image folder', () => {
      const before = hashOf();
      writeFileSync(path.join(dir, 'README.md'), '# changed\n');
      writeFileSync(path.join(dir, 'attacker', 'Dockerfile'), 'FROM scratch\n');
      expect(hashOf()).to.equal(before);
    });
  });

  describe('BuildProgress (the legacy builder stream)', () => {
    it('reports steps and the image id of a successful build', () => {
      const events: ImageBuildEvent[] = [];
      const p = new BuildProgress('web', (e) => events.push(e));
      for (const stream of [
        'Step 1/2 : FROM debian:bookworm-slim\n',
        ' ---> 5935deda59d3\n',
        'Step 2/2 : RUN echo hi\n',
      ]) {
        p.push({ stream });
      }
      p.push({ stream: ' ---> Running in 0123\nh' });
      p.push({ stream: 'i\n' });
      p.push({ aux: { ID: 'sha256:abc' } });
      p.push({ stream: 'Successfully built abc\n' });
      p.flush();
      expect(p.error).to.equal(undefined);
      expect(p.imageId).to.equal('sha256:abc');
      expect(events.flatMap((e) => (e.kind === 'step' ? [e.index] : []))).to.deep.equal([1, 2]);
      expect(events.flatMap((e) => (e.kind === 'output' ? [e.line] : []))).to.deep.equal(['hi']);
    });

    it('names the image, the failing step and its last output, without colour codes', () => {
      const p = new BuildProgress('attacker', () => undefined);
      p.push({ stream: 'Step 5/9 : RUN apt-get install -y nmap nope\n' });
      p.push({ stream: ' ---> Running in 42\n' });
      p.push({ stream: 'Reading package lists...\n\u001b[91mE: Unable to locate package nope\n\u001b[0m' });
      p.push({
        errorDetail: {
          code: 100,
          message: "The command '/bin/sh -c apt-get install -y nmap nope' returned a non-zero code: 100",
        },
        error: "The command '/bin/sh -c apt-get install -y nmap nope' returned a non-zero code: 100",
      });
      const failure = p.failure(p.error ?? '');
      expect(failure.message).to.equal(
        'image attacker: step 5/9 (RUN apt-get install -y nmap nope) failed: the command exited with code 100\n' +
          '  | Reading package lists...\n  | E: Unable to locate package nope',
      );
      expect(failure.step?.output).to.deep.equal([
        'Reading package lists...',
        'E: Unable to locate package nope',
      ]);
    });
  });

  describe('build', () => {
    it('only tags an image whose content hash already exists (a warm machine builds nothing)', async () => {
      const tagged: string[] = [];
      const images = new Map<string, string>(); // ref -> id
      let hashes: string[] = [];
      const fake = {
        getImage: (ref: string) => ({
          inspect: () => {
            const id =
              ref === 'debian:bookworm-slim'
                ? 'sha256:base'
                : (images.get(ref) ?? (ref.startsWith('sha256:') ? ref : undefined));
            return id
              ? Promise.resolve({ Id: id, Size: 1000, Config: { Labels: {} } })
              : Promise.reject(Object.assign(new Error('No such image'), { statusCode: 404 }));
          },
          tag: (opts: { repo: string; tag: string }) => {
            tagged.push(`${opts.repo}:${opts.tag}`);
            images.set(`${opts.repo}:${opts.tag}`, ref);
            return Promise.resolve();
          },
        }),
        listImages: (opts: { filters: { label: string[] } }) => {
          const hash = opts.filters.label[0]?.split('=')[1] ?? '';
          hashes.push(hash);
          return Promise.resolve([{ Id: `sha256:img-${hash.slice(0, 4)}`, Created: 1 }]);
        },
        buildImage: () => Promise.reject(new Error('must not build')),
      } as unknown as Docker;
      const builder = new DockerImageBuilder({
        docker: fake,
        imagesDir: dir,
        makeBase: () => Promise.reject(new Error('base exists')),
      });
      const first = await builder.build();
      expect(first.map((r) => [r.name, r.status, r.retagged])).to.deep.equal([
        ['attacker', 'up-to-date', true],
        ['web', 'up-to-date', true],
      ]);
      expect(tagged).to.have.length(4);
      expect(tagged).to.include('cyrop/web:1');
      expect(hashes.every((h) => /^[0-9a-f]{64}$/.test(h))).to.equal(true);
      hashes = [];
      const second = await builder.build(['web']);
      expect(second.map((r) => [r.name, r.status, r.retagged])).to.deep.equal([['web', 'up-to-date', false]]);
      expect(tagged).to.have.length(4);
      expect(IMAGE_LABEL.contentHash).to.equal('cyrop.io/content-hash');
    });
  });
});

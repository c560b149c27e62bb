import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Docker from 'dockerode';
import { DockerImageBuilder, stableTag } from '../../orchestrator/src/images/docker-image-builder.ts';
import { productionPackages } from '../../orchestrator/src/images/image-context.ts';
import { REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';

/**
 * The platform image `cyrop/platform` on the real Docker engine: `cyrop images build platform`
 * makes (or finds) it, a plain build leaves it out, and a container of it — on a network this test
 * creates, never published — answers /healthz and /readyz as a user other than root.
 */
describe('platform image (Docker engine)', function () {
  this.timeout(20 * 60_000);
  const docker = new Docker();
  const builder = new DockerImageBuilder({ docker });
  const suffix = randomBytes(4).toString('hex');
  let network: Docker.Network | undefined;
  let container: Docker.Container | undefined;

  before(async function () {
    try {
      await docker.ping();
    } catch {
      this.skip(); // no engine on this machine (infra/engine/ensure-docker.sh starts one)
    }
    // The console and the compiled server are part of the image: build them as `npm start` does.
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: REPO_ROOT, stdio: 'ignore' });
    execFileSync('npm', ['run', '--silent', 'build:orchestrator'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });

  after(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    await network?.remove().catch(() => undefined);
  });

  it('is built only when named: a plain build leaves it out', () => {
    expect(builder.folders().map((f) => f.name)).to.not.include('platform');
    const [platform] = builder.folders(['platform']);
    const rels = (platform?.extras ?? []).map((e) => e.rel);
    expect(rels).to.include.members([
      'node/node',
      'app/orchestrator/bin/cyrop.js',
      'app/orchestrator/dist/cli.js',
      'app/orchestrator/dist/build.json',
      'app/web-console/dist/index.html',
      'app/node_modules/better-sqlite3/package.json',
    ]);
    // Development packages and tests stay out.
    expect(rels.filter((r) => r.startsWith('app/node_modules/mocha/'))).to.deep.equal([]);
    expect(rels.filter((r) => r.startsWith('app/orchestrator/') && r.endsWith('.test.ts'))).to.deep.equal([]);
    // Every file the build was made from travels with it, so bin/cyrop.js finds it current and runs it.
    const stamp = JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator/dist/build.json'), 'utf8')) as {
      files: Record<string, unknown>;
    };
    expect(rels).to.include.members(Object.keys(stamp.files).map((f) => `app/${f}`));
    expect(productionPackages(REPO_ROOT))
      .to.include('node_modules/express')
      .and.not.include('node_modules/chai');
  });

  it('builds (or finds) cyrop/platform:1, running as a non-root user with the data folder a volume', async () => {
    const [result] = await builder.build(['platform']);
    expect(result?.error).to.equal(undefined);
    expect(result?.tag).to.equal(stableTag('platform'));
    const info = await docker.getImage(stableTag('platform')).inspect();
    expect(info.Config.User).to.equal('10001:10001');
    expect(Object.keys(info.Config.Volumes)).to.deep.equal(['/var/lib/cyrop']);
    expect(info.Config.Env).to.include('CYROP_DATA_DIR=/var/lib/cyrop');
    // A second build finds it.
    const [again] = await builder.build(['platform']);
    expect(again?.status).to.equal('up-to-date');
  });

  it('serves /healthz and /readyz with the same Node as this test', async () => {
    network = await docker.createNetwork({ Name: `cyrop-platform-test-${suffix}`, Driver: 'bridge' });
    container = await docker.createContainer({
      Image: stableTag('platform'),
      name: `cyrop-platform-test-${suffix}`,
      Env: ['CYROP_ENGINE=none'],
      HostConfig: {
        NetworkMode: `cyrop-platform-test-${suffix}`,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
      },
    });
    await container.start();
    const inspected = await container.inspect();
    const address = inspected.NetworkSettings.Networks[`cyrop-platform-test-${suffix}`]?.IPAddress;
    expect(address, 'container address').to.be.a('string').and.not.equal('');
    const base = `http://${address}:8080`;
    const deadline = Date.now() + 180_000;
    let health: unknown;
    while (Date.now() < deadline) {
      health = await fetch(`${base}/healthz`).then(
        (r) => r.json(),
        () => undefined,
      );
      if (health) break;
      if (!(await container.inspect()).State.Running)
        throw new Error(
          `the platform container stopped: ${(await container.logs({ stdout: true, stderr: true })).toString()}`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(health).to.deep.equal({ status: 'ok' });
    const ready = (await (await fetch(`${base}/readyz`)).json()) as { status: string; scenarios: number };
    expect(ready.status).to.equal('ready');
    expect(ready.scenarios).to.be.greaterThan(0);
    const exec = await container.exec({
      Cmd: ['node', '-p', 'process.version + " " + process.getuid()'],
      AttachStdout: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise((resolve) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
    });
    // Multiplexed stream: skip the 8-byte frame headers.
    const text = Buffer.concat(chunks).subarray(8).toString().trim();
    expect(text).to.equal(`${process.version} 10001`);
  });
});

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { contractPlan } from '../contract/runtime-driver-contract.ts';
import { DockerImageBuilder, stableTag } from '../../orchestrator/src/images/docker-image-builder.ts';
import { pushImages } from '../../orchestrator/src/images/image-pusher.ts';
import { REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';
import { CLUSTER, clusterDnsAddress, pushedTestImage, requireCluster } from './cluster.ts';
import { TerminalClient } from '../engine/terminal-client.ts';

/** The shipped scenario the in-cluster server launches: one host, one image. */
const SCENARIO = { id: 'usb-leak-forensics', image: 'cyrop/forensics-workstation:1', host: 'workstation' };

const CHART = path.join(REPO_ROOT, 'infra', 'kubernetes', 'chart');
const BUILD = path.join(REPO_ROOT, 'infra', 'kubernetes', 'local-cluster', 'build.sh');

/**
 * The chart installed into the local cluster with helm: the platform image (pushed to the cluster's
 * registry, pulled by digest) becomes Ready with its ServiceAccount (in-cluster configuration, the
 * Kubernetes engine), and the API server refuses its ServiceAccount what the chart does not grant.
 * The local cluster has no storage provisioner: the test makes a hostPath PersistentVolume of its own
 * StorageClass name. Everything is deleted afterwards (the namespace, the cluster-scoped RBAC, the volume).
 */
describe('Helm chart installed in the local cluster', function () {
  this.timeout(20 * 60_000);
  const id = randomBytes(3).toString('hex');
  const namespace = `cyrop-chart-${id}`;
  const release = `chart${id}`;
  const fullname = `${release}-cyrop`;
  const storageClass = `cyrop-chart-${id}`;
  const hostDir = `/var/tmp/cyrop-chart-test-${id}`;
  const env = { ...process.env, KUBECONFIG: CLUSTER.kubeconfig };
  // Where the test reaches the server (kubectl port-forward): its public origin, as an installer sets it.
  let localPort = 0;
  let helm = '';
  let kubectl = '';
  let installed = false;

  const run = (cmd: string, args: string[], input?: string) =>
    execFileSync(cmd, args, { encoding: 'utf8', env, ...(input ? { input } : {}) });
  const k = (...args: string[]) => run(kubectl, args);
  const canI = (...args: string[]) =>
    spawnSync(kubectl, ['auth', 'can-i', ...args, `--as=system:serviceaccount:${namespace}:${fullname}`], {
      encoding: 'utf8',
      env,
    }).stdout.trim();

  before(async function () {
    requireCluster(this);
    helm = path.join(run('bash', [BUILD, 'helm']).trim(), 'helm');
    kubectl = path.join(run('bash', [BUILD, 'kubernetes']).trim(), 'kubectl');
    execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: REPO_ROOT, stdio: 'ignore' });
    const [built] = await new DockerImageBuilder().build(['platform']);
    expect(built?.error).to.equal(undefined);
    const [pushed] = await pushImages([stableTag('platform')], CLUSTER.pushRegistry);
    // The scenario image the in-cluster server will pull (by tag: it has no digests recorded).
    await pushImages([SCENARIO.image], CLUSTER.pushRegistry);
    localPort = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    mkdirSync(hostDir, { recursive: true });
    chownSync(hostDir, 10001, 10001);
    k('create', 'namespace', namespace);
    run(
      kubectl,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: storageClass, labels: { 'cyrop.io/test': 'chart-install' } },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: storageClass,
          persistentVolumeReclaimPolicy: 'Delete',
          hostPath: { path: hostDir, type: 'Directory' },
        },
      }),
    );
    const args = [
      'install',
      release,
      CHART,
      '--namespace',
      namespace,
      '--wait',
      '--timeout',
      '10m',
      '--set',
      `image.repository=${CLUSTER.pullRegistry}/cyrop/platform`,
      '--set',
      `image.digest=${pushed?.digest ?? ''}`,
      '--set',
      `config.CYROP_KUBE_DNS=${clusterDnsAddress()}`,
      '--set',
      `config.CYROP_IMAGE_REGISTRY=${CLUSTER.pullRegistry}`,
      '--set',
      `config.CYROP_KUBE_NAMESPACE_PREFIX=cyq${id}-`,
      '--set',
      `config.CYROP_PUBLIC_ORIGINS=http://127.0.0.1:${localPort}`,
      '--set',
      `persistence.storageClassName=${storageClass}`,
      '--set',
      'persistence.size=1Gi',
    ];
    installed = true;
    const r = spawnSync(helm, args, { encoding: 'utf8', env });
    if (r.status !== 0) {
      const pods = spawnSync(kubectl, ['-n', namespace, 'describe', 'pods'], {
        encoding: 'utf8',
        env,
      }).stdout;
      throw new Error(`helm install failed: ${r.stderr}\n${pods.slice(-3000)}`);
    }
  });

  after(() => {
    if (!kubectl) return;
    if (installed) spawnSync(helm, ['uninstall', release, '--namespace', namespace, '--wait'], { env });
    spawnSync(kubectl, ['delete', 'namespace', namespace, '--wait=true', '--timeout=120s'], { env });
    spawnSync(kubectl, ['delete', 'pv', storageClass, '--wait=false'], { env });
    rmSync(hostDir, { recursive: true, force: true });
  });

  it('becomes Ready with the Kubernetes engine, in-cluster, as a non-root user', () => {
    const pod = JSON.parse(
      k('-n', namespace, 'get', 'pods', '-l', `app.kubernetes.io/instance=${release}`, '-o', 'json'),
    ) as {
      items: { status: { conditions: { type: string; status: string }[] } }[];
    };
    expect(pod.items).to.have.length(1);
    expect(pod.items[0]?.status.conditions.find((c) => c.type === 'Ready')?.status).to.equal('True');
    const ready = k(
      '-n',
      namespace,
      'exec',
      `deploy/${fullname}`,
      '--',
      'node',
      '-e',
      'fetch("http://127.0.0.1:8080/readyz").then(r=>r.text()).then(t=>console.log(process.getuid(),t))',
    ).trim();
    expect(ready).to.match(/^10001 \{"status":"ready"/);
    expect(ready).to.include('"engine":"kubernetes"');
  });

  it('its ServiceAccount may manage team namespaces but is refused what the chart does not grant', () => {
    expect(canI('create', 'namespaces')).to.equal('yes');
    // The team rules hold only where the driver binds them (a team namespace it made): nowhere yet.
    for (const where of [['-n', 'kube-system'], ['--all-namespaces'], ['-n', `cyq${id}-x`]])
      for (const [verb, resource] of [
        ['list', 'secrets'],
        ['get', 'secrets'],
        ['create', 'pods/exec'],
        ['delete', 'pods'],
      ] as const)
        expect(canI(verb, resource, ...where), `${verb} ${resource} ${where.join(' ')}`).to.equal('no');
    const read = spawnSync(
      kubectl,
      [
        '-n',
        'kube-system',
        'get',
        'secret',
        'anything',
        `--as=system:serviceaccount:${namespace}:${fullname}`,
      ],
      { encoding: 'utf8', env },
    );
    expect(read.status).to.not.equal(0);
    expect(read.stderr).to.include('Forbidden');
    // The admission policy: team namespaces only, kube-system neither deleted nor changed.
    const as = `--as=system:serviceaccount:${namespace}:${fullname}`;
    const tryIt = (...args: string[]) =>
      spawnSync(kubectl, [...args, as, '--dry-run=server'], { encoding: 'utf8', env });
    expect(tryIt('create', 'namespace', `cyq${id}-allowed`).status).to.equal(0);
    for (const refused of [
      tryIt('create', 'namespace', `other-${id}`),
      tryIt('delete', 'namespace', namespace), // its own: not a team namespace (kube-system is immortal anyway)
      tryIt('label', 'namespace', 'kube-system', 'x=y'),
    ]) {
      expect(refused.status).to.not.equal(0);
      expect(refused.stderr, refused.stderr).to.include(`may only manage namespaces named cyq${id}-…`);
    }
    for (const [verb, resource] of [
      ['get', 'nodes'],
      ['create', 'clusterrolebindings'],
      ['create', 'deployments'],
      ['patch', 'configmaps'],
      ['escalate', 'clusterroles'],
    ] as const)
      expect(canI(verb, resource, '-n', 'kube-system'), `${verb} ${resource}`).to.equal('no');
    // `bind` on the team role: only in a team namespace, only that role, only to itself.
    const binding = (ns: string, role: string, subject: string) =>
      tryIt(
        'create',
        'rolebinding',
        'probe',
        '-n',
        ns,
        `--clusterrole=${role}`,
        `--serviceaccount=${subject}`,
      );
    const self = `${namespace}:${fullname}`;
    k('create', 'namespace', `cyq${id}-bindings`);
    try {
      expect(binding(`cyq${id}-bindings`, `${fullname}-team`, self).status).to.equal(0);
      const outside = binding('kube-system', `${fullname}-team`, self);
      expect(outside.stderr).to.include(`may only make RoleBindings in team namespaces (cyq${id}-…)`);
      const other = binding(`cyq${id}-bindings`, `${fullname}-team`, 'kube-system:default');
      expect(other.stderr).to.include(`may only bind the ClusterRole ${fullname}-team, to itself`);
      // Another role: refused by RBAC itself (no `bind` on it, and the SA does not hold its rights).
      const admin = binding(`cyq${id}-bindings`, 'admin', self);
      expect(admin.status).to.not.equal(0);
      expect(admin.stderr).to.match(/forbidden/i);
    } finally {
      k('delete', 'namespace', `cyq${id}-bindings`, '--wait=false');
    }
  });

  it("its ServiceAccount's rights are enough for the driver: a team environment launched, used, torn down", async () => {
    // The driver as the in-cluster server runs it, with the ServiceAccount's token from outside.
    const admin = parse(readFileSync(CLUSTER.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    };
    const cluster = admin.clusters[0]!.cluster;
    const token = k('-n', namespace, 'create', 'token', fullname, '--duration', '20m').trim();
    const kubeconfig = path.join(os.tmpdir(), `cyrop-chart-sa-${id}.kubeconfig`);
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster }],
        users: [{ name: 'sa', user: { token } }],
        contexts: [{ name: 'sa', context: { cluster: 'c', user: 'sa' } }],
        'current-context': 'sa',
      }),
      { mode: 0o600 },
    );
    const driver = await KubernetesRuntimeDriver.connect({
      kubeconfig,
      // As the chart configures the server: the team role bound in each team namespace it makes.
      teamRole: `${fullname}-team`,
      namespacePrefix: `cyq${id}-`,
      inCluster: false,
      registry: CLUSTER.pullRegistry,
      dnsAddress: clusterDnsAddress(),
    });
    const ref = { exercise: `chart-${id}`, team: 'team-1' };
    const plan = contractPlan(await pushedTestImage('box'), ref.exercise)[0]!;
    try {
      const status = await driver.provision(plan);
      expect(status.ready, JSON.stringify(status.hosts)).to.equal(true);
      const r = await driver.exec({ ...ref, host: 'console' }, ['/bin/sh', '-c', 'echo "$MARK"'], {
        timeoutMs: 10_000,
        maxOutputBytes: 1 << 16,
      });
      expect(r.stdout.toString()).to.equal('one\n');
    } finally {
      await driver.destroy(ref);
      rmSync(kubeconfig, { force: true });
    }
  });

  it('launches an exercise of a shipped scenario through the in-cluster server; a terminal opens through it', async () => {
    // The server's Service, reached through the API server (kubectl port-forward to host loopback).
    const forward = spawn(kubectl, ['-n', namespace, 'port-forward', `svc/${fullname}`, `${localPort}:80`], {
      env,
    });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        let out = '';
        forward.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        forward.on('exit', (code) => reject(new Error(`port-forward ended (${String(code)}): ${out}`)));
      });
      const origin = `http://127.0.0.1:${port}`;
      let cookie = '';
      const call = async (method: string, url: string, body?: unknown) => {
        const res = await fetch(origin + url, {
          method,
          headers: {
            origin,
            ...(cookie ? { cookie } : {}),
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        const set = res.headers.get('set-cookie');
        if (set) cookie = set.split(';')[0]!;
        const text = await res.text();
        return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
      };
      // The first operator's one-time password, as an installer reads it (README.md of the chart).
      const logs = k('-n', namespace, 'logs', `deploy/${fullname}`);
      const once = /one-time password (\S+)/.exec(logs)?.[1];
      expect(once, 'the first start prints a one-time password').to.be.a('string');
      const signIn = await call('POST', '/api/auth/login', { email: 'admin@localhost', password: once });
      expect(signIn.status, signIn.text).to.equal(200);
      const changed = await call('POST', '/api/auth/password', {
        currentPassword: once,
        newPassword: 'chart test password 1',
      });
      expect(changed.status, changed.text).to.equal(200);

      const launched = await call('POST', '/api/exercises', { scenario: SCENARIO.id, teams: 1 });
      expect(launched.status, launched.text).to.equal(202);
      const exercise = launched.body.id as string;
      try {
        let state: Record<string, unknown> = {};
        for (let i = 0; i < 360; i++) {
          state = (await call('GET', `/api/exercises/${exercise}`)).body;
          const teams = state.teams as { state: string }[] | undefined;
          if (state.state === 'running' && teams?.length === 1 && teams[0]?.state === 'ready') break;
          if (teams?.some((t) => t.state === 'failed')) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        expect((state.teams as { state: string }[] | undefined)?.[0]?.state, JSON.stringify(state)).to.equal(
          'ready',
        );
        // The team namespace holds the RoleBinding the in-cluster driver gave itself.
        const bindings = JSON.parse(
          k('get', 'rolebindings', '--all-namespaces', '-l', `cyrop.io/exercise=${exercise}`, '-o', 'json'),
        ) as { items: { metadata: { namespace: string; name: string }; roleRef: { name: string } }[] };
        expect(
          bindings.items.map((b) => [b.metadata.namespace.startsWith(`cyq${id}-`), b.roleRef.name]),
        ).to.deep.equal([[true, `${fullname}-team`]]);

        const client = await TerminalClient.connect(origin, cookie);
        if ('error' in client) throw new Error(`terminal socket refused: ${client.error}`);
        try {
          const attached = await client.openOk({
            exerciseId: exercise,
            teamId: 'team-1',
            host: SCENARIO.host,
            cols: 100,
            rows: 30,
          });
          await client.run(attached.terminal.terminalId, 'echo "$(id -un) $((6*7))"', /trainee 42/, 30_000);
        } finally {
          client.disconnect();
        }
      } finally {
        const ended = await call('DELETE', `/api/exercises/${exercise}`);
        expect(ended.status, ended.text).to.be.oneOf([200, 202]);
        // The in-cluster server deletes the team namespace (its RoleBinding with it).
        let left = 1;
        for (let i = 0; i < 240 && left > 0; i++) {
          left = k('get', 'namespaces', '-l', `cyrop.io/exercise=${exercise}`, '-o', 'name')
            .trim()
            .split('\n')
            .filter(Boolean).length;
          if (left > 0) await new Promise((r) => setTimeout(r, 500));
        }
        expect(left, 'team namespaces left after teardown').to.equal(0);
      }
    } finally {
      forward.kill();
    }
  });
});

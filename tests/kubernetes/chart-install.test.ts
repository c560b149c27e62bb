import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('its ServiceAccount may manage namespaces but is refused what the chart does not grant', () => {
    expect(canI('create', 'namespaces')).to.equal('yes');
    expect(canI('create', 'pods/exec', '-n', `cyq${id}-x`)).to.equal('yes');
    // Reading a Secret in kube-system by name: refused by the API server. Listing Secrets there is
    // still allowed: the team rules are bound cluster-wide until the driver binds them per team
    // namespace (infra/kubernetes/chart/README.md, "RBAC"). Printed, not asserted, so that it shows.
    console.log(
      `      (list secrets -n kube-system: ${canI('list', 'secrets', '-n', 'kube-system')} — see the chart's README, RBAC)`,
    );
    expect(canI('get', 'secrets', '-n', 'kube-system')).to.equal('no');
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
});

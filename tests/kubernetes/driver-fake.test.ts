import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { contractPlan } from '../contract/runtime-driver-contract.ts';
import { KubernetesRuntimeDriver } from '../../orchestrator/src/runtime/kubernetes/kubernetes-runtime-driver.ts';
import { CyropError } from '../../orchestrator/src/errors.ts';
import { FakeApiServer } from './fake-apiserver.ts';

/**
 * The driver's reconcile logic against an in-process fake API server (fake-apiserver.ts): what it
 * applies and in which order, adoption, drift, orphans, generations, watches that end, throttling.
 * Exec, shells and isolation need containers: see contract/isolation/shell tests on the real cluster.
 */
describe('Kubernetes driver against a fake API server', function () {
  this.timeout(30_000);
  let fake: FakeApiServer;
  let driver: KubernetesRuntimeDriver;
  // Without the dotted alias (db.internal), which the driver writes into /etc/hosts by exec: no exec here.
  const noAliases = <T extends { hosts: { networks: { aliases: string[] }[] }[] }>(p: T): T => {
    for (const h of p.hosts) for (const n of h.networks) n.aliases = [];
    return p;
  };
  const [plan] = contractPlan('cyrop-test/box:1', 'fake-ex').map(noAliases);
  const ref = { exercise: 'fake-ex', team: plan!.team.id };

  beforeEach(async () => {
    fake = new FakeApiServer();
    await fake.start();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-fake-kube-'));
    writeFileSync(path.join(dir, 'kubeconfig'), fake.kubeconfig());
    driver = await KubernetesRuntimeDriver.connect({
      kubeconfig: path.join(dir, 'kubeconfig'),
      namespacePrefix: 'cyf',
      inCluster: false,
      dnsAddress: '10.254.254.1',
      registry: 'reg.test:5000',
    });
  });
  afterEach(async () => {
    await driver.close();
    await fake.stop();
  });

  const applies = () => fake.requests.filter((r) => r.method === 'PATCH');
  const kindOf = (p: string) => /\/([a-z]+)\/[^/]+$/.exec(p)?.[1] ?? '';

  it('applies with server-side apply as one field manager, policies before any pod, and waits for readiness', async () => {
    const events: string[] = [];
    const status = await driver.provision(plan!, {
      onProgress: (e) => events.push(`${e.kind}:${'host' in e ? e.host : e.network}:${e.state}`),
    });
    expect(status.ready).to.equal(true);
    for (const r of applies()) {
      expect(r.contentType).to.equal('application/apply-patch+yaml');
      expect(r.fieldManager).to.equal('cyrop');
      expect(r.force).to.equal('true');
    }
    const order = applies().map((r) => kindOf(r.path));
    expect(order[0]).to.equal('namespaces');
    expect(order.indexOf('pods')).to.be.greaterThan(order.lastIndexOf('networkpolicies'));
    expect(events).to.include.members(['network:front:created', 'host:server:created', 'host:server:ready']);
    const pod = fake.all('Pod').find((p) => p.metadata.name === 'server')!;
    expect((pod['spec'] as { containers: { image: string }[] }).containers[0]!.image).to.equal(
      'reg.test:5000/cyrop-test/box:1',
    );
    expect(await driver.list({ 'cyrop.io/exercise': 'fake-ex' })).to.deep.equal([ref]);
    const seen = await driver.status(ref);
    expect(seen.hosts.map((h) => `${h.name}:${h.state}`)).to.deep.equal([
      'console:running',
      'server:running',
    ]);
    expect(seen.networks.map((n) => n.name)).to.deep.equal(['back', 'front']);
    expect(seen.planHash).to.equal(plan!.hash);
  });

  it('adopts what matches: a second provision applies no pod', async () => {
    await driver.provision(plan!);
    const before = applies().length;
    const events: string[] = [];
    await driver.provision(plan!, { onProgress: (e) => events.push(e.state) });
    expect(
      applies()
        .slice(before)
        .filter((r) => kindOf(r.path) === 'pods'),
    ).to.deep.equal([]);
    expect(events.filter((e) => e === 'created' || e === 'recreated')).to.deep.equal([]);
    expect(events.filter((e) => e === 'ready')).to.have.length(plan!.hosts.length);
    expect(fake.all('Namespace')).to.have.length(1);
    // every pod Ready in the list it just read: no readiness watch (a reconcile of 1,000 converged teams)
    const from = fake.requests.length;
    await driver.provision(plan!);
    const gets = fake.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith('/pods'));
    expect(gets, 'the list, no watch').to.have.length(1);
  });

  it('still watches on a re-provision when an adopted pod is not Ready yet', async () => {
    await driver.provision(plan!);
    const pod = fake.all('Pod').find((p) => p.metadata.name === 'server')!;
    fake.readyMs = 1_500; // still Pending when provision lists the pods
    fake.unready(pod.metadata.namespace!, 'server');
    const from = fake.requests.length;
    const status = await driver.provision(plan!);
    expect(status.ready).to.equal(true);
    const gets = fake.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith('/pods'));
    expect(gets.length, 'the list, then a watch').to.equal(2);
  });

  it('recreates only the drifted host, and removes what the plan no longer has', async () => {
    await driver.provision(plan!);
    const [changed] = contractPlan('cyrop-test/box:1', 'fake-ex', 1, 'two').map(noAliases);
    const consoleUid = fake.all('Pod').find((p) => p.metadata.name === 'console')!.metadata['uid'];
    const serverUid = fake.all('Pod').find((p) => p.metadata.name === 'server')!.metadata['uid'];
    const events: string[] = [];
    await driver.provision(changed!, {
      onProgress: (e) => events.push(`${'host' in e ? e.host : e.network}:${e.state}`),
    });
    expect(events).to.include.members(['console:recreated', 'server:adopted']);
    expect(fake.all('Pod').find((p) => p.metadata.name === 'server')!.metadata['uid']).to.equal(serverUid);
    expect(fake.all('Pod').find((p) => p.metadata.name === 'console')!.metadata['uid']).to.not.equal(
      consoleUid,
    );
    // A plan without the server: its pod, Secret and policy of `back` go.
    const smaller = {
      ...changed!,
      hosts: changed!.hosts.filter((h) => h.name === 'console'),
      networks: changed!.networks.filter((n) => n.name === 'front'),
    };
    await driver.provision(smaller);
    expect(fake.all('Pod').map((p) => p.metadata.name)).to.deep.equal(['console']);
    expect(fake.all('Secret')).to.deep.equal([]);
    expect(
      fake
        .all('NetworkPolicy')
        .map((p) => p.metadata.name)
        .sort(),
    ).to.deep.equal(['default-deny', 'dns', 'net-front']);
  });

  it('restarts a readiness watch that the server ends', async () => {
    fake.endWatchesAfter = 2; // each watch sees the two pods once, then ends
    fake.readyMs = 300;
    const status = await driver.provision(plan!);
    expect(status.ready).to.equal(true);
    const watches = fake.requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith('/pods') && r.status === 200,
    );
    expect(watches.length).to.be.greaterThan(1);
  });

  it('destroys idempotently, and a rebuild does not wait for the terminating namespace', async () => {
    fake.terminatingMs = 60_000;
    await driver.provision(plan!);
    const first = fake.all('Namespace')[0]!.metadata.name;
    await driver.destroy(ref);
    await driver.destroy(ref);
    expect(await driver.list({ 'cyrop.io/exercise': 'fake-ex' })).to.deep.equal([]);
    expect((await driver.status(ref)).hosts).to.deep.equal([]);
    await driver.provision(plan!);
    const live = fake.all('Namespace').filter((n) => !n.metadata['deletionTimestamp']);
    expect(live).to.have.length(1);
    expect(live[0]!.metadata.name).to.not.equal(first);
    expect(live[0]!.metadata.name).to.match(/^cyf-fake-ex-team-1-[0-9a-f]{6}$/);
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    fake.throttle = { path: /\/namespaces\/[^/]+$/, count: 2, retryAfter: 1 };
    await driver.provision(plan!);
    const nsApplies = fake.requests.filter(
      (r) => r.method === 'PATCH' && /\/api\/v1\/namespaces\/[^/]+$/.test(r.path),
    );
    expect(nsApplies.map((r) => r.status)).to.deep.equal([429, 429, 201]);
    expect(nsApplies[1]!.at - nsApplies[0]!.at).to.be.at.least(950);
    expect(nsApplies[2]!.at - nsApplies[1]!.at).to.be.at.least(950);
  });

  it('retries a pod its namespace quota refuses (usage not yet released), then creates it', async () => {
    fake.quotaExceeded = { path: /\/pods\/server$/, count: 2 };
    await driver.provision(plan!);
    const serverApplies = fake.requests.filter((r) => r.method === 'PATCH' && /\/pods\/server$/.test(r.path));
    expect(serverApplies.map((r) => r.status)).to.deep.equal([403, 403, 201]);
  });

  it('retries a pod refused while its quota has no status yet (just created), then creates it', async () => {
    fake.quotaUnknown = { path: /\/pods\/server$/, count: 3 };
    await driver.provision(plan!);
    const serverApplies = fake.requests.filter((r) => r.method === 'PATCH' && /\/pods\/server$/.test(r.path));
    expect(serverApplies.map((r) => r.status)).to.deep.equal([403, 403, 403, 201]);
  });

  it('waits for a drifted pod to be gone by watching it, not by polling, before applying it again', async () => {
    await driver.provision(plan!);
    fake.podDeletionMs = 1_500; // the kubelet takes its time
    const [changed] = contractPlan('cyrop-test/box:1', 'fake-ex', 1, 'two').map(noAliases);
    const from = fake.requests.length;
    await driver.provision(changed!);
    const during = fake.requests.slice(from);
    const deleted = during.find((r) => r.method === 'DELETE' && /\/pods\/console$/.test(r.path));
    const reapplied = during.find((r) => r.method === 'PATCH' && /\/pods\/console$/.test(r.path));
    expect(deleted, 'the drifted pod was deleted').to.not.equal(undefined);
    expect(reapplied!.at - deleted!.at, 'applied again only once gone').to.be.at.least(1_400);
    // one read of the pod (then a watch on its name), not one every 200 ms for 1.5 s
    expect(during.filter((r) => r.method === 'GET' && /\/pods\/console$/.test(r.path)).length).to.be.at.most(
      2,
    );
    expect(
      fake.all('Pod').find((p) => p.metadata.name === 'console')?.metadata['deletionTimestamp'],
    ).to.equal(undefined);
  });

  it('recreates a quota whose usage counts a pod that was never stored (a killed create), then creates the pod', async function () {
    this.timeout(20_000);
    // the adapter gives up after 6 refusals; the 7th would be the driver's first try after recreating
    fake.quotaExceeded = { path: /\/pods\/server$/, count: 6 };
    await driver.provision(plan!);
    const quota = fake.requests.filter((r) => /\/resourcequotas\/team$/.test(r.path)).map((r) => r.method);
    expect(quota).to.deep.equal(['PATCH', 'DELETE', 'PATCH']);
    const serverApplies = fake.requests.filter((r) => r.method === 'PATCH' && /\/pods\/server$/.test(r.path));
    expect(serverApplies.map((r) => r.status)).to.deep.equal([403, 403, 403, 403, 403, 403, 201]);
  });

  it('renews the quota once when a service and a secret are refused by stale usage, then creates them', async function () {
    this.timeout(20_000);
    // a killed platform's admitted-but-never-stored creates: the services and secrets all exhaust the
    // adapter's retries; one renewal of the quota serves them all
    fake.staleQuota = /\/(services|secrets)\/[^/]+$/;
    await driver.provision(plan!);
    const quota = fake.requests.filter((r) => /\/resourcequotas\/team$/.test(r.path)).map((r) => r.method);
    expect(quota).to.deep.equal(['PATCH', 'DELETE', 'PATCH']);
    expect(fake.all('Service').map((o) => o.metadata.name)).to.include('hosts');
    expect(fake.all('Secret')).to.have.length.greaterThan(0);
  });

  it('names a quota that keeps refusing, not the credentials', async function () {
    this.timeout(20_000);
    fake.quotaExceeded = { path: /\/pods\/server$/, count: 99 };
    const error = await driver.provision(plan!).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(/exceeded quota: team/);
    expect(error?.message).to.not.match(/credentials/);
  });

  describe('team namespaces, from one watch', () => {
    const namespaceLists = () =>
      fake.requests.filter(
        (r) => r.method === 'GET' && r.path === '/api/v1/namespaces' && r.query.get('watch') !== 'true',
      );
    const namespaceWatches = () =>
      fake.requests.filter((r) => r.path === '/api/v1/namespaces' && r.query.get('watch') === 'true');
    /** Ask until `ok` holds (the watch's events arrive in a moment); fails after 10 s. */
    const eventually = async (ask: () => Promise<boolean>) => {
      for (const until = Date.now() + 10_000; !(await ask());) {
        if (Date.now() > until) throw new Error('not seen within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const teams = contractPlan('cyrop-test/box:1', 'fake-many', 8).map(noAliases);

    it('lists the namespaces once for a launch of many teams, then answers from the watch', async () => {
      await Promise.all(teams.map((p) => driver.provision(p)));
      await Promise.all(teams.map((p) => driver.provision(p))); // a reconcile
      expect(namespaceLists()).to.have.length(1);
      expect(namespaceWatches()).to.have.length(1);
      expect(await driver.list({ 'cyrop.io/exercise': 'fake-many' })).to.have.length(8);
    });

    it('keeps its connections to the API server open across requests (no new TLS connection per call)', async () => {
      for (const p of teams) await driver.provision(p); // one team at a time: few requests at once
      const requests = fake.requests.length;
      // every pod watch and the namespace watch hold a connection of their own
      const watches = fake.requests.filter((r) => r.query.get('watch') === 'true').length;
      expect(requests).to.be.greaterThan(100);
      expect(fake.connections - watches).to.be.below(requests / 4);
    });

    it('sees a namespace deleted by someone else, and provisions the team again in a new one', async () => {
      const [first] = teams;
      await driver.provision(first!);
      const ref = { exercise: 'fake-many', team: first!.team.id };
      const [ns] = fake.all('Namespace').map((o) => o.metadata.name);
      fake.deleteNamespace(ns!);
      await eventually(async () => (await driver.list({ 'cyrop.io/exercise': 'fake-many' })).length === 0);
      expect((await driver.status(ref)).ready).to.equal(false);
      await driver.provision(first!);
      const live = fake.all('Namespace').filter((o) => !o.metadata['deletionTimestamp']);
      expect(live.map((o) => o.metadata.name))
        .to.have.length(1)
        .and.not.include(ns);
    });

    it('restarts a watch the server ends, from the last version it saw', async () => {
      await driver.provision(teams[0]!);
      fake.endNamespaceWatches();
      await eventually(() => Promise.resolve(namespaceWatches().length === 2));
      const [, again] = namespaceWatches();
      expect(Number(again!.query.get('resourceVersion'))).to.be.greaterThan(0);
      const [ns] = fake.all('Namespace').map((o) => o.metadata.name);
      fake.deleteNamespace(ns!);
      await eventually(async () => (await driver.list({ 'cyrop.io/exercise': 'fake-many' })).length === 0);
      expect(namespaceLists()).to.have.length(1);
    });

    it('asks with a LIST each time when the server refuses the watch (RBAC without watch), and still works', async () => {
      fake.refuseNamespaceWatch = true;
      await driver.provision(teams[0]!);
      await driver.provision(teams[0]!);
      expect(fake.all('Pod')).to.have.length(teams[0]!.hosts.length);
      expect(namespaceWatches()).to.have.length(1);
      expect(namespaceLists().length).to.be.at.least(3);
    });
  });

  it('refuses a plan that spells a host address in an environment variable (fixed before pods have addresses), saying where', async () => {
    const spelled = structuredClone(plan!);
    const server = spelled.hosts.find((h) => h.name === 'server')!;
    spelled.hosts.find((h) => h.name === 'console')!.env['TARGET'] = server.networks[0]!.address;
    try {
      await driver.provision(spelled);
      expect.fail('provisioned');
    } catch (error) {
      expect(error).to.be.instanceOf(CyropError);
      expect((error as CyropError).code).to.equal('SCENARIO_INVALID');
      expect((error as CyropError).message).to.contain('environment variable TARGET of host console');
    }
    expect(applies()).to.deep.equal([]);
  });
});

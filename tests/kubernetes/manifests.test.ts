import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { planExercise } from '../../orchestrator/src/compiler/plan-exercise.ts';
import type { EnvironmentPlan } from '../../orchestrator/src/compiler/environment-plan.ts';
import { compileScenarioFile } from '../../orchestrator/src/scenarios/scenario-folder.ts';
import { addressUses } from '../../orchestrator/src/compiler/plan-addresses.ts';
import {
  namespaceName,
  toKubernetes,
  type KubeObject,
  type KubernetesSettings,
} from '../../orchestrator/src/runtime/kubernetes/to-kubernetes.ts';
import { manifestValidator, type ManifestValidator } from './openapi.ts';

/**
 * Golden manifests: every shipped scenario planned for two teams and turned into Kubernetes objects,
 * compared with tests/kubernetes/golden/<scenario>.json (CYROP_UPDATE_GOLDEN=1 rewrites them), and
 * every object validated against Kubernetes' own OpenAPI v3 schema with unknown fields as errors.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const GOLDEN = path.join(import.meta.dirname, 'golden');
const SETTINGS: KubernetesSettings = {
  namespacePrefix: 'cyrop',
  dnsAddress: '10.254.254.1',
  registry: 'registry.cyrop.test:5000/ranges',
};

const scenarios = readdirSync(path.join(ROOT, 'scenarios'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(path.join(ROOT, 'scenarios', d.name, 'scenario.yaml')))
  .map((d) => d.name)
  .sort();

function plansOf(scenario: string): EnvironmentPlan[] {
  const result = compileScenarioFile(path.join(ROOT, 'scenarios', scenario, 'scenario.yaml'));
  if (!result.compiled)
    throw new Error(
      `${scenario}: ${result.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('; ')}`,
    );
  return planExercise(result.compiled, { exerciseId: 'golden', teams: 2, secret: 'golden-secret-k8s' });
}

function manifestsOf(plan: EnvironmentPlan) {
  return toKubernetes(plan, SETTINGS, 'g1');
}

describe('Kubernetes manifests of the shipped scenarios', function () {
  this.timeout(15 * 60_000); // a cold Go module cache downloads k8s.io/kubernetes once
  let validator: ManifestValidator;
  before(() => {
    validator = manifestValidator();
  });

  it('finds the shipped scenarios', () => {
    expect(scenarios.length).to.be.greaterThanOrEqual(6);
  });

  for (const scenario of scenarios) {
    describe(scenario, () => {
      it('matches its golden manifests', () => {
        const actual = plansOf(scenario).map((plan) => ({
          team: plan.team.id,
          addressUses: addressUses(plan),
          ...manifestsOf(plan),
        }));
        const file = path.join(GOLDEN, `${scenario}.json`);
        const text = JSON.stringify(actual, null, 2) + '\n';
        if (process.env['CYROP_UPDATE_GOLDEN'] === '1' || !existsSync(file)) {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, text);
        }
        expect(JSON.parse(text)).to.deep.equal(JSON.parse(readFileSync(file, 'utf8')));
      });

      it("is valid against Kubernetes' OpenAPI schema, unknown fields refused", () => {
        for (const plan of plansOf(scenario)) {
          const m = manifestsOf(plan);
          const objects: KubeObject[] = [
            ...m.setup,
            ...m.pods.flatMap((p) => (p.secret ? [p.secret, p.pod] : [p.pod])),
          ];
          const problems = objects.flatMap((o) => validator.check(o));
          expect(problems, problems.join('\n')).to.deep.equal([]);
        }
      });
    });
  }

  it('the validator does catch an unknown field and a wrong type', () => {
    const [plan] = plansOf(scenarios[0] ?? '');
    const pod = manifestsOf(plan!).pods[0]!.pod as KubeObject & {
      spec: { containers: Record<string, unknown>[] };
    };
    const bad = structuredClone(pod);
    bad.spec.containers[0]!['securityContex'] = {};
    expect(validator.check(bad).join()).to.match(/additional properties 'securityContex'/);
    const long = structuredClone(pod);
    long.metadata.labels['cyrop.io/plan-hash'] = 'a'.repeat(64);
    expect(validator.check(long).join()).to.match(/value 'a{64}' is not a label value/);
    const wrong = structuredClone(pod);
    (wrong.spec as Record<string, unknown>)['hostname'] = 42;
    expect(validator.check(wrong).join()).to.match(/hostname must be string/);
  });

  it('isolates networks: a pod on dmz only has no policy reaching internal only (web-sqli-pivot)', () => {
    const [plan] = plansOf('web-sqli-pivot');
    const m = manifestsOf(plan!);
    const labelsOf = (host: string) => m.pods.find((p) => p.host === host)!.pod.metadata.labels;
    expect(labelsOf('attacker'))
      .to.include({ 'cyrop.io/net-dmz': 'true' })
      .and.not.have.property('cyrop.io/net-internal');
    expect(labelsOf('backup'))
      .to.include({ 'cyrop.io/net-internal': 'true' })
      .and.not.have.property('cyrop.io/net-dmz');
    expect(labelsOf('shop')).to.include({ 'cyrop.io/net-dmz': 'true', 'cyrop.io/net-internal': 'true' });
    const policies = m.setup.filter((o) => o.kind === 'NetworkPolicy').map((o) => o.metadata.name);
    expect(policies).to.deep.equal(['default-deny', 'dns', 'net-dmz', 'net-internal']);
    // Policies come right after the namespace, before anything that runs.
    expect(m.setup.slice(0, 5).map((o) => o.kind)).to.deep.equal([
      'Namespace',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
    ]);
  });

  it('labels a namespace privileged only when a host needs more than baseline allows', () => {
    const level = (s: string) => manifestsOf(plansOf(s)[0]!).podSecurityLevel;
    expect(level('ssh-server-hardening')).to.equal('baseline');
    expect(level('web-sqli-pivot')).to.equal('privileged'); // attacker: NET_RAW
    expect(level('compromised-server-ir')).to.equal('privileged'); // app01: SYS_PTRACE
  });

  it('refuses a capability that would escape the pod, naming the host', () => {
    const [plan] = plansOf('ssh-server-hardening');
    plan!.hosts[0]!.capabilities = ['SYS_ADMIN'];
    expect(() => manifestsOf(plan!)).to.throw(/host 'admin-ws': capabilities SYS_ADMIN cannot be granted/);
  });

  it('names where a scenario spells a host address (dynamic on Kubernetes)', () => {
    const [plan] = plansOf('compromised-server-ir');
    const uses = addressUses(plan!);
    expect(uses.map((u) => u.where)).to.include('answers of objective c2-address');
    expect(uses.some((u) => /^file \/opt\/cyrop\/setup\.sh of host app01, line \d+$/.test(u.where))).to.equal(
      true,
    );
    expect(addressUses(plansOf('ssh-server-hardening')[0]!)).to.deep.equal([]);
  });

  it('with a team role, binds it in the namespace to the driver itself, and only then', () => {
    const [plan] = plansOf('web-sqli-pivot');
    expect(toKubernetes(plan!, SETTINGS, 'g1').grant).to.equal(undefined);
    for (const subject of [
      { kind: 'ServiceAccount' as const, name: 'range', namespace: 'cyrop-system' },
      { kind: 'User' as const, name: 'jane@example.org' },
    ]) {
      const m = toKubernetes(plan!, { ...SETTINGS, teamAccess: { role: 'range-team', subject } }, 'g1');
      expect(m.grant).to.deep.include({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' });
      expect(m.grant?.metadata.namespace).to.equal(m.namespace);
      expect(m.grant?.roleRef).to.deep.equal({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'range-team',
      });
      expect(m.grant?.subjects).to.deep.equal([
        subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io', ...subject } : subject,
      ]);
      expect(validator.check(m.grant!)).to.deep.equal([]);
      // Not among the setup objects: the driver applies it between the namespace and them.
      expect(m.setup.some((o) => o.kind === 'RoleBinding')).to.equal(false);
    }
  });

  it('keeps namespace names DNS labels and fresh per generation', () => {
    const long = namespaceName('cyrop', 'a'.repeat(32), 'b'.repeat(32), 'g7k2');
    expect(long.length).to.be.at.most(63);
    expect(long).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(namespaceName('cyrop', 'ex', 't1', 'g1')).to.not.equal(namespaceName('cyrop', 'ex', 't1', 'g2'));
  });
});

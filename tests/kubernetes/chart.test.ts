import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';
import { manifestValidator, type ManifestValidator } from './openapi.ts';

const CHART = path.join(REPO_ROOT, 'infra', 'kubernetes', 'chart');
const BUILD = path.join(REPO_ROOT, 'infra', 'kubernetes', 'local-cluster', 'build.sh');

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}

/**
 * The Helm chart of infra/kubernetes/chart/: `helm lint`, `helm template` with default and other
 * values, every rendered object valid against Kubernetes' own OpenAPI v3 schema (unknown fields are
 * errors), and RBAC that is exactly what the driver needs. Helm v4 is built once from the Go module
 * proxy into the cluster binaries' cache (`build.sh helm`); a warm machine builds nothing.
 */
describe('Helm chart (infra/kubernetes/chart)', function () {
  this.timeout(30 * 60_000);
  let helm = '';
  let validator: ManifestValidator;

  before(() => {
    const bin = execFileSync('bash', [BUILD, 'helm'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    helm = path.join(bin.trim(), 'helm');
    validator = manifestValidator();
  });

  function template(values: Record<string, unknown> = {}, release = 'cyrop'): K8sObject[] {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-chart-'));
    const file = path.join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const out = execFileSync(helm, ['template', release, CHART, '--namespace', 'cyrop-system', '-f', file], {
      encoding: 'utf8',
    });
    return parseAllDocuments(out)
      .map((d) => d.toJSON() as K8sObject | null)
      .filter((o): o is K8sObject => o !== null);
  }

  function templateFails(values: Record<string, unknown>): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-chart-'));
    const file = path.join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const r = spawnSync(helm, ['template', 'cyrop', CHART, '-f', file], { encoding: 'utf8' });
    expect(r.status, 'helm template should have failed').to.not.equal(0);
    return r.stderr;
  }

  const find = (objects: K8sObject[], kind: string, name?: string) =>
    objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

  it('passes helm lint --strict, with the defaults and with other values', () => {
    execFileSync(helm, ['lint', '--strict', CHART], { encoding: 'utf8' });
    execFileSync(
      helm,
      ['lint', '--strict', CHART, '--set', 'ingress.enabled=true,ingress.host=range.example.org'],
      { encoding: 'utf8' },
    );
  });

  for (const [label, values] of [
    ['default values', {}],
    [
      'ingress with TLS, a pinned digest, an existing claim and Secret, a fixed DNS address',
      {
        image: { repository: 'registry.example:5000/cyrop/platform', digest: `sha256:${'a'.repeat(64)}` },
        imagePullSecrets: [{ name: 'pull' }],
        ingress: { enabled: true, host: 'range.example.org', className: 'nginx', tlsSecretName: 'range-tls' },
        persistence: { existingClaim: 'cyrop-db' },
        secrets: { existingSecret: 'cyrop-secrets' },
        config: { CYROP_KUBE_DNS: '10.96.0.10', CYROP_TRUST_PROXY: '1' },
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cyrop', effect: 'NoSchedule' }],
        priorityClassName: 'high',
      },
    ],
  ] as const) {
    it(`renders objects valid against the Kubernetes schema (${label})`, () => {
      const objects = template(values);
      expect(objects.length).to.be.greaterThan(5);
      const problems = objects.flatMap((o) => validator.check(o));
      expect(problems).to.deep.equal([]);
    });
  }

  it('runs one replica of the platform image with the Kubernetes engine in-cluster, probes, limits, non-root', () => {
    const objects = template();
    const [deployment] = find(objects, 'Deployment');
    const spec = deployment?.spec as {
      replicas: number;
      strategy: { type: string };
      template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    };
    expect(spec.replicas).to.equal(1);
    expect(spec.strategy.type).to.equal('Recreate');
    const pod = spec.template.spec;
    expect(pod.serviceAccountName).to.equal('cyrop');
    expect(pod.automountServiceAccountToken).to.equal(true);
    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 10001 });
    const [c] = pod.containers as {
      image: string;
      readinessProbe: { httpGet: { path: string } };
      livenessProbe: { httpGet: { path: string } };
      resources: { requests: Record<string, string>; limits: Record<string, string> };
      securityContext: Record<string, unknown>;
      volumeMounts: { mountPath: string }[];
    }[];
    expect(c?.image).to.equal('cyrop/platform:1');
    expect(c?.readinessProbe.httpGet.path).to.equal('/readyz');
    expect(c?.livenessProbe.httpGet.path).to.equal('/healthz');
    expect(Object.keys(c?.resources.requests ?? {}).sort()).to.deep.equal(['cpu', 'memory']);
    expect(Object.keys(c?.resources.limits ?? {}).sort()).to.deep.equal(['cpu', 'memory']);
    expect(c?.securityContext).to.include({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(c?.volumeMounts.map((m) => m.mountPath)).to.include('/var/lib/cyrop');
    const [config] = find(objects, 'ConfigMap');
    expect(config?.data).to.include({
      CYROP_ENGINE: 'kubernetes',
      CYROP_DATA_DIR: '/var/lib/cyrop',
      CYROP_HOST: '0.0.0.0',
    });
    // No kubeconfig: the server uses its ServiceAccount (load-config.ts: kubeInCluster).
    expect(Object.keys(config?.data ?? {})).to.not.include('CYROP_KUBECONFIG');
    const [claim] = find(objects, 'PersistentVolumeClaim');
    expect(claim?.metadata.annotations?.['helm.sh/resource-policy']).to.equal('keep');
    expect(find(objects, 'Ingress')).to.have.length(0);
  });

  it('derives the public origin from the ingress host, and uses an existing claim, Secret and digest', () => {
    const objects = template({
      image: { digest: `sha256:${'b'.repeat(64)}` },
      ingress: { enabled: true, host: 'range.example.org', tlsSecretName: 'tls' },
      persistence: { existingClaim: 'db' },
      secrets: { existingSecret: 'mine' },
    });
    expect(find(objects, 'ConfigMap')[0]?.data?.CYROP_PUBLIC_ORIGINS).to.equal('https://range.example.org');
    expect(find(objects, 'Ingress')).to.have.length(1);
    expect(find(objects, 'PersistentVolumeClaim')).to.have.length(0);
    expect(find(objects, 'Secret')).to.have.length(0);
    const text = JSON.stringify(find(objects, 'Deployment')[0]);
    expect(text).to.include(`"image":"cyrop/platform@sha256:${'b'.repeat(64)}"`);
    expect(text).to.include('"claimName":"db"').and.include('"name":"mine"');
  });

  it('serves web-service tabs on a second port and host of their own, or not at all when disabled', () => {
    type Port = { name: string; port?: number; containerPort?: number };
    const ports = (objects: K8sObject[]) => ({
      service: (find(objects, 'Service')[0]?.spec as { ports: Port[] }).ports.map(
        (p) => `${p.name}:${p.port}`,
      ),
      container: JSON.stringify(find(objects, 'Deployment')[0]).includes('"name":"web","containerPort":8081'),
    });
    const withIngress = template({
      ingress: { enabled: true, host: 'range.example.org', tlsSecretName: 'tls' },
    });
    expect(find(withIngress, 'ConfigMap')[0]?.data).to.include({
      CYROP_WEB_PORT: '8081',
      CYROP_WEB_ORIGIN: 'https://web.range.example.org',
    });
    expect(ports(withIngress)).to.deep.equal({ service: ['http:80', 'web:8081'], container: true });
    const ingress = find(withIngress, 'Ingress')[0]?.spec as {
      tls: { hosts: string[] }[];
      rules: { host: string; http: { paths: { backend: { service: { port: { name: string } } } }[] } }[];
    };
    expect(ingress.tls[0]?.hosts).to.deep.equal(['range.example.org', 'web.range.example.org']);
    expect(ingress.rules.map((r) => `${r.host}>${r.http.paths[0]?.backend.service.port.name}`)).to.deep.equal(
      ['range.example.org>http', 'web.range.example.org>web'],
    );
    const ownHost = template({
      ingress: { enabled: true, host: 'range.example.org' },
      webServices: { host: 'tabs.example.net' },
    });
    expect(find(ownHost, 'ConfigMap')[0]?.data?.CYROP_WEB_ORIGIN).to.equal('http://tabs.example.net');

    const off = template({
      webServices: { enabled: false },
      ingress: { enabled: true, host: 'range.example.org' },
    });
    expect(find(off, 'ConfigMap')[0]?.data?.CYROP_WEB_PORT).to.equal('off');
    expect(find(off, 'ConfigMap')[0]?.data).to.not.have.property('CYROP_WEB_ORIGIN');
    expect(ports(off)).to.deep.equal({ service: ['http:80'], container: false });
    expect(JSON.stringify(find(off, 'Ingress')[0])).to.not.include('web.range.example.org');
  });

  it('refuses values that would break the server, naming them', () => {
    expect(templateFails({ config: { LOG_LEVEL: 'debug' } })).to.include('config.LOG_LEVEL');
    expect(templateFails({ config: { CYROP_DATA_DIR: '/x' } })).to.include(
      'config.CYROP_DATA_DIR is set by the chart',
    );
    expect(templateFails({ ingress: { enabled: true } })).to.include('ingress.host');
    expect(templateFails({ config: { CYROP_WEB_PORT: '9000' } })).to.include(
      'config.CYROP_WEB_PORT is set by the chart',
    );
    expect(
      templateFails({
        ingress: { enabled: true, host: 'range.example.org' },
        webServices: { host: 'range.example.org' },
      }),
    ).to.include('webServices.host must differ from ingress.host');
    expect(templateFails({ config: { CYROP_KUBE_TEAM_ROLE: 'admin' } })).to.include(
      'config.CYROP_KUBE_TEAM_ROLE is set by the chart',
    );
  });

  it('grants exactly what the driver calls: namespaces cluster-wide, the team verbs, kube-dns in kube-system', () => {
    const objects = template();
    const clusterRoles = find(objects, 'ClusterRole');
    const roles = find(objects, 'Role');
    // Nothing anywhere is a wildcard, an escalation verb or a non-resource URL.
    for (const role of [...clusterRoles, ...roles])
      for (const rule of role.rules ?? []) {
        for (const field of [rule.apiGroups, rule.resources, rule.verbs])
          expect(field ?? [], role.metadata.name).to.not.include('*');
        expect(rule.verbs, role.metadata.name).to.not.include.any.members(['escalate', 'impersonate']);
        // `bind` only on the team role, by name.
        if (rule.verbs.includes('bind')) expect(rule.resourceNames).to.deep.equal(['cyrop-team']);
        else expect(rule.resourceNames).to.equal(undefined);
      }
    // Which rights each role holds: chart-access.test.ts, against the driver's table (access.ts).
    for (const role of [...clusterRoles, ...roles])
      for (const rule of role.rules ?? [])
        expect(rule.nonResourceURLs, role.metadata.name).to.equal(undefined);
    expect(clusterRoles.map((r) => r.metadata.name).sort()).to.deep.equal(['cyrop-namespaces', 'cyrop-team']);
    expect(roles.map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name}`)).to.deep.equal([
      'kube-system/cyrop-dns',
    ]);
    // Every binding names the release's ServiceAccount and nothing else; the team role is bound by
    // no binding of the chart (the driver binds it in each team namespace), which it names.
    const bindings = [...find(objects, 'ClusterRoleBinding'), ...find(objects, 'RoleBinding')] as unknown as {
      metadata: { name: string };
      subjects: unknown;
      roleRef: { name: string };
    }[];
    for (const binding of bindings)
      expect(binding.subjects, binding.metadata.name).to.deep.equal([
        { kind: 'ServiceAccount', name: 'cyrop', namespace: 'cyrop-system' },
      ]);
    expect(bindings.map((b) => b.roleRef.name).sort()).to.deep.equal(['cyrop-dns', 'cyrop-namespaces']);
    const [config] = find(objects, 'ConfigMap') as unknown as { data: Record<string, string> }[];
    expect(config?.data.CYROP_KUBE_TEAM_ROLE).to.equal('cyrop-team');
    // With the DNS address given, not even the kube-system Role.
    expect(find(template({ config: { CYROP_KUBE_DNS: '10.96.0.10' } }), 'Role')).to.have.length(0);
    // The namespace verbs are confined by an admission policy to team namespaces, for this ServiceAccount only.
    const [policy] = find(objects, 'ValidatingAdmissionPolicy') as unknown as {
      spec: {
        matchConditions: { expression: string }[];
        validations: { expression: string }[];
        matchConstraints: { resourceRules: { resources: string[]; operations: string[] }[] };
      };
    }[];
    expect(policy?.spec.matchConditions[0]?.expression).to.equal(
      "request.userInfo.username == 'system:serviceaccount:cyrop-system:cyrop'",
    );
    expect(policy?.spec.matchConstraints.resourceRules).to.deep.equal([
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE', 'DELETE'],
        resources: ['namespaces'],
      },
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE', 'DELETE'],
        resources: ['rolebindings'],
      },
    ]);
    // The driver drops the prefix's trailing dashes and adds one: the default `cyrop-` gives `cyrop-…`.
    expect(policy?.spec.validations[0]?.expression).to.include(".startsWith('cyrop-')");
    const [policyBinding] = find(objects, 'ValidatingAdmissionPolicyBinding') as unknown as {
      spec: { validationActions: string[] };
    }[];
    expect(policyBinding?.spec.validationActions).to.deep.equal(['Deny']);
    // Without rbac.create, no RBAC object at all.
    const bare = template({ rbac: { create: false } });
    for (const kind of [
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ValidatingAdmissionPolicy',
      'ValidatingAdmissionPolicyBinding',
    ])
      expect(find(bare, kind), kind).to.have.length(0);
    const [bareConfig] = find(bare, 'ConfigMap') as unknown as { data: Record<string, string> }[];
    expect(bareConfig?.data).to.not.have.property('CYROP_KUBE_TEAM_ROLE');
  });
});

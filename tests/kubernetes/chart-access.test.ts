import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../../orchestrator/src/config/load-config.ts';
import {
  DRIVER_ACCESS,
  clusterWideAccess,
  describeAccess,
  type Access,
} from '../../orchestrator/src/runtime/kubernetes/access.ts';

const CHART = path.join(REPO_ROOT, 'infra', 'kubernetes', 'chart');
const BUILD = path.join(REPO_ROOT, 'infra', 'kubernetes', 'local-cluster', 'build.sh');

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface RbacObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
}

/** Every `verb group/resource[/sub][ name]` a rule grants (one string per combination). */
function granted(rules: Rule[]): string[] {
  const out: string[] = [];
  for (const r of rules)
    for (const group of r.apiGroups ?? [])
      for (const full of r.resources ?? []) {
        const [resource = '', subresource] = full.split('/');
        for (const verb of r.verbs)
          for (const name of r.resourceNames?.length ? r.resourceNames : [undefined])
            out.push(
              describeAccess({
                verb,
                group,
                resource,
                ...(subresource ? { subresource } : {}),
                ...(name ? { name } : {}),
                why: '',
              }),
            );
      }
  return [...new Set(out)].sort();
}

/** Whether a rule allows a request (wildcards and resourceNames as RBAC reads them). */
function allows(rule: Rule, a: Access): boolean {
  const has = (list: string[] | undefined, value: string) =>
    (list ?? []).some((x) => x === '*' || x === value);
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    has(rule.verbs, a.verb) &&
    has(rule.apiGroups, a.group) &&
    ((rule.resources ?? []).some(
      (x) => x === '*' || x === resource || (a.subresource !== undefined && x === `${a.resource}/*`),
    ) ||
      (a.resource === '*' && (rule.resources ?? []).includes('*'))) &&
    (!rule.resourceNames?.length || (a.name !== undefined && rule.resourceNames.includes(a.name)))
  );
}

const sorted = (list: Access[]) => [...new Set(list.map(describeAccess))].sort();

/**
 * The table of orchestrator/src/runtime/kubernetes/access.ts (what `cyrop cluster check` asks the API
 * server about) against the chart's rendered RBAC: the same rights, bound the same way, and none of
 * the forbidden ones. A change to either that the other does not follow fails here.
 */
describe('access.ts against the chart\u2019s RBAC (infra/kubernetes/chart)', function () {
  this.timeout(30 * 60_000);
  let objects: RbacObject[] = [];
  const release = 'cyrop';
  const namespace = 'cyrop-system';
  const teamRole = `${release}-team`;

  before(() => {
    const helm = path.join(
      execFileSync('bash', [BUILD, 'helm'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }).trim(),
      'helm',
    );
    objects = parseAllDocuments(
      execFileSync(helm, ['template', release, CHART, '--namespace', namespace], { encoding: 'utf8' }),
    )
      .map((d) => d.toJSON() as RbacObject | null)
      .filter((o): o is RbacObject => o !== null);
  });

  const isPlatform = (s: { kind: string; name: string; namespace?: string }) =>
    s.kind === 'ServiceAccount' && s.name === release && s.namespace === namespace;
  const role = (kind: string, name: string, ns?: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns);
  const clusterRoleRules = () =>
    objects
      .filter((o) => o.kind === 'ClusterRoleBinding' && (o.subjects ?? []).some(isPlatform))
      .flatMap((b) => role('ClusterRole', b.roleRef?.name ?? '')?.rules ?? []);
  const kubeSystemRules = () =>
    objects
      .filter(
        (o) =>
          o.kind === 'RoleBinding' &&
          o.metadata.namespace === 'kube-system' &&
          (o.subjects ?? []).some(isPlatform),
      )
      .flatMap((b) => role(b.roleRef?.kind ?? '', b.roleRef?.name ?? '', 'kube-system')?.rules ?? []);
  const teamRules = () => role('ClusterRole', teamRole)?.rules ?? [];

  it('cluster-wide: exactly the table\u2019s rights (namespaces, rolebindings, bind on the team role only)', () => {
    expect(granted(clusterRoleRules())).to.deep.equal(sorted(clusterWideAccess(teamRole)));
  });

  it('the team ClusterRole: exactly the table\u2019s team-namespace rights, and bound by no ClusterRoleBinding', () => {
    expect(granted(teamRules())).to.deep.equal(sorted(DRIVER_ACCESS.teamNamespace));
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' && o.roleRef?.name === teamRole);
    expect(bindings.map((b) => b.metadata.name)).to.deep.equal([]);
  });

  it('kube-system: exactly the table\u2019s DNS lookup', () => {
    expect(granted(kubeSystemRules())).to.deep.equal(sorted(DRIVER_ACCESS.kubeSystem));
  });

  it('none of the forbidden rights is granted where the table forbids it', () => {
    const offending: string[] = [];
    for (const f of DRIVER_ACCESS.forbidden) {
      const rules = [
        ...clusterRoleRules(),
        ...(f.namespace === 'team' ? teamRules() : []),
        ...(f.namespace === 'kube-system' ? kubeSystemRules() : []),
      ];
      if (rules.some((r) => allows(r, f))) offending.push(`${describeAccess(f)} (${f.namespace})`);
    }
    expect(offending).to.deep.equal([]);
  });
});

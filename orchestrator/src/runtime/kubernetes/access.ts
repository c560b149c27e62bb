/**
 * What the Kubernetes driver's credentials must be allowed to do, and what they must not: the one
 * table `cyrop cluster check` (cluster-check.ts) asks the API server about, and that
 * tests/kubernetes/chart-access.test.ts compares with the chart's rendered RBAC
 * (infra/kubernetes/chart/templates/rbac.yaml). Pure data.
 *
 * The shape follows the chart: cluster-wide, the driver holds only team namespaces and the right to
 * bind the team ClusterRole (`<fullname>-team`) to itself, with a RoleBinding, in each team namespace
 * it creates; the team rules hold in those namespaces and nowhere else.
 */

/** One request kind: `verb` on `group/resource[/subresource]` (a `name` narrows it to one object). */
export interface Access {
  verb: string;
  /** API group; '' is the core group. */
  group: string;
  resource: string;
  subresource?: string;
  /** One object's name (RBAC `resourceNames`). */
  name?: string;
  /** Why the driver needs it, or why it must not have it (for messages). */
  why: string;
}

/** A forbidden request and where it is asked: one namespace, or `'*'` for every namespace at once. */
export interface ForbiddenAccess extends Access {
  /**
   * `'*'` all namespaces (or a cluster-scoped resource), `'team'` the throw-away team namespace the
   * check binds as the driver would, or a namespace's name.
   */
  namespace: string;
}

/** The ClusterRole the driver binds in each team namespace, as the chart names it (release `cyrop`). */
export const DEFAULT_TEAM_ROLE = 'cyrop-team';

const each = (verbs: string[], group: string, resource: string, why: string, sub?: string): Access[] =>
  verbs.map((verb) => ({ verb, group, resource, ...(sub ? { subresource: sub } : {}), why }));

export const DRIVER_ACCESS: {
  /** Granted by the team ClusterRole, through the RoleBinding the driver makes in each team namespace. */
  teamNamespace: Access[];
  /** Granted cluster-wide (ClusterRoleBinding). */
  clusterWide: Access[];
  /** In kube-system: the cluster DNS address, when CYROP_KUBE_DNS does not give it. */
  kubeSystem: Access[];
  /** Must be refused. */
  forbidden: ForbiddenAccess[];
} = {
  teamNamespace: [
    ...each(
      ['get', 'list', 'watch', 'create', 'patch', 'delete'],
      '',
      'pods',
      'hosts are pods: applied, adopted by label, watched until ready, recreated',
    ),
    ...each(['get', 'create'], '', 'pods', 'terminals and checks run by exec (websocket)', 'exec'),
    ...each(
      ['get', 'create'],
      '',
      'pods',
      "web service tabs: the platform's connection to a host's web port (websocket)",
      'portforward',
    ),
    ...each(['list', 'create', 'patch', 'delete'], '', 'services', 'host names (headless Services)'),
    ...each(['list', 'create', 'patch', 'delete'], '', 'secrets', "each host's files"),
    ...each(
      ['list', 'create', 'patch', 'delete'],
      'networking.k8s.io',
      'networkpolicies',
      'default-deny, DNS and per-network isolation',
    ),
    ...each(['create', 'patch'], '', 'resourcequotas', "the team's quota"),
    ...each(['create', 'patch'], '', 'limitranges', "the team's container limits"),
    ...each(['create', 'patch'], '', 'serviceaccounts', 'the hosts\u2019 token-less ServiceAccount'),
  ],
  clusterWide: [
    ...each(
      ['get', 'list', 'watch', 'create', 'patch', 'delete'],
      '',
      'namespaces',
      'team namespaces: listed once and watched by label, applied, read, deleted at teardown',
    ),
    ...each(
      ['create', 'patch'],
      'rbac.authorization.k8s.io',
      'rolebindings',
      'the RoleBinding to the team role in each new team namespace',
    ),
    // `bind` on the team role only (resourceNames): the name is filled in with --team-role.
    {
      verb: 'bind',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      name: DEFAULT_TEAM_ROLE,
      why: 'binding the team role without holding its rules cluster-wide',
    },
  ],
  kubeSystem: each(
    ['list'],
    'discovery.k8s.io',
    'endpointslices',
    'the cluster DNS address (kube-dns endpoints) when CYROP_KUBE_DNS is not set',
  ),
  forbidden: [
    { namespace: '*', verb: '*', group: '*', resource: '*', why: 'cluster-admin (a wildcard rule)' },
    { namespace: '*', verb: 'list', group: '', resource: 'secrets', why: 'every Secret of the cluster' },
    {
      namespace: 'kube-system',
      verb: 'get',
      group: '',
      resource: 'secrets',
      why: "the control plane's Secrets",
    },
    {
      namespace: 'kube-system',
      verb: 'list',
      group: '',
      resource: 'secrets',
      why: "the control plane's Secrets",
    },
    { namespace: 'kube-system', verb: 'create', group: '', resource: 'pods', why: 'a pod in kube-system' },
    {
      namespace: 'kube-system',
      verb: 'create',
      group: '',
      resource: 'pods',
      subresource: 'exec',
      why: 'a shell in a control-plane pod',
    },
    {
      namespace: 'kube-system',
      verb: 'create',
      group: '',
      resource: 'serviceaccounts',
      subresource: 'token',
      why: "tokens of kube-system's ServiceAccounts",
    },
    {
      namespace: 'default',
      verb: 'create',
      group: '',
      resource: 'pods',
      why: 'team rules outside team namespaces',
    },
    { namespace: '*', verb: 'list', group: '', resource: 'pods', why: 'team rules bound cluster-wide' },
    { namespace: '*', verb: 'get', group: '', resource: 'nodes', why: 'the nodes' },
    { namespace: '*', verb: 'list', group: '', resource: 'nodes', why: 'the nodes' },
    { namespace: '*', verb: 'patch', group: '', resource: 'nodes', why: 'changing nodes' },
    {
      namespace: '*',
      verb: 'get',
      group: '',
      resource: 'nodes',
      subresource: 'proxy',
      why: "the kubelets' API",
    },
    {
      namespace: '*',
      verb: 'escalate',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      why: 'granting rights it does not hold',
    },
    {
      namespace: '*',
      verb: 'bind',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      name: 'cluster-admin',
      why: 'binding cluster-admin',
    },
    {
      namespace: '*',
      verb: 'create',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterrolebindings',
      why: 'cluster-wide bindings',
    },
    {
      namespace: '*',
      verb: 'create',
      group: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      why: 'new cluster roles',
    },
    { namespace: '*', verb: 'impersonate', group: '', resource: 'users', why: 'acting as another user' },
    {
      namespace: '*',
      verb: 'impersonate',
      group: '',
      resource: 'serviceaccounts',
      why: 'acting as another ServiceAccount',
    },
    {
      namespace: '*',
      verb: 'create',
      group: 'admissionregistration.k8s.io',
      resource: 'validatingwebhookconfigurations',
      why: 'intercepting API requests',
    },
    {
      namespace: '*',
      verb: 'update',
      group: 'certificates.k8s.io',
      resource: 'certificatesigningrequests',
      subresource: 'approval',
      why: 'approving certificates',
    },
    {
      namespace: 'team',
      verb: 'create',
      group: 'rbac.authorization.k8s.io',
      resource: 'roles',
      why: 'new roles in a team namespace',
    },
    {
      namespace: 'team',
      verb: 'create',
      group: '',
      resource: 'pods',
      subresource: 'attach',
      why: 'not used',
    },
    { namespace: 'team', verb: 'get', group: '', resource: 'secrets', why: 'not used (files are applied)' },
  ],
};

/** `verb group/resource[/sub][ name]`, as messages and the chart test print it. */
export function describeAccess(a: Access): string {
  const res = `${a.group ? `${a.group}/` : ''}${a.resource}${a.subresource ? `/${a.subresource}` : ''}`;
  return `${a.verb} ${res}${a.name ? ` ${a.name}` : ''}`;
}

/** The cluster-wide needs with the team role's actual name (the `bind` rule's resourceNames). */
export function clusterWideAccess(teamRole: string): Access[] {
  return DRIVER_ACCESS.clusterWide.map((a) =>
    a.resource === 'clusterroles' && a.verb === 'bind' ? { ...a, name: teamRole } : a,
  );
}

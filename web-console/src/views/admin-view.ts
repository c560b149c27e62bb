import { client, resolvePath, type Body, type CallOptions } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid, type Child } from '../dom.ts';
import { formatDateTime, formatNumber, pickText, t, type MessageKey } from '../i18n/i18n.ts';
import { exerciseStateLabel, ORG_CATEGORIES, orgCategoryLabel, orgKindLabel, roleLabel } from '../labels.ts';
import type {
  AuditEntry,
  CatalogueListEntry,
  ExerciseStatus,
  Organisation,
  PlatformHealth,
  Principal,
  PublicationRequest,
  AnswerOf,
  User,
} from '../types.ts';
import type { View } from '../view.ts';
import { scenarioVersionAction, type VersionAction } from './scenario-version-action.ts';

/** An invitation as GET /api/organisations/{id}/invitations lists it. */
type Invitation = AnswerOf<'createInvitation'>;
type UserRole = User['role'];
type InviteRole = Body<'post', '/api/organisations/{id}/invitations'>['role'];
/** The filters GET /api/audit takes. */
type AuditQuery = NonNullable<CallOptions<'get', '/api/audit'>['query']>;

type Tab = 'organisations' | 'users' | 'publications' | 'audit' | 'health' | 'scenarios' | 'exercises';
const OPERATOR_TABS: readonly Tab[] = ['organisations', 'users', 'publications', 'audit', 'health'];
const ORG_ADMIN_TABS: readonly Tab[] = ['users', 'scenarios', 'exercises', 'audit'];
const TAB_LABELS: Record<Tab, MessageKey> = {
  organisations: 'admin.tab.organisations',
  users: 'admin.tab.users',
  publications: 'admin.tab.publications',
  audit: 'admin.tab.audit',
  health: 'admin.tab.health',
  scenarios: 'admin.tab.scenarios',
  exercises: 'admin.tab.exercises',
};
const ROLES_BY_KIND: Record<string, readonly UserRole[]> = {
  operator: ['operator'],
  'training-company': ['org-admin', 'instructor', 'trainee'],
  customer: ['org-admin', 'instructor', 'trainee'],
};

const USERS_ORG_KEY = 'cyrop.admin.usersOrg';

/** A message said in the language of the moment (re-rendered on a language switch). */
type Say = () => string;
const silent: Say = () => '';

type OrgFields = Record<
  | 'name'
  | 'kind'
  | 'category'
  | 'contactName'
  | 'contactEmail'
  | 'contactPhone'
  | 'postalAddress'
  | 'invoiceRegistrationNumber',
  string
>;
const EMPTY_ORG: OrgFields = {
  name: '',
  kind: 'training-company',
  category: '',
  contactName: '',
  contactEmail: '',
  contactPhone: '',
  postalAddress: '',
  invoiceRegistrationNumber: '',
};

type ExerciseListEntry = Pick<
  ExerciseStatus,
  'id' | 'scenario' | 'state' | 'createdAt' | 'expiresAt' | 'teams'
>;
type OwnedVersion = CatalogueListEntry;

/**
 * The administration console. The operator: organisations (create, edit, disable), the users of every
 * organisation, publication requests, the audit log with filters and CSV download, platform health.
 * An org-admin: their organisation's users (roles, disable, password reset, new users), its scenarios
 * and versions (archive, restore, ask to publish), its exercises, its audit log. Each section is a
 * tab with its own route (`#/admin/<tab>`).
 */
export class AdminView implements View {
  readonly element = h('section', { class: 'page admin' });
  private readonly operator: boolean;
  private readonly tabs: readonly Tab[];
  private readonly tab: Tab;
  private error: Say = silent;
  private status: Say = silent;

  private organisations: Organisation[] | undefined;
  private users: User[] | undefined;
  private usersOrg = '';
  private orgForm: { id?: string; values: OrgFields; error: Say } = {
    values: { ...EMPTY_ORG },
    error: silent,
  };
  private confirmDisable = '';
  private confirmReset = '';
  private oneTimePassword: { email: string; password: string } | undefined;
  private userForm = { orgId: '', email: '', name: '', role: 'instructor' as UserRole, error: silent };
  private inviteForm = { email: '', name: '', role: 'instructor' as InviteRole, error: silent };
  private invitations: Invitation[] | undefined;
  private inviteLink: { email: string; url: string } | undefined;
  private publications: PublicationRequest[] | undefined;
  private audit: AuditEntry[] | undefined;
  private auditMore = false;
  private auditFilter = { actor: '', action: '', target: '', from: '', to: '' };
  private health: PlatformHealth | undefined;
  private versions: OwnedVersion[] | undefined;
  private exercises: ExerciseListEntry[] | undefined;

  constructor(
    private readonly principal: Extract<Principal, { kind: 'user' }>,
    tab?: string,
  ) {
    this.operator = principal.role === 'operator';
    this.tabs = this.operator ? OPERATOR_TABS : ORG_ADMIN_TABS;
    this.tab = this.tabs.includes(tab as Tab) ? (tab as Tab) : (this.tabs[0] as Tab);
    this.userForm.orgId = principal.orgId;
    if (!this.operator) this.usersOrg = principal.orgId;
    else if (this.tab === 'users') {
      // "Users" of an organisation's row opens this tab filtered to it
      this.usersOrg = sessionStorage.getItem(USERS_ORG_KEY) ?? '';
      sessionStorage.removeItem(USERS_ORG_KEY);
    }
    this.relocalize();
    void this.load();
  }

  dispose(): void {
    // nothing to close
  }

  private async load(): Promise<void> {
    try {
      switch (this.tab) {
        case 'organisations':
          await this.loadOrganisations();
          break;
        case 'users':
          if (this.operator) await this.loadOrganisations();
          await this.loadUsers();
          if (!this.operator) await this.loadInvitations();
          break;
        case 'publications':
          await this.loadOrganisations();
          this.publications = (await client.get('/api/scenario-publications')).requests;
          break;
        case 'audit':
          await this.loadAudit(false);
          if (!this.users) await this.loadUsers();
          if (!this.organisations) await this.loadOrganisations();
          break;
        case 'health':
          this.health = await client.get('/api/admin/health');
          break;
        case 'scenarios':
          await this.loadVersions();
          break;
        case 'exercises':
          this.exercises = ((await client.get('/api/exercises')).exercises ?? []).sort(
            (a, b) => b.createdAt - a.createdAt,
          );
          break;
      }
      if (!this.operator && !this.organisations) {
        const own = await client.get('/api/organisations/{id}', { path: { id: this.principal.orgId } });
        this.organisations = [own];
      }
      this.error = silent;
    } catch (error) {
      this.error = () => describeError(error);
    }
    this.relocalize();
  }

  private async loadOrganisations(): Promise<void> {
    if (!this.operator) return;
    this.organisations = (await client.get('/api/organisations')).organisations;
  }

  private async loadUsers(): Promise<void> {
    const { users } = this.operator
      ? await client.get('/api/users', { query: this.usersOrg !== '' ? { org: this.usersOrg } : {} })
      : await client.get('/api/organisations/{id}/users', { path: { id: this.principal.orgId } });
    this.users = users ?? [];
  }

  private async loadVersions(): Promise<void> {
    this.versions = (
      await client.get('/api/organisations/{id}/scenarios', { path: { id: this.principal.orgId } })
    ).versions;
  }

  /** The audit filter as the query of GET /api/audit (and of its CSV export): blank fields left out. */
  private auditQuery(before?: number): AuditQuery {
    const q: AuditQuery = {};
    const f = this.auditFilter;
    if (f.actor.trim() !== '') q.actor = f.actor.trim();
    if (f.action.trim() !== '') q.action = f.action.trim();
    if (f.target.trim() !== '') q.target = f.target.trim();
    const from = f.from !== '' ? new Date(f.from).getTime() : NaN;
    const to = f.to !== '' ? new Date(f.to).getTime() : NaN;
    if (Number.isFinite(from)) q.from = from;
    if (Number.isFinite(to)) q.to = to;
    if (before !== undefined) q.before = before;
    return q;
  }

  private async loadAudit(more: boolean): Promise<void> {
    const before = more ? this.audit?.at(-1)?.id : undefined;
    const { entries } = await client.get('/api/audit', { query: this.auditQuery(before) });
    this.audit = more ? [...(this.audit ?? []), ...entries] : entries;
    this.auditMore = entries.length === 100;
  }

  /** Runs an action, says how it went, reloads the tab. */
  private async act(run: () => Promise<unknown>): Promise<void> {
    try {
      const said = await run();
      this.status = typeof said === 'function' ? (said as Say) : silent;
      this.error = silent;
    } catch (error) {
      this.status = silent;
      this.error = () => describeError(error);
    }
    await this.load();
  }

  relocalize(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset['testid'];
    const orgName = this.organisations?.find((o) => o.id === this.principal.orgId)?.name;
    replaceChildren(
      this.element,
      h('h1', {}, this.operator || !orgName ? t('admin.title') : t('admin.titleOrg', { org: orgName })),
      h(
        'nav',
        { class: 'tabs-nav', 'aria-label': t('admin.tabs') },
        h(
          'ul',
          {},
          this.tabs.map((tab) =>
            h(
              'li',
              {},
              h(
                'a',
                {
                  href: `#/admin/${tab}`,
                  'data-testid': 'admin-tab',
                  'data-tab': tab,
                  'aria-current': tab === this.tab ? 'page' : false,
                },
                t(TAB_LABELS[tab]),
              ),
            ),
          ),
        ),
      ),
      h(
        'p',
        { class: 'error', role: 'alert', 'data-testid': 'admin-error', hidden: this.error() === '' },
        this.error(),
      ),
      h('p', { class: 'good', role: 'status', 'data-testid': 'admin-status' }, this.status()),
      this.renderTab(),
    );
    if (focused !== undefined) this.element.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
  }

  private renderTab(): Child {
    switch (this.tab) {
      case 'organisations':
        return [this.renderOrganisations(), this.renderOrgForm()];
      case 'users':
        return [this.renderUsers(), !this.operator && this.renderInvitations(), this.renderUserForm()];
      case 'publications':
        return this.renderPublications();
      case 'audit':
        return this.renderAudit();
      case 'health':
        return this.renderHealth();
      case 'scenarios':
        return this.renderVersions();
      case 'exercises':
        return this.renderExercises();
    }
  }

  /** `user:<id>` as the user's name (the id in a tooltip); `organisation:<id>` as its name; else as is. */
  private who(ref: string): Child {
    const user = /^user:(.+)$/.exec(ref)?.[1];
    const found = user !== undefined ? this.users?.find((u) => u.id === user) : undefined;
    if (found) return h('span', { title: ref }, `${found.name} <${found.email}>`);
    const org = /^organisation:(.+)$/.exec(ref)?.[1];
    const named = org !== undefined ? this.organisations?.find((o) => o.id === org) : undefined;
    if (named) return h('span', { title: ref }, named.name);
    return h('span', { class: 'mono' }, ref);
  }

  private orgName(id: string): string {
    return this.organisations?.find((o) => o.id === id)?.name ?? id;
  }

  // ── organisations ──────────────────────────────────────────────────────────────────────────

  private renderOrganisations(): HTMLElement {
    const list = this.organisations;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('org.list')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list &&
        h(
          'div',
          { class: 'scroll-x' },
          h(
            'table',
            { class: 'list', 'data-testid': 'org-list' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, t('org.name')),
                h('th', { scope: 'col' }, t('org.category')),
                h('th', { scope: 'col' }, t('org.contact')),
                h('th', { scope: 'col' }, t('org.invoiceNumber')),
                h('th', { scope: 'col' }, t('org.status')),
                h('th', { scope: 'col' }, t('user.actions')),
              ),
            ),
            h(
              'tbody',
              {},
              list.map((o) =>
                h(
                  'tr',
                  {
                    'data-testid': 'org-row',
                    'data-org-id': o.id,
                    'data-org-name': o.name,
                    'data-disabled': String(o.disabled),
                  },
                  h(
                    'th',
                    { scope: 'row' },
                    o.name,
                    h('br', {}),
                    h('span', { class: 'muted small' }, orgKindLabel(o.kind)),
                  ),
                  h('td', {}, o.kind === 'operator' ? t('common.none') : orgCategoryLabel(o.category)),
                  h(
                    'td',
                    { class: 'small' },
                    [o.contactName, o.contactEmail, o.contactPhone]
                      .filter((x): x is string => x !== null)
                      .flatMap((x, i) => (i === 0 ? [x] : [h('br', {}), x])),
                    o.postalAddress !== null && [h('br', {}), h('span', { class: 'muted' }, o.postalAddress)],
                  ),
                  h(
                    'td',
                    {},
                    o.invoiceRegistrationNumber
                      ? h('code', {}, o.invoiceRegistrationNumber)
                      : t('common.none'),
                  ),
                  h(
                    'td',
                    {},
                    h(
                      'span',
                      { class: `badge ${o.disabled ? 'bad' : 'ok'}` },
                      o.disabled ? t('org.disabled') : t('org.enabled'),
                    ),
                  ),
                  h('td', { class: 'actions' }, this.renderOrgActions(o)),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private renderOrgActions(o: Organisation): Child {
    if (o.kind === 'operator')
      return h(
        'button',
        { type: 'button', class: 'link', 'data-testid': 'org-edit', onclick: () => this.editOrg(o) },
        t('common.edit'),
      );
    if (this.confirmDisable === o.id)
      return h(
        'div',
        { class: 'confirm', role: 'group' },
        h('p', {}, t('org.disableConfirm', { name: o.name })),
        h(
          'div',
          { class: 'row' },
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'org-disable-confirm',
              onclick: () => {
                this.confirmDisable = '';
                void this.act(async () => {
                  await client.patch('/api/organisations/{id}', {
                    path: { id: o.id },
                    body: { disabled: true },
                  });
                });
              },
            },
            t('org.disableYes'),
          ),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                this.confirmDisable = '';
                this.relocalize();
              },
            },
            t('common.cancel'),
          ),
        ),
      );
    return h(
      'div',
      { class: 'row' },
      h(
        'button',
        { type: 'button', class: 'link', 'data-testid': 'org-edit', onclick: () => this.editOrg(o) },
        t('common.edit'),
      ),
      h(
        'a',
        {
          href: '#/admin/users',
          onclick: () => {
            sessionStorage.setItem(USERS_ORG_KEY, o.id);
          },
        },
        t('org.users'),
      ),
      h(
        'button',
        {
          type: 'button',
          class: o.disabled ? 'link' : 'link danger-link',
          'data-testid': 'org-toggle',
          onclick: () => {
            if (o.disabled)
              void this.act(async () => {
                await client.patch('/api/organisations/{id}', {
                  path: { id: o.id },
                  body: { disabled: false },
                });
              });
            else {
              this.confirmDisable = o.id;
              this.relocalize();
            }
          },
        },
        o.disabled ? t('org.enable') : t('org.disable'),
      ),
    );
  }

  private editOrg(o: Organisation): void {
    this.orgForm = {
      id: o.id,
      error: silent,
      values: {
        name: o.name,
        kind: o.kind,
        category: o.category ?? '',
        contactName: o.contactName ?? '',
        contactEmail: o.contactEmail ?? '',
        contactPhone: o.contactPhone ?? '',
        postalAddress: o.postalAddress ?? '',
        invoiceRegistrationNumber: o.invoiceRegistrationNumber ?? '',
      },
    };
    this.relocalize();
    this.element.querySelector<HTMLElement>('[data-testid="org-name"]')?.focus();
  }

  private renderOrgForm(): HTMLElement {
    const form = this.orgForm;
    const v = form.values;
    const editing = form.id !== undefined;
    const isOperatorOrg = editing && v.kind === 'operator';
    const field = (
      key: keyof OrgFields,
      label: MessageKey,
      testid: string,
      attrs: Record<string, string | number | boolean> = {},
      help?: MessageKey,
    ) => {
      const id = uid(testid);
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id }, t(label)),
        h('input', {
          id,
          type: 'text',
          value: v[key],
          'data-testid': testid,
          ...(help ? { 'aria-describedby': `${id}-help` } : {}),
          ...attrs,
          oninput: (event) => {
            v[key] = (event.target as HTMLInputElement).value;
          },
        }),
        help && h('span', { id: `${id}-help`, class: 'muted small' }, t(help)),
      );
    };
    const kindId = uid('org-kind');
    const categoryId = uid('org-category');
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, editing ? t('org.editTitle', { name: v.name }) : t('org.create')),
      h(
        'form',
        {
          class: 'form grid-form',
          'data-testid': 'org-form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.saveOrg();
          },
        },
        field('name', 'org.name', 'org-name', { required: true, maxlength: 100 }),
        !isOperatorOrg &&
          h(
            'div',
            { class: 'field' },
            h('label', { for: kindId }, t('org.kind')),
            h(
              'select',
              {
                id: kindId,
                'data-testid': 'org-kind',
                onchange: (event) => {
                  v.kind = (event.target as HTMLSelectElement).value;
                },
              },
              ['training-company', 'customer'].map((k) =>
                h('option', { value: k, selected: v.kind === k }, orgKindLabel(k)),
              ),
            ),
          ),
        !isOperatorOrg &&
          h(
            'div',
            { class: 'field' },
            h('label', { for: categoryId }, t('org.category')),
            h(
              'select',
              {
                id: categoryId,
                'data-testid': 'org-category',
                onchange: (event) => {
                  v.category = (event.target as HTMLSelectElement).value;
                },
              },
              h('option', { value: '', selected: v.category === '' }, t('org.noCategory')),
              ORG_CATEGORIES.map((c) =>
                h('option', { value: c, selected: v.category === c }, orgCategoryLabel(c)),
              ),
            ),
          ),
        field('contactName', 'org.contactName', 'org-contact-name', { maxlength: 100 }),
        field('contactEmail', 'org.contactEmail', 'org-contact-email', { type: 'email', maxlength: 254 }),
        field('contactPhone', 'org.contactPhone', 'org-contact-phone', { type: 'tel', maxlength: 32 }),
        field('postalAddress', 'org.postalAddress', 'org-postal-address', { maxlength: 300, class: 'wide' }),
        field(
          'invoiceRegistrationNumber',
          'org.invoiceNumber',
          'org-invoice-number',
          { maxlength: 20, pattern: '^[Tt][0-9 -]{13,18}$', autocomplete: 'off' },
          'org.invoiceHelp',
        ),
        h(
          'p',
          { class: 'error full', role: 'alert', 'data-testid': 'org-error', hidden: form.error() === '' },
          form.error(),
        ),
        h(
          'div',
          { class: 'row full' },
          h(
            'button',
            { type: 'submit', class: 'primary', 'data-testid': 'org-submit' },
            editing ? t('org.submitEdit') : t('org.submitCreate'),
          ),
          editing &&
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'org-cancel',
                onclick: () => {
                  this.orgForm = { values: { ...EMPTY_ORG }, error: silent };
                  this.relocalize();
                },
              },
              t('common.cancel'),
            ),
        ),
      ),
    );
  }

  private async saveOrg(): Promise<void> {
    const { id, values } = this.orgForm;
    const text = (value: string) => (value.trim() === '' ? null : value.trim());
    const body: Record<string, unknown> = {
      name: values.name.trim(),
      contactName: text(values.contactName),
      contactEmail: text(values.contactEmail),
      contactPhone: text(values.contactPhone),
      postalAddress: text(values.postalAddress),
      invoiceRegistrationNumber: text(values.invoiceRegistrationNumber),
    };
    if (values.kind !== 'operator') {
      body['kind'] = values.kind;
      body['category'] = values.category === '' ? null : values.category;
    }
    try {
      const saved =
        id === undefined
          ? await client.post('/api/organisations', { body: body as Body<'post', '/api/organisations'> })
          : await client.patch('/api/organisations/{id}', {
              path: { id },
              body,
            });
      this.orgForm = { values: { ...EMPTY_ORG }, error: silent };
      const name = saved.name;
      this.status = () => t(id === undefined ? 'org.createdMessage' : 'org.savedMessage', { name });
      this.error = silent;
      await this.load();
    } catch (error) {
      this.orgForm.error = () => describeError(error);
      this.relocalize();
    }
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────────

  private renderUsers(): HTMLElement {
    const list = this.users;
    const filterId = uid('users-org');
    return h(
      'section',
      { class: 'panel' },
      h(
        'div',
        { class: 'row' },
        h('h2', {}, t('user.list')),
        this.operator &&
          h(
            'div',
            { class: 'field inline' },
            h('label', { for: filterId }, t('user.filterOrg')),
            h(
              'select',
              {
                id: filterId,
                'data-testid': 'users-org-filter',
                onchange: (event) => {
                  this.usersOrg = (event.target as HTMLSelectElement).value;
                  void this.act(() => Promise.resolve());
                },
              },
              h('option', { value: '', selected: this.usersOrg === '' }, t('user.allOrganisations')),
              (this.organisations ?? []).map((o) =>
                h('option', { value: o.id, selected: this.usersOrg === o.id }, o.name),
              ),
            ),
          ),
      ),
      this.oneTimePassword &&
        h(
          'div',
          { class: 'notice', role: 'status' },
          h('p', {}, t('user.oneTimePassword', { email: this.oneTimePassword.email })),
          h(
            'p',
            {},
            h('code', { class: 'secret', 'data-testid': 'user-otp' }, this.oneTimePassword.password),
          ),
        ),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('user.none')),
      list &&
        list.length > 0 &&
        h(
          'div',
          { class: 'scroll-x' },
          h(
            'table',
            { class: 'list', 'data-testid': 'user-list' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, t('user.name')),
                this.operator && h('th', { scope: 'col' }, t('user.organisation')),
                h('th', { scope: 'col' }, t('user.role')),
                h('th', { scope: 'col' }, t('user.status')),
                h('th', { scope: 'col' }, t('user.actions')),
              ),
            ),
            h(
              'tbody',
              {},
              list.map((u) => this.renderUserRow(u)),
            ),
          ),
        ),
    );
  }

  private renderUserRow(u: User): HTMLElement {
    const self = u.id === this.principal.userId;
    const org = this.organisations?.find((o) => o.id === u.orgId);
    const roles = ROLES_BY_KIND[org?.kind ?? 'customer'] ?? [];
    const roleId = uid('role');
    return h(
      'tr',
      {
        'data-testid': 'user-row',
        'data-user-id': u.id,
        'data-email': u.email,
        'data-role': u.role,
        'data-disabled': String(u.disabled),
      },
      h(
        'th',
        { scope: 'row' },
        u.name,
        self && [' ', h('span', { class: 'muted small' }, t('user.you'))],
        h('br', {}),
        h('span', { class: 'muted small' }, u.email),
      ),
      this.operator && h('td', {}, this.orgName(u.orgId)),
      h(
        'td',
        {},
        h('label', { for: roleId, class: 'sr-only' }, t('user.roleFor', { name: u.name })),
        h(
          'select',
          {
            id: roleId,
            'data-testid': 'user-role-select',
            disabled: self || roles.length < 2,
            onchange: (event) => {
              // the options are the roles this user may be given
              const role = (event.target as HTMLSelectElement).value as UserRole;
              void this.act(async () => {
                await client.patch('/api/users/{id}', { path: { id: u.id }, body: { role } });
                return () => t('user.roleChanged', { name: u.name, role: roleLabel(role) });
              });
            },
          },
          (roles.includes(u.role) ? roles : [u.role, ...roles]).map((r) =>
            h('option', { value: r, selected: r === u.role }, roleLabel(r)),
          ),
        ),
      ),
      h(
        'td',
        {},
        h(
          'span',
          { class: `badge ${u.disabled ? 'bad' : 'ok'}` },
          u.disabled ? t('user.disabled') : t('user.active'),
        ),
        u.mustChangePassword && [' ', h('span', { class: 'badge' }, t('user.mustChange'))],
      ),
      h(
        'td',
        { class: 'actions' },
        !self &&
          (this.confirmReset === u.id
            ? h(
                'div',
                { class: 'confirm', role: 'group' },
                h('p', {}, t('user.resetConfirm', { name: u.name })),
                h(
                  'div',
                  { class: 'row' },
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'danger',
                      'data-testid': 'user-reset-confirm',
                      onclick: () => {
                        this.confirmReset = '';
                        void this.act(async () => {
                          const r = await client.post('/api/users/{id}/password-reset', {
                            path: { id: u.id },
                          });
                          this.oneTimePassword = { email: u.email, password: r.oneTimePassword };
                        });
                      },
                    },
                    t('user.resetYes'),
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      onclick: () => {
                        this.confirmReset = '';
                        this.relocalize();
                      },
                    },
                    t('common.cancel'),
                  ),
                ),
              )
            : h(
                'div',
                { class: 'row' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    'data-testid': 'user-toggle',
                    onclick: () =>
                      void this.act(async () => {
                        await client.patch('/api/users/{id}', {
                          path: { id: u.id },
                          body: { disabled: !u.disabled },
                        });
                        return () =>
                          t(u.disabled ? 'user.enabledMessage' : 'user.disabledMessage', { name: u.name });
                      }),
                  },
                  u.disabled ? t('user.enable') : t('user.disable'),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    'data-testid': 'user-reset',
                    onclick: () => {
                      this.confirmReset = u.id;
                      this.oneTimePassword = undefined;
                      this.relocalize();
                    },
                  },
                  t('user.resetPassword'),
                ),
              )),
      ),
    );
  }

  private renderUserForm(): HTMLElement {
    const f = this.userForm;
    const ids = {
      org: uid('user-org'),
      email: uid('user-email'),
      name: uid('user-name'),
      role: uid('user-role'),
    };
    const org = this.organisations?.find((o) => o.id === f.orgId);
    const roles = ROLES_BY_KIND[org?.kind ?? 'customer'] ?? [];
    if (!roles.includes(f.role))
      f.role = roles.includes('instructor') ? 'instructor' : (roles[0] ?? 'trainee');
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('user.create')),
      h(
        'form',
        {
          class: 'form inline-form',
          'data-testid': 'user-form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.createUser();
          },
        },
        this.operator &&
          h(
            'div',
            { class: 'field' },
            h('label', { for: ids.org }, t('user.organisation')),
            h(
              'select',
              {
                id: ids.org,
                'data-testid': 'user-org',
                onchange: (event) => {
                  f.orgId = (event.target as HTMLSelectElement).value;
                  this.relocalize();
                },
              },
              (this.organisations ?? []).map((o) =>
                h('option', { value: o.id, selected: o.id === f.orgId }, o.name),
              ),
            ),
          ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.email }, t('user.email')),
          h('input', {
            id: ids.email,
            type: 'email',
            required: true,
            value: f.email,
            'data-testid': 'user-email',
            oninput: (event) => {
              f.email = (event.target as HTMLInputElement).value;
            },
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.name }, t('user.name')),
          h('input', {
            id: ids.name,
            type: 'text',
            required: true,
            maxlength: 100,
            value: f.name,
            'data-testid': 'user-name',
            oninput: (event) => {
              f.name = (event.target as HTMLInputElement).value;
            },
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.role }, t('user.role')),
          h(
            'select',
            {
              id: ids.role,
              'data-testid': 'user-role',
              onchange: (event) => {
                // the options are the organisation's roles
                f.role = (event.target as HTMLSelectElement).value as UserRole;
              },
            },
            roles.map((r) => h('option', { value: r, selected: r === f.role }, roleLabel(r))),
          ),
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'user-submit' },
          t('user.createSubmit'),
        ),
      ),
      h(
        'p',
        { class: 'error', role: 'alert', 'data-testid': 'user-error', hidden: f.error() === '' },
        f.error(),
      ),
    );
  }

  // ── invitations by link (org-admin) ────────────────────────────────────────────────────────

  private async loadInvitations(): Promise<void> {
    this.invitations = (
      await client.get('/api/organisations/{id}/invitations', { path: { id: this.principal.orgId } })
    ).invitations;
  }

  private renderInvitations(): HTMLElement {
    const f = this.inviteForm;
    const ids = {
      email: uid('invitation-email'),
      name: uid('invitation-name'),
      role: uid('invitation-role'),
    };
    const org = this.organisations?.find((o) => o.id === this.principal.orgId);
    const roles = ROLES_BY_KIND[org?.kind ?? 'customer'] ?? [];
    const list = this.invitations?.filter((i) => i.state === 'pending');
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('inviteForm.title')),
      h('p', { class: 'muted' }, t('inviteForm.lead')),
      h(
        'form',
        {
          class: 'form inline-form',
          'data-testid': 'invitation-form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.invite();
          },
        },
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.email }, t('user.email')),
          h('input', {
            id: ids.email,
            type: 'email',
            required: true,
            value: f.email,
            'data-testid': 'invitation-email',
            oninput: (event) => {
              f.email = (event.target as HTMLInputElement).value;
            },
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.name }, t('inviteForm.name')),
          h('input', {
            id: ids.name,
            type: 'text',
            maxlength: 100,
            value: f.name,
            'data-testid': 'invitation-name',
            oninput: (event) => {
              f.name = (event.target as HTMLInputElement).value;
            },
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: ids.role }, t('user.role')),
          h(
            'select',
            {
              id: ids.role,
              'data-testid': 'invitation-role',
              onchange: (event) => {
                // the options are the roles an invitation may give
                f.role = (event.target as HTMLSelectElement).value as InviteRole;
              },
            },
            roles.map((r) => h('option', { value: r, selected: r === f.role }, roleLabel(r))),
          ),
        ),
        h(
          'button',
          { type: 'submit', class: 'primary', 'data-testid': 'invitation-submit' },
          t('inviteForm.submit'),
        ),
      ),
      h(
        'p',
        { class: 'error', role: 'alert', 'data-testid': 'invitation-error', hidden: f.error() === '' },
        f.error(),
      ),
      this.inviteLink &&
        h(
          'div',
          { class: 'notice', role: 'status' },
          h('p', {}, t('inviteForm.link', { email: this.inviteLink.email })),
          h('p', {}, h('code', { class: 'secret', 'data-testid': 'invitation-link' }, this.inviteLink.url)),
        ),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list', 'data-testid': 'invitation-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('user.email')),
              h('th', { scope: 'col' }, t('user.role')),
              h('th', { scope: 'col' }, t('inviteForm.expires')),
              h('th', { scope: 'col' }, t('user.actions')),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((i) =>
              h(
                'tr',
                {
                  'data-testid': 'invitation-row',
                  'data-invitation-id': i.id,
                  'data-email': i.email,
                  'data-state': i.state,
                },
                h(
                  'th',
                  { scope: 'row' },
                  i.email,
                  i.name !== null && h('span', { class: 'muted small' }, ` (${i.name})`),
                ),
                h('td', {}, roleLabel(i.role)),
                h('td', {}, formatDateTime(i.expiresAt)),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'link',
                      'data-testid': 'invitation-revoke',
                      onclick: () =>
                        void this.act(async () => {
                          await client.delete('/api/organisations/{id}/invitations/{invitationId}', {
                            path: { id: this.principal.orgId, invitationId: i.id },
                          });
                          this.inviteLink = undefined;
                          const email = i.email;
                          return () => t('inviteForm.revoked', { email });
                        }),
                    },
                    t('inviteForm.revoke'),
                  ),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private async invite(): Promise<void> {
    const f = this.inviteForm;
    try {
      const made = await client.post('/api/organisations/{id}/invitations', {
        path: { id: this.principal.orgId },
        body: {
          email: f.email.trim(),
          role: f.role,
          ...(f.name.trim() !== '' ? { name: f.name.trim() } : {}),
        },
      });
      // a new invitation's answer carries its link (shown once)
      this.inviteLink = { email: made.email, url: new URL(made.link ?? '', location.origin).toString() };
      this.oneTimePassword = undefined;
      f.email = '';
      f.name = '';
      f.error = silent;
      this.status = silent;
      await this.load();
    } catch (error) {
      f.error = () => describeError(error);
      this.relocalize();
    }
  }

  private async createUser(): Promise<void> {
    const f = this.userForm;
    try {
      const made = await client.post('/api/organisations/{id}/users', {
        path: { id: f.orgId },
        body: { email: f.email.trim(), name: f.name.trim(), role: f.role },
      });
      this.oneTimePassword = made.oneTimePassword
        ? { email: made.user.email, password: made.oneTimePassword }
        : undefined;
      const email = made.user.email;
      this.status = () => t('user.createdMessage', { email });
      f.email = '';
      f.name = '';
      f.error = silent;
      await this.load();
    } catch (error) {
      f.error = () => describeError(error);
      this.relocalize();
    }
  }

  // ── publication requests ───────────────────────────────────────────────────────────────────

  private renderPublications(): HTMLElement {
    const list = this.publications;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('pub.list')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted', 'data-testid': 'publication-none' }, t('pub.none')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list', 'data-testid': 'publication-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('pub.scenario')),
              h('th', { scope: 'col' }, t('pub.owner')),
              h('th', { scope: 'col' }, t('pub.requested')),
              h('th', { scope: 'col' }, t('pub.note')),
              h('th', { scope: 'col' }, t('user.actions')),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((r) => {
              const decide = (approve: boolean) =>
                void this.act(async () => {
                  await client.post('/api/scenarios/{id}/versions/{version}/publication/decision', {
                    path: { id: r.id, version: r.version },
                    body: { approve },
                  });
                  return () => t(approve ? 'pub.approved' : 'pub.rejected', { id: r.id, version: r.version });
                });
              return h(
                'tr',
                { 'data-testid': 'publication-row', 'data-scenario-id': r.id, 'data-version': r.version },
                h(
                  'th',
                  { scope: 'row' },
                  pickText(r.title),
                  h('br', {}),
                  h('span', { class: 'muted small' }, `${r.id}@${r.version}`),
                ),
                h('td', {}, this.orgName(r.ownerOrgId)),
                h('td', {}, r.requestedAt !== null ? formatDateTime(r.requestedAt) : t('common.none')),
                h('td', {}, r.note ?? ''),
                h(
                  'td',
                  {},
                  h(
                    'div',
                    { class: 'row' },
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'primary',
                        'data-testid': 'publication-approve',
                        onclick: () => decide(true),
                      },
                      t('pub.approve'),
                    ),
                    h(
                      'button',
                      { type: 'button', 'data-testid': 'publication-reject', onclick: () => decide(false) },
                      t('pub.reject'),
                    ),
                  ),
                ),
              );
            }),
          ),
        ),
    );
  }

  // ── audit log ──────────────────────────────────────────────────────────────────────────────

  private renderAudit(): HTMLElement {
    const f = this.auditFilter;
    const list = this.audit;
    const input = (key: keyof typeof f, label: MessageKey, type: string, help?: MessageKey) => {
      const id = uid(`audit-${key}`);
      return h(
        'div',
        { class: 'field' },
        h('label', { for: id }, t(label)),
        h('input', {
          id,
          type,
          value: f[key],
          'data-testid': `audit-filter-${key}`,
          ...(help ? { 'aria-describedby': `${id}-help`, placeholder: t(help) } : {}),
          oninput: (event) => {
            f[key] = (event.target as HTMLInputElement).value;
          },
        }),
        // what aria-describedby names: the placeholder's example, still said once the field is filled
        help && h('span', { id: `${id}-help`, class: 'sr-only' }, t(help)),
      );
    };
    const exportHref = resolvePath('/api/audit/export', undefined, this.auditQuery());
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('admin.tab.audit')),
      h(
        'form',
        {
          class: 'form inline-form audit-filters',
          'aria-label': t('audit.filters'),
          onsubmit: (event) => {
            event.preventDefault();
            void this.act(() => Promise.resolve());
          },
        },
        input('actor', 'audit.actor', 'text', 'audit.actorHelp'),
        input('action', 'audit.action', 'text'),
        input('target', 'audit.target', 'text'),
        input('from', 'audit.from', 'datetime-local'),
        input('to', 'audit.to', 'datetime-local'),
        h(
          'div',
          { class: 'row' },
          h('button', { type: 'submit', class: 'primary', 'data-testid': 'audit-apply' }, t('audit.apply')),
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'audit-clear',
              onclick: () => {
                this.auditFilter = { actor: '', action: '', target: '', from: '', to: '' };
                void this.act(() => Promise.resolve());
              },
            },
            t('audit.clear'),
          ),
          h(
            'a',
            {
              class: 'button-link',
              href: exportHref,
              download: '',
              'data-testid': 'audit-export',
            },
            t('audit.export'),
          ),
        ),
      ),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('audit.none')),
      list &&
        list.length > 0 && [
          h('p', { class: 'muted small' }, t('audit.count', { count: list.length })),
          h(
            'div',
            { class: 'scroll-x' },
            h(
              'table',
              { class: 'list audit', 'data-testid': 'audit-list' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, t('audit.at')),
                  h('th', { scope: 'col' }, t('audit.actor')),
                  h('th', { scope: 'col' }, t('audit.event')),
                  h('th', { scope: 'col' }, t('audit.details')),
                ),
              ),
              h(
                'tbody',
                {},
                list.map((e) =>
                  h(
                    'tr',
                    {
                      'data-testid': 'audit-row',
                      'data-action': e.action,
                      'data-target': e.target,
                      'data-actor': e.actor,
                    },
                    h('td', { class: 'nowrap' }, formatDateTime(e.at)),
                    h('td', { class: 'small' }, this.who(e.actor)),
                    h(
                      'td',
                      {},
                      h('code', {}, e.action),
                      h('br', {}),
                      h('span', { class: 'small muted' }, this.who(e.target)),
                    ),
                    h(
                      'td',
                      { class: 'mono small details' },
                      Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : '',
                      e.ip !== null && h('span', { class: 'muted' }, ` ${e.ip}`),
                    ),
                  ),
                ),
              ),
            ),
          ),
          this.auditMore &&
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  void this.loadAudit(true).then(
                    () => this.relocalize(),
                    (error: unknown) => {
                      this.error = () => describeError(error);
                      this.relocalize();
                    },
                  );
                },
              },
              t('audit.more'),
            ),
        ],
    );
  }

  // ── health ─────────────────────────────────────────────────────────────────────────────────

  private renderHealth(): HTMLElement {
    const hl = this.health;
    const counts: [keyof PlatformHealth['counts'], MessageKey][] = [
      ['organisations', 'health.organisations'],
      ['disabledOrganisations', 'health.disabledOrganisations'],
      ['users', 'health.users'],
      ['disabledUsers', 'health.disabledUsers'],
      ['exercisesRunning', 'health.exercisesRunning'],
      ['exercises', 'health.exercises'],
      ['sessions', 'health.sessions'],
    ];
    const check = (testid: string, label: string, c: { ok: boolean; ms: number; error?: string }) =>
      h(
        'div',
        { class: 'stat', 'data-testid': testid, 'data-ok': String(c.ok) },
        h('span', { class: 'muted small' }, label),
        h(
          'strong',
          { class: c.ok ? 'good' : 'error' },
          c.ok ? t('health.ok', { ms: c.ms }) : t('health.down', { error: c.error ?? '' }),
        ),
      );
    return h(
      'section',
      { class: 'panel', 'data-testid': 'health' },
      h(
        'div',
        { class: 'row' },
        h('h2', {}, t('health.title')),
        h(
          'button',
          { type: 'button', onclick: () => void this.act(() => Promise.resolve()) },
          t('common.refresh'),
        ),
      ),
      !hl && h('p', { class: 'muted' }, t('common.loading')),
      hl && [
        h(
          'div',
          { class: 'stats' },
          check('health-engine', t('health.engine', { name: hl.engine.name }), hl.engine),
          check('health-database', t('health.database'), hl.database),
          h(
            'div',
            { class: 'stat' },
            h('span', { class: 'muted small' }, t('health.version')),
            h('strong', { 'data-testid': 'health-version' }, hl.version),
          ),
        ),
        h(
          'div',
          { class: 'stats' },
          counts.map(([key, label]) =>
            h(
              'div',
              {
                class: 'stat',
                'data-testid': 'health-count',
                'data-name': key,
                'data-value': hl.counts[key],
              },
              h('span', { class: 'muted small' }, t(label)),
              h('strong', { class: 'big' }, formatNumber(hl.counts[key])),
            ),
          ),
        ),
        h(
          'p',
          { class: 'muted small' },
          `${t('health.started')}: ${formatDateTime(hl.startedAt)} · ${t('health.checked')}: ${formatDateTime(hl.checkedAt)}`,
        ),
      ],
    );
  }

  // ── the organisation's scenarios and exercises ─────────────────────────────────────────────

  private renderVersions(): HTMLElement {
    const list = this.versions;
    const act = (v: OwnedVersion, action: VersionAction) =>
      void this.act(() => scenarioVersionAction(v, action));
    const publication = (p: string) =>
      p === 'published'
        ? t('catalogue.published')
        : p === 'requested'
          ? t('catalogue.requested')
          : p === 'rejected'
            ? t('orgScenarios.rejected')
            : t('catalogue.private');
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('orgScenarios.title')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('orgScenarios.none')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list', 'data-testid': 'org-scenario-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('catalogue.scenario')),
              h('th', { scope: 'col' }, t('orgScenarios.version')),
              h('th', { scope: 'col' }, t('orgScenarios.state')),
              h('th', { scope: 'col' }, t('orgScenarios.publication')),
              h('th', { scope: 'col' }, t('user.actions')),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((v) =>
              h(
                'tr',
                {
                  'data-testid': 'org-scenario-row',
                  'data-scenario-id': v.id,
                  'data-version': v.version,
                  'data-archived': String(v.archived),
                  'data-publication': v.publication,
                },
                h(
                  'th',
                  { scope: 'row' },
                  pickText(v.title),
                  h('br', {}),
                  h('span', { class: 'muted small' }, v.id),
                  ' · ',
                  h(
                    'a',
                    {
                      href: `#/instructor/scenarios/${encodeURIComponent(v.id)}/${encodeURIComponent(v.version)}`,
                      class: 'small',
                      'data-testid': 'scenario-guide-link',
                      title: t('guide.openTitle', { id: v.id, version: v.version }),
                    },
                    t('guide.open'),
                  ),
                ),
                h('td', {}, v.version),
                h(
                  'td',
                  {},
                  h(
                    'span',
                    { class: `badge ${v.archived ? '' : 'ok'}` },
                    v.archived ? t('orgScenarios.archived') : t('orgScenarios.offered'),
                  ),
                ),
                h('td', {}, h('span', { class: 'badge' }, publication(v.publication))),
                h(
                  'td',
                  {},
                  h(
                    'div',
                    { class: 'row' },
                    v.archived
                      ? h(
                          'button',
                          {
                            type: 'button',
                            class: 'link',
                            'data-testid': 'org-scenario-restore',
                            onclick: () => act(v, 'restore'),
                          },
                          t('orgScenarios.restore'),
                        )
                      : h(
                          'button',
                          {
                            type: 'button',
                            class: 'link',
                            'data-testid': 'org-scenario-archive',
                            onclick: () => act(v, 'archive'),
                          },
                          t('catalogue.archive'),
                        ),
                    !v.archived &&
                      (v.publication === 'private' || v.publication === 'rejected') &&
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'link',
                          'data-testid': 'org-scenario-publish',
                          onclick: () => act(v, 'publish'),
                        },
                        t('catalogue.requestPublication'),
                      ),
                    v.publication === 'requested' &&
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'link',
                          'data-testid': 'org-scenario-withdraw',
                          onclick: () => act(v, 'withdraw'),
                        },
                        t('orgScenarios.withdraw'),
                      ),
                  ),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private renderExercises(): HTMLElement {
    const list = this.exercises;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('orgExercises.title')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('instructor.noExercises')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list', 'data-testid': 'org-exercise-list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('instructor.exercise')),
              h('th', { scope: 'col' }, t('instructor.scenario')),
              h('th', { scope: 'col' }, t('instructor.state')),
              h('th', { scope: 'col', class: 'num' }, t('instructor.teams')),
              h('th', { scope: 'col' }, t('instructor.created')),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((e) =>
              h(
                'tr',
                { 'data-testid': 'org-exercise-row', 'data-exercise-id': e.id },
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: `#/instructor/exercises/${encodeURIComponent(e.id)}` }, e.id),
                ),
                h('td', {}, `${e.scenario.id}@${e.scenario.version}`),
                h('td', {}, h('span', { class: `state state-${e.state}` }, exerciseStateLabel(e.state))),
                h('td', { class: 'num' }, formatNumber(e.teams.length)),
                h('td', {}, formatDateTime(e.createdAt)),
              ),
            ),
          ),
        ),
    );
  }
}

import { ARCHIVE_LIMITS, ArchiveProblem, filesFromZip } from '../scenario-archive.ts';
import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, formatNumber, pickText, t } from '../i18n/i18n.ts';
import { DURATION } from '../duration-syntax.ts';
import { categoryLabel, difficultyLabel, durationLabel, exerciseStateLabel } from '../labels.ts';
import { navigate } from '../router.ts';
import type {
  CatalogueList,
  CatalogueListEntry,
  Diagnostic,
  ExerciseStatus,
  Principal,
  ScenarioDetail,
} from '../types.ts';
import type { View } from '../view.ts';
import { scenarioVersionAction, type VersionAction } from './scenario-version-action.ts';
import { rememberRosterImport } from './people-panel.ts';

type ExerciseListEntry = Pick<
  ExerciseStatus,
  'id' | 'scenario' | 'state' | 'createdAt' | 'expiresAt' | 'teams'
>;

/**
 * The instructors' home: the scenario catalogue with each scenario's validation result, a form
 * to create and launch an exercise, the exercises they may run, and validation of a scenario
 * folder from disk.
 */
export class InstructorView implements View {
  readonly element = h('section', { class: 'page instructor' });
  private catalogue: CatalogueList | undefined;
  private exercises: ExerciseListEntry[] | undefined;
  private details = new Map<string, Diagnostic[]>();
  private error = '';
  private createError = '';
  private creating = false;
  private form = {
    scenario: '',
    version: '',
    teams: 2,
    ttl: '',
    teamNames: '',
    maxMembers: '',
    startScoring: false,
  };
  private roster: { name: string; csv: string } | undefined;
  /** Launchable versions of the chosen scenario, newest first (loaded when it is chosen). */
  private versions: { version: string; archived: boolean }[] = [];
  private uploadFiles: Record<string, string> | undefined;
  /** What the last upload did, said in the page's language when it is drawn. */
  private uploadResult: (() => string) | undefined;
  private validation: { valid: boolean; diagnostics: Diagnostic[] } | { error: () => string } | undefined;
  private readonly createStatus = h('p', { role: 'status', 'aria-live': 'polite', class: 'muted' });

  private readonly orgId: string | undefined;
  private readonly role: string | undefined;

  /** `principal`: the signed-in user (their organisation's scenarios get archive and publication actions). */
  constructor(principal?: Principal) {
    this.orgId = principal?.kind === 'user' ? principal.orgId : undefined;
    this.role = principal?.kind === 'user' ? principal.role : undefined;
    this.relocalize();
    void this.load();
  }

  relocalize(): void {
    const focusedTestId = (document.activeElement as HTMLElement | null)?.dataset['testid'];
    replaceChildren(
      this.element,
      h('h1', {}, t('instructor.title')),
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
      this.renderCreate(),
      this.renderExercises(),
      this.renderCatalogue(),
      this.renderValidate(),
    );
    if (focusedTestId !== undefined)
      this.element.querySelector<HTMLElement>(`[data-testid="${focusedTestId}"]`)?.focus();
  }

  dispose(): void {
    // nothing to close
  }

  private async load(): Promise<void> {
    try {
      const [catalogue, exercises] = await Promise.all([
        client.get('/api/scenarios'),
        client.get('/api/exercises'),
      ]);
      // staff get full entries (cards are what anonymous callers get)
      this.catalogue = {
        scenarios: (catalogue.scenarios ?? []).filter((s): s is CatalogueListEntry => 'valid' in s),
        invalid: catalogue.invalid ?? [],
      };
      this.exercises = (exercises.exercises ?? []).sort((a, b) => b.createdAt - a.createdAt);
      if (this.form.scenario === '')
        this.form.scenario = this.catalogue.scenarios.find((s) => s.valid)?.id ?? '';
      this.error = '';
      void this.loadVersions();
    } catch (error) {
      this.error = describeError(error);
    }
    this.relocalize();
  }

  private async loadVersions(): Promise<void> {
    const id = this.form.scenario;
    if (id === '') return;
    try {
      const { versions } = await client.get('/api/scenarios/{id}/versions', { path: { id } });
      if (id !== this.form.scenario) return;
      this.versions = (versions ?? []).filter((v): v is ScenarioDetail => 'valid' in v && !v.archived);
      this.form.version = this.versions[0]?.version ?? '';
    } catch (error) {
      this.error = describeError(error);
    }
    this.relocalize();
  }

  private renderCreate(): HTMLElement {
    const scenarioId = uid('scenario');
    const versionId = uid('version');
    const namesId = uid('team-names');
    const rosterId = uid('roster');
    const capId = uid('max-members');
    const teamsId = uid('teams');
    const ttlId = uid('ttl');
    const startScoringId = uid('start-scoring');
    const valid = this.catalogue?.scenarios.filter((s) => s.valid) ?? [];
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('instructor.create')),
      h(
        'form',
        {
          class: 'form inline-form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.create();
          },
        },
        h(
          'div',
          { class: 'field' },
          h('label', { for: scenarioId }, t('instructor.scenario')),
          h(
            'select',
            {
              id: scenarioId,
              required: true,
              'data-testid': 'create-scenario',
              onchange: (event) => {
                this.form.scenario = (event.target as HTMLSelectElement).value;
                this.form.version = '';
                this.versions = [];
                void this.loadVersions();
              },
            },
            valid.map((s) =>
              h(
                'option',
                { value: s.id, selected: s.id === this.form.scenario },
                `${pickText(s.title)} (${s.id})`,
              ),
            ),
          ),
        ),
        h(
          'div',
          { class: 'field small' },
          h('label', { for: versionId }, t('instructor.version')),
          h(
            'select',
            {
              id: versionId,
              'data-testid': 'create-version',
              onchange: (event) => {
                this.form.version = (event.target as HTMLSelectElement).value;
              },
            },
            this.versions.map((v, i) =>
              h(
                'option',
                { value: v.version, selected: v.version === this.form.version },
                i === 0 ? t('instructor.versionNewest', { version: v.version }) : v.version,
              ),
            ),
          ),
        ),
        h(
          'div',
          { class: 'field small' },
          h('label', { for: teamsId }, t('instructor.teams')),
          h('input', {
            id: teamsId,
            type: 'number',
            min: 1,
            max: 500,
            required: true,
            value: this.form.teams,
            'data-testid': 'create-teams',
            oninput: (event) => {
              this.form.teams = Number((event.target as HTMLInputElement).value);
            },
          }),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: namesId }, t('instructor.teamNames')),
          h('textarea', {
            id: namesId,
            rows: 2,
            value: this.form.teamNames,
            'aria-describedby': `${namesId}-help`,
            'data-testid': 'create-team-names',
            oninput: (event) => {
              this.form.teamNames = (event.target as HTMLTextAreaElement).value;
            },
          }),
          h('span', { id: `${namesId}-help`, class: 'muted small' }, t('instructor.teamNamesHelp')),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: rosterId }, t('instructor.roster')),
          h('input', {
            id: rosterId,
            type: 'file',
            accept: '.csv,text/csv',
            'aria-describedby': `${rosterId}-help`,
            'data-testid': 'create-roster',
            onchange: (event) => void this.readRoster((event.target as HTMLInputElement).files?.[0]),
          }),
          h(
            'span',
            { id: `${rosterId}-help`, class: 'muted small' },
            this.roster ? this.roster.name : t('instructor.rosterHelp'),
          ),
        ),
        h(
          'div',
          { class: 'field small' },
          h('label', { for: capId }, t('instructor.maxMembers')),
          h('input', {
            id: capId,
            type: 'number',
            min: 1,
            max: 1000,
            value: this.form.maxMembers,
            'aria-describedby': `${capId}-help`,
            'data-testid': 'create-max-members',
            oninput: (event) => {
              this.form.maxMembers = (event.target as HTMLInputElement).value;
            },
          }),
          h('span', { id: `${capId}-help`, class: 'muted small' }, t('instructor.maxMembersHelp')),
        ),
        h(
          'div',
          { class: 'field small' },
          h('label', { for: ttlId }, t('instructor.duration')),
          h('input', {
            id: ttlId,
            type: 'text',
            placeholder: '2h',
            value: this.form.ttl,
            'aria-describedby': `${ttlId}-help`,
            'data-testid': 'create-ttl',
            oninput: (event) => {
              this.form.ttl = (event.target as HTMLInputElement).value;
            },
          }),
          h('span', { id: `${ttlId}-help`, class: 'muted small' }, t('instructor.durationHelp')),
        ),
        h(
          'div',
          { class: 'field start-scoring-field' },
          h(
            'span',
            { class: 'checkbox-line' },
            h('input', {
              id: startScoringId,
              type: 'checkbox',
              checked: this.form.startScoring,
              'aria-describedby': `${startScoringId}-help`,
              'data-testid': 'create-start-scoring',
              onchange: (event) => {
                this.form.startScoring = (event.target as HTMLInputElement).checked;
              },
            }),
            h('label', { for: startScoringId }, t('instructor.startScoring')),
          ),
          h('span', { id: `${startScoringId}-help`, class: 'muted small' }, t('instructor.startScoringHelp')),
        ),
        h(
          'button',
          {
            type: 'submit',
            class: 'primary',
            'data-testid': 'create-submit',
            disabled: this.creating || valid.length === 0,
          },
          t('instructor.launch'),
        ),
      ),
      this.createError !== '' &&
        h('p', { class: 'error pre-line', role: 'alert', 'data-testid': 'create-error' }, this.createError),
      this.createStatus,
    );
  }

  /** A roster names the teams; else typed team names; else a number of teams. */
  private teamsOfForm(): { roster: string } | { teamNames: string[] } | { teams: number } {
    if (this.roster) return { roster: this.roster.csv };
    const names = this.form.teamNames
      .split('\n')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    return names.length > 0 ? { teamNames: names } : { teams: this.form.teams };
  }

  private async readRoster(file: File | undefined): Promise<void> {
    this.roster = file ? { name: file.name, csv: await file.text() } : undefined;
    this.relocalize();
  }

  private async create(): Promise<void> {
    if (this.creating) return;
    const ttl = this.form.ttl.trim();
    if (ttl !== '' && !DURATION.test(ttl)) {
      this.createError = t('instructor.durationInvalid', { value: ttl });
      this.relocalize();
      return;
    }
    this.creating = true;
    this.createError = '';
    this.createStatus.textContent = t('instructor.launching');
    this.relocalize();
    try {
      const created = await client.post('/api/exercises', {
        body: {
          scenario: this.form.scenario,
          ...(this.form.version !== '' ? { version: this.form.version } : {}),
          ...this.teamsOfForm(),
          ...(this.form.maxMembers.trim() !== '' ? { maxMembersPerTeam: Number(this.form.maxMembers) } : {}),
          ...(this.form.ttl.trim() !== '' ? { ttl: this.form.ttl.trim() } : {}),
          ...(this.form.startScoring ? { startScoring: true } : {}),
        },
      });
      // Invitation links of the roster are shown once: the exercise page's people panel shows them.
      if (created.roster) rememberRosterImport(created.id, created.roster);
      navigate(`#/instructor/exercises/${encodeURIComponent(created.id)}`);
    } catch (error) {
      this.creating = false;
      const lines: unknown = error instanceof ApiError ? error.details : undefined;
      this.createError = [
        describeError(error),
        ...(Array.isArray(lines)
          ? (lines as { line: number; message: string }[]).map(
              (p) => `${t('people.line', { line: p.line })} ${p.message}`,
            )
          : []),
      ].join('\n');
      this.createStatus.textContent = '';
      this.relocalize();
    }
  }

  private renderExercises(): HTMLElement {
    const list = this.exercises;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('instructor.exercises')),
      !list && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('instructor.noExercises')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list', 'data-testid': 'exercise-list' },
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
              h('th', { scope: 'col' }, t('instructor.expires')),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((e) =>
              h(
                'tr',
                { 'data-testid': 'exercise-row', 'data-exercise-id': e.id },
                h(
                  'th',
                  { scope: 'row' },
                  h('a', { href: `#/instructor/exercises/${encodeURIComponent(e.id)}` }, e.id),
                ),
                h('td', {}, `${e.scenario.id}@${e.scenario.version}`),
                h('td', {}, h('span', { class: `state state-${e.state}` }, exerciseStateLabel(e.state))),
                h('td', { class: 'num' }, formatNumber(e.teams.length)),
                h('td', {}, formatDateTime(e.createdAt)),
                h('td', {}, e.expiresAt !== null ? formatDateTime(e.expiresAt) : '—'),
              ),
            ),
          ),
        ),
    );
  }

  private renderCatalogue(): HTMLElement {
    const c = this.catalogue;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('instructor.catalogue')),
      !c && h('p', { class: 'muted' }, t('common.loading')),
      c &&
        h(
          'table',
          { class: 'list catalogue' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('catalogue.scenario')),
              h('th', { scope: 'col' }, t('catalogue.difficulty')),
              h('th', { scope: 'col', class: 'num' }, t('catalogue.objectives')),
              h('th', { scope: 'col' }, t('catalogue.hosts')),
              h('th', { scope: 'col' }, t('catalogue.validation')),
              h('th', { scope: 'col' }, t('catalogue.availability')),
            ),
          ),
          h(
            'tbody',
            {},
            c.scenarios.map((s) => {
              const diagnostics = this.details.get(s.id);
              return h(
                'tr',
                { 'data-testid': 'scenario-row', 'data-scenario-id': s.id },
                h(
                  'th',
                  { scope: 'row' },
                  h('span', { class: 'title' }, pickText(s.title)),
                  h('br', {}),
                  h(
                    'span',
                    { class: 'muted small' },
                    `${s.id}@${s.version} · ${categoryLabel(s.category)}${s.duration ? ` · ${durationLabel(s.duration)}` : ''}`,
                  ),
                  h('br', {}),
                  h(
                    'a',
                    {
                      href: `#/instructor/scenarios/${encodeURIComponent(s.id)}/${encodeURIComponent(s.version)}`,
                      'data-testid': 'scenario-guide-link',
                      title: t('guide.openTitle', { id: s.id, version: s.version }),
                    },
                    t('guide.open'),
                  ),
                ),
                h('td', {}, difficultyLabel(s.difficulty)),
                h(
                  'td',
                  { class: 'num' },
                  formatNumber(s.objectives.length),
                  h(
                    'span',
                    { class: 'muted small' },
                    ` (${t('catalogue.pointsTotal', { points: s.objectives.reduce((sum, o) => sum + o.points, 0) })})`,
                  ),
                ),
                h('td', {}, s.hosts.map((host) => (host.console ? `${host.name} ⌨` : host.name)).join(', ')),
                h(
                  'td',
                  {},
                  h(
                    'span',
                    {
                      class: `badge ${s.valid ? 'ok' : 'bad'}`,
                      'data-testid': 'scenario-valid',
                      'data-valid': String(s.valid),
                    },
                    s.valid ? t('catalogue.valid') : t('catalogue.invalid'),
                  ),
                  s.warnings > 0 && [
                    ' ',
                    h('span', { class: 'muted small' }, t('catalogue.warnings', { count: s.warnings })),
                  ],
                  s.warnings > 0 &&
                    !diagnostics &&
                    h(
                      'button',
                      { type: 'button', class: 'link', onclick: () => void this.loadDetails(s.id) },
                      t('catalogue.showDiagnostics'),
                    ),
                  diagnostics && diagnosticList(diagnostics),
                ),
                h('td', {}, this.renderAvailability(s)),
              );
            }),
          ),
        ),
      c &&
        c.invalid.length > 0 &&
        h(
          'div',
          { class: 'invalid-files' },
          h('h3', {}, t('catalogue.invalidFiles')),
          c.invalid.map((bad) =>
            h('div', {}, h('p', {}, h('code', {}, bad.file)), diagnosticList(bad.diagnostics)),
          ),
        ),
    );
  }

  /** Shipped, ours (private, asked for publication, published) or another organisation's published one. */
  private renderAvailability(s: CatalogueListEntry): (HTMLElement | string | false)[] {
    const own = s.ownerOrgId !== null && s.ownerOrgId === this.orgId;
    const label = s.shipped
      ? t('catalogue.shipped')
      : s.publication === 'published'
        ? t('catalogue.published')
        : s.publication === 'requested'
          ? t('catalogue.requested')
          : t('catalogue.private');
    const act = (testid: string, text: string, action: VersionAction) =>
      h(
        'button',
        { type: 'button', class: 'link', 'data-testid': testid, onclick: () => void this.act(s, action) },
        text,
      );
    return [
      h(
        'span',
        { class: 'badge', 'data-testid': 'scenario-availability', 'data-publication': s.publication },
        label,
      ),
      own && ' ',
      own && act('scenario-archive', t('catalogue.archive'), 'archive'),
      own &&
        this.role === 'org-admin' &&
        s.publication !== 'published' &&
        s.publication !== 'requested' &&
        ' ',
      own &&
        this.role === 'org-admin' &&
        s.publication !== 'published' &&
        s.publication !== 'requested' &&
        act('scenario-publish', t('catalogue.requestPublication'), 'publish'),
    ];
  }

  private async act(v: CatalogueListEntry, action: VersionAction): Promise<void> {
    try {
      await scenarioVersionAction(v, action);
      await this.load();
    } catch (error) {
      this.error = describeError(error);
      this.relocalize();
    }
  }

  private async loadDetails(id: string): Promise<void> {
    try {
      const detail = await client.get('/api/scenarios/{id}', { path: { id } });
      if ('valid' in detail) this.details.set(id, detail.diagnostics);
    } catch (error) {
      this.error = describeError(error);
    }
    this.relocalize();
  }

  private renderValidate(): HTMLElement {
    const inputId = uid('folder');
    const zipId = uid('zip');
    const v = this.validation;
    return h(
      'section',
      { class: 'panel' },
      h('h2', {}, t('validate.title')),
      h('p', { class: 'muted' }, t('validate.help')),
      h('label', { for: inputId }, t('validate.folder')),
      ' ',
      h('input', {
        id: inputId,
        type: 'file',
        webkitdirectory: true,
        multiple: true,
        'data-testid': 'validate-folder',
        onchange: (event) => void this.validateFolder((event.target as HTMLInputElement).files),
      }),
      h('br'),
      h('label', { for: zipId }, t('validate.zip')),
      ' ',
      h('input', {
        id: zipId,
        type: 'file',
        accept: '.zip,application/zip',
        'data-testid': 'validate-zip',
        onchange: (event) => void this.validateZip((event.target as HTMLInputElement).files?.[0]),
      }),
      h(
        'div',
        { role: 'status', 'aria-live': 'polite', 'data-testid': 'validate-result' },
        v &&
          ('error' in v
            ? h('p', { class: 'error' }, v.error())
            : [
                h(
                  'p',
                  {},
                  h(
                    'span',
                    { class: `badge ${v.valid ? 'ok' : 'bad'}` },
                    v.valid ? t('catalogue.valid') : t('catalogue.invalid'),
                  ),
                ),
                diagnosticList(v.diagnostics),
                v.valid &&
                  this.uploadFiles &&
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'primary',
                      'data-testid': 'upload-submit',
                      onclick: () => void this.upload(),
                    },
                    t('validate.upload'),
                  ),
              ]),
        this.uploadResult && h('p', { 'data-testid': 'upload-result' }, this.uploadResult()),
      ),
    );
  }

  /** Store the validated folder as a new version, private to the organisation. */
  private async upload(): Promise<void> {
    if (!this.uploadFiles) return;
    try {
      const stored = await client.post('/api/scenarios', { body: { files: this.uploadFiles } });
      this.uploadResult = () => t('validate.uploaded', { id: stored.id, version: stored.version });
      this.uploadFiles = undefined;
      await this.load();
    } catch (error) {
      this.uploadResult = failed(error).error;
      this.relocalize();
    }
  }

  private async validateFolder(list: FileList | null): Promise<void> {
    if (!list || list.length === 0) return;
    const files: Record<string, string> = {};
    try {
      for (const file of Array.from(list)) {
        // "folder/sub/file" → "sub/file": paths are relative to the scenario folder.
        const relative = file.webkitRelativePath.split('/').slice(1).join('/') || file.name;
        if (file.size > ARCHIVE_LIMITS.fileBytes) continue;
        files[relative] = await file.text();
      }
      await this.validateFiles(files);
    } catch (error) {
      this.validation = failed(error);
      this.relocalize();
    }
  }

  /** A zip of a scenario folder (as a colleague sends it), read in the browser into the same files. */
  private async validateZip(file: File | undefined): Promise<void> {
    if (!file) return;
    try {
      await this.validateFiles(filesFromZip(new Uint8Array(await file.arrayBuffer())));
    } catch (error) {
      this.validation =
        error instanceof ArchiveProblem
          ? { error: () => t(`validate.zip.${error.kind}`, { max: ARCHIVE_LIMITS.files }) }
          : failed(error);
      this.relocalize();
    }
  }

  private async validateFiles(files: Record<string, string>): Promise<void> {
    try {
      this.uploadResult = undefined;
      this.validation = await client.post('/api/scenarios/validate', { body: { files } });
      this.uploadFiles = files;
    } catch (error) {
      this.validation = failed(error);
    }
    this.relocalize();
  }
}

function diagnosticList(diagnostics: readonly Diagnostic[]): HTMLElement {
  return h(
    'ul',
    { class: 'diagnostics' },
    diagnostics.length === 0 && h('li', { class: 'muted' }, t('catalogue.noDiagnostics')),
    diagnostics.map((d) =>
      h(
        'li',
        { class: `diag ${d.severity}` },
        h(
          'span',
          { class: 'badge' },
          t(d.severity === 'error' ? 'diag.error' : d.severity === 'warning' ? 'diag.warning' : 'diag.info'),
        ),
        ' ',
        h('code', {}, d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file),
        d.pointer !== '' && [' ', h('code', { class: 'muted' }, d.pointer)],
        ' ',
        d.message,
      ),
    ),
  );
}

/** A failure to show: server errors as they came, described once. */
function failed(error: unknown): { error: () => string } {
  const described = describeError(error);
  return { error: () => described };
}

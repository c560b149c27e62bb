import {
  fetchAnalyticsConfig,
  fetchEvidence,
  transcriptUrl,
  type Evidence,
  type FrameworkEvidence,
} from '../analytics-api.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatNumber, locale, pickText, t } from '../i18n/i18n.ts';
import type { View } from '../view.ts';
import { formatDay } from '../platform-zone.ts';
import { bar } from './charts.ts';

const TYPE_KEYS = {
  task: 'analytics.type.task',
  knowledge: 'analytics.type.knowledge',
  skill: 'analytics.type.skill',
  ability: 'analytics.type.ability',
} as const;

/**
 * `#/analytics/me`: the signed-in person's own skills evidence (never anyone else's: the user id is
 * the session's): per work role "31 of 212 statements demonstrated" with a bar, the statements with
 * the date first demonstrated, and the transcript as PDF (English, Japanese) and CSV.
 */
export class ProgressView implements View {
  readonly element = h('section', { class: 'page analytics progress' });
  private evidence: Evidence | undefined;
  private error: unknown;
  private framework: string | undefined;
  /** The platform's time zone: dates are days there, as on the transcript (never the browser's zone). */
  private timeZone: string | undefined;
  private disposed = false;

  constructor(private readonly userId: string) {
    this.relocalize();
    void this.load();
  }

  dispose(): void {
    this.disposed = true;
  }

  private async load(): Promise<void> {
    try {
      const [evidence, config] = await Promise.all([fetchEvidence(this.userId), fetchAnalyticsConfig()]);
      this.evidence = evidence;
      this.timeZone = config.timeZone;
      const withStatements = [...this.evidence.frameworks].sort(
        (a, b) => b.statements.length - a.statements.length,
      );
      this.framework = withStatements[0]?.framework;
    } catch (error) {
      this.error = error;
    }
    if (!this.disposed) this.relocalize();
  }

  relocalize(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset['testid'];
    const ev = this.evidence;
    const fw = ev?.frameworks.find((f) => f.framework === this.framework);
    replaceChildren(
      this.element,
      h('h1', {}, t('progress.title')),
      h('p', { class: 'muted' }, t('progress.lead')),
      this.error !== undefined && h('p', { class: 'error', role: 'alert' }, describeError(this.error)),
      !ev &&
        this.error === undefined &&
        h('p', { class: 'muted', 'aria-busy': 'true' }, t('analytics.loading')),
      ev && this.renderDownloads(),
      ev && ev.exercises.length === 0 && h('p', { 'data-testid': 'progress-empty' }, t('progress.none')),
      ev && ev.frameworks.length > 1 && this.renderFrameworkChoice(ev),
      fw && this.renderFramework(fw),
      ev && ev.exercises.length > 0 && this.renderExercises(ev),
    );
    if (focused) this.element.querySelector<HTMLElement>(`[data-testid="${focused}"]`)?.focus();
  }

  private renderDownloads(): HTMLElement {
    const fw = this.framework as Parameters<typeof transcriptUrl>[3];
    return h(
      'p',
      { class: 'downloads no-print', 'data-testid': 'progress-downloads' },
      t('progress.transcript'),
      ' ',
      h(
        'a',
        {
          href: transcriptUrl(this.userId, 'pdf', 'en', fw),
          download: 'transcript-en.pdf',
          'data-testid': 'transcript-pdf-en',
        },
        t('progress.pdfEn'),
      ),
      ' · ',
      h(
        'a',
        {
          href: transcriptUrl(this.userId, 'pdf', 'ja', fw),
          download: 'transcript-ja.pdf',
          'data-testid': 'transcript-pdf-ja',
        },
        t('progress.pdfJa'),
      ),
      ' · ',
      h(
        'a',
        {
          href: transcriptUrl(this.userId, 'csv', locale(), fw),
          download: 'transcript.csv',
          'data-testid': 'transcript-csv',
        },
        t('analytics.csv'),
      ),
    );
  }

  private renderFrameworkChoice(ev: Evidence): HTMLElement {
    const id = uid('fw');
    return h(
      'div',
      { class: 'field no-print' },
      h('label', { for: id }, t('analytics.framework')),
      h(
        'select',
        {
          id,
          'data-testid': 'progress-framework',
          onchange: (e) => {
            this.framework = (e.target as HTMLSelectElement).value;
            this.relocalize();
          },
        },
        ev.frameworks.map((f) =>
          h('option', { value: f.framework, selected: f.framework === this.framework }, f.framework),
        ),
      ),
    );
  }

  private renderFramework(fw: FrameworkEvidence): HTMLElement {
    const zone = this.timeZone ?? 'UTC';
    const day = (ms: number) => formatDay(ms, zone, locale());
    return h(
      'section',
      { 'data-testid': 'progress-framework-section', 'data-framework': fw.framework },
      h('h2', {}, t('progress.roles', { framework: fw.framework })),
      !fw.catalogueImported && h('p', { class: 'muted' }, t('progress.notImported')),
      fw.roles.length === 0
        ? h('p', { class: 'muted' }, t('progress.noRoles'))
        : h(
            'ul',
            { class: 'bars', 'data-testid': 'progress-roles' },
            fw.roles.map((r) =>
              h(
                'li',
                { 'data-role': r.id, 'data-demonstrated': r.demonstrated, 'data-total': r.total },
                h('span', { class: 'bar-label', lang: 'en' }, `${r.id} ${r.name}`),
                bar(r.demonstrated, r.total, 'role-bar'),
                h(
                  'span',
                  { class: 'bar-value' },
                  t('progress.demonstrated', {
                    count: formatNumber(r.demonstrated),
                    total: formatNumber(r.total),
                  }),
                ),
              ),
            ),
          ),
      h('h2', {}, t('progress.statements', { count: formatNumber(fw.statements.length) })),
      h('p', { class: 'muted small', 'data-testid': 'progress-zone' }, t('analytics.timeZone', { zone })),
      h(
        'table',
        { 'data-testid': 'progress-statements' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('analytics.col.statement')),
            h('th', { scope: 'col' }, t('analytics.col.type')),
            h('th', { scope: 'col' }, t('analytics.col.text')),
            h('th', { scope: 'col' }, `${t('progress.firstAt')} (${zone})`),
          ),
        ),
        h(
          'tbody',
          {},
          fw.statements.map((s) =>
            h(
              'tr',
              { 'data-statement': s.id },
              h('td', { class: 'nowrap' }, s.id),
              h('td', {}, t(TYPE_KEYS[s.type])),
              h('td', { lang: 'en' }, s.text),
              h('td', { class: 'nowrap', 'data-first': s.firstAt }, day(s.firstAt)),
            ),
          ),
        ),
      ),
    );
  }

  private renderExercises(ev: Evidence): HTMLElement {
    return h(
      'section',
      {},
      h('h2', {}, t('progress.exercises')),
      h(
        'ul',
        { 'data-testid': 'progress-exercises' },
        ev.exercises.map((x) =>
          h(
            'li',
            { 'data-exercise': x.exerciseId },
            t('progress.exercise', {
              scenario: pickText(x.scenario.title) || x.scenario.id,
              team: x.teamName,
              solved: formatNumber(x.objectivesSolved.length),
              total: formatNumber(x.objectivesTotal),
            }),
          ),
        ),
      ),
    );
  }
}

import { h, replaceChildren, uid } from '../dom.ts';
import { formatTime, pickText, t } from '../i18n/i18n.ts';
import type { ExerciseStatus, ObjectiveStats, ScenarioDetail } from '../types.ts';

/** What the grid reads from the exercise page. */
export interface GridPage {
  state(): {
    scenario: ScenarioDetail | undefined;
    stats: readonly ObjectiveStats[];
    teams: ExerciseStatus['teams'];
  };
}

/**
 * The exercise page's teams × objectives grid: when each team solved each objective (★ for the
 * first), or how many tries so far. Solves and tries come from the results, the timeline and the
 * live events the page passes on.
 */
export class ExerciseGridPanel {
  readonly element = h('section', { class: 'panel' });
  private readonly solved = new Map<string, Map<string, number>>();
  private readonly attempts = new Map<string, Map<string, number>>();
  private readonly gridHeading = h('h2', {});
  private readonly gridScroll = h('div', { class: 'grid-scroll', tabindex: 0, role: 'region' });
  private readonly gridLegend = h('details', { class: 'grid-legend' });

  constructor(private readonly page: GridPage) {
    this.gridHeading.id = uid('grid-heading');
    this.element.append(this.gridHeading, this.gridScroll, this.gridLegend);
    this.gridScroll.setAttribute('aria-labelledby', this.gridHeading.id);
  }

  markSolved(teamId: string, objectiveId: string, at: number): void {
    const map = this.solved.get(teamId) ?? new Map<string, number>();
    if (!map.has(objectiveId)) map.set(objectiveId, at);
    this.solved.set(teamId, map);
  }

  /** A team's tries of each objective, counted by the server. */
  setAttempts(teamId: string, totals: Map<string, number>): void {
    this.attempts.set(teamId, totals);
  }

  /** One more try (a live submission). */
  countAttempt(teamId: string, objectiveId: string): void {
    const map = this.attempts.get(teamId) ?? new Map<string, number>();
    map.set(objectiveId, (map.get(objectiveId) ?? 0) + 1);
    this.attempts.set(teamId, map);
  }

  /**
   * The teams × objectives grid in its own horizontally scrolling region (kept across updates, so
   * its scroll position and focus stay): compact numbered column headers with the full title as a
   * tooltip and as text for screen readers, team names in a sticky first column, and a legend.
   */
  render(): void {
    const { scenario, stats, teams } = this.page.state();
    const objectives =
      scenario?.objectives ??
      stats.map((s) => ({ id: s.objectiveId, title: s.objectiveId, points: 0, kind: '' }));
    const scrollLeft = this.gridScroll.scrollLeft;
    this.gridHeading.textContent = t('exercise.grid');
    this.gridScroll.title = t('exercise.gridScrollHint');
    replaceChildren(
      this.gridScroll,
      h(
        'table',
        { class: 'grid', 'data-testid': 'grid' },
        h('caption', { class: 'sr-only' }, t('exercise.grid')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', class: 'sticky-col' }, t('exercise.team')),
            objectives.map((o, i) => {
              const stat = stats.find((s) => s.objectiveId === o.id);
              const title = pickText(o.title);
              const short = t('exercise.objectiveNumber', { n: i + 1 });
              return h(
                'th',
                { scope: 'col', class: 'objective-col', 'data-objective-id': o.id },
                h(
                  'abbr',
                  { title: `${short} ${title}`, 'aria-hidden': 'true' },
                  h('span', { class: 'objective-number' }, short),
                  h('span', { class: 'objective-short' }, title),
                ),
                h('span', { class: 'sr-only' }, `${short} ${title}`),
                'forgeable' in o &&
                  o.forgeable === true &&
                  h(
                    'span',
                    {
                      class: 'badge warn small',
                      'data-testid': 'objective-forgeable',
                      title: t('exercise.forgeableTitle'),
                    },
                    t('exercise.forgeable'),
                  ),
                stat &&
                  h(
                    'span',
                    { class: 'muted small objective-stat' },
                    t('exercise.solvesOf', { solves: stat.solves, value: stat.value }),
                  ),
              );
            }),
          ),
        ),
        h(
          'tbody',
          {},
          teams.map((team) =>
            h(
              'tr',
              { 'data-team-id': team.id },
              h('th', { scope: 'row', class: 'sticky-col' }, team.name),
              objectives.map((o) => {
                const at = this.solved.get(team.id)?.get(o.id);
                const tries = this.attempts.get(team.id)?.get(o.id) ?? 0;
                const first = stats.find((s) => s.objectiveId === o.id)?.firstBlood?.teamId === team.id;
                return h(
                  'td',
                  {
                    'data-testid': 'grid-cell',
                    'data-team-id': team.id,
                    'data-objective-id': o.id,
                    'data-solved': String(at !== undefined),
                    class: at !== undefined ? 'solved' : tries > 0 ? 'tried' : '',
                  },
                  at !== undefined
                    ? [
                        h('span', { 'aria-hidden': 'true' }, first ? '★' : '✓'),
                        h('span', { class: 'sr-only' }, t(first ? 'exercise.firstBlood' : 'exercise.solved')),
                        ' ',
                        h('span', { class: 'small' }, formatTime(at)),
                      ]
                    : tries > 0
                      ? h('span', { class: 'small' }, t('exercise.tries', { count: tries }))
                      : [
                          h('span', { class: 'muted', 'aria-hidden': 'true' }, '·'),
                          h('span', { class: 'sr-only' }, t('exercise.notSolved')),
                        ],
                );
              }),
            ),
          ),
        ),
      ),
    );
    this.gridScroll.scrollLeft = scrollLeft;
    replaceChildren(
      this.gridLegend,
      h('summary', {}, t('exercise.gridLegend', { count: objectives.length })),
      h(
        'ol',
        { class: 'grid-legend-list' },
        objectives.map((o) =>
          h(
            'li',
            { 'data-objective-id': o.id },
            pickText(o.title),
            o.points > 0 &&
              h('span', { class: 'muted small' }, ` · ${t('exercise.points', { points: o.points })}`),
          ),
        ),
      ),
    );
  }
}

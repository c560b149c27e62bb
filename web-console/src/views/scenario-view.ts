import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, type Child } from '../dom.ts';
import { pickText, t } from '../i18n/i18n.ts';
import { categoryLabel, difficultyLabel, durationLabel, objectiveKindLabel } from '../labels.ts';
import { renderMarkdown } from '../markdown.ts';
import type { ExerciseScenarioGuide, GuideObjective, ScenarioGuide } from '../types.ts';
import type { View } from '../view.ts';
import { AnswerKeyPanel } from './answer-key-panel.ts';
import { topologyDiagram } from './topology-diagram.ts';

/**
 * A scenario text with its template expressions (`{{params.dev_password}}`, values that differ per
 * team) said as such: `‹per team: params.dev_password›`. Each team's own text is in the answer key.
 */
export function withTemplatesMarked(text: string): string {
  return text.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (_whole, expression: string) =>
    t('guide.perTeamValue', { expression }),
  );
}

/** A scenario version from the catalogue, or the version an exercise was planned from. */
export type ScenarioTarget = { scenarioId: string; version?: string | undefined } | { exerciseId: string };

/**
 * The instructor's page of one scenario: title, summary and story in the interface language; the
 * NICE mapping; the topology as a diagram and a table; every objective in order (kind, points, what
 * locks it, hints with costs, NICE ids, where a check runs); the solution (folded). Opened from an
 * exercise, it also holds that exercise's per-team answer key behind "Show answers".
 */
export class ScenarioView implements View {
  readonly element = h('section', { class: 'page scenario-page', 'data-testid': 'scenario-page' });
  private guide: ScenarioGuide | undefined;
  private pinned: ExerciseScenarioGuide['pinned'] | undefined;
  private error = '';
  private solutionOpen = false;
  private readonly answers: AnswerKeyPanel | undefined;

  constructor(private readonly target: ScenarioTarget) {
    this.answers =
      'exerciseId' in target
        ? new AnswerKeyPanel(target.exerciseId, (objectiveId) => {
            const raw = this.guide?.objectives.find((o) => o.id === objectiveId)?.description;
            return raw !== undefined && JSON.stringify(raw).includes('{{');
          })
        : undefined;
    this.render();
    void this.load();
  }

  relocalize(): void {
    this.render();
    this.answers?.relocalize();
  }

  dispose(): void {
    // nothing live: no socket, no timer
  }

  private async load(): Promise<void> {
    try {
      if ('exerciseId' in this.target) {
        const found = await client.get('/api/exercises/{id}/scenario-guide', {
          path: { id: this.target.exerciseId },
        });
        this.guide = found.guide;
        this.pinned = found.pinned;
      } else {
        const id = encodeURIComponent(this.target.scenarioId);
        const version =
          this.target.version ?? (await client.get('/api/scenarios/{id}', { path: { id } })).version;
        this.guide = await client.get('/api/scenarios/{id}/versions/{version}/guide', {
          path: { id, version },
        });
      }
    } catch (error) {
      this.error = describeError(error);
    }
    this.render();
  }

  private render(): void {
    const g = this.guide;
    const exerciseId = 'exerciseId' in this.target ? this.target.exerciseId : undefined;
    const back = exerciseId
      ? h(
          'a',
          { href: `#/instructor/exercises/${encodeURIComponent(exerciseId)}` },
          `← ${t('guide.backToExercise')}`,
        )
      : h('a', { href: '#/instructor' }, `← ${t('guide.backToCatalogue')}`);
    if (!g) {
      replaceChildren(
        this.element,
        h('p', {}, back),
        this.error !== ''
          ? h('p', { class: 'error', role: 'alert', 'data-testid': 'scenario-error' }, this.error)
          : h('p', { class: 'muted' }, t('common.loading')),
        // the answer key comes from the exercise's own plans: it works even when the scenario's files do not
        this.error !== '' && this.answers?.element,
      );
      return;
    }
    const points = g.objectives.reduce((sum, o) => sum + o.points, 0);
    replaceChildren(
      this.element,
      h('p', {}, back),
      exerciseId && h('p', { class: 'muted' }, t('guide.ofExercise', { id: exerciseId })),
      h('h1', { 'data-testid': 'scenario-title' }, pickText(g.title)),
      h(
        'p',
        { class: 'meta', 'data-testid': 'scenario-meta' },
        `${g.id} · ${t('guide.version', { version: g.version })} · ${categoryLabel(g.category)} · ${difficultyLabel(g.difficulty)}`,
        g.duration && ` · ${durationLabel(g.duration)}`,
        ' · ',
        h(
          'code',
          { class: 'small', title: g.contentHash },
          t('guide.contentHash', { hash: g.contentHash.slice(0, 12) }),
        ),
      ),
      this.pinned &&
        !this.pinned.current &&
        h(
          'p',
          { class: 'notice', role: 'note', 'data-testid': 'scenario-hash-changed' },
          t('guide.hashChanged'),
        ),
      g.summary !== undefined &&
        h('p', { class: 'lead', 'data-testid': 'scenario-summary' }, pickText(g.summary)),
      g.tags.length > 0 &&
        h(
          'p',
          { class: 'tags' },
          g.tags.map((tag) => h('span', { class: 'badge' }, tag)),
        ),
      this.answers?.element,
      h(
        'div',
        { class: 'two-columns' },
        h(
          'section',
          { class: 'panel', 'data-testid': 'scenario-story' },
          h('h2', {}, t('guide.story')),
          g.story !== undefined
            ? h('div', { class: 'markdown' }, renderMarkdown(withTemplatesMarked(pickText(g.story))))
            : h('p', { class: 'muted' }, t('guide.noStory')),
        ),
        this.renderNice(g),
      ),
      this.renderTopology(g),
      h(
        'section',
        { class: 'panel' },
        h('h2', {}, t('guide.objectives', { count: g.objectives.length, points })),
        h(
          'ol',
          { class: 'guide-objectives', 'data-testid': 'scenario-objectives' },
          g.objectives.map((o, i) => this.renderObjective(g, o, i)),
        ),
      ),
      this.renderSolution(g),
    );
  }

  private renderNice(g: ScenarioGuide): HTMLElement {
    const named = Object.keys(g.niceNames).length > 0;
    const ids = (list: string[], testId: string) =>
      list.length === 0
        ? h('p', { class: 'muted' }, t('guide.noIds'))
        : h(
            'ul',
            { class: named ? 'id-list named' : 'id-list', 'data-testid': testId },
            list.map((id) =>
              h(
                'li',
                { 'data-nice-id': id },
                h('code', {}, id),
                g.niceNames[id] !== undefined && [' ', h('span', { class: 'nice-name' }, g.niceNames[id])],
              ),
            ),
          );
    return h(
      'section',
      { class: 'panel', 'data-testid': 'scenario-nice', 'data-framework': g.competencies.framework ?? '' },
      h('h2', {}, t('guide.nice')),
      g.competencies.framework === null
        ? h('p', { class: 'muted' }, t('guide.noFramework'))
        : [
            h('p', {}, t('guide.framework', { framework: g.competencies.framework })),
            h('h3', {}, t('guide.workRoles')),
            ids(g.competencies.workRoles, 'scenario-work-roles'),
            h('h3', {}, t('guide.statements')),
            ids(g.competencies.statements, 'scenario-statements'),
          ],
    );
  }

  private renderTopology(g: ScenarioGuide): HTMLElement {
    const described = g.hosts.some((host) => host.description !== undefined);
    return h(
      'section',
      { class: 'panel', 'data-testid': 'scenario-topology' },
      h('h2', {}, t('guide.topology')),
      h('div', { class: 'topology-box' }, topologyDiagram(g)),
      h(
        'table',
        { class: 'list', 'data-testid': 'scenario-hosts' },
        h('caption', { class: 'muted' }, t('guide.hostsTable')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('guide.host')),
            h('th', { scope: 'col' }, t('guide.image')),
            h('th', { scope: 'col' }, t('guide.networks')),
            described && h('th', { scope: 'col' }, t('guide.role')),
          ),
        ),
        h(
          'tbody',
          {},
          g.hosts.map((host) =>
            h(
              'tr',
              { 'data-testid': 'scenario-host-row', 'data-host': host.name },
              h(
                'th',
                { scope: 'row' },
                h('code', {}, host.name),
                host.console && [' ', h('span', { class: 'badge ok' }, `⌨ ${t('guide.console')}`)],
                host.traineeControlled &&
                  !host.console && [' ', h('span', { class: 'badge warn' }, t('guide.traineeControlled'))],
              ),
              h('td', {}, h('code', { class: 'small' }, host.image)),
              h(
                'td',
                {},
                host.networks.map((n, i) => [
                  i > 0 && ', ',
                  h('code', {}, n.name),
                  n.address &&
                    h(
                      'span',
                      { class: 'muted small' },
                      ` (${t('guide.fixedAddress', { address: n.address })})`,
                    ),
                  n.aliases.length > 0 &&
                    h(
                      'span',
                      { class: 'muted small' },
                      ` (${t('guide.aliases', { aliases: n.aliases.join(', ') })})`,
                    ),
                ]),
              ),
              described && h('td', {}, host.description !== undefined ? pickText(host.description) : ''),
            ),
          ),
        ),
      ),
    );
  }

  private renderObjective(g: ScenarioGuide, o: GuideObjective, index: number): HTMLElement {
    const titleOf = (id: string) => {
      const found = g.objectives.findIndex((x) => x.id === id);
      const other = g.objectives[found];
      return other ? `${found + 1}. ${pickText(other.title)}` : id;
    };
    const check: Child =
      o.check &&
      h(
        'p',
        { class: 'small' },
        o.check.from
          ? t('guide.checkFrom', { host: o.check.host, from: o.check.from })
          : t('guide.checkOn', { host: o.check.host }),
        o.check.forgeable && [' ', h('span', { class: 'badge warn' }, t('guide.forgeable'))],
      );
    return h(
      'li',
      {
        class: 'guide-objective',
        'data-testid': 'scenario-objective',
        'data-objective-id': o.id,
        'data-kind': o.kind,
        'data-points': o.points,
        'data-requires': o.requires.join(' '),
      },
      h(
        'h3',
        {},
        h('span', { class: 'muted' }, `${t('guide.objectiveNumber', { n: index + 1 })} `),
        pickText(o.title),
        ' ',
        h('span', { class: 'badge' }, objectiveKindLabel(o.kind)),
        ' ',
        h('span', { class: 'badge ok' }, t('objective.points', { points: o.points })),
      ),
      h(
        'p',
        { class: 'small', 'data-testid': 'scenario-objective-requires' },
        o.requires.length > 0
          ? t('guide.requires', { objectives: o.requires.map(titleOf).join(', ') })
          : h('span', { class: 'muted' }, t('guide.unlocked')),
      ),
      o.description !== undefined &&
        h('div', { class: 'markdown' }, renderMarkdown(withTemplatesMarked(pickText(o.description)))),
      check,
      o.competencies.length > 0 &&
        h(
          'p',
          {
            class: 'small muted',
            'data-testid': 'scenario-objective-nice',
            title: o.competencies
              .map((id) => (g.niceNames[id] ? `${id}: ${g.niceNames[id]}` : id))
              .join('\n'),
          },
          t('guide.nice.objective', { ids: o.competencies.join(', ') }),
        ),
      h(
        'div',
        { class: 'guide-hints' },
        h('h4', {}, t('guide.hints')),
        o.hints.length === 0
          ? h('p', { class: 'muted small' }, t('guide.noHints'))
          : h(
              'ol',
              {},
              o.hints.map((hint) =>
                h(
                  'li',
                  { 'data-testid': 'scenario-hint', 'data-hint-id': hint.id, 'data-cost': hint.cost },
                  h(
                    'span',
                    { class: 'badge warn' },
                    hint.cost > 0 ? t('guide.hintCost', { cost: hint.cost }) : t('guide.hintFree'),
                  ),
                  ' ',
                  h(
                    'span',
                    { class: 'markdown inline' },
                    renderMarkdown(withTemplatesMarked(pickText(hint.text)), true),
                  ),
                ),
              ),
            ),
      ),
    );
  }

  private renderSolution(g: ScenarioGuide): HTMLElement {
    if (g.solution === null)
      return h(
        'section',
        { class: 'panel', 'data-testid': 'scenario-solution' },
        h('h2', {}, t('guide.solution')),
        h('p', { class: 'muted' }, t('guide.noSolution')),
      );
    const details = h(
      'details',
      {
        class: 'panel',
        'data-testid': 'scenario-solution',
        open: this.solutionOpen,
        ontoggle: () => {
          this.solutionOpen = details.open;
        },
      },
      h(
        'summary',
        {},
        h('h2', { class: 'inline' }, t('guide.solution')),
        ' ',
        h('span', { class: 'muted small' }, t('guide.solutionShow')),
      ),
      h('div', { class: 'markdown' }, renderMarkdown(g.solution)),
    );
    return details;
  }
}

import { h, replaceChildren } from '../dom.ts';
import { formatDateTime, formatRelative, pickText, t } from '../i18n/i18n.ts';
import { exerciseStateLabel } from '../labels.ts';
import type { ExerciseStatus, ScenarioDetail } from '../types.ts';

/**
 * The exercise page's head: crumbs with the projector link, the title with the scenario's, the
 * state, the scenario version and content hash, the engine, the times and the scoring status.
 */
export class ExerciseHeadPanel {
  readonly element = h('div', {});

  constructor(private readonly exerciseId: string) {}

  render(state: {
    status: ExerciseStatus | undefined;
    scenario: ScenarioDetail | undefined;
    /** Why the exercise could not be read ('' = it was). */
    error: string;
    scoringStatus: string;
    scoringLabel: string;
  }): void {
    const { status: s, scenario } = state;
    const title = scenario ? pickText(scenario.title) : (s?.scenario.id ?? '');
    replaceChildren(
      this.element,
      h(
        'p',
        { class: 'crumbs' },
        h('a', { href: '#/instructor' }, t('nav.instructor')),
        ' / ',
        this.exerciseId,
        ' · ',
        h(
          'a',
          {
            href: `${location.pathname}#/instructor/exercises/${encodeURIComponent(this.exerciseId)}/board`,
            target: '_blank',
            rel: 'noopener',
            'data-testid': 'projector-link',
            title: t('projector.linkHelp'),
          },
          t('projector.link'),
        ),
      ),
      h(
        'h1',
        {},
        t('exercise.title', { id: this.exerciseId }),
        title !== '' && h('span', { class: 'subtitle' }, ` — ${title}`),
      ),
      state.error !== '' && h('p', { class: 'error', role: 'alert' }, state.error),
      s &&
        h(
          'p',
          { class: 'meta' },
          h(
            'span',
            { class: `state state-${s.state}`, 'data-testid': 'exercise-status', 'data-status': s.state },
            exerciseStateLabel(s.state),
          ),
          ' · ',
          h(
            'span',
            {
              class: 'scenario-version',
              'data-testid': 'exercise-scenario-version',
              title: t('exercise.contentHash', { hash: s.scenario.hash }),
            },
            `${s.scenario.id}@${s.scenario.version}`,
            h('code', { class: 'muted small' }, ` ${s.scenario.hash.slice(0, 12)}`),
          ),
          ' · ',
          h(
            'a',
            { href: `#/instructor/exercises/${s.id}/scenario`, 'data-testid': 'exercise-scenario-link' },
            t('guide.openFromExercise'),
          ),
          ` · ${s.engine} · `,
          t('exercise.createdAt', { time: formatDateTime(s.createdAt) }),
          s.expiresAt !== null && [
            ' · ',
            t('exercise.expiresAt', {
              time: formatDateTime(s.expiresAt),
              relative: formatRelative(s.expiresAt),
            }),
          ],
          state.scoringStatus !== '' && [' · ', t('exercise.scoring', { status: state.scoringLabel })],
        ),
    );
  }
}

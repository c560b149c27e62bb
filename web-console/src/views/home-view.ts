import { platformTimeZone } from '../analytics-api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { pickText, t } from '../i18n/i18n.ts';
import { categoryLabel, difficultyLabel, durationLabel } from '../labels.ts';
import { navigate } from '../router.ts';
import { setSession } from '../session.ts';
import type { CardList, MyCourse, MyExercise, Principal } from '../types.ts';
import type { View } from '../view.ts';

/** The landing page: join a team with a code, sign in, and the public scenario catalogue. */
export class HomeView implements View {
  readonly element = h('section', { class: 'page' });
  private catalogue: CardList | undefined;
  private error = '';
  private code = '';
  private mine: MyExercise[] | undefined;
  private courses: MyCourse[] | undefined;
  /** The platform's reporting time zone: course dates are its days (read with the courses). */
  private zone: string | undefined;

  /** `principal`: who is signed in; a user sees the exercises they are a team member of, to enter without a code. */
  constructor(principal?: Principal) {
    this.relocalize();
    if (principal?.kind === 'user')
      Promise.all([client.get('/api/me/courses'), platformTimeZone()]).then(
        ([{ courses }, zone]) => {
          this.courses = courses;
          this.zone = zone;
          this.relocalize();
        },
        (error: unknown) => {
          this.error = describeError(error);
          this.relocalize();
        },
      );
    if (principal?.kind === 'user')
      client.get('/api/me/exercises').then(
        ({ exercises }) => {
          this.mine = exercises;
          this.relocalize();
        },
        (error: unknown) => {
          this.error = describeError(error);
          this.relocalize();
        },
      );
    client.get('/api/scenarios').then(
      (list) => {
        this.catalogue = { scenarios: list.scenarios ?? [] };
        this.relocalize();
      },
      (error: unknown) => {
        this.error = describeError(error);
        this.relocalize();
      },
    );
  }

  relocalize(): void {
    const codeId = uid('code');
    const input = h('input', {
      id: codeId,
      name: 'code',
      required: true,
      autocomplete: 'off',
      spellcheck: 'false',
      value: this.code,
      'data-testid': 'home-code',
      oninput: (event) => {
        this.code = (event.target as HTMLInputElement).value;
      },
    });
    replaceChildren(
      this.element,
      h('h1', {}, t('home.title')),
      h('p', { class: 'lead' }, t('home.lead')),
      this.courses && this.zone && this.courses.length > 0 && this.coursePanel(this.courses, this.zone),
      this.mine &&
        this.mine.length > 0 &&
        h(
          'section',
          { class: 'panel', 'data-testid': 'my-exercises' },
          h('h2', {}, t('home.mine')),
          h(
            'ul',
            { class: 'plain' },
            this.mine.map((e) =>
              h(
                'li',
                { 'data-testid': 'my-exercise', 'data-exercise-id': e.exerciseId },
                h('strong', {}, e.teamName),
                ` · ${e.scenario} · ${e.exerciseId} `,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary',
                    'data-testid': 'my-exercise-enter',
                    onclick: () => void this.enter(e.exerciseId),
                  },
                  t('home.enter'),
                ),
              ),
            ),
          ),
        ),
      h(
        'div',
        { class: 'cards' },
        h(
          'form',
          {
            class: 'card',
            onsubmit: (event) => {
              event.preventDefault();
              const code = input.value.trim();
              if (code !== '') navigate(`#/join/${encodeURIComponent(code)}`);
            },
          },
          h('h2', {}, t('home.joinTitle')),
          h('p', {}, t('home.joinBody')),
          h('label', { for: codeId }, t('home.code')),
          input,
          h('button', { type: 'submit', class: 'primary' }, t('home.joinButton')),
        ),
        h(
          'div',
          { class: 'card' },
          h('h2', {}, t('home.staffTitle')),
          h('p', {}, t('home.staffBody')),
          h('a', { href: '#/login', class: 'button-link primary' }, t('app.login')),
        ),
      ),
      h('h2', {}, t('home.catalogue')),
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
      !this.catalogue && this.error === '' && h('p', { class: 'muted' }, t('common.loading')),
      this.catalogue &&
        h(
          'ul',
          { class: 'scenario-cards' },
          this.catalogue.scenarios.map((s) =>
            h(
              'li',
              { class: 'card' },
              h('h3', {}, pickText(s.title)),
              h(
                'p',
                { class: 'meta' },
                [
                  difficultyLabel(s.difficulty),
                  s.duration ? durationLabel(s.duration) : '',
                  categoryLabel(s.category),
                ]
                  .filter((x) => x !== '')
                  .join(' · '),
              ),
              h('p', {}, pickText(s.summary)),
            ),
          ),
        ),
    );
  }

  /** The trainee's courses: dates, and per part of the course the objectives their team solved. */
  private coursePanel(courses: MyCourse[], timeZone: string): HTMLElement {
    const day = (ms: number) =>
      new Date(ms).toLocaleDateString(document.documentElement.lang || 'en', { timeZone });
    return h(
      'section',
      { class: 'panel', 'data-testid': 'my-courses' },
      h('h2', {}, t('home.myCourses')),
      h(
        'ul',
        { class: 'plain' },
        courses.map((c) =>
          h(
            'li',
            { 'data-testid': 'my-course', 'data-run-id': c.runId },
            h('strong', {}, pickText(c.title)),
            ` · ${t('home.courseDates', { from: day(c.startsAt), to: day(c.endsAt - 1) })} · `,
            h(
              'span',
              { 'data-testid': 'my-course-progress' },
              t('home.courseProgress', { solved: c.solved, objectives: c.objectives }),
            ),
            h(
              'ul',
              { class: 'plain' },
              c.scenarios.map((s) =>
                h(
                  'li',
                  { 'data-testid': 'my-course-part' },
                  t('home.courseScenario', { position: s.position, scenario: s.scenario.id }),
                  ' · ',
                  s.exerciseId === null
                    ? t('home.courseNotStarted')
                    : t('home.courseProgress', { solved: s.solved, objectives: s.objectives }),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  dispose(): void {
    // nothing to close
  }

  private async enter(exerciseId: string): Promise<void> {
    try {
      setSession(await client.post('/api/me/exercises/{id}/enter', { path: { id: exerciseId } }));
      try {
        sessionStorage.clear(); // terminals of an earlier team are not ours any more
      } catch {
        // nothing stored
      }
      navigate('#/play');
    } catch (error) {
      this.error = describeError(error);
      this.relocalize();
    }
  }
}

import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { locale, pickText, t } from '../i18n/i18n.ts';
import { objectiveKindLabel } from '../labels.ts';
import { renderMarkdown } from '../markdown.ts';
import type { AnswerKey, ExpectedAnswer } from '../types.ts';

/**
 * The per-team answer key of an exercise, hidden until the instructor asks for it ("Show answers"):
 * nothing of it is fetched or in the page before, and hiding it removes it from the page again, so
 * a shared screen shows no answer by accident. One team at a time (a team selector), and a CSV of
 * every team.
 */
export class AnswerKeyPanel {
  readonly element = h('section', { class: 'panel answer-key', 'data-testid': 'answer-key' });
  private key: AnswerKey | undefined;
  private shown = false;
  private loading = false;
  private error = '';
  private team = '';
  private readonly bodyId = uid('answers');

  /**
   * `templated(objectiveId)`: whether the scenario's text of the objective holds per-team values
   * (then each team's own text is shown with its answer).
   */
  constructor(
    private readonly exerciseId: string,
    private readonly templated: (objectiveId: string) => boolean = () => false,
  ) {
    this.render();
  }

  relocalize(): void {
    this.render();
  }

  private async toggle(): Promise<void> {
    this.shown = !this.shown;
    this.error = '';
    if (this.shown && !this.key) {
      this.loading = true;
      this.render();
      try {
        this.key = await client.get('/api/exercises/{id}/answer-key', { path: { id: this.exerciseId } });
        this.team ||= this.key.teams[0]?.teamId ?? '';
      } catch (error) {
        this.error = describeError(error);
        this.shown = false;
      } finally {
        this.loading = false;
      }
    }
    this.render();
    this.element.querySelector<HTMLElement>('[data-testid="answer-key-toggle"]')?.focus();
  }

  private render(): void {
    const key = this.shown ? this.key : undefined;
    const team = key?.teams.find((x) => x.teamId === this.team) ?? key?.teams[0];
    const selectId = uid('answer-team');
    replaceChildren(
      this.element,
      h('h2', {}, t('answers.title')),
      h('p', { class: 'muted' }, t('answers.help')),
      h(
        'div',
        { class: 'answer-key-actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'primary',
            'data-testid': 'answer-key-toggle',
            'aria-expanded': String(this.shown),
            'aria-controls': this.bodyId,
            disabled: this.loading,
            onclick: () => void this.toggle(),
          },
          this.shown ? t('answers.hide') : t('answers.show'),
        ),
        h(
          'a',
          {
            href: `/api/exercises/${encodeURIComponent(this.exerciseId)}/answer-key?format=csv&lang=${locale()}`,
            download: `${this.exerciseId}-answer-key.csv`,
            'data-testid': 'answer-key-csv',
          },
          t('answers.csv'),
        ),
      ),
      this.loading && h('p', { class: 'muted', role: 'status' }, t('common.loading')),
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
      h(
        'div',
        { id: this.bodyId, 'data-testid': 'answer-key-body', hidden: !key },
        key &&
          team && [
            h(
              'p',
              { class: 'field inline' },
              h('label', { for: selectId }, t('answers.team'), ' '),
              h(
                'select',
                {
                  id: selectId,
                  'data-testid': 'answer-key-team',
                  onchange: (event) => {
                    this.team = (event.target as HTMLSelectElement).value;
                    this.render();
                    this.element.querySelector<HTMLElement>('[data-testid="answer-key-team"]')?.focus();
                  },
                },
                key.teams.map((x) =>
                  h('option', { value: x.teamId, selected: x.teamId === team.teamId }, x.teamName),
                ),
              ),
            ),
            h(
              'table',
              { class: 'list answers', 'data-testid': 'answer-key-table', 'data-team-id': team.teamId },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', { scope: 'col' }, t('answers.objective')),
                  h('th', { scope: 'col' }, t('answers.kind')),
                  h('th', { scope: 'col' }, t('answers.expected')),
                ),
              ),
              h(
                'tbody',
                {},
                team.objectives.map((o, i) =>
                  h(
                    'tr',
                    {
                      'data-testid': 'answer-row',
                      'data-team-id': team.teamId,
                      'data-objective-id': o.objectiveId,
                      'data-match': o.expected.match,
                    },
                    h('th', { scope: 'row' }, `${i + 1}. ${pickText(o.title)}`),
                    h('td', {}, objectiveKindLabel(o.kind)),
                    h(
                      'td',
                      {},
                      expectedCell(o.expected),
                      o.description !== undefined &&
                        this.templated(o.objectiveId) &&
                        h(
                          'div',
                          { class: 'markdown small team-text', 'data-testid': 'answer-team-text' },
                          renderMarkdown(pickText(o.description)),
                        ),
                    ),
                  ),
                ),
              ),
            ),
          ],
      ),
    );
  }
}

function expectedCell(e: ExpectedAnswer): Node[] | Node {
  const value = (text: string) => h('code', { class: 'answer-value', 'data-testid': 'answer-value' }, text);
  const caseNote = (sensitive: boolean) =>
    !sensitive && h('span', { class: 'muted small' }, ` ${t('answers.caseInsensitive')}`);
  switch (e.match) {
    case 'exact':
      return h('span', {}, h('span', { class: 'muted small' }, `${t('answers.exact')} `), value(e.value));
    case 'regex':
      return h(
        'span',
        {},
        h('span', { class: 'muted small' }, `${t('answers.regex')} `),
        value(e.pattern),
        caseNote(e.caseSensitive),
      );
    case 'any-of':
      return h(
        'span',
        {},
        e.values.length > 1 && h('span', { class: 'muted small' }, `${t('answers.anyOf')} `),
        value(e.values[0] ?? ''),
        e.values
          .slice(1)
          .map((v) => [
            h('span', { class: 'muted small' }, ` ${t('answers.or')} `),
            h('code', { class: 'answer-alternative' }, v),
          ]),
        caseNote(e.caseSensitive),
      );
    case 'check': {
      const command = e.run.join(' ');
      const text = e.from
        ? t('answers.checkFrom', { command: '\u0000', host: e.host, from: e.from })
        : t('answers.check', { command: '\u0000', host: e.host });
      const [before = '', after = ''] = text.split('\u0000');
      return h(
        'span',
        { class: 'muted small', 'data-testid': 'answer-check' },
        before,
        h('code', { 'data-testid': 'answer-value' }, command),
        after,
      );
    }
  }
}

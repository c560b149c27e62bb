import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, t } from '../i18n/i18n.ts';
import type { Feedback } from './exercise-shared.ts';

interface Instructor {
  userId: string;
  name: string;
  launcher: boolean;
  assignedAt: number | null;
}

/**
 * "Instructors of this exercise": who reads its class evidence besides the organisation's org-admins
 * (the launcher and the assigned instructors, `GET /api/exercises/{id}/instructors`). For the
 * operator and the organisation's org-admins (`mayAssign` in the answer), a choice among the
 * organisation's instructors to assign (`PUT …/instructors/{userId}`) and a "Remove" per assigned one
 * (`DELETE`); the launcher stays. Everyone else sees the list only.
 */
export class ExerciseInstructorsPanel {
  readonly element = h('section', { class: 'panel', 'data-testid': 'instructors-panel' });
  private instructors: Instructor[] = [];
  private candidates: { userId: string; name: string }[] = [];
  private mayAssign = false;
  private loaded = false;
  private error = '';
  private feedback: Feedback;
  private busy = false;

  constructor(private readonly exerciseId: string) {
    this.render();
    void this.load();
  }

  async load(): Promise<void> {
    try {
      const answer = await client.get('/api/exercises/{id}/instructors', { path: { id: this.exerciseId } });
      this.instructors = answer.instructors;
      this.candidates = answer.candidates;
      this.mayAssign = answer.mayAssign;
      this.loaded = true;
      this.error = '';
    } catch (error) {
      this.error = describeError(error);
    }
    this.render();
  }

  relocalize(): void {
    this.render();
  }

  private async change(userId: string, assign: boolean, name: string): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const path = { id: this.exerciseId, userId };
      if (assign) await client.put('/api/exercises/{id}/instructors/{userId}', { path });
      else await client.delete('/api/exercises/{id}/instructors/{userId}', { path });
      this.feedback = {
        ok: true,
        text: () => t(assign ? 'instructors.assigned' : 'instructors.removed', { name }),
      };
    } catch (error) {
      this.feedback = { ok: false, text: () => describeError(error) };
    }
    this.busy = false;
    await this.load();
    this.element.querySelector<HTMLElement>('[data-testid="instructor-pick"]')?.focus();
  }

  private render(): void {
    const pickId = uid('instructor-pick');
    const assignedIds = new Set(this.instructors.filter((i) => i.assignedAt !== null).map((i) => i.userId));
    const launcherId = this.instructors.find((i) => i.launcher)?.userId;
    const choices = this.candidates.filter((c) => !assignedIds.has(c.userId) && c.userId !== launcherId);
    const feedback = this.feedback;
    replaceChildren(
      this.element,
      h('h2', {}, t('instructors.title')),
      h('p', { class: 'muted small' }, t('instructors.help')),
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
      this.loaded &&
        h(
          'ul',
          { class: 'instructor-list', 'data-testid': 'instructor-list' },
          this.instructors.length === 0 && h('li', { class: 'muted' }, t('instructors.none')),
          this.instructors.map((i) =>
            h(
              'li',
              { 'data-testid': 'instructor-row', 'data-user-id': i.userId },
              h('span', { class: 'instructor-name' }, i.name),
              ' ',
              h(
                'span',
                { class: 'muted small' },
                i.launcher
                  ? t('instructors.launcher')
                  : t('instructors.assignedAt', { at: formatDateTime(i.assignedAt ?? 0) }),
              ),
              this.mayAssign &&
                !i.launcher &&
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'link',
                    'data-testid': 'instructor-remove',
                    'aria-label': t('instructors.removeNamed', { name: i.name }),
                    disabled: this.busy,
                    onClick: () => void this.change(i.userId, false, i.name),
                  },
                  t('instructors.remove'),
                ),
            ),
          ),
        ),
      this.loaded &&
        this.mayAssign &&
        h(
          'form',
          {
            class: 'form inline-form',
            'data-testid': 'instructor-assign-form',
            onSubmit: (event: Event) => {
              event.preventDefault();
              const select = this.element.querySelector<HTMLSelectElement>('[data-testid="instructor-pick"]');
              const chosen = choices.find((c) => c.userId === select?.value);
              if (chosen) void this.change(chosen.userId, true, chosen.name);
            },
          },
          h(
            'div',
            { class: 'field' },
            h('label', { for: pickId }, t('instructors.pick')),
            h(
              'select',
              { id: pickId, 'data-testid': 'instructor-pick', disabled: choices.length === 0 || this.busy },
              choices.length === 0 && h('option', { value: '' }, t('instructors.noChoices')),
              choices.map((c) => h('option', { value: c.userId }, c.name)),
            ),
          ),
          h(
            'button',
            {
              type: 'submit',
              'data-testid': 'instructor-assign',
              disabled: choices.length === 0 || this.busy,
            },
            t('instructors.assign'),
          ),
        ),
      feedback &&
        h(
          'p',
          {
            class: feedback.ok ? 'good small' : 'error small',
            role: feedback.ok ? 'status' : 'alert',
            'data-testid': 'instructor-feedback',
          },
          feedback.text(),
        ),
    );
  }
}

import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatDateTime, t } from '../i18n/i18n.ts';
import { navigate } from '../router.ts';
import type { ExerciseStatus, ExerciseSummary } from '../types.ts';
import { exerciseBase, type Feedback } from './exercise-shared.ts';

/** What the actions panel reads from the exercise page and asks of it. */
export interface ActionsPage {
  state(): { status: ExerciseStatus | undefined; scoringStatus: string; frozen: boolean };
  /** The scoring status in words (as the page's head says it). */
  scoringLabel(): string;
  /** An action's answer (the exercise summary): the page merges it into its status and returns that. */
  summary(next: ExerciseSummary): ExerciseStatus;
  /** Scoring was started, ended, frozen or unfrozen from here. */
  scoringChanged(change: { status?: string; frozen?: boolean }): void;
  /** Re-render the head and this panel (and the teams, after a teardown). */
  changed(teams: boolean): void;
}

/**
 * The exercise page's actions: scoring start/freeze/end (ending confirmed first), a broadcast to
 * every team or a message to one, 30 more minutes, the result exports and the teardown (confirmed).
 */
export class ExerciseActionsPanel {
  readonly element = h('section', { class: 'panel' });
  private readonly broadcastInput: HTMLInputElement;
  /** Who the next message goes to: '' every team, else a team id. */
  private broadcastTo = '';
  private actionFeedback: Feedback;
  private confirmingTeardown = false;
  private confirmingScoringEnd = false;

  constructor(
    private readonly exerciseId: string,
    private readonly page: ActionsPage,
  ) {
    this.broadcastInput = h('input', {
      type: 'text',
      maxlength: 500,
      'data-testid': 'broadcast-input',
      id: uid('broadcast'),
    });
  }

  private async extend(): Promise<void> {
    try {
      const { expiresAt } = this.page.summary(
        await client.post('/api/exercises/{id}/extend', {
          path: { id: this.exerciseId },
          body: { by: '30m' },
        }),
      );
      this.actionFeedback = {
        ok: true,
        text: () => t('exercise.extended', { time: expiresAt !== null ? formatDateTime(expiresAt) : '—' }),
      };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.page.changed(false);
  }

  private async broadcast(): Promise<void> {
    const message = this.broadcastInput.value.trim();
    if (message === '') return;
    try {
      const to = this.page.state().status?.teams.find((team) => team.id === this.broadcastTo);
      await client.post('/api/exercises/{id}/broadcast', {
        path: { id: this.exerciseId },
        body: { message, ...(to ? { team: to.id } : {}) },
      });
      this.broadcastInput.value = '';
      this.actionFeedback = {
        ok: true,
        text: () =>
          to
            ? t('exercise.broadcastTeamDone', { message, team: to.name })
            : t('exercise.broadcastDone', { message }),
      };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.render();
  }

  private async scoringAction(action: 'start' | 'end' | 'freeze' | 'unfreeze'): Promise<void> {
    try {
      await client.post('/api/exercises/{id}/scoring/status', {
        path: { id: this.exerciseId },
        body: { action },
      });
      if (action === 'start') this.page.scoringChanged({ status: 'running' });
      if (action === 'end') this.page.scoringChanged({ status: 'ended' });
      if (action === 'freeze' || action === 'unfreeze')
        this.page.scoringChanged({ frozen: action === 'freeze' });
      this.actionFeedback = {
        ok: true,
        text: () => t('exercise.scoringDone', { status: this.page.scoringLabel() }),
      };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.page.changed(false);
  }

  private async teardown(): Promise<void> {
    this.confirmingTeardown = false;
    try {
      this.page.summary(await client.delete('/api/exercises/{id}', { path: { id: this.exerciseId } }));
      this.actionFeedback = { ok: true, text: () => t('exercise.endedDone') };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.page.changed(true);
  }

  render(): void {
    const { status, scoringStatus, frozen } = this.page.state();
    const broadcastId = this.broadcastInput.id;
    // Torn down: nothing left to score, extend, reset or tell; the page says so once.
    const over = status?.state === 'ended';
    this.broadcastInput.disabled = over;
    const f = this.actionFeedback;
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.actions')),
      h(
        'div',
        { class: 'row scoring-controls', role: 'group', 'aria-label': t('exercise.scoringControls') },
        h('strong', {}, t('exercise.scoringControls'), ': '),
        h(
          'span',
          { 'data-testid': 'scoring-status', 'data-status': scoringStatus },
          this.page.scoringLabel(),
        ),
        !over &&
          scoringStatus !== 'running' &&
          h(
            'button',
            {
              type: 'button',
              class: 'primary',
              'data-testid': 'scoring-start',
              onclick: () => void this.scoringAction('start'),
            },
            t(scoringStatus === 'ended' ? 'exercise.scoringRestart' : 'exercise.scoringStart'),
          ),
        !over &&
          scoringStatus === 'running' &&
          h(
            'button',
            {
              type: 'button',
              'data-testid': frozen ? 'scoring-unfreeze' : 'scoring-freeze',
              onclick: () => void this.scoringAction(frozen ? 'unfreeze' : 'freeze'),
            },
            t(frozen ? 'exercise.scoringUnfreeze' : 'exercise.scoringFreeze'),
          ),
        !over &&
          scoringStatus === 'running' &&
          !this.confirmingScoringEnd &&
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'scoring-end',
              onclick: () => {
                this.confirmingScoringEnd = true;
                this.render();
                this.element.querySelector<HTMLButtonElement>('[data-testid="scoring-end-confirm"]')?.focus();
              },
            },
            t('exercise.scoringEnd'),
          ),
      ),
      !over &&
        this.confirmingScoringEnd &&
        scoringStatus === 'running' &&
        h(
          'div',
          { class: 'confirm', role: 'group', 'aria-label': t('exercise.scoringEnd') },
          h('p', {}, t('exercise.scoringEndConfirm')),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'scoring-end-confirm',
              onclick: () => {
                this.confirmingScoringEnd = false;
                void this.scoringAction('end');
              },
            },
            t('exercise.scoringEndYes'),
          ),
          ' ',
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                this.confirmingScoringEnd = false;
                this.render();
              },
            },
            t('common.cancel'),
          ),
        ),
      !over && scoringStatus === 'pending' && h('p', { class: 'warn' }, t('exercise.scoringPending')),
      h(
        'form',
        {
          class: 'form',
          onsubmit: (event) => {
            event.preventDefault();
            void this.broadcast();
          },
        },
        h('label', { for: broadcastId }, t('exercise.broadcastLabel')),
        h(
          'div',
          { class: 'row' },
          h('label', { for: `${broadcastId}-to`, class: 'sr-only' }, t('exercise.broadcastTo')),
          h(
            'select',
            {
              id: `${broadcastId}-to`,
              'data-testid': 'broadcast-to',
              disabled: over,
              onchange: (event) => {
                this.broadcastTo = (event.target as HTMLSelectElement).value;
              },
            },
            h('option', { value: '', selected: this.broadcastTo === '' }, t('exercise.broadcastEveryone')),
            (status?.teams ?? []).map((team) =>
              h('option', { value: team.id, selected: this.broadcastTo === team.id }, team.name),
            ),
          ),
          this.broadcastInput,
          h(
            'button',
            { type: 'submit', class: 'primary', 'data-testid': 'broadcast-submit', disabled: over },
            t('exercise.broadcast'),
          ),
        ),
      ),
      h(
        'div',
        { class: 'row buttons' },
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'extend-button',
            disabled: over,
            onclick: () => void this.extend(),
          },
          t('exercise.extend'),
        ),
        h(
          'a',
          {
            class: 'button-link',
            href: `${exerciseBase(this.exerciseId)}/results?format=csv`,
            download: '',
            'data-testid': 'export-csv',
          },
          t('exercise.exportCsv'),
        ),
        h(
          'a',
          {
            class: 'button-link',
            href: `${exerciseBase(this.exerciseId)}/results?format=json`,
            download: '',
            'data-testid': 'export-json',
          },
          t('exercise.exportJson'),
        ),
        !this.confirmingTeardown &&
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'teardown-button',
              disabled: status?.state === 'ended',
              onclick: () => {
                this.confirmingTeardown = true;
                this.render();
                this.element.querySelector<HTMLButtonElement>('[data-testid="teardown-confirm"]')?.focus();
              },
            },
            t('exercise.teardown'),
          ),
      ),
      this.confirmingTeardown &&
        h(
          'div',
          { class: 'confirm', role: 'group', 'aria-label': t('exercise.teardown') },
          h('p', {}, t('exercise.teardownConfirm')),
          h(
            'button',
            {
              type: 'button',
              class: 'danger',
              'data-testid': 'teardown-confirm',
              onclick: () => void this.teardown(),
            },
            t('exercise.teardownYes'),
          ),
          ' ',
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                this.confirmingTeardown = false;
                this.render();
              },
            },
            t('common.cancel'),
          ),
        ),
      h(
        'p',
        { role: 'status', 'aria-live': 'polite', class: f ? (f.ok ? 'good' : 'error') : '' },
        f?.text() ?? '',
      ),
      h(
        'p',
        { class: 'muted small' },
        t('exercise.backToList'),
        ' ',
        h(
          'a',
          {
            href: '#/instructor',
            onclick: (e) => {
              e.preventDefault();
              navigate('#/instructor');
            },
          },
          t('nav.instructor'),
        ),
      ),
    );
  }
}

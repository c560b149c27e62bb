import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatNumber, locale, pickText, t } from '../i18n/i18n.ts';
import { renderMarkdown } from '../markdown.ts';
import type { LockedObjective, PlayObjective, SubmitOutcome } from '../types.ts';

type Feedback = { outcome: SubmitOutcome; points?: number; retrySeconds?: number } | { error: string };
type CheckFeedback =
  | { passed: boolean; solved: boolean; exitCode: number | null; timedOut: boolean; reason?: string }
  | { error: string };

/** Where scoring and the exercise stand, as the trainee's page knows it (pushed over `/scoring`). */
export interface CardLiveState {
  /** The scoring status: `pending` (not started), `running` or `ended`. */
  scoring: string;
  /** The exercise has ended (or is ending): nothing can be sent any more. */
  over: boolean;
}

/**
 * One objective of the trainee's team (`objective`): its text, the answer form with feedback for
 * every outcome, hints with their cost (revealed after a confirmation), and "run check" for check
 * objectives. The answer field survives updates and language switches.
 */
export class ObjectiveCard {
  readonly element: HTMLElement;
  private readonly head = h('header', { class: 'objective-head' });
  private readonly texts = h('div', { class: 'objective-texts' });
  private readonly form: HTMLFormElement;
  private readonly label: HTMLLabelElement;
  private readonly input: HTMLInputElement;
  private readonly submitButton: HTMLButtonElement;
  private readonly feedback: HTMLElement;
  private readonly checkBlock: HTMLElement;
  private readonly checkHelp = h('p', { class: 'muted' });
  private readonly checkButton: HTMLButtonElement;
  private readonly checkFeedback: HTMLElement;
  private readonly hintsSlot = h('div', { class: 'hints' });
  /** What was accepted, on a solved objective (also after a reload). */
  private readonly acceptedSlot = h('div', {});
  private feedbackState: Feedback | undefined;
  private checkState: CheckFeedback | undefined;
  private confirming: string | undefined;
  private busy = false;
  private retryUntil = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private hintError = '';
  private live: CardLiveState = { scoring: '', over: false };

  constructor(
    private objective: PlayObjective,
    /** Something changed for the team (solve, hint): reload the objectives. */
    private readonly changed: () => void,
  ) {
    const inputId = uid('answer');
    const feedbackId = uid('feedback');
    this.input = h('input', {
      id: inputId,
      type: 'text',
      autocomplete: 'off',
      spellcheck: 'false',
      maxlength: 1024,
      'data-testid': 'answer-input',
      'aria-describedby': feedbackId,
    });
    this.label = h('label', { for: inputId });
    this.submitButton = h('button', { type: 'submit', class: 'primary', 'data-testid': 'answer-submit' });
    this.feedback = h('p', {
      id: feedbackId,
      class: 'feedback',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'answer-feedback',
    });
    this.form = h(
      'form',
      {
        class: 'answer',
        onsubmit: (event) => {
          event.preventDefault();
          void this.submit();
        },
      },
      this.label,
      h('div', { class: 'row' }, this.input, this.submitButton),
      this.feedback,
    );
    this.checkButton = h('button', {
      type: 'button',
      'data-testid': 'check-button',
      onclick: () => void this.runCheck(),
    });
    this.checkFeedback = h('p', {
      class: 'feedback',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'check-feedback',
    });
    this.checkBlock = h('div', { class: 'check' }, this.checkHelp, this.checkButton, this.checkFeedback);
    this.element = h(
      'article',
      { class: 'objective', 'data-testid': 'objective', 'data-objective-id': objective.id },
      this.head,
      this.texts,
      this.acceptedSlot,
      this.form,
      this.checkBlock,
      this.hintsSlot,
    );
    this.render();
  }

  update(objective: PlayObjective): void {
    this.objective = objective;
    this.render();
  }

  relocalize(): void {
    this.render();
  }

  /** Scoring opened or closed, or the exercise ended: the card's buttons and messages follow. */
  setLive(live: CardLiveState): void {
    if (live.scoring === this.live.scoring && live.over === this.live.over) return;
    this.live = live;
    this.render();
  }

  dispose(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
  }

  /** Updates the card in place: the answer field and the live regions are never replaced. */
  private render(): void {
    const o = this.objective;
    const titleId = `${this.input.id}-title`;
    this.element.setAttribute('aria-labelledby', titleId);
    this.element.dataset['solved'] = String(o.solved);
    this.element.classList.toggle('solved', o.solved);
    const waiting = this.retryUntil > Date.now();
    // after the end (of scoring or of the exercise) there is nothing left to send
    const closed = this.live.over || this.live.scoring === 'ended';
    replaceChildren(
      this.head,
      h('h3', { id: titleId }, pickText(o.title)),
      h(
        'span',
        { class: 'points' },
        t('objective.points', { points: o.value }),
        o.solves > 0 && h('span', { class: 'muted' }, ' · ', t('objective.solves', { count: o.solves })),
      ),
      o.solved && h('span', { class: 'badge ok' }, '✓ ', t('objective.solved')),
    );
    const description = pickText(o.description);
    const question = pickText(o.question?.text);
    replaceChildren(
      this.texts,
      description !== '' && h('div', { class: 'markdown' }, renderMarkdown(description)),
      question !== '' && h('div', { class: 'markdown question' }, renderMarkdown(question)),
    );
    this.renderAccepted();
    this.form.hidden = o.kind === 'check';
    this.label.textContent = t(o.kind === 'flag' ? 'objective.flag' : 'objective.answer');
    this.input.disabled = o.solved || closed;
    this.submitButton.textContent = t('objective.submit');
    this.submitButton.disabled = o.solved || this.busy || waiting || closed;
    this.checkBlock.hidden = o.kind !== 'check';
    this.checkHelp.textContent = t(
      o.checkEveryMs !== undefined ? 'objective.checkAuto' : 'objective.checkHelp',
    );
    this.checkButton.textContent = t('objective.runCheck');
    this.checkButton.disabled = o.solved || this.busy || waiting || closed;
    this.renderFeedback();
    this.renderCheckFeedback();
    this.renderHints();
  }

  private renderAccepted(): void {
    const o = this.objective;
    const accepted = o.solved ? o.accepted : undefined;
    replaceChildren(
      this.acceptedSlot,
      accepted !== undefined &&
        h(
          'p',
          { class: 'accepted', 'data-testid': 'accepted-answer', 'data-kind': o.kind },
          o.kind === 'check'
            ? accepted !== ''
              ? t('objective.acceptedCheck', { reason: accepted })
              : t('objective.acceptedCheckPlain')
            : [t('objective.accepted'), ' ', h('code', { class: 'answer-text' }, accepted)],
        ),
    );
  }

  private renderHints(): void {
    const o = this.objective;
    this.hintsSlot.hidden = o.hints.length === 0;
    replaceChildren(
      this.hintsSlot,
      o.hints.length > 0 && h('h4', {}, t('objective.hints')),
      h(
        'ul',
        {},
        o.hints.map((hint, index) => {
          const text = pickText(hint.text);
          if (hint.unlocked || text !== '')
            return h(
              'li',
              { class: 'hint', 'data-hint-id': hint.id },
              h('span', { class: 'muted' }, t('objective.hintN', { n: index + 1 })),
              h('div', { class: 'markdown' }, renderMarkdown(text)),
            );
          if (this.confirming === hint.id)
            return h(
              'li',
              { class: 'hint confirm', 'data-hint-id': hint.id },
              // the group inside the item: a list item keeps its role, so the list stays a list
              h(
                'div',
                { role: 'group', 'aria-label': t('objective.hintN', { n: index + 1 }) },
                h('p', {}, t('objective.hintConfirm', { cost: hint.cost })),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary',
                    'data-testid': 'hint-confirm',
                    disabled: this.busy,
                    onclick: () => void this.unlock(hint.id),
                  },
                  t('objective.hintReveal'),
                ),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    'data-testid': 'hint-cancel',
                    onclick: () => {
                      this.confirming = undefined;
                      this.renderHints();
                      this.hintsSlot
                        .querySelector<HTMLButtonElement>(`[data-hint-id="${hint.id}"] button`)
                        ?.focus();
                    },
                  },
                  t('common.cancel'),
                ),
              ),
            );
          return h(
            'li',
            { class: 'hint', 'data-hint-id': hint.id },
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'hint-button',
                'data-hint-id': hint.id,
                'data-cost': hint.cost,
                disabled: this.live.over || this.live.scoring === 'ended',
                onclick: () => {
                  this.confirming = hint.id;
                  this.renderHints();
                  this.hintsSlot.querySelector<HTMLButtonElement>('[data-testid="hint-confirm"]')?.focus();
                },
              },
              t('objective.hintButton', { n: index + 1, cost: hint.cost }),
            ),
          );
        }),
      ),
      this.hintError !== '' && h('p', { class: 'error', role: 'alert' }, this.hintError),
    );
  }

  private renderFeedback(): void {
    const f = this.feedbackState;
    this.feedback.className = 'feedback';
    if (!f) {
      this.feedback.textContent = '';
      delete this.feedback.dataset['outcome'];
      return;
    }
    if ('error' in f) {
      this.feedback.textContent = f.error;
      this.feedback.dataset['outcome'] = 'error';
      this.feedback.classList.add('bad');
      return;
    }
    // before the instructor starts scoring, the server answers `closed`: the trainee is told why
    const notStarted = f.outcome === 'closed' && this.live.scoring === 'pending';
    this.feedback.dataset['outcome'] = notStarted ? 'not-started' : f.outcome;
    this.feedback.classList.add(
      f.outcome === 'correct' ? 'good' : f.outcome === 'already-solved' ? 'info' : 'bad',
    );
    switch (f.outcome) {
      case 'correct':
        this.feedback.textContent =
          f.points !== undefined ? t('feedback.correctPoints', { points: f.points }) : t('feedback.correct');
        break;
      case 'wrong':
        this.feedback.textContent = t('feedback.wrong');
        break;
      case 'locked':
        this.feedback.textContent = t('feedback.locked');
        break;
      case 'already-solved':
        this.feedback.textContent = t('feedback.alreadySolved');
        break;
      case 'closed':
        this.feedback.textContent = t(notStarted ? 'feedback.notStarted' : 'feedback.closed');
        break;
      case 'rate-limited':
        this.feedback.textContent = t('feedback.rateLimited', { seconds: f.retrySeconds ?? 60 });
        break;
    }
  }

  private renderCheckFeedback(): void {
    const c = this.checkState;
    this.checkFeedback.className = 'feedback';
    if (!c) {
      this.checkFeedback.textContent = '';
      delete this.checkFeedback.dataset['passed'];
      return;
    }
    if ('error' in c) {
      this.checkFeedback.textContent = c.error;
      this.checkFeedback.classList.add('bad');
      this.checkFeedback.dataset['passed'] = 'false';
      return;
    }
    this.checkFeedback.dataset['passed'] = String(c.passed);
    this.checkFeedback.classList.add(c.passed ? 'good' : 'bad');
    const reason = c.reason ?? '';
    this.checkFeedback.dataset['reason'] = reason;
    this.checkFeedback.textContent = c.passed
      ? reason !== ''
        ? t(c.solved ? 'check.passedSolvedReason' : 'check.passedReason', { reason })
        : t(c.solved ? 'check.passedSolved' : 'check.passed')
      : c.timedOut
        ? t('check.timedOut')
        : reason !== ''
          ? t('check.failedReason', { reason })
          : t('check.failed', { code: c.exitCode === null ? '—' : formatNumber(c.exitCode) });
  }

  private async submit(): Promise<void> {
    const answer = this.input.value.trim();
    if (answer === '' || this.busy) return;
    this.busy = true;
    this.render();
    try {
      const result = await client.post('/api/play/submissions', {
        body: { objective: this.objective.id, answer },
      });
      this.feedbackState = {
        outcome: result.outcome,
        ...(result.points !== undefined ? { points: result.points } : {}),
      };
      if (result.outcome === 'correct') this.input.value = '';
      if (result.outcome === 'correct' || result.outcome === 'already-solved') this.changed();
    } catch (error) {
      const retry = rateLimit(error);
      if (retry !== undefined) {
        this.feedbackState = { outcome: 'rate-limited', retrySeconds: retry };
        this.waitFor(retry);
      } else this.feedbackState = { error: describeError(error) };
    }
    this.busy = false;
    this.render();
    if (!this.input.disabled) this.input.focus();
  }

  private async unlock(hint: string): Promise<void> {
    this.busy = true;
    this.hintError = '';
    this.render();
    try {
      await client.post('/api/play/hints', { body: { objective: this.objective.id, hint } });
      this.confirming = undefined;
      this.changed();
    } catch (error) {
      this.hintError = describeError(error);
    }
    this.busy = false;
    this.render();
  }

  private async runCheck(): Promise<void> {
    this.busy = true;
    this.checkState = undefined;
    this.render();
    try {
      const result = await client.post('/api/play/checks', { body: { objective: this.objective.id } });
      this.checkState = result;
      if (result.solved) this.changed();
    } catch (error) {
      const retry = rateLimit(error);
      if (retry !== undefined) this.waitFor(retry);
      this.checkState = {
        error: retry !== undefined ? t('check.rateLimited', { seconds: retry }) : describeError(error),
      };
    }
    this.busy = false;
    this.render();
  }

  /** Buttons stay disabled until the server accepts attempts again. */
  private waitFor(seconds: number): void {
    this.retryUntil = Date.now() + seconds * 1000;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.render();
    }, seconds * 1000);
  }
}

/** Seconds to wait, when the error is a rate limit. */
function rateLimit(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || (error.code !== 'RATE_LIMITED' && error.status !== 429))
    return undefined;
  const ms = error.details?.['retryAfterMs'];
  if (typeof ms === 'number') return Math.max(1, Math.ceil(ms / 1000));
  return error.retryAfterSeconds ?? 60;
}

/**
 * An objective the team cannot work on yet (`objective-locked`): its title, and the objectives that
 * open it (`unlocks-after`). Nothing else of it is known to the page.
 */
export function lockedCard(objective: LockedObjective): HTMLElement {
  const titleId = uid('locked');
  return h(
    'article',
    {
      class: 'objective locked',
      'data-testid': 'objective-locked',
      'data-objective-id': objective.id,
      'aria-labelledby': titleId,
    },
    h(
      'header',
      { class: 'objective-head' },
      h('h3', { id: titleId }, pickText(objective.title)),
      h('span', { class: 'badge' }, t('objective.locked')),
    ),
    objective.requires.length > 0 &&
      h(
        'p',
        { class: 'muted', 'data-testid': 'unlocks-after' },
        t('objective.unlocksAfter', {
          titles: objective.requires.map((r) => pickText(r.title)).join(locale() === 'ja' ? '、' : ', '),
        }),
      ),
  );
}

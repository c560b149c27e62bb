import type { HelpRequest } from '../types.ts';
import { ApiError } from '../api.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatTime, pickText, t } from '../i18n/i18n.ts';
import type { ScoringSocket } from '../scoring-connection.ts';
import type { LocalizedText } from '../types.ts';

/** The longest text a request may carry (the server's limit). */
const MAX_MESSAGE = 500;

/** What the panel reads from the page when the form opens: the team's objectives and hosts. */
export interface HelpContext {
  objectives: () => readonly { id: string; title: LocalizedText }[];
  hosts: () => readonly string[];
}

/**
 * The trainee's "Ask for help" (`help-panel`): a short optional text, optionally about one objective
 * and one host, sent to the exercise's instructors. Shows the state of the team's latest request
 * (`help-status[data-state]`: `open` = sent, `acknowledged` = seen, `resolved`), pushed over the
 * page's `/scoring` socket (`help:update`) and read again after a reconnect. A team has at most one
 * unresolved request and asks at most once a minute: the server's refusals are said in words.
 */
export class HelpRequestPanel {
  readonly element = h('section', { class: 'panel help-panel', 'data-testid': 'help-panel' });
  private request: HelpRequest | null = null;
  private formOpen = false;
  private sending = false;
  /** The last refusal, said at each render (so it follows a language switch). */
  private error: (() => string) | undefined;
  private readonly messageInput = h('textarea', {
    'data-testid': 'help-message',
    id: uid('help-message'),
    maxlength: MAX_MESSAGE,
    rows: 2,
  });
  private objective = '';
  private host = '';
  private disposed = false;
  private readonly onUpdate = (request: HelpRequest) => {
    if (this.request && request.id !== this.request.id && request.createdAt < this.request.createdAt) return;
    this.request = request;
    this.render();
  };
  private readonly onReconnect = () => void this.load();

  constructor(
    private readonly socket: ScoringSocket,
    private readonly context: HelpContext,
  ) {
    socket.on('help:update', this.onUpdate);
    socket.io.on('reconnect', this.onReconnect);
    this.render();
    void this.load();
  }

  relocalize(): void {
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    this.socket.off('help:update', this.onUpdate);
    this.socket.io.off('reconnect', this.onReconnect);
  }

  private async load(): Promise<void> {
    try {
      const state = await client.get('/api/play/help');
      if (this.disposed) return;
      this.request = state.request;
      this.render();
    } catch {
      // asked again on the next reconnect; the button still works
    }
  }

  private async withdraw(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    this.error = undefined;
    try {
      this.request = await client.delete('/api/play/help');
    } catch (error) {
      this.error = () => describeHelpError(error);
      void this.load();
    } finally {
      this.sending = false;
    }
    this.render();
    this.element
      .querySelector<HTMLElement>('[data-testid="help-status"], [data-testid="help-error"]')
      ?.focus();
  }

  private async send(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    this.error = undefined;
    this.render();
    try {
      const message = this.messageInput.value.trim();
      this.request = await client.post('/api/play/help', {
        body: {
          ...(message !== '' ? { message } : {}),
          ...(this.objective !== '' ? { objective: this.objective } : {}),
          ...(this.host !== '' ? { host: this.host } : {}),
        },
      });
      this.formOpen = false;
      this.messageInput.value = '';
      this.objective = '';
      this.host = '';
    } catch (error) {
      this.error = () => describeHelpError(error);
      // the open request that refused this one is the state to show
      const open =
        error instanceof ApiError ? (error.details?.['request'] as HelpRequest | undefined) : undefined;
      if (open) this.request = open;
    } finally {
      this.sending = false;
    }
    this.render();
    this.element
      .querySelector<HTMLElement>('[data-testid="help-status"], [data-testid="help-error"]')
      ?.focus();
  }

  private render(): void {
    const r = this.request;
    const unresolved = r !== null && r.state !== 'resolved';
    const objectives = this.context.objectives();
    const hosts = this.context.hosts();
    const objectiveTitle = (id: string) => pickText(objectives.find((o) => o.id === id)?.title) || id;
    const about = r
      ? [r.objectiveId !== null ? objectiveTitle(r.objectiveId) : '', r.host ?? ''].filter((x) => x !== '')
      : [];
    const messageId = this.messageInput.id;
    replaceChildren(
      this.element,
      h('h2', {}, t('help.title')),
      r &&
        h(
          'div',
          {
            class: `help-status help-${r.state}`,
            'data-testid': 'help-status',
            'data-state': r.state,
            'data-request-id': r.id,
            role: 'status',
            tabindex: -1,
          },
          h(
            'span',
            { class: `badge ${r.state === 'resolved' ? 'ok' : r.state === 'acknowledged' ? 'warn' : ''}` },
            t(r.withdrawn ? 'help.badgeWithdrawn' : badgeKey(r.state)),
          ),
          ' ',
          r.state === 'open'
            ? t('help.stateOpen', { time: formatTime(r.createdAt), name: r.requestedBy })
            : r.state === 'acknowledged'
              ? t('help.stateAcknowledged', { time: formatTime(r.acknowledgedAt ?? r.createdAt) })
              : r.withdrawn
                ? t('help.stateWithdrawn', { time: formatTime(r.resolvedAt ?? r.createdAt) })
                : t('help.stateResolved', { time: formatTime(r.createdAt) }),
          unresolved &&
            about.length > 0 &&
            h(
              'span',
              { class: 'muted small help-about' },
              ` ${t('help.about', { what: about.join(' · ') })}`,
            ),
          unresolved &&
            r.message !== '' &&
            h('p', { class: 'help-text' }, t('help.yourText', { message: r.message })),
        ),
      unresolved &&
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'help-withdraw',
            disabled: this.sending,
            onclick: () => void this.withdraw(),
          },
          t('help.withdraw'),
        ),
      !r && h('p', { class: 'muted small' }, t('help.intro')),
      !unresolved &&
        !this.formOpen &&
        h(
          'button',
          {
            type: 'button',
            'data-testid': 'help-ask',
            onclick: () => {
              this.formOpen = true;
              this.error = undefined;
              this.render();
              this.messageInput.focus();
            },
          },
          t('help.ask'),
        ),
      !unresolved &&
        this.formOpen &&
        h(
          'form',
          {
            class: 'form help-form',
            'data-testid': 'help-form',
            onsubmit: (event) => {
              event.preventDefault();
              void this.send();
            },
          },
          h('label', { for: messageId }, t('help.message')),
          this.messageInput,
          h(
            'div',
            { class: 'row' },
            objectives.length > 0 &&
              h(
                'label',
                { class: 'help-choice' },
                t('help.objective'),
                h(
                  'select',
                  {
                    'data-testid': 'help-objective',
                    onchange: (event) => {
                      this.objective = (event.target as HTMLSelectElement).value;
                    },
                  },
                  h('option', { value: '', selected: this.objective === '' }, t('help.none')),
                  objectives.map((o) =>
                    h(
                      'option',
                      { value: o.id, selected: this.objective === o.id },
                      pickText(o.title) || o.id,
                    ),
                  ),
                ),
              ),
            hosts.length > 0 &&
              h(
                'label',
                { class: 'help-choice' },
                t('help.host'),
                h(
                  'select',
                  {
                    'data-testid': 'help-host',
                    onchange: (event) => {
                      this.host = (event.target as HTMLSelectElement).value;
                    },
                  },
                  h('option', { value: '', selected: this.host === '' }, t('help.none')),
                  hosts.map((name) => h('option', { value: name, selected: this.host === name }, name)),
                ),
              ),
          ),
          h(
            'div',
            { class: 'row buttons' },
            h(
              'button',
              { type: 'submit', class: 'primary', 'data-testid': 'help-submit', disabled: this.sending },
              t(this.sending ? 'help.sending' : 'help.send'),
            ),
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'help-cancel',
                onclick: () => {
                  this.formOpen = false;
                  this.error = undefined;
                  this.render();
                },
              },
              t('common.cancel'),
            ),
          ),
        ),
      this.error &&
        h('p', { class: 'error', role: 'alert', 'data-testid': 'help-error', tabindex: -1 }, this.error()),
    );
  }
}

function badgeKey(state: HelpRequest['state']) {
  return state === 'open'
    ? 'help.badgeOpen'
    : state === 'acknowledged'
      ? 'help.badgeAcknowledged'
      : 'help.badgeResolved';
}

/** The server's refusals of a request, in the trainee's words. */
function describeHelpError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === 'CONFLICT') return t('help.errorOpen');
    if (error.code === 'EXERCISE_ENDED') return t('help.errorEnded');
    if (error.code === 'RATE_LIMITED') {
      const ms = error.details?.['retryAfterMs'];
      const seconds =
        typeof ms === 'number' ? Math.max(1, Math.ceil(ms / 1000)) : (error.retryAfterSeconds ?? 60);
      return t('help.errorTooSoon', { seconds });
    }
  }
  return describeError(error);
}

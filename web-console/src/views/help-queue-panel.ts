import type { HelpRequest } from '../types.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatRelative, formatTime, t } from '../i18n/i18n.ts';
import type { ScoringSocket } from '../scoring-connection.ts';

/** What the panel reads from the exercise page: team names and objective titles. */
export interface HelpQueueContext {
  teamName: (teamId: string) => string;
  objectiveTitle: (objectiveId: string) => string;
}

/**
 * The instructor's queue of help requests on the exercise page (`help-queue`): the open and seen
 * requests (team, who, when, what about, the text) with "Acknowledge", "Resolve" and a reply to
 * that team through the message-to-one-team broadcast; the latest resolved ones folded below. New
 * requests arrive pushed on the page's `/scoring` socket (`help:update`, instructors' room) and are
 * announced; the list is read again whenever the socket (re)connects.
 */
export class HelpQueuePanel {
  readonly element = h('section', { class: 'panel help-queue', 'data-testid': 'help-queue' });
  private readonly requests = new Map<string, HelpRequest>();
  private replyTo: string | undefined;
  private readonly replyInput = h('input', {
    type: 'text',
    maxlength: 500,
    'data-testid': 'help-reply-input',
    id: uid('help-reply'),
  });
  private feedback: { ok: boolean; text: () => string } | undefined;
  private readonly live = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  private disposed = false;
  private readonly onUpdate = (request: HelpRequest) => {
    if (request.exerciseId !== this.exerciseId) return;
    const known = this.requests.has(request.id);
    this.requests.set(request.id, request);
    if (!known && request.state === 'open')
      this.live.textContent = t('helpQueue.new', { team: this.context.teamName(request.teamId) });
    this.render();
  };
  private readonly onConnect = () => void this.load();

  constructor(
    private readonly exerciseId: string,
    private readonly socket: ScoringSocket,
    private readonly context: HelpQueueContext,
  ) {
    socket.on('help:update', this.onUpdate);
    socket.on('connect', this.onConnect);
    this.render();
    void this.load();
  }

  relocalize(): void {
    // an announcement of the moment, not re-read in the new language
    this.live.textContent = '';
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    this.socket.off('help:update', this.onUpdate);
    this.socket.off('connect', this.onConnect);
  }

  private async load(): Promise<void> {
    try {
      const result = await client.get('/api/exercises/{id}/help-requests', { path: { id: this.exerciseId } });
      if (this.disposed) return;
      this.requests.clear();
      for (const r of result.requests) this.requests.set(r.id, r);
      this.render();
    } catch {
      // pushed ones still arrive; the next connect reads the list again
    }
  }

  private async act(request: HelpRequest, action: 'acknowledge' | 'resolve'): Promise<void> {
    try {
      const path = { id: this.exerciseId, request: request.id };
      const updated =
        action === 'acknowledge'
          ? await client.post('/api/exercises/{id}/help-requests/{request}/acknowledge', { path })
          : await client.post('/api/exercises/{id}/help-requests/{request}/resolve', { path });
      this.requests.set(updated.id, updated);
      this.feedback = undefined;
      if (action === 'resolve' && this.replyTo === request.id) this.replyTo = undefined;
    } catch (error) {
      this.feedback = { ok: false, text: () => describeError(error) };
    }
    this.render();
  }

  private async reply(request: HelpRequest): Promise<void> {
    const message = this.replyInput.value.trim();
    if (message === '') return;
    const team = this.context.teamName(request.teamId);
    try {
      await client.post('/api/exercises/{id}/broadcast', {
        path: { id: this.exerciseId },
        body: { message, team: request.teamId },
      });
      this.replyInput.value = '';
      this.replyTo = undefined;
      this.feedback = { ok: true, text: () => t('exercise.broadcastTeamDone', { message, team }) };
    } catch (error) {
      this.feedback = { ok: false, text: () => describeError(error) };
    }
    this.render();
  }

  private render(): void {
    const all = [...this.requests.values()];
    const unresolved = all.filter((r) => r.state !== 'resolved').sort((a, b) => a.createdAt - b.createdAt);
    const resolved = all
      .filter((r) => r.state === 'resolved')
      .sort((a, b) => (b.resolvedAt ?? 0) - (a.resolvedAt ?? 0));
    const f = this.feedback;
    // keep the reply field (and what is typed in it) when the list is redrawn
    const typing = document.activeElement === this.replyInput;
    replaceChildren(
      this.element,
      h(
        'h2',
        {},
        unresolved.length > 0 ? t('helpQueue.titleOpen', { count: unresolved.length }) : t('helpQueue.title'),
      ),
      this.live,
      unresolved.length === 0 && h('p', { class: 'muted' }, t('helpQueue.none')),
      unresolved.length > 0 &&
        h(
          'ul',
          { class: 'help-list', 'data-testid': 'help-list' },
          unresolved.map((r) => this.row(r)),
        ),
      f && h('p', { class: f.ok ? 'good' : 'error', role: f.ok ? 'status' : 'alert' }, f.text()),
      resolved.length > 0 &&
        h(
          'details',
          { class: 'help-resolved' },
          h('summary', {}, t('helpQueue.resolvedList', { count: resolved.length })),
          h(
            'ul',
            { class: 'help-list' },
            resolved.map((r) => this.row(r)),
          ),
        ),
    );
    if (typing) this.replyInput.focus();
  }

  private row(r: HelpRequest): HTMLElement {
    const team = this.context.teamName(r.teamId);
    const about = [
      r.objectiveId !== null ? this.context.objectiveTitle(r.objectiveId) : '',
      r.host ?? '',
    ].filter((x) => x !== '');
    const replying = this.replyTo === r.id;
    return h(
      'li',
      {
        class: `help-row help-${r.state}`,
        'data-testid': 'help-row',
        'data-request-id': r.id,
        'data-team-id': r.teamId,
        'data-state': r.state,
      },
      h(
        'div',
        { class: 'help-row-head' },
        h('strong', {}, team),
        ' ',
        h(
          'span',
          { class: `badge ${r.state === 'open' ? 'bad' : r.state === 'acknowledged' ? 'warn' : 'ok'}` },
          t(
            r.state === 'open'
              ? 'helpQueue.stateOpen'
              : r.state === 'acknowledged'
                ? 'helpQueue.stateAcknowledged'
                : 'helpQueue.stateResolved',
          ),
        ),
        ' ',
        h(
          'span',
          { class: 'muted small' },
          t('helpQueue.asked', { name: r.requestedBy, time: formatTime(r.createdAt) }),
          ` (${formatRelative(r.createdAt)})`,
          r.state === 'acknowledged' &&
            r.acknowledgedAt !== null &&
            ` · ${t('helpQueue.seenBy', { name: r.acknowledgedBy ?? '', time: formatTime(r.acknowledgedAt) })}`,
          r.state === 'resolved' &&
            r.resolvedAt !== null &&
            ` · ${
              r.withdrawn
                ? t('helpQueue.withdrawn', { time: formatTime(r.resolvedAt) })
                : t('helpQueue.resolvedBy', { name: r.resolvedBy ?? '', time: formatTime(r.resolvedAt) })
            }`,
        ),
      ),
      about.length > 0 && h('p', { class: 'small' }, t('help.about', { what: about.join(' · ') })),
      h(
        'p',
        { class: r.message === '' ? 'muted help-text' : 'help-text', 'data-testid': 'help-text' },
        r.message === '' ? t('helpQueue.noMessage') : r.message,
      ),
      r.state !== 'resolved' &&
        h(
          'div',
          { class: 'row buttons' },
          r.state === 'open' &&
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'help-acknowledge',
                onclick: () => void this.act(r, 'acknowledge'),
              },
              t('helpQueue.acknowledge'),
            ),
          h(
            'button',
            {
              type: 'button',
              class: 'primary',
              'data-testid': 'help-resolve',
              onclick: () => void this.act(r, 'resolve'),
            },
            t('helpQueue.resolve'),
          ),
          !replying &&
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'help-reply',
                onclick: () => {
                  this.replyTo = r.id;
                  this.render();
                  this.replyInput.focus();
                },
              },
              t('helpQueue.reply'),
            ),
        ),
      replying &&
        r.state !== 'resolved' &&
        h(
          'form',
          {
            class: 'form',
            onsubmit: (event) => {
              event.preventDefault();
              void this.reply(r);
            },
          },
          h('label', { for: this.replyInput.id }, t('helpQueue.replyLabel', { team })),
          h(
            'div',
            { class: 'row' },
            this.replyInput,
            h(
              'button',
              { type: 'submit', class: 'primary', 'data-testid': 'help-reply-send' },
              t('helpQueue.replySend'),
            ),
            h(
              'button',
              {
                type: 'button',
                onclick: () => {
                  this.replyTo = undefined;
                  this.render();
                },
              },
              t('common.cancel'),
            ),
          ),
        ),
    );
  }
}

import { client } from '../api-client.ts';
import { boardTable, Tabs, timelineList } from '../components.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren } from '../dom.ts';
import { isNewer, mergeRows } from '../scoreboard-state.ts';
import { formatDateTime, formatNumber, formatTime, locale, pickText, t } from '../i18n/i18n.ts';
import { exerciseStateLabel } from '../labels.ts';
import { renderMarkdown } from '../markdown.ts';
import { connectScoring, type ScoringSocket } from '../scoring-connection.ts';
import { TerminalConnection } from '../terminal/terminal-connection.ts';
import { TerminalPane } from '../terminal/terminal-pane.ts';
import type {
  BoardRow,
  Broadcast,
  LockedObjective,
  PlayExercise,
  PlayObjective,
  Principal,
  ScoringEvent,
} from '../types.ts';
import type { View } from '../view.ts';
import { HelpRequestPanel } from './help-request-panel.ts';
import { lockedCard, ObjectiveCard } from './objective-card.ts';

/** The warnings before the end: ten and two minutes (the lower one wins). */
export const WARNING_MINUTES = [10, 2] as const;

/** Exercise states after which the hosts are gone (or going): no shell, nothing to send. */
const OVER_STATES = new Set(['tearing-down', 'ended']);

type Participant = Extract<Principal, { kind: 'participant' }>;

/**
 * The trainee's page: mission, objectives (answers, hints, checks), a terminal per console host,
 * the live scoreboard and the team's timeline, the instructors' broadcasts, the recording notice.
 */
export class PlayView implements View {
  readonly element: HTMLElement;
  private readonly headerSlot = h('div', { class: 'play-head' });
  private readonly noticeSlot = h('div', {});
  /** Not started, the warnings before the end, time up, extended, scoring ended (see renderLive). */
  private readonly liveSlot = h('div', { class: 'live-banners', 'data-testid': 'live-banners' });
  /** The end screen: the team's final result once scoring or the exercise has ended. */
  private readonly endSlot = h('div', {});
  /** What renderLive drew last: banners are redrawn only when it changes (no re-announcement every second). */
  private liveSignature = '';
  /** The later end time an extension pushed (shown as a notice). */
  private extendedTo: number | undefined;
  /** Pushes of the exercise's state received; a load started before one keeps the pushed state. */
  private lifecyclePushes = 0;
  private readonly broadcastSlot = h('div', { class: 'broadcast-area' });
  private readonly broadcastLive = h('p', {
    class: 'broadcast',
    'data-testid': 'broadcast',
    role: 'status',
    'aria-live': 'assertive',
    'aria-atomic': 'true',
  });
  private readonly missionSlot = h('section', { class: 'mission panel', 'data-testid': 'mission' });
  private readonly objectivesHeading = h('h2', {});
  private readonly objectivesList = h('div', { class: 'objectives' });
  private readonly objectivesStatus = h('p', { class: 'muted', role: 'status' });
  private readonly terminalsHeading = h('h2', {});
  private readonly terminalsSlot = h('div', { class: 'terminals' });
  private readonly terminalHelp = h('p', { class: 'muted small' });
  /** Web service tabs: one button per declared web service of the team's hosts (hidden when none). */
  private readonly webSlot = h('section', { class: 'panel web-services', 'data-testid': 'web-services' });
  private webStatus = '';
  private readonly boardSlot = h('section', { class: 'panel' });
  private readonly timelineSlot = h('section', { class: 'panel' });
  private readonly errorSlot = h('div', {});

  private exercise: PlayExercise | undefined;
  private objectives: PlayObjective[] = [];
  /** Objectives not open yet (shown as locked cards, counted in the total). */
  private locked: LockedObjective[] = [];
  private readonly cards = new Map<string, ObjectiveCard>();
  private board: readonly BoardRow[] = [];
  private ownRow: BoardRow | undefined;
  private frozen = false;
  private scoringStatus = '';
  private seq = -1;
  private timeline: ScoringEvent[] = [];
  private broadcasts: Broadcast[] = [];
  private recordsInput = false;
  private error = '';
  private readonly scoring: ScoringSocket;
  private readonly help: HelpRequestPanel;
  private terminals: TerminalConnection | undefined;
  private readonly panes = new Map<string, TerminalPane>();
  private tabs: Tabs | undefined;
  private clock: ReturnType<typeof setInterval>;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  constructor(private readonly principal: Participant) {
    this.element = h(
      'section',
      { class: 'page play' },
      this.headerSlot,
      this.errorSlot,
      this.endSlot,
      this.liveSlot,
      this.noticeSlot,
      this.broadcastSlot,
      h(
        'div',
        { class: 'play-grid' },
        h(
          'div',
          { class: 'play-side' },
          this.missionSlot,
          h(
            'section',
            { class: 'panel' },
            this.objectivesHeading,
            this.objectivesStatus,
            this.objectivesList,
          ),
          this.boardSlot,
          this.timelineSlot,
        ),
        h(
          'div',
          { class: 'play-main' },
          this.webSlot,
          h(
            'section',
            { class: 'panel terminals-panel' },
            this.terminalsHeading,
            this.terminalsSlot,
            this.terminalHelp,
          ),
        ),
      ),
    );
    this.scoring = connectScoring();
    this.help = new HelpRequestPanel(this.scoring, {
      objectives: () => this.objectives,
      hosts: () => (this.exercise?.hosts ?? []).map((host) => host.name),
    });
    this.missionSlot.before(this.help.element);
    this.scoring.on('board:snapshot', (snapshot) => {
      if (snapshot.exerciseId !== this.principal.exerciseId) return;
      this.seq = snapshot.seq;
      this.board = snapshot.board;
      this.frozen = snapshot.frozen;
      this.setScoringStatus(snapshot.status);
      if (snapshot.team) this.timeline = [...snapshot.team.timeline];
      this.renderBoard();
      this.renderTimeline();
    });
    this.scoring.on('board:delta', (delta) => {
      if (delta.exerciseId !== this.principal.exerciseId || !isNewer(delta.seq, this.seq)) return;
      this.seq = delta.seq;
      this.board = mergeRows(this.board, delta.rows);
      this.frozen = delta.frozen;
      this.setScoringStatus(delta.status);
      for (const stats of delta.objectives) {
        const o = this.objectives.find((x) => x.id === stats.objectiveId);
        if (o && (o.value !== stats.value || o.solves !== stats.solves)) {
          const updated = { ...o, value: stats.value, solves: stats.solves };
          this.objectives = this.objectives.map((x) => (x.id === o.id ? updated : x));
          this.cards.get(o.id)?.update(updated);
        }
      }
      this.renderBoard();
      this.renderEnd();
    });
    this.scoring.on('team:update', (update) => {
      if (update.teamId !== this.principal.teamId) return;
      if (!this.timeline.some((e) => e.seq === update.event.seq)) this.timeline.push(update.event);
      this.ownRow = update.row;
      this.renderTimeline();
      this.renderBoard();
      this.renderEnd();
      // A solve, a hint or an unlock changes what the team sees.
      if (update.event.type !== 'submission' || update.unlocked.length > 0) this.scheduleReload();
    });
    this.scoring.on('broadcast', (broadcast) => {
      if (broadcast.exerciseId !== this.principal.exerciseId) return;
      this.broadcasts.push(broadcast);
      this.renderBroadcasts();
    });
    this.scoring.on('exercise:state', (message) => {
      if (message.exerciseId !== this.principal.exerciseId) return;
      this.lifecyclePushes++;
      this.applyLifecycle(message.state, message.endsAt);
    });
    // After a lost connection, pushes may have been missed: read the exercise again.
    this.scoring.io.on('reconnect', () => {
      void this.loadExercise();
      void this.loadBoard();
    });
    // The countdown is local: one timer per page, no request.
    this.clock = setInterval(() => this.tick(), 1000);
    this.relocalize();
    void this.loadExercise();
    void this.loadObjectives();
    void this.loadBoard();
  }

  relocalize(): void {
    this.objectivesHeading.textContent = t('play.objectives');
    this.terminalsHeading.textContent = t('play.terminals');
    this.terminalHelp.textContent = t('terminal.help');
    this.renderHeader();
    this.renderError();
    this.help.relocalize();
    if (this.over()) this.closeTerminals();
    this.liveSignature = '';
    this.renderLive();
    this.renderEnd();
    this.renderNotice();
    this.renderBroadcasts();
    this.renderMission();
    for (const card of this.cards.values()) card.relocalize();
    this.renderObjectivesStatus();
    this.renderBoard();
    this.renderTimeline();
    this.tabs?.relabel(this.consoleHosts().map((host) => host.name));
    for (const pane of this.panes.values()) pane.relabel();
    // Scenario texts come from the server in the chosen language.
    if (this.exercise) {
      void this.loadExercise();
      void this.loadObjectives();
    }
  }

  dispose(): void {
    this.disposed = true;
    clearInterval(this.clock);
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.scoring.disconnect();
    this.help.dispose();
    for (const card of this.cards.values()) card.dispose();
    for (const pane of this.panes.values()) pane.dispose();
    this.terminals?.close();
  }

  // ── loading ──────────────────────────────────────────────────────────────────────────────────

  private async loadExercise(): Promise<void> {
    try {
      const pushes = this.lifecyclePushes;
      const loaded = await client.get('/api/play/exercise', { query: { lang: locale() } });
      if (this.disposed) return;
      const first = this.exercise === undefined;
      // a push that arrived while this request was out is newer than its answer
      const exercise =
        pushes !== this.lifecyclePushes && this.exercise
          ? { ...loaded, status: this.exercise.status, endsAt: this.exercise.endsAt }
          : loaded;
      this.exercise = exercise;
      if (first) this.broadcasts = [...exercise.broadcasts];
      this.recordsInput = this.recordsInput || exercise.recordsInput === true;
      this.renderHeader();
      this.renderNotice();
      this.renderMission();
      this.renderBroadcasts();
      if (first) this.buildTerminals();
      this.renderWeb();
      this.liveChanged();
    } catch (error) {
      this.error = describeError(error);
      this.renderError();
    }
  }

  private async loadObjectives(): Promise<void> {
    try {
      const result = await client.get('/api/play/objectives', { query: { lang: locale() } });
      if (this.disposed) return;
      this.objectives = result.objectives;
      this.locked = result.locked;
      if (this.scoringStatus === '') this.setScoringStatus(result.status);
      this.renderObjectives();
      this.renderTimeline();
    } catch (error) {
      this.error = describeError(error);
      this.renderError();
    }
  }

  private async loadBoard(): Promise<void> {
    try {
      const [board, timeline] = await Promise.all([
        client.get('/api/play/scoreboard'),
        client.get('/api/play/timeline'),
      ]);
      if (this.disposed) return;
      // The team's own row is in no socket snapshot: take it even when the socket brought this seq first.
      if (board.team && board.seq >= this.seq) {
        this.ownRow = board.team;
        this.renderBoard();
        this.renderEnd();
      }
      if (board.seq <= this.seq) return;
      this.seq = board.seq;
      this.board = board.board;
      this.frozen = board.frozen;
      this.setScoringStatus(board.status);
      if (board.team) this.ownRow = board.team;
      this.timeline = timeline.events;
      this.renderBoard();
      this.renderTimeline();
      this.renderEnd();
    } catch {
      // the socket's snapshot brings the same
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer !== undefined) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.loadObjectives();
    }, 150);
  }

  // ── rendering ────────────────────────────────────────────────────────────────────────────────

  private renderHeader(): void {
    const e = this.exercise;
    const ends = e?.endsAt && !this.over() ? Date.parse(e.endsAt) : undefined;
    const level = this.warningLevel();
    replaceChildren(
      this.headerSlot,
      h('h1', {}, e ? pickText(e.title) : t('play.title')),
      h(
        'p',
        { class: 'meta' },
        t('play.team', { team: e?.teamName ?? this.principal.teamId, name: this.principal.name }),
        e && [
          ' · ',
          h('span', { 'data-testid': 'play-status', 'data-status': e.status }, exerciseStateLabel(e.status)),
        ],
        ends !== undefined && [
          ' · ',
          h(
            'span',
            {
              class: level !== 'none' ? 'warn' : '',
              'data-testid': 'countdown',
              'data-ends-at': new Date(ends).toISOString(),
              'data-level': level,
            },
            t('play.endsAt', {
              time: formatDateTime(ends),
              relative: t('live.remaining', { time: formatCountdown(ends - Date.now()) }),
            }),
          ),
        ],
        this.frozen && [' · ', h('span', { class: 'badge' }, t('board.frozen'))],
      ),
    );
  }

  // ── the exercise's lifecycle ─────────────────────────────────────────────────────────────────

  /** The hosts are gone or going (teardown, expiry). */
  private over(): boolean {
    return this.exercise !== undefined && OVER_STATES.has(this.exercise.status);
  }

  /** Milliseconds left until the exercise's end, when it has one and is not over. */
  private remainingMs(): number | undefined {
    const endsAt = this.exercise?.endsAt;
    if (!endsAt || this.over()) return undefined;
    return Date.parse(endsAt) - Date.now();
  }

  /** Which warning the time left calls for: `10`, `2` (minutes), `0` (time is up) or `none`. */
  private warningLevel(): 'none' | '10' | '2' | '0' {
    const left = this.remainingMs();
    if (left === undefined) return 'none';
    if (left <= 0) return '0';
    const minutes = [...WARNING_MINUTES].sort((a, b) => a - b).find((m) => left <= m * 60_000);
    return minutes === undefined ? 'none' : (String(minutes) as '10' | '2');
  }

  /** Every second: the countdown's text, and the banners when a threshold was crossed. */
  private tick(): void {
    const countdown = this.headerSlot.querySelector<HTMLElement>('[data-testid="countdown"]');
    if (!countdown && this.remainingMs() === undefined) {
      // no end time to count down to: nothing changes by the second
    } else if (countdown && countdown.dataset['level'] === this.warningLevel()) {
      const ends = Date.parse(countdown.dataset['endsAt'] ?? '');
      countdown.textContent = t('play.endsAt', {
        time: formatDateTime(ends),
        relative: t('live.remaining', { time: formatCountdown(ends - Date.now()) }),
      });
    } else this.renderHeader();
    this.renderLive();
  }

  /** A push (or a load) brought the exercise's state and end time. */
  private applyLifecycle(state: string, endsAt: string | null): void {
    const e = this.exercise;
    if (!e) return; // the load under way brings the same
    const before = e.endsAt ? Date.parse(e.endsAt) : undefined;
    const after = endsAt ? Date.parse(endsAt) : undefined;
    if (before !== undefined && after !== undefined && after > before) this.extendedTo = after;
    this.exercise = { ...e, status: state, endsAt };
    this.liveChanged();
  }

  private setScoringStatus(status: string): void {
    if (status === this.scoringStatus) return;
    const was = this.scoringStatus;
    this.scoringStatus = status;
    // the final result is the board as it stands at the end
    if (status === 'ended' && was !== '') void this.loadBoard();
    this.liveChanged();
  }

  /** The exercise's state, its end or scoring's status changed: everything that depends on them. */
  private liveChanged(): void {
    const over = this.over();
    for (const card of this.cards.values()) card.setLive({ scoring: this.scoringStatus, over });
    if (over) {
      this.closeTerminals();
      void this.loadBoard();
    }
    this.renderHeader();
    this.renderLive();
    this.renderEnd();
    this.renderObjectivesStatus();
    this.renderWeb();
  }

  /**
   * The web services of the team's hosts, each a button that opens it in a new browser tab through
   * the platform's web listener (its own origin: see orchestrator/src/web-services/README.md). The
   * window is opened at the click, before the one-time link is asked for, so that no popup blocker
   * stops it; it gets no handle on this page (opener cleared).
   */
  private renderWeb(): void {
    const services = (this.exercise?.hosts ?? []).flatMap((host) =>
      host.web.map((w) => ({ host: host.name, ...w })),
    );
    this.webSlot.hidden = services.length === 0 || this.over();
    if (this.webSlot.hidden) {
      replaceChildren(this.webSlot);
      return;
    }
    replaceChildren(
      this.webSlot,
      h('h2', {}, t('play.webServices')),
      h(
        'ul',
        { class: 'web-service-list' },
        ...services.map((service) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'web-service',
                'data-host': service.host,
                'data-port': String(service.port),
                onclick: () => {
                  void this.openWeb(service.host, service.port);
                },
              },
              t('play.openWeb', { title: pickText(service.title) || `${service.host}:${service.port}` }),
            ),
            ' ',
            h('span', { class: 'muted small' }, `${service.host}:${service.port}`),
          ),
        ),
      ),
      h('p', { class: 'muted small', role: 'status', 'data-testid': 'web-status' }, this.webStatus),
    );
  }

  private async openWeb(host: string, port: number): Promise<void> {
    const { exerciseId, teamId } = this.principal;
    const opened = window.open('about:blank', '_blank');
    if (opened) opened.opener = null;
    try {
      const link = await client.post('/api/exercises/{id}/teams/{team}/web', {
        path: { id: exerciseId, team: teamId },
        body: { host, port },
      });
      if (opened) opened.location.href = link.url;
      else window.location.assign(link.url); // popups refused: open it here instead
      this.webStatus = '';
    } catch (error) {
      opened?.close();
      this.webStatus = t('play.webFailed', { reason: describeError(error) });
    }
    this.renderWeb();
  }

  /** No shell after the end: the panes go, and the panel says why. */
  private closeTerminals(): void {
    const notice = this.terminalsSlot.querySelector('[data-testid="no-shells"]');
    if (notice) {
      notice.textContent = t('end.noShells'); // a language switch after the end
      return;
    }
    for (const pane of this.panes.values()) pane.dispose();
    this.panes.clear();
    this.terminalHelp.hidden = true;
    this.terminals?.close();
    this.terminals = undefined;
    this.tabs = undefined;
    replaceChildren(
      this.terminalsSlot,
      h('p', { class: 'muted', 'data-testid': 'no-shells' }, t('end.noShells')),
    );
  }

  /** The banners above the page; redrawn only when what they say changes. */
  private renderLive(): void {
    const banners: { kind: string; level?: string; alert: boolean; text: string }[] = [];
    if (this.exercise && !this.over()) {
      const level = this.warningLevel();
      if (this.scoringStatus === 'pending')
        banners.push({ kind: 'not-started', alert: false, text: t('live.notStarted') });
      if (this.scoringStatus === 'ended')
        banners.push({ kind: 'scoring-ended', alert: false, text: t('live.scoringEnded') });
      if (level === '0') banners.push({ kind: 'time-up', alert: true, text: t('live.timeUp') });
      else if (level !== 'none')
        banners.push({
          kind: 'warning',
          level,
          alert: true,
          text: t(level === '2' ? 'live.warn2' : 'live.warn10'),
        });
      if (this.extendedTo !== undefined && level === 'none' && this.scoringStatus !== 'ended')
        banners.push({
          kind: 'extended',
          alert: false,
          text: t('live.extended', { time: formatDateTime(this.extendedTo) }),
        });
    }
    const signature = JSON.stringify(banners);
    if (signature === this.liveSignature) return;
    this.liveSignature = signature;
    replaceChildren(
      this.liveSlot,
      banners.map((b) =>
        h(
          'p',
          {
            class: `live-banner live-${b.kind}`,
            'data-testid': 'live-banner',
            'data-kind': b.kind,
            ...(b.level !== undefined ? { 'data-level': b.level } : {}),
            role: b.alert ? 'alert' : 'status',
          },
          b.text,
        ),
      ),
    );
  }

  /** The end screen: the exercise (or its scoring) has ended, with the team's final result. */
  private renderEnd(): void {
    const over = this.over();
    if (!this.exercise || (!over && this.scoringStatus !== 'ended')) {
      replaceChildren(this.endSlot);
      return;
    }
    const row = this.ownRow;
    // while the board is frozen, the team's live rank would tell what the freeze hides
    const rank = row && !this.frozen ? row.rank : undefined;
    const solved = this.objectives.filter((o) => o.solved).length;
    const total = this.objectives.length + this.locked.length;
    const teamName = this.exercise.teamName;
    replaceChildren(
      this.endSlot,
      h(
        'section',
        {
          class: 'panel end-screen',
          'data-testid': 'end-screen',
          'data-reason': over ? 'exercise' : 'scoring',
          'aria-labelledby': 'end-screen-title',
        },
        h('h2', { id: 'end-screen-title' }, t(over ? 'end.title' : 'end.scoringTitle')),
        h(
          'p',
          {
            class: 'end-result',
            'data-testid': 'final-result',
            ...(row ? { 'data-points': row.points, 'data-solves': row.solves } : {}),
            ...(rank !== undefined ? { 'data-rank': rank } : {}),
          },
          t('end.result', {
            team: teamName,
            rank: rank !== undefined ? formatNumber(rank) : '—',
            teams: formatNumber(Math.max(this.board.length, row ? 1 : 0)),
            points: formatNumber(row?.points ?? 0),
            solved: row?.solves ?? solved,
            total,
          }),
        ),
        over &&
          h('p', { class: 'muted' }, t(this.exercise.status === 'ended' ? 'end.hostsGone' : 'end.ending')),
      ),
    );
  }

  private renderError(): void {
    replaceChildren(
      this.errorSlot,
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
    );
  }

  private renderNotice(): void {
    replaceChildren(
      this.noticeSlot,
      this.recordsInput &&
        h(
          'div',
          { class: 'notice', 'data-testid': 'recording-notice', role: 'note' },
          h('span', { 'aria-hidden': 'true' }, '⏺ '),
          t('play.recordingNotice'),
        ),
    );
  }

  private renderBroadcasts(): void {
    const latest = this.broadcasts.at(-1);
    this.broadcastLive.hidden = latest === undefined;
    this.broadcastLive.textContent = latest
      ? t(latest.teamId !== undefined ? 'play.broadcastTeam' : 'play.broadcast', {
          time: formatTime(latest.at),
          message: latest.message,
        })
      : '';
    const older = this.broadcasts.slice(0, -1).reverse();
    replaceChildren(
      this.broadcastSlot,
      this.broadcastLive,
      older.length > 0 &&
        h(
          'details',
          {},
          h('summary', {}, t('play.olderBroadcasts', { count: older.length })),
          h(
            'ul',
            {},
            older.map((b) => h('li', {}, h('time', { datetime: b.at }, formatTime(b.at)), ' ', b.message)),
          ),
        ),
    );
  }

  private renderMission(): void {
    const e = this.exercise;
    const story = pickText(e?.story);
    const summary = pickText(e?.summary);
    replaceChildren(
      this.missionSlot,
      h('h2', {}, t('play.mission')),
      !e && h('p', { class: 'muted' }, t('common.loading')),
      e && h('div', { class: 'markdown' }, renderMarkdown(story !== '' ? story : summary)),
    );
  }

  private renderObjectives(): void {
    const seen = new Set<string>();
    const nodes: HTMLElement[] = [];
    for (const objective of this.objectives) {
      seen.add(objective.id);
      let card = this.cards.get(objective.id);
      if (card) card.update(objective);
      else {
        card = new ObjectiveCard(objective, () => this.scheduleReload());
        card.setLive({ scoring: this.scoringStatus, over: this.over() });
        this.cards.set(objective.id, card);
      }
      nodes.push(card.element);
    }
    for (const [id, card] of this.cards)
      if (!seen.has(id)) {
        card.dispose();
        card.element.remove();
        this.cards.delete(id);
      }
    // Keep the cards in scenario order without detaching the one being typed in.
    nodes.forEach((node, index) => {
      if (this.objectivesList.children[index] !== node)
        this.objectivesList.insertBefore(node, this.objectivesList.children[index] ?? null);
    });
    // then the locked ones (redrawn: they hold nothing typed)
    for (const old of [...this.objectivesList.children].slice(nodes.length)) old.remove();
    for (const locked of this.locked) this.objectivesList.append(lockedCard(locked));
    this.renderObjectivesStatus();
  }

  private renderObjectivesStatus(): void {
    const solved = this.objectives.filter((o) => o.solved).length;
    // locked objectives count too: "0 of 3 solved", not "0 of 1"
    const total = this.objectives.length + this.locked.length;
    this.objectivesStatus.textContent =
      total === 0
        ? t('common.loading')
        : this.over()
          ? t('play.closed', { solved, total })
          : this.scoringStatus === 'ended'
            ? t('play.scoringClosed', { solved, total })
            : t('play.progress', { solved, total });
  }

  private renderBoard(): void {
    replaceChildren(
      this.boardSlot,
      h('h2', {}, t('play.scoreboard')),
      this.ownRow &&
        h(
          'p',
          { class: 'own-score' },
          t('play.ownScore', { points: formatNumber(this.ownRow.points), solves: this.ownRow.solves }),
        ),
      this.frozen && h('p', { class: 'muted' }, t('board.frozenHelp')),
      boardTable(this.board, { ownTeam: this.principal.teamId, caption: t('play.scoreboard') }),
    );
  }

  private renderTimeline(): void {
    replaceChildren(
      this.timelineSlot,
      h('h2', {}, t('play.timeline')),
      timelineList(this.timeline, {
        objective: (id) => pickText(this.objectives.find((o) => o.id === id)?.title) || id,
        team: (id) => id,
        showTeam: false,
      }),
    );
  }

  private consoleHosts(): { name: string }[] {
    return (this.exercise?.hosts ?? []).filter((host) => host.console);
  }

  private buildTerminals(): void {
    if (this.over()) {
      this.closeTerminals();
      return;
    }
    const hosts = this.consoleHosts();
    if (hosts.length === 0) {
      replaceChildren(this.terminalsSlot, h('p', { class: 'muted' }, t('play.noConsole')));
      return;
    }
    this.terminals = new TerminalConnection();
    const { exerciseId, teamId } = this.principal;
    const items = hosts.map((host) => {
      const pane = new TerminalPane({
        connection: this.terminals as TerminalConnection,
        mode: {
          kind: 'owner',
          host: host.name,
          storageKey: `cyrop.terminal.${exerciseId}.${teamId}.${host.name}`,
        },
        onAttached: (attached) => {
          if (attached.recordsInput && !this.recordsInput) {
            this.recordsInput = true;
            this.renderNotice();
          }
        },
      });
      this.panes.set(host.name, pane);
      return {
        key: host.name,
        label: host.name,
        panel: h('div', { class: 'terminal-panel' }, pane.element),
        tabAttrs: { 'data-testid': 'host-tab', 'data-host': host.name },
      };
    });
    this.tabs = new Tabs(t('play.terminals'), items, (key) => {
      this.panes.get(key)?.shown();
    });
    replaceChildren(this.terminalsSlot, this.tabs.element);
    this.tabs.select(0, false);
  }
}

/** Time left as `1:02:03`, `12:34` or `0:05` (never negative). */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

import type { RecordingInfo, Reply, TerminalInfo } from '../../../contract/terminal-events.ts';
import { client } from '../api-client.ts';
import { timelineList } from '../components.ts';
import { describeCode, describeError } from '../describe-error.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { formatBytes, formatDateTime, formatRelative, formatTime, pickText, t } from '../i18n/i18n.ts';
import { exerciseStateLabel, teamStateLabel } from '../labels.ts';
import { navigate } from '../router.ts';
import { isNewer, mergeRows, mergeStats } from '../scoreboard-state.ts';
import { connectScoring, type ScoringSocket } from '../scoring-connection.ts';
import { parseAsciicast } from '../terminal/asciicast.ts';
import { ReplayPlayer } from '../terminal/replay-player.ts';
import { TerminalConnection } from '../terminal/terminal-connection.ts';
import { TerminalPane } from '../terminal/terminal-pane.ts';
import type {
  BoardRow,
  ExerciseStatus,
  ExerciseSummary,
  JoinCode,
  ObjectiveStats,
  ScenarioDetail,
  ScoringEvent,
} from '../types.ts';
import type { View } from '../view.ts';
import { ExerciseBoardPanel } from './exercise-board-panel.ts';
import { ExerciseSharingPanel } from './exercise-sharing-panel.ts';
import { HelpQueuePanel } from './help-queue-panel.ts';
import { PeoplePanel } from './people-panel.ts';

/** Live terminals and recordings are refreshed together this often while the page is visible. */
const LIST_REFRESH_MS = 5000;

/** What an action answered; `text` is read at each render, so it follows a language switch. */
type Feedback = { ok: boolean; text: () => string } | undefined;

/**
 * One exercise, live: provisioning progress per team, join codes, resets, time, broadcasts, the
 * teams × objectives grid, scoreboard and timeline (`/scoring`), live terminals with read-only
 * shadowing, recordings with a replay player, suspected flag sharing, and result exports.
 */
export class ExerciseView implements View {
  readonly element: HTMLElement;
  private readonly slots = {
    head: h('div', {}),
    teams: h('section', { class: 'panel' }),
    actions: h('section', { class: 'panel' }),
    grid: h('section', { class: 'panel' }),
    timeline: h('section', { class: 'panel' }),
    ownShell: h('div', {}),
    terminals: h('section', { class: 'panel' }),
    shadow: h('div', {}),
    recordings: h('section', { class: 'panel' }),
    replay: h('div', {}),
  };
  private status: ExerciseStatus | undefined;
  private scenario: ScenarioDetail | undefined;
  private readonly people: PeoplePanel;
  private error = '';
  private board: readonly BoardRow[] = [];
  private stats: readonly ObjectiveStats[] = [];
  private readonly boardPanel = new ExerciseBoardPanel();
  private readonly sharingPanel = new ExerciseSharingPanel({
    teamName: (id) => this.teamName(id),
    objectiveTitle: (id) => this.objectiveTitle(id),
  });
  private solved = new Map<string, Map<string, number>>();
  private attempts = new Map<string, Map<string, number>>();
  /** Scoring events by seq: the staff timeline (loaded) plus the live `instructor:update` events. */
  private readonly timeline = new Map<number, ScoringEvent>();
  /** Solves and awards from the results, shown only if the timeline cannot be loaded. */
  private resultEvents: ScoringEvent[] = [];
  private timelineLoaded = false;
  private seq = -1;
  private scoringStatus = '';
  private frozen = false;
  private subscribed = false;
  private timelineTeam = '';
  private codes = new Map<string, JoinCode>();
  private hostChoice = new Map<string, string>();
  private teamFeedback = new Map<string, Feedback>();
  private actionFeedback: Feedback;
  private confirmingTeardown = false;
  /** A reset waiting for the instructor's confirmation, naming what it will recreate. */
  private confirmingReset: { teamId: string; host?: string } | undefined;
  private confirmingScoringEnd = false;
  private liveTerminals: TerminalInfo[] | undefined;
  private terminalsError = '';
  private recordings: RecordingInfo[] | undefined;
  private recordingsError = '';
  private shadow: { info: TerminalInfo; pane: TerminalPane } | undefined;
  private ownShell: { teamId: string; host: string; pane: TerminalPane } | undefined;
  private readonly gridHeading = h('h2', {});
  private readonly gridScroll = h('div', { class: 'grid-scroll', tabindex: 0, role: 'region' });
  private readonly gridLegend = h('details', { class: 'grid-legend' });
  private replay: { info: RecordingInfo; player: ReplayPlayer } | undefined;
  private readonly scoring: ScoringSocket;
  private readonly help: HelpQueuePanel;
  private terminalConnection: TerminalConnection | undefined;
  private listTimer: ReturnType<typeof setInterval> | undefined;
  private disposed = false;
  private readonly broadcastInput: HTMLInputElement;
  /** Who the next message goes to: '' every team, else a team id. */
  private broadcastTo = '';
  private readonly liveRegion = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });

  constructor(private readonly exerciseId: string) {
    this.broadcastInput = h('input', {
      type: 'text',
      maxlength: 500,
      'data-testid': 'broadcast-input',
      id: uid('broadcast'),
    });
    this.element = h(
      'section',
      { class: 'page exercise' },
      this.slots.head,
      this.liveRegion,
      this.slots.actions,
      this.slots.teams,
      (this.people = new PeoplePanel(this.exerciseId)).element,
      this.slots.ownShell,
      this.slots.grid,
      h('div', { class: 'two-columns' }, this.boardPanel.element, this.slots.timeline),
      this.slots.terminals,
      this.slots.shadow,
      this.slots.recordings,
      this.slots.replay,
      this.sharingPanel.element,
    );
    this.scoring = connectScoring();
    this.help = new HelpQueuePanel(this.exerciseId, this.scoring, {
      teamName: (id) => this.teamName(id),
      objectiveTitle: (id) => this.objectiveTitle(id),
    });
    this.slots.actions.before(this.help.element);
    this.scoring.on('connect', () => this.subscribe());
    this.scoring.on('board:snapshot', (snapshot) => {
      if (snapshot.exerciseId !== this.exerciseId) return;
      this.seq = snapshot.seq;
      this.scoringStatus = snapshot.status;
      this.frozen = snapshot.frozen;
      this.board = snapshot.instructor?.board ?? snapshot.board;
      this.stats = snapshot.instructor?.objectives ?? snapshot.objectives;
      if (snapshot.instructor) this.sharingPanel.replace(snapshot.instructor.sharing);
      this.renderScoring();
      this.renderHead();
      this.renderActions();
    });
    this.scoring.on('instructor:update', (update) => {
      if (update.exerciseId !== this.exerciseId || !isNewer(update.seq, this.seq)) return;
      const changed = this.scoringStatus !== update.status || this.frozen !== update.frozen;
      this.seq = update.seq;
      this.scoringStatus = update.status;
      this.frozen = update.frozen;
      if (changed) {
        this.renderHead();
        this.renderActions();
      }
      this.board = mergeRows(this.board, update.rows);
      this.stats = mergeStats(this.stats, update.objectives);
      if (update.sharing) this.sharingPanel.add(update.sharing);
      this.applyEvent(update.event);
      this.renderScoring();
    });
    this.scoring.on('broadcast', (broadcast) => {
      if (broadcast.exerciseId === this.exerciseId)
        this.say(t('exercise.broadcastSent', { message: broadcast.message }));
    });
    // The exercise's lifecycle and each team's provisioning are pushed: no polling of the engine.
    this.scoring.on('exercise:state', (message) => {
      if (message.exerciseId !== this.exerciseId || !this.status) return;
      this.status = {
        ...this.status,
        state: message.state as ExerciseStatus['state'],
        expiresAt: message.endsAt === null ? null : Date.parse(message.endsAt),
      };
      this.renderHead();
      this.renderTeams();
      this.renderActions();
    });
    this.scoring.on('exercise:team', (message) => {
      if (message.exerciseId !== this.exerciseId || !this.status) return;
      this.status = {
        ...this.status,
        teams: this.status.teams.map((team) =>
          team.id === message.teamId
            ? {
                ...team,
                state: message.state as typeof team.state,
                lastError: message.lastError,
                readyHosts: message.readyHosts,
              }
            : team,
        ),
      };
      keepingFocus(this.slots.teams, () => this.renderTeams());
    });
    // after a lost connection the socket subscribes again, and then reads the exercise once more
    this.gridHeading.id = uid('grid-heading');
    this.slots.grid.append(this.gridHeading, this.gridScroll, this.gridLegend);
    this.gridScroll.setAttribute('aria-labelledby', this.gridHeading.id);
    this.relocalize();
    void this.loadStatus();
    void this.loadResults();
    void this.loadTimeline();
    void this.loadSharing();
    void this.loadAttempts();
    void this.loadRecordings();
    this.listTerminals(); // connects the `/terminal` socket; the list follows once it is up
    this.listTimer = setInterval(() => this.refreshLists(false), LIST_REFRESH_MS);
  }

  relocalize(): void {
    this.renderHead();
    this.help.relocalize();
    this.renderTeams();
    this.people.relocalize();
    this.renderActions();
    this.renderScoring();
    this.renderTerminals();
    this.renderShadow();
    this.renderOwnShell();
    this.renderRecordings();
    this.renderReplay();
    this.shadow?.pane.relabel();
    this.ownShell?.pane.relabel();
    this.replay?.player.relabel();
  }

  dispose(): void {
    this.disposed = true;
    if (this.listTimer !== undefined) clearInterval(this.listTimer);
    this.scoring.disconnect();
    this.help.dispose();
    this.shadow?.pane.dispose();
    this.ownShell?.pane.dispose();
    this.replay?.player.dispose();
    this.terminalConnection?.close();
  }

  // ── loading ──────────────────────────────────────────────────────────────────────────────────

  /** The exercise, its teams and the engine's view, read once (then followed by pushes). */
  private async loadStatus(): Promise<void> {
    try {
      const status = await client.get('/api/exercises/{id}', { path: { id: this.exerciseId } });
      if (this.disposed) return;
      const firstTime = this.status === undefined;
      this.status = status;
      this.error = '';
      if (firstTime) void this.loadScenario(status.scenario.id, status.scenario.version);
      if (status.state === 'running' && !this.subscribed) this.subscribe();
    } catch (error) {
      this.error = describeError(error);
    }
    this.renderHead();
    this.renderTeams();
    this.renderActions();
  }

  private async loadScenario(id: string, version: string): Promise<void> {
    try {
      // the version the exercise was planned from, not the newest
      const found = await client.get('/api/scenarios/{id}', { path: { id }, query: { version } });
      // staff read the full entry (a catalogue card is what anonymous callers get)
      if ('valid' in found) this.scenario = found;
    } catch {
      // titles fall back to ids
    }
    this.renderScoring();
    this.renderTeams();
  }

  private subscribe(): void {
    if (!this.scoring.connected) return;
    this.scoring.emit('subscribe', { exerciseId: this.exerciseId }, (reply) => {
      if (reply.ok) {
        this.subscribed = true;
        // events pushed while the socket was away are in the staff timeline
        void this.loadTimeline(this.timelineTeam);
        // and provisioning pushed before this subscription began is in the exercise's status
        void this.loadStatus();
        const snapshot = reply.snapshot;
        if (snapshot.seq >= this.seq) {
          this.seq = snapshot.seq;
          this.scoringStatus = snapshot.status;
          this.frozen = snapshot.frozen;
          this.board = snapshot.instructor?.board ?? snapshot.board;
          this.stats = snapshot.instructor?.objectives ?? snapshot.objectives;
          if (snapshot.instructor) this.sharingPanel.replace(snapshot.instructor.sharing);
          this.renderScoring();
          this.renderHead();
          this.renderActions();
        }
      }
    });
  }

  private async loadResults(): Promise<void> {
    try {
      const rows = await client.get('/api/exercises/{id}/results', {
        path: { id: this.exerciseId },
        query: { format: 'json', view: 'live' },
      });
      let n = 0;
      for (const row of rows) {
        if (row.time === null) continue;
        n += 1;
        const at = Date.parse(row.time);
        if (row.kind === 'objective' && row.objectiveId !== null && row.solved) {
          this.markSolved(row.teamId, row.objectiveId, at);
          this.resultEvents.push({
            type: 'solve',
            seq: -n,
            at,
            teamId: row.teamId,
            objectiveId: row.objectiveId,
            via: row.via ?? 'flag',
          });
        } else if (row.kind === 'award') {
          this.resultEvents.push({
            type: 'award',
            seq: -n,
            at,
            teamId: row.teamId,
            points: row.points,
            reason: row.note,
          });
        }
      }
      this.renderScoring();
    } catch {
      // scoring may not be loaded yet (an exercise still provisioning): the socket fills in
    }
  }

  /**
   * The staff timeline (every team's, or one team's when `team` is given: that team's older events
   * too), merged by seq with what the socket pushed; reloaded after each (re)subscribe.
   */
  private async loadTimeline(team = ''): Promise<void> {
    try {
      const result = await client.get('/api/exercises/{id}/timeline', {
        path: { id: this.exerciseId },
        query: team !== '' ? { team } : {},
      });
      if (this.disposed) return;
      for (const event of result.events) {
        this.timeline.set(event.seq, event);
        if (event.type === 'solve') this.markSolved(event.teamId, event.objectiveId, event.at);
      }
      this.timelineLoaded = true;
      this.renderTimeline();
      this.renderGrid();
    } catch {
      // the solves and awards of the results stand in, plus the live events
    }
  }

  private async loadSharing(): Promise<void> {
    try {
      const result = await client.get('/api/exercises/{id}/sharing', { path: { id: this.exerciseId } });
      this.sharingPanel.fill(result.reports);
      this.renderScoring();
    } catch {
      // shown from the socket
    }
  }

  private async loadAttempts(): Promise<void> {
    try {
      const result = await client.get('/api/exercises/{id}/attempts', { path: { id: this.exerciseId } });
      for (const team of result.teams) {
        const map = new Map<string, number>();
        for (const a of team.attempts) map.set(a.objectiveId, a.total);
        this.attempts.set(team.teamId, map);
      }
      this.renderScoring();
    } catch {
      // counted from live events
    }
  }

  private applyEvent(event: ScoringEvent): void {
    this.timeline.set(event.seq, event);
    if (event.type === 'solve') this.markSolved(event.teamId, event.objectiveId, event.at);
    if (event.type === 'submission') {
      const map = this.attempts.get(event.teamId) ?? new Map<string, number>();
      map.set(event.objectiveId, (map.get(event.objectiveId) ?? 0) + 1);
      this.attempts.set(event.teamId, map);
    }
  }

  private markSolved(teamId: string, objectiveId: string, at: number): void {
    const map = this.solved.get(teamId) ?? new Map<string, number>();
    if (!map.has(objectiveId)) map.set(objectiveId, at);
    this.solved.set(teamId, map);
  }

  private listTerminals(): void {
    if (this.disposed) return;
    const connection = this.terminals();
    if (!connection.connected) return;
    connection.socket
      .timeout(10_000)
      .emit(
        'list',
        { exerciseId: this.exerciseId },
        (error: Error | null, reply: Reply<{ terminals: TerminalInfo[] }> | undefined) => {
          if (this.disposed) return;
          const before = JSON.stringify([this.terminalsError, this.liveTerminals]);
          const ids = new Set(this.liveTerminals?.map((x) => x.terminalId));
          if (error || !reply) this.terminalsError = t('terminal.noAnswer');
          else if (!reply.ok) this.terminalsError = describeCode(reply.error.code, reply.error.message);
          else {
            this.terminalsError = '';
            const appearedOrEnded =
              this.liveTerminals !== undefined &&
              (reply.terminals.length !== ids.size || reply.terminals.some((x) => !ids.has(x.terminalId)));
            this.liveTerminals = reply.terminals;
            // a shell that started or ended has a new or a finished recording
            if (appearedOrEnded) void this.loadRecordings();
          }
          if (JSON.stringify([this.terminalsError, this.liveTerminals]) !== before)
            keepingFocus(this.slots.terminals, () => this.renderTerminals());
        },
      );
  }

  private terminals(): TerminalConnection {
    if (!this.terminalConnection) {
      this.terminalConnection = new TerminalConnection();
      this.terminalConnection.onState((connected) => {
        if (connected) this.listTerminals();
      });
      this.terminalConnection.onError((message) => {
        this.terminalsError = t('terminal.unavailable', { message });
        this.renderTerminals();
      });
    }
    return this.terminalConnection;
  }

  /** Both lists at once (the timer, and the recordings' refresh button); nothing while the page is hidden. */
  private refreshLists(always: boolean): void {
    if (this.disposed || (!always && document.hidden)) return;
    this.listTerminals();
    void this.loadRecordings();
  }

  private async loadRecordings(): Promise<void> {
    const before = JSON.stringify([this.recordingsError, this.recordings]);
    try {
      this.recordings = await client.get('/api/exercises/{id}/recordings', {
        path: { id: this.exerciseId },
      });
      this.recordingsError = '';
    } catch (error) {
      this.recordingsError = describeError(error);
    }
    if (this.disposed) return;
    if (JSON.stringify([this.recordingsError, this.recordings]) !== before)
      keepingFocus(this.slots.recordings, () => this.renderRecordings());
  }

  // ── actions ──────────────────────────────────────────────────────────────────────────────────

  private base(): string {
    return `/api/exercises/${encodeURIComponent(this.exerciseId)}`;
  }

  private async joinCode(teamId: string): Promise<void> {
    try {
      const code = await client.post('/api/exercises/{id}/teams/{team}/join-codes', {
        path: { id: this.exerciseId, team: teamId },
        body: {},
      });
      this.codes.set(teamId, code);
      this.teamFeedback.delete(teamId);
      void this.people.load();
    } catch (error) {
      this.teamFeedback.set(teamId, { ok: false, text: () => describeError(error) });
    }
    this.renderTeams();
  }

  private askReset(teamId: string, host: string | undefined): void {
    this.confirmingReset = { teamId, ...(host !== undefined ? { host } : {}) };
    this.renderTeams();
    this.slots.teams.querySelector<HTMLButtonElement>('[data-testid="reset-confirm"]')?.focus();
  }

  /** "Reset host web of Team 1?" with what it costs, then the button that does it, or Cancel. */
  private resetConfirmation(teamName: string): HTMLElement | false {
    const c = this.confirmingReset;
    if (!c) return false;
    const cancel = () => {
      const back = c.host !== undefined ? 'reset-host-button' : 'reset-team-button';
      this.confirmingReset = undefined;
      this.renderTeams();
      this.slots.teams
        .querySelector<HTMLElement>(`[data-team-id="${CSS.escape(c.teamId)}"] [data-testid="${back}"]`)
        ?.focus();
    };
    return h(
      'div',
      {
        class: 'confirm',
        role: 'group',
        'aria-label': t('exercise.reset'),
        'data-testid': 'reset-confirmation',
      },
      h(
        'p',
        {},
        c.host !== undefined
          ? t('exercise.resetHostConfirm', { host: c.host, team: teamName })
          : t('exercise.resetTeamConfirm', { team: teamName }),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-testid': 'reset-confirm',
          onclick: () => {
            this.confirmingReset = undefined;
            void this.reset(c.teamId, c.host);
          },
        },
        c.host !== undefined
          ? t('exercise.resetHostYes', { host: c.host })
          : t('exercise.resetTeamYes', { team: teamName }),
      ),
      ' ',
      h('button', { type: 'button', 'data-testid': 'reset-cancel', onclick: cancel }, t('common.cancel')),
    );
  }

  private async reset(teamId: string, host: string | undefined): Promise<void> {
    this.teamFeedback.set(teamId, {
      ok: true,
      text: () => (host ? t('exercise.resettingHost', { host }) : t('exercise.resettingTeam')),
    });
    this.renderTeams();
    try {
      this.status = this.merged(
        await client.post('/api/exercises/{id}/teams/{team}/reset', {
          path: { id: this.exerciseId, team: teamId },
          body: host ? { host } : {},
        }),
      );
      this.teamFeedback.set(teamId, {
        ok: true,
        text: () => (host ? t('exercise.resetHostDone', { host }) : t('exercise.resetTeamDone')),
      });
    } catch (error) {
      this.teamFeedback.set(teamId, { ok: false, text: () => describeError(error) });
    }
    this.renderTeams();
  }

  private async extend(): Promise<void> {
    try {
      this.status = this.merged(
        await client.post('/api/exercises/{id}/extend', {
          path: { id: this.exerciseId },
          body: { by: '30m' },
        }),
      );
      const expiresAt = this.status.expiresAt;
      this.actionFeedback = {
        ok: true,
        text: () => t('exercise.extended', { time: expiresAt !== null ? formatDateTime(expiresAt) : '—' }),
      };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.renderHead();
    this.renderActions();
  }

  private async broadcast(): Promise<void> {
    const message = this.broadcastInput.value.trim();
    if (message === '') return;
    try {
      const to = this.status?.teams.find((team) => team.id === this.broadcastTo);
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
    this.renderActions();
  }

  /** Actions answer with the exercise summary (no engine view): keep the last environments. */
  private merged(next: ExerciseSummary): ExerciseStatus {
    return { ...next, environments: this.status?.environments ?? [] };
  }

  private async scoringAction(action: 'start' | 'end' | 'freeze' | 'unfreeze'): Promise<void> {
    try {
      await client.post('/api/exercises/{id}/scoring/status', {
        path: { id: this.exerciseId },
        body: { action },
      });
      if (action === 'start') this.scoringStatus = 'running';
      if (action === 'end') this.scoringStatus = 'ended';
      if (action === 'freeze' || action === 'unfreeze') this.frozen = action === 'freeze';
      this.actionFeedback = {
        ok: true,
        text: () => t('exercise.scoringDone', { status: this.scoringLabel() }),
      };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.renderHead();
    this.renderActions();
  }

  private scoringLabel(): string {
    if (this.status?.state === 'ended') return t('exercise.scoringOver');
    return this.frozen
      ? `${exerciseStateLabel(this.scoringStatus)} (${t('board.frozen')})`
      : exerciseStateLabel(this.scoringStatus);
  }

  private async teardown(): Promise<void> {
    this.confirmingTeardown = false;
    try {
      this.status = this.merged(
        await client.delete('/api/exercises/{id}', { path: { id: this.exerciseId } }),
      );
      this.actionFeedback = { ok: true, text: () => t('exercise.endedDone') };
    } catch (error) {
      this.actionFeedback = { ok: false, text: () => describeError(error) };
    }
    this.renderHead();
    this.renderActions();
    this.renderTeams();
  }

  private watch(info: TerminalInfo): void {
    this.shadow?.pane.dispose();
    const pane = new TerminalPane({
      connection: this.terminals(),
      mode: { kind: 'viewer', terminalId: info.terminalId, host: info.host },
      testId: 'shadow-terminal',
    });
    this.shadow = { info, pane };
    this.renderShadow();
    pane.start();
    this.slots.shadow.scrollIntoView({ block: 'nearest' });
    this.slots.shadow.querySelector<HTMLButtonElement>('[data-testid="shadow-close"]')?.focus();
  }

  /** The team's hosts that have a console (per the scenario; none until it is loaded). */
  private consoleHosts(hosts: readonly string[]): string[] {
    const consoles = new Set(this.scenario?.hosts.filter((x) => x.console).map((x) => x.name));
    return hosts.filter((host) => consoles.has(host));
  }

  /** The web services of a team's hosts (per the scenario; none until it is loaded). */
  private webServices(hosts: readonly string[]): { host: string; port: number }[] {
    const present = new Set(hosts);
    return (this.scenario?.hosts ?? [])
      .filter((x) => present.has(x.name))
      .flatMap((x) => x.web.map((w) => ({ host: x.name, port: w.port })));
  }

  /**
   * A team's web service in a new tab, as its trainees see it (through the web listener's own
   * origin; the window gets no handle on this page). Opened at the click, then sent to the link.
   */
  private async openWeb(teamId: string, host: string, port: number): Promise<void> {
    const opened = window.open('about:blank', '_blank');
    if (opened) opened.opener = null;
    try {
      const link = await client.post('/api/exercises/{id}/teams/{team}/web', {
        path: { id: this.exerciseId, team: teamId },
        body: { host, port },
      });
      if (opened) opened.location.href = link.url;
      else window.open(link.url, '_blank', 'noopener');
    } catch (error) {
      opened?.close();
      this.say(describeError(error));
    }
  }

  /** The instructor's own interactive shell on a team's console host (one at a time). */
  private openShell(teamId: string, host: string): void {
    if (this.ownShell?.teamId === teamId && this.ownShell.host === host) {
      this.ownShell.pane.focus();
      return;
    }
    this.ownShell?.pane.dispose();
    const pane = new TerminalPane({
      connection: this.terminals(),
      mode: {
        kind: 'owner',
        host,
        storageKey: `cyrop.staff-terminal.${this.exerciseId}.${teamId}.${host}`,
        exerciseId: this.exerciseId,
        teamId,
      },
      testId: 'staff-terminal',
    });
    this.ownShell = { teamId, host, pane };
    this.renderOwnShell();
    this.renderTeams();
    pane.start();
    this.slots.ownShell.scrollIntoView({ block: 'nearest' });
    pane.focus();
    this.say(t('exercise.ownShellOpened', { team: this.teamName(teamId), host }));
  }

  /** Ends the instructor's shell (it is not left running in the team's host) and closes the panel. */
  private closeShell(): void {
    const shell = this.ownShell;
    if (!shell) return;
    shell.pane.endShell();
    this.ownShell = undefined;
    this.renderOwnShell();
    this.renderTeams();
    this.slots.teams
      .querySelector<HTMLElement>(
        `[data-team-id="${CSS.escape(shell.teamId)}"] [data-testid="staff-terminal-button"][data-host="${CSS.escape(shell.host)}"]`,
      )
      ?.focus();
    this.say(t('exercise.ownShellClosed'));
  }

  private stopWatching(): void {
    this.shadow?.pane.dispose();
    this.shadow = undefined;
    this.renderShadow();
  }

  private async replayRecording(info: RecordingInfo): Promise<void> {
    this.replay?.player.dispose();
    this.replay = undefined;
    try {
      const response = await fetch(`${this.base()}/recordings/${encodeURIComponent(info.recordingId)}`, {
        credentials: 'same-origin',
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const cast = parseAsciicast(await response.text());
      const player = new ReplayPlayer(cast);
      this.replay = { info, player };
      this.renderReplay();
      player.start();
      player.play();
      this.slots.replay.scrollIntoView({ block: 'nearest' });
    } catch (error) {
      this.recordingsError = t('recordings.replayFailed', {
        message: error instanceof Error ? error.message : String(error),
      });
      this.renderRecordings();
    }
  }

  // ── rendering ────────────────────────────────────────────────────────────────────────────────

  private say(text: string): void {
    this.liveRegion.textContent = text;
  }

  private renderHead(): void {
    const s = this.status;
    const title = this.scenario ? pickText(this.scenario.title) : (s?.scenario.id ?? '');
    replaceChildren(
      this.slots.head,
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
      this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
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
          this.scoringStatus !== '' && [' · ', t('exercise.scoring', { status: this.scoringLabel() })],
        ),
    );
  }

  private renderTeams(): void {
    const s = this.status;
    const focused = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>(
      '[data-testid="team-row"]',
    );
    const focusKey = focused
      ? [focused.dataset['teamId'], (document.activeElement as HTMLElement).dataset['testid']]
      : undefined;
    replaceChildren(
      this.slots.teams,
      h('h2', {}, t('exercise.teams')),
      !s && h('p', { class: 'muted' }, t('common.loading')),
      s &&
        h(
          'table',
          { class: 'list teams' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('exercise.team')),
              h('th', { scope: 'col' }, t('exercise.provisioning')),
              h('th', { scope: 'col' }, t('exercise.join')),
              h('th', { scope: 'col' }, t('exercise.reset')),
              h('th', { scope: 'col' }, t('exercise.staffTerminal')),
            ),
          ),
          h(
            'tbody',
            {},
            s.teams.map((team) => {
              const over = s.state === 'ended';
              // a running container is not a ready host: the count is the server's (pushed as hosts come up)
              const total = team.hosts.length;
              const ready = team.state === 'ready' ? total : Math.min(total, team.readyHosts);
              const code = this.codes.get(team.id);
              const link = code ? `${location.origin}/#/join/${encodeURIComponent(code.code)}` : '';
              const feedback = this.teamFeedback.get(team.id);
              const hostSelectId = uid('host');
              const hostSelect = h(
                'select',
                {
                  id: hostSelectId,
                  'data-testid': 'reset-host-select',
                  onchange: (event) =>
                    this.hostChoice.set(team.id, (event.target as HTMLSelectElement).value),
                },
                team.hosts.map((host) =>
                  h('option', { value: host, selected: host === this.hostChoice.get(team.id) }, host),
                ),
              );
              return h(
                'tr',
                { 'data-testid': 'team-row', 'data-team-id': team.id, 'data-state': team.state },
                h(
                  'th',
                  { scope: 'row' },
                  team.name,
                  h('br', {}),
                  h('span', { class: 'muted small team-id' }, team.id),
                ),
                h(
                  'td',
                  {},
                  h('span', { class: `state team-${team.state}` }, teamStateLabel(team.state)),
                  ' ',
                  h('progress', {
                    max: Math.max(1, total),
                    value: ready,
                    'aria-label': t('exercise.hostsReady', { ready, total }),
                  }),
                  ' ',
                  h(
                    'span',
                    {
                      class: 'small hosts-ready',
                      'data-testid': 'hosts-ready',
                      'data-ready': ready,
                      'data-total': total,
                    },
                    t('exercise.hostsReady', { ready, total }),
                  ),
                  team.attempts > 1 &&
                    team.state !== 'ready' &&
                    h('span', { class: 'muted small' }, ` · ${t('exercise.attempt', { n: team.attempts })}`),
                  team.lastError !== null &&
                    team.state !== 'ready' &&
                    h('p', { class: 'error small' }, team.lastError),
                ),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'join-code-button',
                      onclick: () => void this.joinCode(team.id),
                    },
                    code ? t('exercise.newJoinCode') : t('exercise.joinCode'),
                  ),
                  code &&
                    h(
                      'div',
                      { class: 'join-code' },
                      h('code', { 'data-testid': 'join-code' }, code.code),
                      h('br', {}),
                      h(
                        'a',
                        { href: link, 'data-testid': 'join-link', target: '_blank', rel: 'noopener' },
                        t('exercise.joinLink'),
                      ),
                      ' ',
                      h(
                        'button',
                        {
                          type: 'button',
                          class: 'link',
                          onclick: () => {
                            void navigator.clipboard.writeText(link).then(
                              () => this.say(t('exercise.copied')),
                              () => undefined,
                            );
                          },
                        },
                        t('exercise.copyLink'),
                      ),
                      h(
                        'p',
                        { class: 'muted small' },
                        t('exercise.codeExpires', { time: formatDateTime(code.expiresAt) }),
                      ),
                    ),
                ),
                h(
                  'td',
                  {},
                  h('label', { for: hostSelectId, class: 'sr-only' }, t('exercise.host')),
                  hostSelect,
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'reset-host-button',
                      disabled: over,
                      onclick: () => this.askReset(team.id, hostSelect.value),
                    },
                    t('exercise.resetHost'),
                  ),
                  ' ',
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'reset-team-button',
                      disabled: over,
                      onclick: () => this.askReset(team.id, undefined),
                    },
                    t('exercise.resetTeam'),
                  ),
                  this.confirmingReset?.teamId === team.id && this.resetConfirmation(team.name),
                  feedback &&
                    h(
                      'p',
                      { class: feedback.ok ? 'good small' : 'error small', role: 'status' },
                      feedback.text(),
                    ),
                ),
                h(
                  'td',
                  {},
                  this.webServices(team.hosts).map(({ host, port }) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        'data-testid': 'staff-web-button',
                        'data-host': host,
                        'data-port': String(port),
                        disabled: team.state !== 'ready' || s.state !== 'running',
                        onclick: () => {
                          void this.openWeb(team.id, host, port);
                        },
                      },
                      t('exercise.openWeb', { host, port: String(port) }),
                    ),
                  ),
                  this.consoleHosts(team.hosts).map((host) =>
                    h(
                      'button',
                      {
                        type: 'button',
                        'data-testid': 'staff-terminal-button',
                        'data-host': host,
                        disabled: team.state !== 'ready' || s.state !== 'running',
                        'aria-pressed': String(
                          this.ownShell?.teamId === team.id && this.ownShell.host === host,
                        ),
                        onclick: () => this.openShell(team.id, host),
                      },
                      t('exercise.openTerminal', { host }),
                    ),
                  ),
                ),
              );
            }),
          ),
        ),
    );
    if (focusKey) {
      const [teamId, testId] = focusKey;
      if (teamId !== undefined && testId !== undefined)
        this.slots.teams
          .querySelector<HTMLElement>(
            `[data-team-id="${CSS.escape(teamId)}"] [data-testid="${CSS.escape(testId)}"]`,
          )
          ?.focus();
    }
  }

  private renderActions(): void {
    const broadcastId = this.broadcastInput.id;
    // Torn down: nothing left to score, extend, reset or tell; the page says so once.
    const over = this.status?.state === 'ended';
    this.broadcastInput.disabled = over;
    const f = this.actionFeedback;
    replaceChildren(
      this.slots.actions,
      h('h2', {}, t('exercise.actions')),
      h(
        'div',
        { class: 'row scoring-controls', role: 'group', 'aria-label': t('exercise.scoringControls') },
        h('strong', {}, t('exercise.scoringControls'), ': '),
        h(
          'span',
          { 'data-testid': 'scoring-status', 'data-status': this.scoringStatus },
          this.scoringLabel(),
        ),
        !over &&
          this.scoringStatus !== 'running' &&
          h(
            'button',
            {
              type: 'button',
              class: 'primary',
              'data-testid': 'scoring-start',
              onclick: () => void this.scoringAction('start'),
            },
            t(this.scoringStatus === 'ended' ? 'exercise.scoringRestart' : 'exercise.scoringStart'),
          ),
        !over &&
          this.scoringStatus === 'running' &&
          h(
            'button',
            {
              type: 'button',
              'data-testid': this.frozen ? 'scoring-unfreeze' : 'scoring-freeze',
              onclick: () => void this.scoringAction(this.frozen ? 'unfreeze' : 'freeze'),
            },
            t(this.frozen ? 'exercise.scoringUnfreeze' : 'exercise.scoringFreeze'),
          ),
        !over &&
          this.scoringStatus === 'running' &&
          !this.confirmingScoringEnd &&
          h(
            'button',
            {
              type: 'button',
              'data-testid': 'scoring-end',
              onclick: () => {
                this.confirmingScoringEnd = true;
                this.renderActions();
                this.slots.actions
                  .querySelector<HTMLButtonElement>('[data-testid="scoring-end-confirm"]')
                  ?.focus();
              },
            },
            t('exercise.scoringEnd'),
          ),
      ),
      !over &&
        this.confirmingScoringEnd &&
        this.scoringStatus === 'running' &&
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
                this.renderActions();
              },
            },
            t('common.cancel'),
          ),
        ),
      !over && this.scoringStatus === 'pending' && h('p', { class: 'warn' }, t('exercise.scoringPending')),
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
            (this.status?.teams ?? []).map((team) =>
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
            href: `${this.base()}/results?format=csv`,
            download: '',
            'data-testid': 'export-csv',
          },
          t('exercise.exportCsv'),
        ),
        h(
          'a',
          {
            class: 'button-link',
            href: `${this.base()}/results?format=json`,
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
              disabled: this.status?.state === 'ended',
              onclick: () => {
                this.confirmingTeardown = true;
                this.renderActions();
                this.slots.actions
                  .querySelector<HTMLButtonElement>('[data-testid="teardown-confirm"]')
                  ?.focus();
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
                this.renderActions();
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

  private objectiveTitle(id: string): string {
    const o = this.scenario?.objectives.find((x) => x.id === id);
    return o ? pickText(o.title) : id;
  }

  private teamName(id: string): string {
    return (
      this.status?.teams.find((team) => team.id === id)?.name ??
      this.board.find((r) => r.teamId === id)?.teamName ??
      id
    );
  }

  private renderScoring(): void {
    this.renderGrid();
    this.boardPanel.show(this.board, this.frozen);
    this.renderTimeline();
    this.sharingPanel.render();
  }

  /**
   * The teams × objectives grid in its own horizontally scrolling region (kept across updates, so
   * its scroll position and focus stay): compact numbered column headers with the full title as a
   * tooltip and as text for screen readers, team names in a sticky first column, and a legend.
   */
  private renderGrid(): void {
    const objectives =
      this.scenario?.objectives ??
      this.stats.map((s) => ({ id: s.objectiveId, title: s.objectiveId, points: 0, kind: '' }));
    const teams = this.status?.teams ?? [];
    const scrollLeft = this.gridScroll.scrollLeft;
    this.gridHeading.textContent = t('exercise.grid');
    this.gridScroll.title = t('exercise.gridScrollHint');
    replaceChildren(
      this.gridScroll,
      h(
        'table',
        { class: 'grid', 'data-testid': 'grid' },
        h('caption', { class: 'sr-only' }, t('exercise.grid')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col', class: 'sticky-col' }, t('exercise.team')),
            objectives.map((o, i) => {
              const stat = this.stats.find((s) => s.objectiveId === o.id);
              const title = pickText(o.title);
              const short = t('exercise.objectiveNumber', { n: i + 1 });
              return h(
                'th',
                { scope: 'col', class: 'objective-col', 'data-objective-id': o.id },
                h(
                  'abbr',
                  { title: `${short} ${title}`, 'aria-hidden': 'true' },
                  h('span', { class: 'objective-number' }, short),
                  h('span', { class: 'objective-short' }, title),
                ),
                h('span', { class: 'sr-only' }, `${short} ${title}`),
                'forgeable' in o &&
                  o.forgeable === true &&
                  h(
                    'span',
                    {
                      class: 'badge warn small',
                      'data-testid': 'objective-forgeable',
                      title: t('exercise.forgeableTitle'),
                    },
                    t('exercise.forgeable'),
                  ),
                stat &&
                  h(
                    'span',
                    { class: 'muted small objective-stat' },
                    t('exercise.solvesOf', { solves: stat.solves, value: stat.value }),
                  ),
              );
            }),
          ),
        ),
        h(
          'tbody',
          {},
          teams.map((team) =>
            h(
              'tr',
              { 'data-team-id': team.id },
              h('th', { scope: 'row', class: 'sticky-col' }, team.name),
              objectives.map((o) => {
                const at = this.solved.get(team.id)?.get(o.id);
                const tries = this.attempts.get(team.id)?.get(o.id) ?? 0;
                const first = this.stats.find((s) => s.objectiveId === o.id)?.firstBlood?.teamId === team.id;
                return h(
                  'td',
                  {
                    'data-testid': 'grid-cell',
                    'data-team-id': team.id,
                    'data-objective-id': o.id,
                    'data-solved': String(at !== undefined),
                    class: at !== undefined ? 'solved' : tries > 0 ? 'tried' : '',
                  },
                  at !== undefined
                    ? [
                        h('span', { 'aria-hidden': 'true' }, first ? '★' : '✓'),
                        h('span', { class: 'sr-only' }, t(first ? 'exercise.firstBlood' : 'exercise.solved')),
                        ' ',
                        h('span', { class: 'small' }, formatTime(at)),
                      ]
                    : tries > 0
                      ? h('span', { class: 'small' }, t('exercise.tries', { count: tries }))
                      : [
                          h('span', { class: 'muted', 'aria-hidden': 'true' }, '·'),
                          h('span', { class: 'sr-only' }, t('exercise.notSolved')),
                        ],
                );
              }),
            ),
          ),
        ),
      ),
    );
    this.gridScroll.scrollLeft = scrollLeft;
    replaceChildren(
      this.gridLegend,
      h('summary', {}, t('exercise.gridLegend', { count: objectives.length })),
      h(
        'ol',
        { class: 'grid-legend-list' },
        objectives.map((o) =>
          h(
            'li',
            { 'data-objective-id': o.id },
            pickText(o.title),
            o.points > 0 &&
              h('span', { class: 'muted small' }, ` · ${t('exercise.points', { points: o.points })}`),
          ),
        ),
      ),
    );
  }

  private renderTimeline(): void {
    const selectId = uid('timeline-team');
    const teams = this.status?.teams ?? [];
    const all = this.timelineLoaded
      ? [...this.timeline.values()]
      : [...this.resultEvents, ...this.timeline.values()];
    const events =
      this.timelineTeam === '' ? all : all.filter((e) => !('teamId' in e) || e.teamId === this.timelineTeam);
    replaceChildren(
      this.slots.timeline,
      h('h2', {}, t('exercise.timeline')),
      h('label', { for: selectId }, t('exercise.timelineTeam')),
      ' ',
      h(
        'select',
        {
          id: selectId,
          'data-testid': 'timeline-team',
          onchange: (event) => {
            this.timelineTeam = (event.target as HTMLSelectElement).value;
            if (this.timelineTeam !== '') void this.loadTimeline(this.timelineTeam);
            this.renderTimeline();
            this.slots.timeline.querySelector<HTMLSelectElement>('select')?.focus();
          },
        },
        h('option', { value: '', selected: this.timelineTeam === '' }, t('exercise.allTeams')),
        teams.map((team) =>
          h('option', { value: team.id, selected: team.id === this.timelineTeam }, team.name),
        ),
      ),
      timelineList(events, {
        objective: (id) => this.objectiveTitle(id),
        team: (id) => this.teamName(id),
        showTeam: this.timelineTeam === '',
      }),
    );
  }

  private renderTerminals(): void {
    const list = this.liveTerminals;
    replaceChildren(
      this.slots.terminals,
      h('h2', {}, t('exercise.terminals')),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'terminals-refresh',
          'aria-label': t('exercise.refreshTerminals'),
          onclick: () => this.listTerminals(),
        },
        t('common.refresh'),
      ),
      this.terminalsError !== '' && h('p', { class: 'error' }, this.terminalsError),
      list === undefined && this.terminalsError === '' && h('p', { class: 'muted' }, t('common.loading')),
      list?.length === 0 && h('p', { class: 'muted' }, t('exercise.noTerminals')),
      list &&
        list.length > 0 &&
        h(
          'table',
          { class: 'list' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('exercise.team')),
              h('th', { scope: 'col' }, t('exercise.host')),
              h('th', { scope: 'col' }, t('exercise.openedBy')),
              h('th', { scope: 'col' }, t('exercise.since')),
              h('th', { scope: 'col' }, t('exercise.attached')),
              h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('exercise.shadow'))),
            ),
          ),
          h(
            'tbody',
            {},
            list.map((info) =>
              h(
                'tr',
                {
                  'data-testid': 'terminal-row',
                  'data-terminal-id': info.terminalId,
                  'data-team-id': info.teamId,
                  'data-host': info.host,
                },
                h('td', {}, this.teamName(info.teamId)),
                h('td', {}, info.host),
                h('td', {}, info.openedBy),
                h('td', {}, formatTime(info.startedAt)),
                h('td', {}, info.attached ? t('exercise.attachedYes') : t('exercise.attachedNo')),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      'data-testid': 'shadow-button',
                      'aria-pressed': String(this.shadow?.info.terminalId === info.terminalId),
                      onclick: () => this.watch(info),
                    },
                    t('exercise.shadow'),
                  ),
                ),
              ),
            ),
          ),
        ),
    );
  }

  private renderShadow(): void {
    const s = this.shadow;
    if (!s) {
      replaceChildren(this.slots.shadow);
      return;
    }
    replaceChildren(
      this.slots.shadow,
      h(
        'section',
        { class: 'panel shadow' },
        h(
          'div',
          { class: 'row' },
          h(
            'h2',
            {},
            t('exercise.shadowTitle', {
              team: this.teamName(s.info.teamId),
              host: s.info.host,
              who: s.info.openedBy,
            }),
          ),
          h(
            'button',
            { type: 'button', 'data-testid': 'shadow-close', onclick: () => this.stopWatching() },
            t('exercise.stopShadow'),
          ),
        ),
        h('p', { class: 'muted small' }, t('exercise.readOnly')),
        s.pane.element,
      ),
    );
  }

  private renderOwnShell(): void {
    const shell = this.ownShell;
    if (!shell) {
      replaceChildren(this.slots.ownShell);
      return;
    }
    const titleId = uid('own-shell');
    replaceChildren(
      this.slots.ownShell,
      h(
        'section',
        { class: 'panel own-shell', 'aria-labelledby': titleId, 'data-testid': 'staff-terminal-panel' },
        h(
          'div',
          { class: 'row' },
          h(
            'h2',
            { id: titleId },
            t('exercise.ownShellTitle', { team: this.teamName(shell.teamId), host: shell.host }),
          ),
          h(
            'button',
            { type: 'button', 'data-testid': 'staff-terminal-close', onclick: () => this.closeShell() },
            t('exercise.ownShellClose'),
          ),
        ),
        h('p', { class: 'warn small' }, t('exercise.ownShellNote')),
        shell.pane.element,
      ),
    );
  }

  private renderRecordings(): void {
    const list = this.recordings;
    replaceChildren(
      this.slots.recordings,
      h('h2', {}, t('exercise.recordings')),
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          'data-testid': 'recordings-refresh',
          'aria-label': t('recordings.refresh'),
          onclick: () => this.refreshLists(true),
        },
        t('common.refresh'),
      ),
      this.recordingsError !== '' && h('p', { class: 'error' }, this.recordingsError),
      h(
        'ul',
        { class: 'recordings', 'data-testid': 'recordings' },
        list?.length === 0 && h('li', { class: 'muted' }, t('recordings.none')),
        (list ?? []).map((r) =>
          h(
            'li',
            {
              'data-testid': 'recording-row',
              'data-recording-id': r.recordingId,
              'data-terminal-id': r.terminalId,
              'data-team-id': r.teamId,
              'data-host': r.host,
            },
            h('strong', {}, `${this.teamName(r.teamId)} / ${r.host}`),
            ' — ',
            r.openedBy,
            ' · ',
            formatDateTime(r.startedAt),
            r.endedAt !== null ? ` – ${formatTime(r.endedAt)}` : ` (${t('recordings.live')})`,
            ' · ',
            formatBytes(r.bytes),
            r.truncated && ` · ${t('recordings.truncated')}`,
            r.includesInput && ` · ${t('recordings.withInput')}`,
            ' ',
            h(
              'a',
              {
                href: `${this.base()}/recordings/${encodeURIComponent(r.recordingId)}`,
                download: `${r.recordingId}.cast`,
                'data-testid': 'recording-download',
              },
              t('recordings.download'),
            ),
            ' ',
            h(
              'button',
              { type: 'button', 'data-testid': 'replay-button', onclick: () => void this.replayRecording(r) },
              t('recordings.replay'),
            ),
          ),
        ),
      ),
    );
  }

  private renderReplay(): void {
    const r = this.replay;
    if (!r) {
      replaceChildren(this.slots.replay);
      return;
    }
    replaceChildren(
      this.slots.replay,
      h(
        'section',
        { class: 'panel' },
        h(
          'div',
          { class: 'row' },
          h('h2', {}, t('recordings.replayTitle', { team: this.teamName(r.info.teamId), host: r.info.host })),
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                r.player.dispose();
                this.replay = undefined;
                this.renderReplay();
              },
            },
            t('common.close'),
          ),
        ),
        r.player.element,
      ),
    );
  }
}

/**
 * Re-renders a part of the page that refreshes by itself, giving the focus back to the same control
 * (same row by recording or terminal id, same test id) so a keyboard user does not lose their place.
 */
function keepingFocus(slot: HTMLElement, render: () => void): void {
  const active = document.activeElement;
  let selector: string | undefined;
  if (active instanceof HTMLElement && slot.contains(active) && active.dataset['testid'] !== undefined) {
    const control = `[data-testid="${CSS.escape(active.dataset['testid'])}"]`;
    const row = active.closest<HTMLElement>('[data-recording-id], [data-terminal-id]');
    const recording = row?.dataset['recordingId'];
    const terminal = row?.dataset['terminalId'];
    selector =
      recording !== undefined
        ? `[data-recording-id="${CSS.escape(recording)}"] ${control}`
        : terminal !== undefined
          ? `[data-terminal-id="${CSS.escape(terminal)}"] ${control}`
          : control;
  }
  render();
  if (selector !== undefined) slot.querySelector<HTMLElement>(selector)?.focus();
}

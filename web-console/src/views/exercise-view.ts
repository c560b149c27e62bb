import type { BoardSnapshotMessage } from '../../../contract/scoring-events.ts';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h } from '../dom.ts';
import { pickText, t } from '../i18n/i18n.ts';
import { exerciseStateLabel } from '../labels.ts';
import { isNewer, mergeRows, mergeStats } from '../scoreboard-state.ts';
import { connectScoring, type ScoringSocket } from '../scoring-connection.ts';
import { TerminalConnection } from '../terminal/terminal-connection.ts';
import type {
  BoardRow,
  ExerciseStatus,
  ExerciseSummary,
  ObjectiveStats,
  ScenarioDetail,
  ScoringEvent,
} from '../types.ts';
import type { View } from '../view.ts';
import { ExerciseActionsPanel } from './exercise-actions-panel.ts';
import { ExerciseBoardPanel } from './exercise-board-panel.ts';
import { ExerciseGridPanel } from './exercise-grid-panel.ts';
import { ExerciseHeadPanel } from './exercise-head-panel.ts';
import { ExerciseInstructorsPanel } from './exercise-instructors-panel.ts';
import { ExerciseRecordingsPanel } from './exercise-recordings-panel.ts';
import { keepingFocus } from './exercise-shared.ts';
import { ExerciseSharingPanel } from './exercise-sharing-panel.ts';
import { ExerciseShellPanel } from './exercise-shell-panel.ts';
import { ExerciseTeamsPanel } from './exercise-teams-panel.ts';
import { ExerciseTerminalsPanel } from './exercise-terminals-panel.ts';
import { ExerciseTimelinePanel, resultEvents } from './exercise-timeline-panel.ts';
import { HelpQueuePanel } from './help-queue-panel.ts';
import { PeoplePanel } from './people-panel.ts';

/** Live terminals and recordings are refreshed together this often while the page is visible. */
const LIST_REFRESH_MS = 5000;

/**
 * One exercise, live: provisioning progress per team, join codes, resets, time, broadcasts, the
 * teams × objectives grid, scoreboard and timeline (`/scoring`), live terminals with read-only
 * shadowing, recordings with a replay player, suspected flag sharing, and result exports.
 *
 * This class is the wiring: it loads the exercise, follows the `/scoring` socket, keeps the merged
 * status and scoring state, and passes them to the panels (one file each) that render the parts.
 */
export class ExerciseView implements View {
  readonly element: HTMLElement;
  private readonly headPanel: ExerciseHeadPanel;
  private status: ExerciseStatus | undefined;
  private scenario: ScenarioDetail | undefined;
  private readonly people: PeoplePanel;
  private readonly instructors: ExerciseInstructorsPanel;
  private error = '';
  private board: readonly BoardRow[] = [];
  private stats: readonly ObjectiveStats[] = [];
  private seq = -1;
  private scoringStatus = '';
  private frozen = false;
  private subscribed = false;
  private readonly boardPanel = new ExerciseBoardPanel();
  private readonly sharingPanel = new ExerciseSharingPanel({
    teamName: (id) => this.teamName(id),
    objectiveTitle: (id) => this.objectiveTitle(id),
  });
  private readonly teams: ExerciseTeamsPanel;
  private readonly actions: ExerciseActionsPanel;
  private readonly grid = new ExerciseGridPanel({
    state: () => ({ scenario: this.scenario, stats: this.stats, teams: this.status?.teams ?? [] }),
  });
  private readonly timeline = new ExerciseTimelinePanel({
    teams: () => this.status?.teams ?? [],
    teamName: (id) => this.teamName(id),
    objectiveTitle: (id) => this.objectiveTitle(id),
    teamChosen: (team) => void this.loadTimeline(team),
  });
  private readonly shell: ExerciseShellPanel;
  private readonly terminals: ExerciseTerminalsPanel;
  private readonly recordings: ExerciseRecordingsPanel;
  private readonly scoring: ScoringSocket;
  private readonly help: HelpQueuePanel;
  private connection: TerminalConnection | undefined;
  private listTimer: ReturnType<typeof setInterval> | undefined;
  private disposed = false;
  private readonly liveRegion = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });

  constructor(private readonly exerciseId: string) {
    this.headPanel = new ExerciseHeadPanel(this.exerciseId);
    this.teams = new ExerciseTeamsPanel(this.exerciseId, {
      state: () => ({ status: this.status, scenario: this.scenario, ownShell: this.shell.current }),
      summary: (next) => {
        this.status = this.merged(next);
      },
      joinCodeIssued: () => void this.people.load(),
      openShell: (teamId, host) => this.shell.open(teamId, host),
      say: (text) => this.say(text),
    });
    this.actions = new ExerciseActionsPanel(this.exerciseId, {
      state: () => ({ status: this.status, scoringStatus: this.scoringStatus, frozen: this.frozen }),
      scoringLabel: () => this.scoringLabel(),
      summary: (next) => (this.status = this.merged(next)),
      scoringChanged: (change) => {
        if (change.status !== undefined) this.scoringStatus = change.status;
        if (change.frozen !== undefined) this.frozen = change.frozen;
      },
      changed: (teams) => {
        this.renderHead();
        this.actions.render();
        if (teams) this.teams.render();
      },
    });
    this.shell = new ExerciseShellPanel(this.exerciseId, {
      connection: () => this.terminalConnection(),
      teamName: (id) => this.teamName(id),
      say: (text) => this.say(text),
      shellChanged: (closed) => {
        this.teams.render();
        if (closed) this.teams.focusShellButton(closed.teamId, closed.host);
      },
    });
    this.terminals = new ExerciseTerminalsPanel(this.exerciseId, {
      connection: () => this.terminalConnection(),
      teamName: (id) => this.teamName(id),
      recordingsChanged: () => void this.recordings.load(),
    });
    this.recordings = new ExerciseRecordingsPanel(this.exerciseId, {
      teamName: (id) => this.teamName(id),
      refreshLists: () => this.refreshLists(true),
    });
    this.element = h(
      'section',
      { class: 'page exercise' },
      this.headPanel.element,
      this.liveRegion,
      this.actions.element,
      this.teams.element,
      (this.people = new PeoplePanel(this.exerciseId)).element,
      (this.instructors = new ExerciseInstructorsPanel(this.exerciseId)).element,
      this.shell.element,
      this.grid.element,
      h('div', { class: 'two-columns' }, this.boardPanel.element, this.timeline.element),
      this.terminals.element,
      this.terminals.shadowElement,
      this.recordings.element,
      this.recordings.replayElement,
      this.sharingPanel.element,
    );
    this.scoring = connectScoring();
    this.help = new HelpQueuePanel(this.exerciseId, this.scoring, {
      teamName: (id) => this.teamName(id),
      objectiveTitle: (id) => this.objectiveTitle(id),
    });
    this.actions.element.before(this.help.element);
    this.scoring.on('connect', () => this.subscribe());
    this.scoring.on('board:snapshot', (snapshot) => {
      if (snapshot.exerciseId === this.exerciseId) this.applySnapshot(snapshot);
    });
    this.scoring.on('instructor:update', (update) => {
      if (update.exerciseId !== this.exerciseId || !isNewer(update.seq, this.seq)) return;
      const changed = this.scoringStatus !== update.status || this.frozen !== update.frozen;
      this.seq = update.seq;
      this.scoringStatus = update.status;
      this.frozen = update.frozen;
      if (changed) {
        this.renderHead();
        this.actions.render();
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
      this.teams.render();
      this.actions.render();
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
      keepingFocus(this.teams.element, () => this.teams.render());
    });
    // after a lost connection the socket subscribes again, and then reads the exercise once more
    this.relocalize();
    void this.loadStatus();
    void this.loadResults();
    void this.loadTimeline();
    void this.loadSharing();
    void this.loadAttempts();
    void this.recordings.load();
    this.terminals.list(); // connects the `/terminal` socket; the list follows once it is up
    this.listTimer = setInterval(() => this.refreshLists(false), LIST_REFRESH_MS);
  }

  relocalize(): void {
    this.renderHead();
    this.help.relocalize();
    this.teams.render();
    this.people.relocalize();
    this.instructors.relocalize();
    this.actions.render();
    this.renderScoring();
    this.terminals.relocalize();
    this.shell.relocalize();
    this.recordings.relocalize();
  }

  dispose(): void {
    this.disposed = true;
    if (this.listTimer !== undefined) clearInterval(this.listTimer);
    this.scoring.disconnect();
    this.help.dispose();
    this.terminals.dispose();
    this.shell.dispose();
    this.recordings.dispose();
    this.connection?.close();
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
    this.teams.render();
    this.actions.render();
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
    this.teams.render();
  }

  private subscribe(): void {
    if (!this.scoring.connected) return;
    this.scoring.emit('subscribe', { exerciseId: this.exerciseId }, (reply) => {
      if (reply.ok) {
        this.subscribed = true;
        // events pushed while the socket was away are in the staff timeline
        void this.loadTimeline(this.timeline.team);
        // and provisioning pushed before this subscription began is in the exercise's status
        void this.loadStatus();
        if (reply.snapshot.seq >= this.seq) this.applySnapshot(reply.snapshot);
      }
    });
  }

  /** The whole scoring state (a snapshot pushed, or the subscription's answer). */
  private applySnapshot(snapshot: BoardSnapshotMessage): void {
    this.seq = snapshot.seq;
    this.scoringStatus = snapshot.status;
    this.frozen = snapshot.frozen;
    this.board = snapshot.instructor?.board ?? snapshot.board;
    this.stats = snapshot.instructor?.objectives ?? snapshot.objectives;
    if (snapshot.instructor) this.sharingPanel.replace(snapshot.instructor.sharing);
    this.renderScoring();
    this.renderHead();
    this.actions.render();
  }

  private async loadResults(): Promise<void> {
    try {
      const rows = await client.get('/api/exercises/{id}/results', {
        path: { id: this.exerciseId },
        query: { format: 'json', view: 'live' },
      });
      for (const event of resultEvents(rows)) {
        if (event.type === 'solve') this.grid.markSolved(event.teamId, event.objectiveId, event.at);
        this.timeline.addFallback(event);
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
      this.timeline.add(result.events, true);
      for (const event of result.events)
        if (event.type === 'solve') this.grid.markSolved(event.teamId, event.objectiveId, event.at);
      this.timeline.render();
      this.grid.render();
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
        this.grid.setAttempts(team.teamId, map);
      }
      this.renderScoring();
    } catch {
      // counted from live events
    }
  }

  private applyEvent(event: ScoringEvent): void {
    this.timeline.add([event], false);
    if (event.type === 'solve') this.grid.markSolved(event.teamId, event.objectiveId, event.at);
    if (event.type === 'submission') this.grid.countAttempt(event.teamId, event.objectiveId);
  }

  /** The page's one `/terminal` socket: the live list, the shadow and the instructor's own shell. */
  private terminalConnection(): TerminalConnection {
    if (!this.connection) {
      this.connection = new TerminalConnection();
      this.connection.onState((connected) => {
        if (connected) this.terminals.list();
      });
      this.connection.onError((message) => this.terminals.unavailable(message));
    }
    return this.connection;
  }

  /** Both lists at once (the timer, and the recordings' refresh button); nothing while the page is hidden. */
  private refreshLists(always: boolean): void {
    if (this.disposed || (!always && document.hidden)) return;
    this.terminals.list();
    void this.recordings.load();
  }

  /** Actions answer with the exercise summary (no engine view): keep the last environments. */
  private merged(next: ExerciseSummary): ExerciseStatus {
    return { ...next, environments: this.status?.environments ?? [] };
  }

  private scoringLabel(): string {
    if (this.status?.state === 'ended') return t('exercise.scoringOver');
    return this.frozen
      ? `${exerciseStateLabel(this.scoringStatus)} (${t('board.frozen')})`
      : exerciseStateLabel(this.scoringStatus);
  }

  // ── rendering ────────────────────────────────────────────────────────────────────────────────

  private say(text: string): void {
    this.liveRegion.textContent = text;
  }

  private renderHead(): void {
    this.headPanel.render({
      status: this.status,
      scenario: this.scenario,
      error: this.error,
      scoringStatus: this.scoringStatus,
      scoringLabel: this.scoringLabel(),
    });
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
    this.grid.render();
    this.boardPanel.show(this.board, this.frozen);
    this.timeline.render();
    this.sharingPanel.render();
  }
}

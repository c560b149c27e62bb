import { client } from '../api-client.ts';
import { h, replaceChildren } from '../dom.ts';
import { isNewer, mergeRows, mergeStats } from '../scoreboard-state.ts';
import { formatNumber, LOCALES, locale, pickText, setLocale, t, type Locale } from '../i18n/i18n.ts';
import { connectScoring, type ScoringSocket } from '../scoring-connection.ts';
import type { BoardRow, ExerciseStatus, ObjectiveStats, ScenarioDetail } from '../types.ts';
import type { View } from '../view.ts';

/** Rows the board is sized for at least (a few teams get large type, many get smaller). */
const MIN_ROWS = 6;
/** Most rows in one column of the board: more teams are shown in two or three columns side by side. */
const ROWS_PER_COLUMN = 16;

/**
 * The projector scoreboard (`#/instructor/exercises/<id>/board`): full screen, large type, the
 * teams' ranks, points and solves and each objective's solves, live over the `/scoring` socket (no
 * polling). It shows the public board — what trainees see — so a frozen board stays frozen on the
 * projector. No trainee names (teams only), no flags or answers. The console's top bar is hidden
 * while it is open.
 */
export class ProjectorView implements View {
  readonly element = h('section', { class: 'projector', 'data-testid': 'projector' });
  private readonly socket: ScoringSocket;
  private seq = -1;
  private board: readonly BoardRow[] = [];
  private objectives: readonly ObjectiveStats[] = [];
  private status = '';
  private frozen = false;
  private connected = false;
  private exercise: ExerciseStatus | undefined;
  private scenario: ScenarioDetail | undefined;
  private disposed = false;
  private readonly onFullscreen = () => this.render();

  constructor(private readonly exerciseId: string) {
    document.body.classList.add('projector-mode');
    document.addEventListener('fullscreenchange', this.onFullscreen);
    this.socket = connectScoring();
    this.socket.on('connect', () => {
      this.connected = true;
      this.subscribe();
    });
    this.socket.on('disconnect', () => {
      this.connected = false;
      this.render();
    });
    this.socket.on('board:snapshot', (snapshot) => {
      if (snapshot.exerciseId !== this.exerciseId || snapshot.seq < this.seq) return;
      this.seq = snapshot.seq;
      this.board = snapshot.board; // the public board: frozen while a freeze lasts
      this.objectives = snapshot.objectives;
      this.status = snapshot.status;
      this.frozen = snapshot.frozen;
      this.render();
    });
    this.socket.on('board:delta', (delta) => {
      if (delta.exerciseId !== this.exerciseId || !isNewer(delta.seq, this.seq)) return;
      this.seq = delta.seq;
      this.board = mergeRows(this.board, delta.rows);
      this.objectives = mergeStats(this.objectives, delta.objectives);
      this.status = delta.status;
      this.frozen = delta.frozen;
      this.render();
    });
    this.socket.on('exercise:state', (message) => {
      if (message.exerciseId !== this.exerciseId || !this.exercise) return;
      this.exercise = { ...this.exercise, state: message.state as ExerciseStatus['state'] };
      this.render();
    });
    this.render();
    void this.load();
  }

  relocalize(): void {
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    document.body.classList.remove('projector-mode');
    document.removeEventListener('fullscreenchange', this.onFullscreen);
    this.socket.disconnect();
  }

  private subscribe(): void {
    this.socket.emit('subscribe', { exerciseId: this.exerciseId }, (reply) => {
      if (!reply.ok || this.disposed) return;
      const snapshot = reply.snapshot;
      if (snapshot.seq < this.seq) return;
      this.seq = snapshot.seq;
      this.board = snapshot.board;
      this.objectives = snapshot.objectives;
      this.status = snapshot.status;
      this.frozen = snapshot.frozen;
      this.render();
    });
  }

  /** The exercise and its scenario version: titles only (the numbers come over the socket). */
  private async load(): Promise<void> {
    try {
      this.exercise = await client.get('/api/exercises/{id}', { path: { id: this.exerciseId } });
      this.render();
      const { id, version } = this.exercise.scenario;
      const found = await client.get('/api/scenarios/{id}', { path: { id }, query: { version } });
      if ('valid' in found) this.scenario = found;
    } catch {
      // the board still shows, under the exercise id
    }
    if (!this.disposed) this.render();
  }

  private render(): void {
    const title = this.scenario ? pickText(this.scenario.title) : (this.exercise?.scenario.id ?? '');
    const columns = Math.min(3, Math.max(1, Math.ceil(this.board.length / ROWS_PER_COLUMN)));
    const perColumn = Math.ceil(this.board.length / columns);
    const rows = Math.max(MIN_ROWS, perColumn);
    const statusKey =
      this.status === 'running'
        ? 'projector.running'
        : this.status === 'ended'
          ? 'projector.ended'
          : this.status === 'pending'
            ? 'projector.pending'
            : undefined;
    const fullscreen = document.fullscreenElement !== null;
    this.element.dataset['status'] = this.status;
    this.element.dataset['frozen'] = String(this.frozen);
    this.element.dataset['seq'] = String(this.seq);
    this.element.style.setProperty('--rows', String(rows));
    this.element.dataset['columns'] = String(columns);
    replaceChildren(
      this.element,
      h(
        'header',
        { class: 'projector-head' },
        h('h1', {}, title || this.exerciseId, h('span', { class: 'projector-id' }, this.exerciseId)),
        h(
          'div',
          { class: 'projector-state' },
          statusKey &&
            h(
              'span',
              { class: `projector-badge projector-${this.status}`, 'data-testid': 'projector-status' },
              t(statusKey),
            ),
          !this.connected &&
            h(
              'span',
              { class: 'projector-badge', 'data-testid': 'projector-connection' },
              t('projector.reconnecting'),
            ),
        ),
        h(
          'div',
          { class: 'projector-tools' },
          !fullscreen &&
            document.fullscreenEnabled &&
            h(
              'button',
              {
                type: 'button',
                'data-testid': 'projector-fullscreen',
                onclick: () => void document.documentElement.requestFullscreen().catch(() => undefined),
              },
              t('projector.fullscreen'),
            ),
          h(
            'select',
            {
              'data-testid': 'projector-lang',
              'aria-label': t('app.language'),
              onchange: (event) => setLocale((event.target as HTMLSelectElement).value as Locale),
            },
            LOCALES.map((l) =>
              h('option', { value: l, selected: l === locale(), lang: l }, l === 'en' ? 'English' : '日本語'),
            ),
          ),
          !fullscreen &&
            h(
              'a',
              {
                href: `#/instructor/exercises/${encodeURIComponent(this.exerciseId)}`,
                'data-testid': 'projector-back',
              },
              t('projector.back'),
            ),
        ),
      ),
      this.frozen &&
        h(
          'p',
          { class: 'projector-frozen', 'data-testid': 'projector-frozen', role: 'status' },
          t('projector.frozen'),
        ),
      h(
        'div',
        { class: 'projector-body' },
        h(
          'div',
          { class: 'projector-boards' },
          Array.from({ length: columns }, (_, i) =>
            this.boardTable(this.board.slice(i * perColumn, (i + 1) * perColumn), i === 0),
          ),
        ),
        h(
          'section',
          { class: 'projector-objectives', 'aria-labelledby': 'projector-objectives-title' },
          h('h2', { id: 'projector-objectives-title' }, t('projector.objectives')),
          h('ol', {}, this.objectiveItems()),
        ),
      ),
    );
  }

  /** One column of the board (`first`: the one that says so when there are no teams). */
  private boardTable(rows: readonly BoardRow[], first: boolean): HTMLElement {
    return h(
      'table',
      { class: 'projector-board', 'data-testid': 'projector-board' },
      h('caption', { class: 'sr-only' }, t('play.scoreboard')),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col', class: 'projector-rank' }, t('board.rank')),
          h('th', { scope: 'col' }, t('board.team')),
          h('th', { scope: 'col', class: 'num projector-solves' }, t('board.solves')),
          h('th', { scope: 'col', class: 'num' }, t('board.points')),
        ),
      ),
      h(
        'tbody',
        {},
        first && rows.length === 0 && h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('board.empty'))),
        rows.map((row) =>
          h(
            'tr',
            {
              'data-testid': 'projector-row',
              'data-team-id': row.teamId,
              'data-rank': row.rank,
              'data-points': row.points,
              'data-solves': row.solves,
              class: row.rank <= 3 ? `projector-top projector-top-${row.rank}` : '',
            },
            h('td', { class: 'projector-rank' }, formatNumber(row.rank)),
            h('th', { scope: 'row', class: 'projector-team', title: row.teamName }, row.teamName),
            h('td', { class: 'num projector-solves' }, formatNumber(row.solves)),
            h('td', { class: 'num projector-points' }, formatNumber(row.points)),
          ),
        ),
      ),
    );
  }

  /**
   * Each objective of the scenario in order with its solves. A title is shown when every team sees
   * the objective from the start (no `requires`) or once a solve is public; others stay numbered.
   */
  private objectiveItems(): HTMLElement[] {
    const statsById = new Map(this.objectives.map((o) => [o.objectiveId, o]));
    const listed =
      this.scenario?.objectives ?? this.objectives.map((o) => ({ id: o.objectiveId, title: o.objectiveId }));
    return listed.map((o, index) => {
      const stats = statsById.get(o.id);
      const solves = stats?.solves ?? 0;
      const hidden = 'requires' in o && Array.isArray(o.requires) && o.requires.length > 0 && solves === 0;
      const first = stats?.firstBlood
        ? this.board.find((r) => r.teamId === stats.firstBlood?.teamId)
        : undefined;
      return h(
        'li',
        { 'data-testid': 'projector-objective', 'data-objective-id': o.id, 'data-solves': solves },
        h(
          'span',
          { class: 'projector-objective-title' },
          hidden ? t('projector.locked', { number: index + 1 }) : pickText(o.title) || o.id,
        ),
        h(
          'span',
          { class: 'projector-objective-stats' },
          stats && h('span', { class: 'projector-value' }, t('projector.points', { count: stats.value })),
          ' · ',
          h('strong', {}, t('projector.solvedBy', { count: solves })),
          first && [' · ', t('projector.firstBlood', { team: first.teamName })],
        ),
      );
    });
  }
}

import { timelineList } from '../components.ts';
import { h, replaceChildren, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import type { ExerciseStatus, ResultRow, ScoringEvent } from '../types.ts';

/** What the timeline panel reads from the exercise page and asks of it. */
export interface TimelinePage {
  teams(): ExerciseStatus['teams'];
  teamName(id: string): string;
  objectiveTitle(id: string): string;
  /** One team was chosen: the page loads that team's older events too. */
  teamChosen(team: string): void;
}

/**
 * The exercise page's staff timeline: every team's scoring events (or one team's), by seq, the
 * loaded timeline merged with the live `instructor:update` events.
 */
export class ExerciseTimelinePanel {
  readonly element = h('section', { class: 'panel' });
  /** Scoring events by seq: the staff timeline (loaded) plus the live `instructor:update` events. */
  private readonly timeline = new Map<number, ScoringEvent>();
  /** Solves and awards from the results, shown only if the timeline cannot be loaded. */
  private resultEvents: ScoringEvent[] = [];
  private timelineLoaded = false;
  private timelineTeam = '';

  constructor(private readonly page: TimelinePage) {}

  /** The team shown ('' = every team). */
  get team(): string {
    return this.timelineTeam;
  }

  /** Events of the staff timeline as loaded (`loaded`) or pushed. */
  add(events: Iterable<ScoringEvent>, loaded: boolean): void {
    for (const event of events) this.timeline.set(event.seq, event);
    if (loaded) this.timelineLoaded = true;
  }

  /** The solves and awards of the results: what is shown while the timeline is not loaded. */
  addFallback(event: ScoringEvent): void {
    this.resultEvents.push(event);
  }

  render(): void {
    const selectId = uid('timeline-team');
    const teams = this.page.teams();
    const all = this.timelineLoaded
      ? [...this.timeline.values()]
      : [...this.resultEvents, ...this.timeline.values()];
    const events =
      this.timelineTeam === '' ? all : all.filter((e) => !('teamId' in e) || e.teamId === this.timelineTeam);
    replaceChildren(
      this.element,
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
            if (this.timelineTeam !== '') this.page.teamChosen(this.timelineTeam);
            this.render();
            this.element.querySelector<HTMLSelectElement>('select')?.focus();
          },
        },
        h('option', { value: '', selected: this.timelineTeam === '' }, t('exercise.allTeams')),
        teams.map((team) =>
          h('option', { value: team.id, selected: team.id === this.timelineTeam }, team.name),
        ),
      ),
      timelineList(events, {
        objective: (id) => this.page.objectiveTitle(id),
        team: (id) => this.page.teamName(id),
        showTeam: this.timelineTeam === '',
      }),
    );
  }
}

/**
 * The solves and awards of the results (`GET …/results?format=json&view=live`) as timeline events
 * (negative seqs): what stands in while the staff timeline cannot be loaded.
 */
export function resultEvents(rows: readonly ResultRow[]): ScoringEvent[] {
  const events: ScoringEvent[] = [];
  let n = 0;
  for (const row of rows) {
    if (row.time === null) continue;
    n += 1;
    const at = Date.parse(row.time);
    if (row.kind === 'objective' && row.objectiveId !== null && row.solved) {
      events.push({
        type: 'solve',
        seq: -n,
        at,
        teamId: row.teamId,
        objectiveId: row.objectiveId,
        via: row.via ?? 'flag',
      });
    } else if (row.kind === 'award') {
      events.push({
        type: 'award',
        seq: -n,
        at,
        teamId: row.teamId,
        points: row.points,
        reason: row.note,
      });
    }
  }
  return events;
}

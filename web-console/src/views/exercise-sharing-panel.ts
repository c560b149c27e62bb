import type { SharingReport } from '../../../contract/scoring-events.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatTime, t } from '../i18n/i18n.ts';

/**
 * Suspected flag sharing on the exercise page: each submission of another team's flag, pushed
 * (`instructor:update`) or read once (`GET /api/exercises/{id}/sharing`).
 */
export class ExerciseSharingPanel {
  readonly element = h('section', { class: 'panel' });
  private reports: SharingReport[] = [];

  constructor(
    private readonly names: {
      teamName: (id: string) => string;
      objectiveTitle: (id: string) => string;
    },
  ) {}

  /** Every report (a snapshot's). */
  replace(reports: readonly SharingReport[]): void {
    this.reports = [...reports];
  }

  /** The reports read over HTTP, unless pushes already brought some. */
  fill(reports: readonly SharingReport[]): void {
    if (this.reports.length === 0) this.reports = [...reports];
  }

  add(report: SharingReport): void {
    this.reports.push(report);
  }

  render(): void {
    const { teamName, objectiveTitle } = this.names;
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.sharing')),
      h('p', { class: 'muted small' }, t('exercise.sharingHelp')),
      h(
        'ul',
        { class: 'sharing', 'data-testid': 'sharing' },
        this.reports.length === 0 && h('li', { class: 'muted' }, t('exercise.noSharing')),
        this.reports.map((r) =>
          h(
            'li',
            { 'data-testid': 'sharing-row', 'data-team-id': r.teamId, 'data-objective-id': r.objectiveId },
            h('time', { datetime: new Date(r.at).toISOString() }, formatTime(r.at)),
            ' ',
            t('exercise.sharingRow', {
              team: teamName(r.teamId),
              objective: objectiveTitle(r.objectiveId),
              owners: r.ownerTeamIds.map((id) => teamName(id)).join(', '),
            }),
          ),
        ),
      ),
    );
  }
}

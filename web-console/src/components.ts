import { h, uid } from './dom.ts';
import { formatNumber, formatTime, t } from './i18n/i18n.ts';
import type { BoardRow, ScoringEvent } from './types.ts';

/** The scoreboard table (`board`, rows `board-row`). */
export function boardTable(
  rows: readonly BoardRow[],
  options: { ownTeam?: string; caption: string },
): HTMLElement {
  return h(
    'table',
    { class: 'board', 'data-testid': 'board' },
    h('caption', { class: 'sr-only' }, options.caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, t('board.rank')),
        h('th', { scope: 'col' }, t('board.team')),
        h('th', { scope: 'col', class: 'num' }, t('board.points')),
        h('th', { scope: 'col', class: 'num' }, t('board.solves')),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length === 0 && h('tr', {}, h('td', { colspan: 4, class: 'muted' }, t('board.empty'))),
      rows.map((row) =>
        h(
          'tr',
          {
            'data-testid': 'board-row',
            'data-team-id': row.teamId,
            'data-points': row.points,
            class: row.teamId === options.ownTeam ? 'own' : '',
            'aria-current': row.teamId === options.ownTeam ? 'true' : undefined,
          },
          h('td', {}, formatNumber(row.rank)),
          h('th', { scope: 'row' }, row.teamName),
          h('td', { class: 'num' }, formatNumber(row.points)),
          h('td', { class: 'num' }, formatNumber(row.solves)),
        ),
      ),
    ),
  );
}

export interface TimelineNames {
  objective: (id: string) => string;
  team: (id: string) => string;
  /** Show the team of each event (instructors' timeline of every team). */
  showTeam: boolean;
}

/**
 * One scoring event as a sentence. `startSeq`: the seq of the event that started scoring (none yet:
 * undefined), so that an answer refused before it reads "scoring had not started", not "closed".
 */
export function describeEvent(event: ScoringEvent, names: TimelineNames, startSeq?: number): string {
  switch (event.type) {
    case 'submission': {
      const key = outcomeKey(event.outcome);
      const early = key === 'closed' && (startSeq === undefined || event.seq < startSeq);
      return t(early ? 'timeline.submission.notStarted' : `timeline.submission.${key}`, {
        objective: names.objective(event.objectiveId),
      });
    }
    case 'solve':
      return t('timeline.solve', { objective: names.objective(event.objectiveId) });
    case 'check-result':
      return t(event.passed ? 'timeline.checkPassed' : 'timeline.checkFailed', {
        objective: names.objective(event.objectiveId),
      });
    case 'hint-unlock':
      return t('timeline.hint', { objective: names.objective(event.objectiveId), cost: event.cost });
    case 'award':
      return t(event.points >= 0 ? 'timeline.bonus' : 'timeline.penalty', {
        points: Math.abs(event.points),
        reason: event.reason,
      });
    case 'freeze':
      return t('timeline.freeze');
    case 'unfreeze':
      return t('timeline.unfreeze');
    case 'exercise-started':
      return t('timeline.started');
    case 'exercise-ended':
      return t('timeline.ended');
  }
}

function outcomeKey(
  outcome: string,
): 'correct' | 'wrong' | 'otherTeam' | 'rateLimited' | 'locked' | 'alreadySolved' | 'closed' {
  switch (outcome) {
    case 'correct':
      return 'correct';
    case 'other-team':
      return 'otherTeam';
    case 'rate-limited':
      return 'rateLimited';
    case 'locked':
      return 'locked';
    case 'already-solved':
      return 'alreadySolved';
    case 'closed':
      return 'closed';
    default:
      return 'wrong';
  }
}

/** A timeline (`timeline`), newest first. */
export function timelineList(
  events: readonly ScoringEvent[],
  names: TimelineNames,
  limit = 200,
): HTMLElement {
  const shown = [...events].sort((a, b) => b.at - a.at || b.seq - a.seq).slice(0, limit);
  const starts = events.filter((e) => e.type === 'exercise-started').map((e) => e.seq);
  const startSeq = starts.length > 0 ? Math.min(...starts) : undefined;
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'timeline', reversed: true },
    shown.length === 0 && h('li', { class: 'muted' }, t('timeline.empty')),
    shown.map((event) =>
      h(
        'li',
        { 'data-type': event.type, 'data-seq': event.seq },
        h('time', { datetime: new Date(event.at).toISOString() }, formatTime(event.at)),
        ' ',
        names.showTeam && 'teamId' in event && h('strong', {}, names.team(event.teamId), ' — '),
        describeEvent(event, names, startSeq),
      ),
    ),
  );
}

/**
 * An accessible tab set: a tablist whose tabs move with the arrow keys, Home and End (roving
 * tabindex), each controlling one tabpanel.
 */
export class Tabs {
  readonly element: HTMLElement;
  private readonly tabs: HTMLButtonElement[] = [];
  private readonly panels: HTMLElement[] = [];
  private selected = -1;

  constructor(
    label: string,
    items: readonly { key: string; label: string; panel: HTMLElement; tabAttrs?: Record<string, string> }[],
    private readonly onSelect: (key: string, index: number) => void,
  ) {
    const list = h('div', { role: 'tablist', 'aria-label': label, class: 'tablist' });
    const base = uid('tabs');
    items.forEach((item, index) => {
      const tabId = `${base}-tab-${index}`;
      const panelId = `${base}-panel-${index}`;
      const tab = h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: tabId,
          'aria-controls': panelId,
          'aria-selected': 'false',
          tabindex: -1,
          ...(item.tabAttrs ?? {}),
          onclick: () => this.select(index, false),
          onkeydown: (event) => this.key(event as KeyboardEvent, index),
        },
        item.label,
      );
      item.panel.setAttribute('role', 'tabpanel');
      item.panel.id = panelId;
      item.panel.setAttribute('aria-labelledby', tabId);
      item.panel.hidden = true;
      this.tabs.push(tab);
      this.panels.push(item.panel);
      list.appendChild(tab);
    });
    this.element = h('div', { class: 'tabs' }, list, this.panels);
    this.keys = items.map((i) => i.key);
  }

  private readonly keys: string[];

  select(index: number, focus: boolean): void {
    if (index < 0 || index >= this.tabs.length) return;
    this.tabs.forEach((tab, i) => {
      const on = i === index;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      const panel = this.panels[i];
      if (panel) panel.hidden = !on;
    });
    if (focus) this.tabs[index]?.focus();
    if (this.selected !== index) {
      this.selected = index;
      this.onSelect(this.keys[index] ?? '', index);
    }
  }

  relabel(labels: readonly string[]): void {
    labels.forEach((label, i) => {
      const tab = this.tabs[i];
      if (tab) tab.textContent = label;
    });
  }

  private key(event: KeyboardEvent, index: number): void {
    const last = this.tabs.length - 1;
    let next: number | undefined;
    if (event.key === 'ArrowRight') next = index === last ? 0 : index + 1;
    else if (event.key === 'ArrowLeft') next = index === 0 ? last : index - 1;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = last;
    if (next === undefined) return;
    event.preventDefault();
    this.select(next, true);
  }
}

import { boardTable } from '../components.ts';
import { h, replaceChildren } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import type { BoardRow } from '../types.ts';

/**
 * The exercise page's live board (instructors always see it live) and what trainees see of it:
 * the same board, or the board frozen (`board-audience[data-frozen]`). Rows come from the page's
 * scoreboard state (scoreboard-state.ts); this panel only shows them.
 */
export class ExerciseBoardPanel {
  readonly element = h('section', { class: 'panel' });
  private board: readonly BoardRow[] = [];
  private frozen = false;

  show(board: readonly BoardRow[], frozen: boolean): void {
    this.board = board;
    this.frozen = frozen;
    this.render();
  }

  render(): void {
    const audience = t(this.frozen ? 'exercise.boardLiveFrozen' : 'exercise.boardLiveSame');
    replaceChildren(
      this.element,
      h('h2', {}, t('exercise.board')),
      h(
        'p',
        {
          class: this.frozen ? 'notice small' : 'muted small',
          'data-testid': 'board-audience',
          'data-frozen': String(this.frozen),
        },
        audience,
      ),
      boardTable(this.board, { caption: audience }),
    );
  }
}

import QRCode from 'qrcode';
import { client } from '../api-client.ts';
import { describeError } from '../describe-error.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatDateTime, t } from '../i18n/i18n.ts';
import type { JoinSheetTeam } from '../types.ts';
import type { View } from '../view.ts';

/**
 * The printable join sheet of an exercise: one page per team with its name, a QR code of its join
 * link, the link and the code typed out, the roster's names and when the code expires. Opening the
 * page makes fresh codes (the old ones keep working until they expire or are revoked).
 */
export class JoinSheetView implements View {
  readonly element = h('section', { class: 'page join-sheet' });
  private teams: (JoinSheetTeam & { qr: string })[] | undefined;
  private error = '';

  constructor(private readonly exerciseId: string) {
    this.relocalize();
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const { teams } = await client.post('/api/exercises/{id}/join-sheet', {
        path: { id: this.exerciseId },
        body: {},
      });
      this.teams = await Promise.all(
        teams.map(async (team) => ({
          ...team,
          qr: await QRCode.toString(this.link(team.code), {
            type: 'svg',
            errorCorrectionLevel: 'M',
            margin: 1,
          }),
        })),
      );
    } catch (error) {
      this.error = describeError(error);
    }
    this.relocalize();
  }

  private link(code: string): string {
    return `${location.origin}/#/join/${encodeURIComponent(code)}`;
  }

  relocalize(): void {
    replaceChildren(
      this.element,
      h(
        'div',
        { class: 'no-print' },
        h(
          'p',
          { class: 'crumbs' },
          h('a', { href: `#/instructor/exercises/${encodeURIComponent(this.exerciseId)}` }, this.exerciseId),
          ' / ',
          t('sheet.title'),
        ),
        h('h1', {}, t('sheet.title')),
        h('p', { class: 'muted' }, t('sheet.help')),
        this.error !== '' && h('p', { class: 'error', role: 'alert' }, this.error),
        this.teams &&
          h('button', { type: 'button', class: 'primary', onclick: () => window.print() }, t('sheet.print')),
        !this.teams && this.error === '' && h('p', { class: 'muted' }, t('common.loading')),
      ),
      this.teams?.map((team) => {
        const qr = h('div', {
          class: 'qr',
          role: 'img',
          'aria-label': t('sheet.qrLabel', { team: team.teamName }),
        });
        // The SVG comes from the qrcode library (paths and rects only), never from the server.
        qr.innerHTML = team.qr;
        return h(
          'article',
          { class: 'sheet-page', 'data-testid': 'sheet-page', 'data-team-id': team.teamId },
          h('h2', {}, team.teamName),
          h('p', {}, t('sheet.lead')),
          qr,
          h('p', { class: 'sheet-link' }, h('code', {}, this.link(team.code))),
          h(
            'p',
            {},
            t('sheet.code'),
            ' ',
            h('code', { class: 'join-code', 'data-testid': 'sheet-code' }, team.code),
          ),
          h('p', { class: 'muted' }, t('sheet.expires', { time: formatDateTime(team.expiresAt) })),
          team.members.length > 0 && [
            h('h3', {}, t('sheet.members')),
            h(
              'ul',
              {},
              team.members.map((m) => h('li', {}, m)),
            ),
          ],
        );
      }),
    );
  }

  dispose(): void {
    // nothing to close
  }
}

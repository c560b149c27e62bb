import { sql } from 'kysely';
import type { Db } from '../store/database.ts';
import type { SalesLookup } from './usage-meter.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const JST_OFFSET_MS = 9 * 60 * 60 * 1000;

/** The Japanese calendar day (`YYYY-MM-DD`) whose midnight (UTC+9) is the first at or after `ms`. */
export function firstDayAtOrAfter(ms: number): string {
  const local = ms + JST_OFFSET_MS;
  const midnight = Math.floor(local / DAY_MS) * DAY_MS;
  const day = midnight < local ? midnight + DAY_MS : midnight;
  return new Date(day).toISOString().slice(0, 10);
}

/**
 * Sales of course runs from the billing journal: `sale` entries naming the run (`course_run`) whose
 * date (`entry_date`, a day in Japan) begins inside [from, to), not reversed (a reversal entry names
 * the sale in `reverses`, at any date). Read only; the journal stays billing's to write.
 */
export class JournalSalesLookup implements SalesLookup {
  constructor(private readonly db: Db) {}

  async salesCountForRuns(runIds: readonly string[], from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (runIds.length === 0) return counts;
    const rows = await this.db
      .selectFrom('journal as sale')
      .select(['sale.course_run as run', (eb) => eb.fn.countAll().as('n')])
      .where('sale.kind', '=', 'sale')
      .where('sale.course_run', 'in', [...runIds])
      .where('sale.entry_date', '>=', firstDayAtOrAfter(from))
      .where('sale.entry_date', '<', firstDayAtOrAfter(to))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('journal as reversal')
              .select(sql`1`.as('one'))
              .whereRef('reversal.reverses', '=', 'sale.id'),
          ),
        ),
      )
      .groupBy('sale.course_run')
      .execute();
    for (const row of rows) if (row.run !== null) counts.set(row.run, Number(row.n));
    return counts;
  }
}

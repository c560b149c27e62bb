import { sql } from 'kysely';
import type { Db } from '../store/database.ts';
import { calendarDate, DEFAULT_TIME_ZONE, startOfDay } from '../time-zone.ts';
import type { SalesLookup } from './usage-meter.ts';

/** The calendar day (`YYYY-MM-DD`) of `timeZone` whose midnight is the first at or after `ms`. */
export function firstDayAtOrAfter(ms: number, timeZone = DEFAULT_TIME_ZONE): string {
  const day = calendarDate(ms, timeZone);
  if (startOfDay(day, timeZone) >= ms) return day;
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}

/**
 * Sales of course runs from the billing journal: `sale` entries naming the run (`course_run`) whose
 * date (`entry_date`, a day of the platform's time zone `timeZone`, the billing calendar) begins
 * inside [from, to), not reversed (a reversal entry names the sale in `reverses`, at any date). Read
 * only; the journal stays billing's to write.
 */
export class JournalSalesLookup implements SalesLookup {
  constructor(
    private readonly db: Db,
    private readonly timeZone = DEFAULT_TIME_ZONE,
  ) {}

  async salesCountForRuns(runIds: readonly string[], from: number, to: number): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (runIds.length === 0) return counts;
    const rows = await this.db
      .selectFrom('journal as sale')
      .select(['sale.course_run as run', (eb) => eb.fn.countAll().as('n')])
      .where('sale.kind', '=', 'sale')
      .where('sale.course_run', 'in', [...runIds])
      .where('sale.entry_date', '>=', firstDayAtOrAfter(from, this.timeZone))
      .where('sale.entry_date', '<', firstDayAtOrAfter(to, this.timeZone))
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

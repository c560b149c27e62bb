import { sql, type Kysely, type Migration } from 'kysely';

/** A trigger that refuses every UPDATE or DELETE of a table's rows: the table is append-only. */
function appendOnly(table: string, hint: string) {
  return [
    sql.raw(
      `create trigger ${table}_no_update before update on ${table} begin select raise(abort, '${table} is append-only: UPDATE refused (${hint})'); end`,
    ),
    sql.raw(
      `create trigger ${table}_no_delete before delete on ${table} begin select raise(abort, '${table} is append-only: DELETE refused (${hint})'); end`,
    ),
  ];
}

/**
 * Migration `0011-billing`: the journal (sales, issued invoices, payments and their reversals),
 * hash-chained and append-only at the database; the issued invoice documents; the fee schedule
 * versions; each organisation's Co-Nexus memberships. The courses table is another module's: a sale
 * names its course and course run as plain text, with no foreign key.
 */
export const billingMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table journal (
        seq integer primary key check (typeof(seq) = 'integer' and seq >= 1),
        id text not null unique,
        recorded_at integer not null,
        entry_date text not null check (entry_date glob '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]'),
        kind text not null check (kind in ('sale', 'invoice', 'payment', 'reversal')),
        org_id text not null,
        counterparty text not null,
        course text,
        course_run text,
        seats integer check (seats is null or (typeof(seats) = 'integer' and seats >= 1)),
        unit_price_yen integer check (unit_price_yen is null or typeof(unit_price_yen) = 'integer'),
        amount_yen integer not null check (typeof(amount_yen) = 'integer'),
        reverses text unique references journal (id),
        invoice_number text,
        memo text,
        recorded_by text not null,
        prev_hash text not null unique,
        hash text not null unique
      )`.execute(db);
    for (const statement of appendOnly('journal', 'corrections are reversing entries'))
      await statement.execute(db);
    await sql`create index journal_org_date on journal (org_id, entry_date)`.execute(db);
    await sql`create index journal_date on journal (entry_date)`.execute(db);
    await sql`create index journal_amount on journal (amount_yen)`.execute(db);
    await sql`create index journal_counterparty on journal (counterparty collate nocase)`.execute(db);
    await sql`create index journal_invoice on journal (invoice_number)`.execute(db);

    await sql`
      create table invoices (
        number text primary key,
        kind text not null check (kind in ('usage-fee-statement', 'participation-fee-invoice')),
        org_id text not null references organisations (id),
        period_from text not null,
        period_to text not null,
        issued_on text not null,
        due_on text not null,
        total_yen integer not null check (typeof(total_yen) = 'integer'),
        document text not null,
        journal_id text not null references journal (id),
        created_at integer not null,
        unique (kind, org_id, period_from)
      )`.execute(db);
    for (const statement of appendOnly('invoices', 'an issued invoice is never changed'))
      await statement.execute(db);

    await sql`
      create table fee_schedules (
        version text primary key,
        effective_from text not null unique,
        body text not null,
        created_by text not null,
        created_at integer not null
      )`.execute(db);
    for (const statement of appendOnly(
      'fee_schedules',
      'a change is a new version with its own effective date',
    ))
      await statement.execute(db);

    await sql`
      create table org_co_nexus (
        org_id text not null references organisations (id) on delete cascade,
        name text not null,
        joined_on text not null,
        primary key (org_id, name)
      )`.execute(db);
  },
};

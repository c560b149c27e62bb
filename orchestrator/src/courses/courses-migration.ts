import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Courses of training companies and their runs for customer organisations: the ordered, pinned
 * scenarios of a course, the trainees enrolled in a run (capacity enforced by a trigger, the last
 * guard behind the service's own check), and which exercises a run launched.
 */
export const coursesMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('courses')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('title_ja', 'text', (c) => c.notNull())
      .addColumn('title_en', 'text', (c) => c.notNull())
      .addColumn('description_ja', 'text', (c) => c.notNull())
      .addColumn('description_en', 'text', (c) => c.notNull())
      // Integer yen, tax excluded.
      .addColumn('price_per_seat', 'integer', (c) =>
        c.notNull().check(sql`price_per_seat >= 0 and price_per_seat = cast(price_per_seat as integer)`),
      )
      .addColumn('capacity', 'integer', (c) => c.notNull().check(sql`capacity >= 1`))
      // JSON: { days, hoursPerDay, note: { ja, en } }.
      .addColumn('schedule', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'integer', (c) => c.notNull())
      .addColumn('archived_at', 'integer')
      .execute();
    await db.schema.createIndex('courses_org').on('courses').column('org_id').execute();
    await db.schema
      .createTable('course_scenarios')
      .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id').onDelete('cascade'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('scenario_id', 'text', (c) => c.notNull())
      .addColumn('scenario_version', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('course_scenarios_pk', ['course_id', 'position'])
      .execute();
    await db.schema
      .createTable('course_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('course_id', 'text', (c) => c.notNull().references('courses.id'))
      .addColumn('customer_org_id', 'text', (c) => c.notNull().references('organisations.id'))
      .addColumn('starts_at', 'integer', (c) => c.notNull())
      .addColumn('ends_at', 'integer', (c) => c.notNull())
      // The course's capacity and price when the run was made (a later edit of the course changes neither).
      .addColumn('capacity', 'integer', (c) => c.notNull().check(sql`capacity >= 1`))
      .addColumn('price_per_seat', 'integer', (c) => c.notNull().check(sql`price_per_seat >= 0`))
      .addColumn('team_size', 'integer', (c) => c.notNull().check(sql`team_size >= 1`))
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .addColumn('cancelled_at', 'integer')
      .addCheckConstraint('course_runs_dates', sql`ends_at > starts_at`)
      .execute();
    await db.schema.createIndex('course_runs_course').on('course_runs').column('course_id').execute();
    await db.schema.createIndex('course_runs_customer').on('course_runs').column('customer_org_id').execute();
    await db.schema
      .createTable('course_enrolments')
      .addColumn('run_id', 'text', (c) => c.notNull().references('course_runs.id'))
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
      .addColumn('enrolled_at', 'integer', (c) => c.notNull())
      .addColumn('enrolled_by', 'text', (c) => c.notNull())
      .addColumn('withdrawn_at', 'integer')
      .execute();
    // One current enrolment per trainee per run (a withdrawn one may be followed by a new one).
    await sql`create unique index course_enrolments_current on course_enrolments (run_id, user_id) where withdrawn_at is null`.execute(
      db,
    );
    await sql`create index course_enrolments_user on course_enrolments (user_id)`.execute(db);
    // Capacity: a run never holds more current enrolments than its capacity, whatever the caller.
    await sql`create trigger course_enrolments_capacity before insert on course_enrolments
      when new.withdrawn_at is null
        and (select count(*) from course_enrolments e where e.run_id = new.run_id and e.withdrawn_at is null)
            >= (select capacity from course_runs r where r.id = new.run_id)
      begin select raise(abort, 'course run is full'); end`.execute(db);
    await db.schema
      .createTable('course_run_exercises')
      // No foreign key to exercises: the link is written before the exercise (see course-service.ts).
      .addColumn('exercise_id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('course_runs.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'integer', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('course_run_exercises_run')
      .on('course_run_exercises')
      .columns(['run_id', 'position'])
      .execute();
  },
};

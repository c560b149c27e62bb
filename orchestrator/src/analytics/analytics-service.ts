import {
  mayReadClass,
  mayReadOrgCoverage,
  mayReadTeamEvidence,
  traineeEvidenceScope,
  usageScope,
} from '../access/analytics-access.ts';
import type { Principal } from '../access/principal.ts';
import type { TranscriptDocument } from '../documents/document-types.ts';
import { CyropError } from '../errors.ts';
import type { AnalyticsConfig } from '../../../contract/analytics.ts';
import {
  NICE_FRAMEWORK_LABELS,
  NICE_FRAMEWORKS,
  type NiceCatalogue,
  type NiceFramework,
} from '../nice/nice-catalogue.ts';
import type { NiceCatalogueSource } from '../nice/nice-catalogue-store.ts';
import type { CatalogueEntry } from '../scenarios/scenario-catalogue.ts';
import type { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import type { Db } from '../store/database.ts';
import { computeCoverage, roleGaps, type CoverageReport, type GapReport, type Material } from './coverage.ts';
import { EvidenceReader, type Evidence } from './evidence.ts';
import { materialsOf } from './materials.ts';
import { buildTranscript, DEFAULT_TIME_ZONE } from './transcript.ts';
import { usageReport, type UsageReport } from './usage.ts';

/**
 * Which materials a coverage figure is about:
 * - `shipped`: the catalogue shipped with CYROP;
 * - `org`: the scenarios an organisation uploaded (its own catalogue; archived versions left out);
 * - `available`: every scenario the caller may launch (shipped, their organisation's, published);
 * - `scenarios`: the named scenario ids, among those the caller may launch.
 * One material per scenario id, its newest offered version.
 */
export type MaterialScope =
  | { kind: 'shipped' }
  | { kind: 'org'; orgId: string }
  | { kind: 'available' }
  | { kind: 'scenarios'; ids: readonly string[] };

export interface AnalyticsServiceOptions {
  db: Db;
  scenarios: ScenarioLibrary;
  nice: NiceCatalogueSource;
  clock?: () => number;
  /** The platform's reporting time zone (`CYROP_TIME_ZONE`): transcripts' dates, `YYYY-MM-DD` periods. Default Asia/Tokyo. */
  timeZone?: string;
}

/** Coverage, gaps, evidence, transcripts and material use, with the access rules applied. */
/** One person who reads an exercise's class evidence as its instructor. */
export interface ExerciseInstructor {
  userId: string;
  name: string;
  /** Their role now (the launcher may be an org-admin or the operator); null: the account is gone. */
  role: string | null;
  /** They launched the exercise (they stay on it; they cannot be taken off). */
  launcher: boolean;
  /** When an org-admin or the operator assigned them (null: not assigned, only the launcher). */
  assignedAt: number | null;
}

/** `GET /api/exercises/{id}/instructors`. */
export interface ExerciseInstructors {
  exerciseId: string;
  /** The launcher first, then the assigned instructors by name. */
  instructors: ExerciseInstructor[];
  /** Whether the caller may assign or take off instructors (the operator, the organisation's org-admins). */
  mayAssign: boolean;
  /** The organisation's enabled instructors to choose from (empty unless `mayAssign`). */
  candidates: { userId: string; name: string }[];
}

export class AnalyticsService {
  private readonly clock: () => number;
  readonly evidence: EvidenceReader;
  /** The platform's reporting time zone, in which `YYYY-MM-DD` periods are read (`parseInstant`). */
  readonly timeZone: string;

  constructor(private readonly options: AnalyticsServiceOptions) {
    this.clock = options.clock ?? Date.now;
    this.timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
    this.evidence = new EvidenceReader({
      db: options.db,
      scenario: (id, version) => options.scenarios.catalogue.get(id, version),
      catalogue: (framework) => options.nice.load(framework),
    });
  }

  /** The materials of a scope as the caller may see them; an unknown or hidden scenario id is 404. */
  materials(principal: Principal | undefined, scope: MaterialScope): Material[] {
    const library = this.options.scenarios;
    let entries: readonly CatalogueEntry[];
    switch (scope.kind) {
      case 'shipped':
        entries = library.catalogue.all().filter((e) => e.shipped);
        break;
      case 'org':
        if (!mayReadOrgCoverage(principal, scope.orgId))
          throw new CyropError('NOT_FOUND', `no organisation '${scope.orgId}' whose catalogue you may read`);
        entries = library.ownedBy(principal, scope.orgId).filter((v) => !v.archived);
        break;
      case 'available':
        entries = library.list(principal);
        break;
      case 'scenarios': {
        const offered = library.list(principal);
        entries = scope.ids.map((id) => {
          const found = offered.find((e) => e.id === id);
          if (!found) throw new CyropError('NOT_FOUND', `no scenario '${id}' that you may use`);
          return found;
        });
        break;
      }
    }
    return materialsOf(entries);
  }

  /** The framework versions (imported or not), the one to open with, and the reporting time zone. */
  async config(): Promise<AnalyticsConfig> {
    const imported = new Set(await this.options.nice.list());
    const frameworks = await Promise.all(
      NICE_FRAMEWORKS.map(async (id) => {
        const catalogue = imported.has(id) ? await this.options.nice.load(id) : undefined;
        return {
          id,
          label: NICE_FRAMEWORK_LABELS[id],
          sourceVersion: catalogue?.sourceVersion ?? null,
          imported: catalogue !== undefined,
        };
      }),
    );
    const newest = frameworks.filter((f) => f.imported).at(-1);
    return {
      frameworks,
      defaultFramework: newest?.id ?? 'nice-2.1.0',
      timeZone: this.timeZone,
    };
  }

  async catalogue(framework: NiceFramework): Promise<NiceCatalogue> {
    const catalogue = await this.options.nice.load(framework);
    if (!catalogue)
      throw new CyropError(
        'NICE_CATALOGUE_MISSING',
        `no NICE Framework catalogue for ${framework} has been imported; import the NIST file with \`cyrop nice import <file>\``,
        { details: { framework } },
      );
    return catalogue;
  }

  async coverage(
    principal: Principal | undefined,
    input: { framework: NiceFramework; scope: MaterialScope; role?: string; crosswalk?: boolean },
  ): Promise<CoverageReport & { scope: MaterialScope }> {
    const catalogue = await this.catalogue(input.framework);
    const materials = this.materials(principal, input.scope);
    const others: NiceCatalogue[] = [];
    if (input.crosswalk)
      for (const f of NICE_FRAMEWORKS) {
        const c = f === input.framework ? undefined : await this.options.nice.load(f);
        if (c) others.push(c);
      }
    const report = computeCoverage(catalogue, materials, {
      ...(input.role !== undefined ? { role: input.role } : {}),
      ...(input.crosswalk ? { crosswalk: { catalogues: others } } : {}),
    });
    return { ...report, scope: input.scope };
  }

  async gaps(
    principal: Principal | undefined,
    input: { framework: NiceFramework; scope: MaterialScope; role: string },
  ): Promise<GapReport> {
    const catalogue = await this.catalogue(input.framework);
    return roleGaps(catalogue, this.materials(principal, input.scope), input.role);
  }

  /** A trainee's evidence as the caller may see it; nothing to see is 404 (never "forbidden"). */
  async traineeEvidence(
    principal: Principal | undefined,
    userId: string,
    options: { role?: string; exerciseIds?: readonly string[] } = {},
  ): Promise<Evidence> {
    const scope = traineeEvidenceScope(principal, userId);
    if (scope.kind === 'none') throw noEvidence(userId);
    let exerciseIds = options.exerciseIds;
    if (scope.kind === 'class') {
      const own = new Set(await this.classOf(scope.instructorId, scope.orgId));
      exerciseIds = (exerciseIds ?? [...own]).filter((id) => own.has(id));
    }
    const evidence = await this.evidence.forTrainee(userId, {
      ...options,
      ...(exerciseIds ? { exerciseIds } : {}),
      ...(scope.kind === 'org' || scope.kind === 'class' ? { orgId: scope.orgId } : {}),
    });
    if (scope.kind !== 'all' && evidence.exercises.length === 0 && evidence.unresolved.length === 0)
      throw noEvidence(userId);
    return evidence;
  }

  /** The exercises of an organisation an instructor launched or is assigned to: their class. */
  async classOf(instructorId: string, orgId: string): Promise<string[]> {
    const rows = await this.options.db
      .selectFrom('exercises')
      .select('id')
      .where('org_id', '=', orgId)
      .where((eb) =>
        eb.or([
          eb('created_by', '=', instructorId),
          eb(
            'id',
            'in',
            eb.selectFrom('exercise_staff').select('exercise_id').where('user_id', '=', instructorId),
          ),
        ]),
      )
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Assign an instructor of the exercise's organisation to it (their class), or take them off it.
   * The operator and the organisation's org-admins; an org-admin of another organisation gets 404 (the
   * exercise is private), as does an account that is not an instructor of that organisation.
   */
  async setInstructor(
    principal: Principal | undefined,
    exerciseId: string,
    userId: string,
    assigned: boolean,
  ): Promise<{ exerciseId: string; userId: string; assigned: boolean }> {
    const db = this.options.db;
    const exercise = await db
      .selectFrom('exercises')
      .select(['org_id'])
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    if (
      !exercise ||
      principal?.kind !== 'user' ||
      !(
        principal.role === 'operator' ||
        (principal.role === 'org-admin' && principal.orgId === exercise.org_id)
      )
    )
      throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
    const instructor = await db
      .selectFrom('users')
      .select(['id'])
      .where('id', '=', userId)
      .where('role', '=', 'instructor')
      .where('org_id', '=', exercise.org_id ?? '')
      .executeTakeFirst();
    if (!instructor)
      throw new CyropError(
        'NOT_FOUND',
        `no instructor '${userId}' in organisation '${exercise.org_id ?? '(platform)'}' of exercise '${exerciseId}'`,
      );
    if (assigned)
      await db
        .insertInto('exercise_staff')
        .values({
          exercise_id: exerciseId,
          user_id: userId,
          assigned_at: this.clock(),
          assigned_by: principal.userId,
        })
        .onConflict((oc) => oc.columns(['exercise_id', 'user_id']).doNothing())
        .execute();
    else
      await db
        .deleteFrom('exercise_staff')
        .where('exercise_id', '=', exerciseId)
        .where('user_id', '=', userId)
        .execute();
    return { exerciseId, userId, assigned };
  }

  /**
   * Who may read an exercise's class evidence besides its organisation's org-admins: the account that
   * launched it and the instructors assigned to it, by name (the caller must already be allowed to
   * watch the exercise). For the operator and the organisation's org-admins (`mayAssign`), also the
   * organisation's enabled instructors to choose from; for anyone else that list is empty.
   */
  async instructorsOf(principal: Principal | undefined, exerciseId: string): Promise<ExerciseInstructors> {
    const db = this.options.db;
    const exercise = await db
      .selectFrom('exercises')
      .leftJoin('users', 'users.id', 'exercises.created_by')
      .select(['exercises.org_id', 'exercises.created_by', 'users.name', 'users.role'])
      .where('exercises.id', '=', exerciseId)
      .executeTakeFirst();
    if (!exercise) throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
    const assigned = await db
      .selectFrom('exercise_staff')
      .innerJoin('users', 'users.id', 'exercise_staff.user_id')
      .select(['users.id', 'users.name', 'users.role', 'exercise_staff.assigned_at'])
      .where('exercise_staff.exercise_id', '=', exerciseId)
      .orderBy('users.name')
      .orderBy('users.id')
      .execute();
    const staff: ExerciseInstructor[] = [];
    if (exercise.created_by !== null) {
      const own = assigned.find((a) => a.id === exercise.created_by);
      staff.push({
        userId: exercise.created_by,
        name: exercise.name ?? exercise.created_by,
        role: exercise.role ?? null,
        launcher: true,
        assignedAt: own?.assigned_at ?? null,
      });
    }
    for (const a of assigned)
      if (a.id !== exercise.created_by)
        staff.push({ userId: a.id, name: a.name, role: a.role, launcher: false, assignedAt: a.assigned_at });
    const mayAssign =
      principal?.kind === 'user' &&
      (principal.role === 'operator' ||
        (principal.role === 'org-admin' && exercise.org_id !== null && principal.orgId === exercise.org_id));
    const candidates =
      mayAssign && exercise.org_id !== null
        ? await db
            .selectFrom('users')
            .select(['id as userId', 'name'])
            .where('org_id', '=', exercise.org_id)
            .where('role', '=', 'instructor')
            .where('disabled', '=', 0)
            .orderBy('name')
            .orderBy('id')
            .execute()
        : [];
    return { exerciseId, instructors: staff, mayAssign, candidates };
  }

  /** Refuses (404, as if it did not exist) a caller who may not read an exercise's class evidence. */
  async mustReadClass(principal: Principal | undefined, exerciseId: string): Promise<void> {
    const exercise = await this.options.db
      .selectFrom('exercises')
      .select(['org_id', 'created_by'])
      .where('id', '=', exerciseId)
      .executeTakeFirst();
    const assigned = await this.options.db
      .selectFrom('exercise_staff')
      .select('user_id')
      .where('exercise_id', '=', exerciseId)
      .execute();
    const staff = exercise && {
      orgId: exercise.org_id,
      createdBy: exercise.created_by,
      assigned: assigned.map((a) => a.user_id),
    };
    if (!mayReadClass(principal, staff)) throw new CyropError('NOT_FOUND', `no exercise '${exerciseId}'`);
  }

  async teamEvidence(
    principal: Principal | undefined,
    exerciseId: string,
    teamId: string,
    canWatch: (principal: Principal, exerciseId: string) => boolean | Promise<boolean>,
    options: { role?: string } = {},
  ): Promise<Evidence> {
    const watch = principal?.kind === 'user' ? await canWatch(principal, exerciseId) : false;
    if (!mayReadTeamEvidence(principal, { exerciseId, teamId }, watch))
      throw new CyropError('NOT_FOUND', `no team '${teamId}' in exercise '${exerciseId}'`);
    // staff (not the team's own participants) read it only when the exercise is of their class
    if (principal?.kind === 'user')
      await this.mustReadClass(principal, exerciseId).catch(() => {
        throw new CyropError('NOT_FOUND', `no team '${teamId}' in exercise '${exerciseId}'`);
      });
    const team = await this.options.db
      .selectFrom('exercise_teams')
      .select('team_id')
      .where('exercise_id', '=', exerciseId)
      .where('team_id', '=', teamId)
      .executeTakeFirst();
    if (!team) throw new CyropError('NOT_FOUND', `no team '${teamId}' in exercise '${exerciseId}'`);
    return this.evidence.forTeam(exerciseId, teamId, options);
  }

  /** The transcript data of a trainee (the caller's view of their evidence). */
  async transcript(
    principal: Principal | undefined,
    userId: string,
    options: { exerciseIds?: readonly string[]; framework?: NiceFramework } = {},
  ): Promise<TranscriptDocument> {
    const evidence = await this.traineeEvidence(principal, userId, {
      ...(options.exerciseIds ? { exerciseIds: options.exerciseIds } : {}),
    });
    const user = await this.options.db
      .selectFrom('users as u')
      .innerJoin('organisations as o', 'o.id', 'u.org_id')
      .select(['u.name', 'u.email', 'o.name as organisation'])
      .where('u.id', '=', userId)
      .executeTakeFirst();
    if (!user) throw noEvidence(userId);
    return buildTranscript(evidence, {
      trainee: { name: user.name, email: user.email, organisation: user.organisation },
      issuedAt: this.clock(),
      timeZone: this.timeZone,
      ...(options.framework ? { framework: options.framework } : {}),
    });
  }

  /**
   * Material use for a period. Materials: platform-wide, every scenario id offered (shipped and
   * uploaded, not archived); for an organisation, the shipped catalogue and its own uploads.
   */
  async usage(
    principal: Principal | undefined,
    input: { from: number; to: number; orgId?: string },
  ): Promise<UsageReport> {
    const scope = usageScope(principal, input.orgId);
    if (!scope)
      throw new CyropError(
        input.orgId !== undefined ? 'NOT_FOUND' : 'FORBIDDEN',
        input.orgId !== undefined
          ? `no organisation '${input.orgId}' whose usage you may read`
          : 'material use is for the operator and the staff of an organisation',
      );
    const library = this.options.scenarios;
    const entries =
      scope.orgId === null
        ? library.list(principal)
        : [
            ...library.catalogue.all().filter((e) => e.shipped),
            ...library.ownedBy(principal, scope.orgId).filter((v) => !v.archived),
          ];
    const seen = new Set<string>();
    const materials = entries
      .filter((e) => !seen.has(e.id) && seen.add(e.id))
      .map((e) => ({ id: e.id, title: e.title }));
    return usageReport(this.options.db, {
      from: input.from,
      to: input.to,
      now: this.clock(),
      materials,
      ...(scope.orgId !== null ? { orgId: scope.orgId } : {}),
    });
  }
}

function noEvidence(userId: string): CyropError {
  return new CyropError('NOT_FOUND', `no evidence of trainee '${userId}' that you may read`);
}

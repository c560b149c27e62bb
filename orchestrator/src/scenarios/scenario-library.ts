import path from 'node:path';
import type { Principal } from '../access/principal.ts';
import { CyropError } from '../errors.ts';
import type { Db } from '../store/database.ts';
import type { Publication } from '../store/schema.ts';
import {
  mayDecidePublication,
  mayManageScenario,
  mayRequestPublication,
  mayUseScenario,
  type ScenarioOwnership,
} from '../access/scenario-access.ts';
import type { CatalogueEntry, ScenarioCatalogue } from './scenario-catalogue.ts';
import type { ScenarioFiles, ScenarioUploads, UploadResult } from './scenario-uploads.ts';

/** A catalogue entry with who owns it and how it is offered. */
export interface ScenarioVersionView extends CatalogueEntry {
  /** The owning organisation; null for the shipped catalogue. */
  ownerOrgId: string | null;
  archived: boolean;
  /** `published` for the shipped catalogue. */
  publication: Publication;
}

/** What anonymous callers see of a scenario: what a catalogue card needs, nothing more. */
export type ScenarioCard = Pick<
  CatalogueEntry,
  | 'id'
  | 'version'
  | 'title'
  | 'summary'
  | 'category'
  | 'difficulty'
  | 'duration'
  | 'tags'
  | 'framework'
  | 'workRoles'
> & { objectives: number; points: number };

export interface PublicationRequest {
  id: string;
  version: string;
  ownerOrgId: string;
  title: CatalogueEntry['title'];
  requestedAt: number | null;
  requestedBy: string | null;
  note: string | null;
}

/** Writes an audit entry (the accounts module's log); services, not routes, write them. */
export type AuditWriter = (
  actor: Principal | 'system',
  action: string,
  target: string,
  details?: Record<string, unknown>,
  context?: { orgId?: string | null },
) => Promise<void>;

export interface ScenarioLibraryOptions {
  db: Db;
  catalogue: ScenarioCatalogue;
  uploads: ScenarioUploads;
  audit?: AuditWriter;
  clock?: () => number;
}

interface Row {
  scenario_id: string;
  version: string;
  org_id: string;
  archived_at: number | null;
  publication: Publication;
}

/**
 * Scenarios as organisations own them. The shipped catalogue is read-only and offered to everyone.
 * An uploaded id belongs to the organisation that uploaded it first (ids stay global, so links such as
 * `/api/scenarios/{id}` never change meaning); its versions are private to that organisation until the
 * operator approves a publication request, can be archived (hidden from launch, kept for the exercises
 * that ran them), and never change. Ownership is written in the same transaction as the version's row,
 * before its files are moved into place.
 */
export class ScenarioLibrary {
  private readonly db: Db;
  private readonly clock: () => number;
  private rows = new Map<string, Row>(); // id@version → row

  constructor(private readonly options: ScenarioLibraryOptions) {
    this.db = options.db;
    this.clock = options.clock ?? Date.now;
  }

  get catalogue(): ScenarioCatalogue {
    return this.options.catalogue;
  }

  get uploads(): ScenarioUploads {
    return this.options.uploads;
  }

  /**
   * Load ownership, giving uploads stored by an earlier release (no row yet) to the operator's
   * organisation, private. Such an upload of a shipped id is archived: the shipped catalogue is read-only.
   */
  async init(): Promise<this> {
    await this.refresh();
    const unowned = this.options.catalogue.all().filter((e) => !e.shipped && !this.rows.has(key(e)));
    if (unowned.length > 0) {
      const operator = await this.db
        .selectFrom('organisations')
        .select('id')
        .where('kind', '=', 'operator')
        .executeTakeFirst();
      if (!operator) throw new CyropError('INTERNAL', 'no operator organisation to adopt earlier uploads');
      const shipped = new Set(
        this.options.catalogue
          .all()
          .filter((e) => e.shipped)
          .map((e) => e.id),
      );
      const now = this.clock();
      for (const entry of unowned) {
        await this.db.transaction().execute(async (trx) => {
          const owner = await trx
            .selectFrom('scenario_ids')
            .select('org_id')
            .where('id', '=', entry.id)
            .executeTakeFirst();
          if (!owner) {
            await trx
              .insertInto('scenario_ids')
              .values({ id: entry.id, org_id: operator.id, created_at: now })
              .execute();
          }
          await trx
            .insertInto('scenario_versions')
            .values({
              scenario_id: entry.id,
              version: entry.version,
              org_id: owner?.org_id ?? operator.id,
              content_hash: entry.contentHash,
              created_by: 'system:migration',
              created_at: now,
              archived_at: shipped.has(entry.id) ? now : null,
              publication: 'private',
              publication_at: null,
              publication_by: null,
              publication_note: null,
            })
            .execute();
        });
        await this.options.audit?.('system', 'scenario.adopt', key(entry), {
          archived: shipped.has(entry.id),
        });
      }
      await this.refresh();
    }
    return this;
  }

  private async refresh(): Promise<void> {
    const rows = await this.db
      .selectFrom('scenario_versions')
      .select(['scenario_id', 'version', 'org_id', 'archived_at', 'publication'])
      .execute();
    this.rows = new Map(rows.map((r) => [`${r.scenario_id}@${r.version}`, r]));
  }

  private view(entry: CatalogueEntry): ScenarioVersionView | undefined {
    if (entry.shipped) return { ...entry, ownerOrgId: null, archived: false, publication: 'published' };
    const row = this.rows.get(key(entry));
    // An upload without an owner row is not offered to anyone (a crash between storing and owning).
    if (!row) return undefined;
    return {
      ...entry,
      ownerOrgId: row.org_id,
      archived: row.archived_at !== null,
      publication: row.publication,
    };
  }

  private ownership(v: ScenarioVersionView): ScenarioOwnership {
    return { ownerOrgId: v.ownerOrgId, publication: v.publication, archived: v.archived };
  }

  /** Every version the caller may see, newest first per id (archived ones only for their managers). */
  private visibleVersions(principal: Principal | undefined, id?: string): ScenarioVersionView[] {
    const entries = id === undefined ? this.options.catalogue.all() : this.options.catalogue.versions(id);
    return entries
      .map((e) => this.view(e))
      .filter((v): v is ScenarioVersionView => v !== undefined)
      .filter((v) =>
        v.archived
          ? mayManageScenario(principal, this.ownership(v))
          : mayUseScenario(principal, this.ownership(v)),
      );
  }

  /** Every version an organisation owns, archived ones too, newest first per id (for its managers). */
  ownedBy(principal: Principal | undefined, orgId: string): ScenarioVersionView[] {
    return this.visibleVersions(principal).filter((v) => v.ownerOrgId === orgId);
  }

  /** The newest offered (not archived) version of every scenario the caller may use. */
  list(principal: Principal | undefined): ScenarioVersionView[] {
    const seen = new Set<string>();
    return this.visibleVersions(principal).filter((v) => {
      if (v.archived || seen.has(v.id)) return false;
      seen.add(v.id);
      return true;
    });
  }

  /** Every version of a scenario the caller may see, newest first; 404 when it sees none. */
  versions(principal: Principal | undefined, id: string): ScenarioVersionView[] {
    const found = this.visibleVersions(principal, id);
    if (found.length === 0) throw notFound(id);
    return found;
  }

  /** One version (the newest offered one unless named); 404 when the caller may not see it. */
  get(principal: Principal | undefined, id: string, version?: string): ScenarioVersionView {
    const found = this.visibleVersions(principal, id).filter((v) =>
      version === undefined ? !v.archived : v.version === version,
    );
    const newest = found[0];
    if (!newest) throw notFound(id, version);
    return newest;
  }

  /** The scenario file to plan an exercise from: a version the caller may use and that is not archived. */
  forLaunch(
    principal: Principal | undefined,
    id: string,
    version?: string,
  ): { entry: ScenarioVersionView; file: string } {
    const entry = this.get(principal, id, version);
    if (entry.archived)
      throw new CyropError(
        'CONFLICT',
        `${id}@${entry.version} is archived: restore it or launch another version`,
      );
    const file = this.options.catalogue.pathOf(entry.id, entry.version);
    if (!file) throw notFound(id, version);
    return { entry, file };
  }

  /**
   * Validate and store a new version for the caller's organisation. Refused: a shipped id, an id that
   * another organisation owns (with the same answer whoever owns it), a version that exists with other files.
   */
  async upload(
    principal: Principal | undefined,
    files: ScenarioFiles,
  ): Promise<UploadResult & { entry?: ScenarioVersionView }> {
    if (principal?.kind !== 'user')
      throw new CyropError('FORBIDDEN', 'only staff of an organisation upload scenarios');
    const orgId = principal.orgId;
    const shipped = new Set(
      this.options.catalogue
        .all()
        .filter((e) => e.shipped)
        .map((e) => e.id),
    );
    let owned: { id: string; version: string } | undefined;
    const result = await this.options.uploads.store(
      files,
      async ({ id, version, contentHash }) => {
        if (shipped.has(id))
          throw new CyropError(
            'CONFLICT',
            `'${id}' is the id of a shipped scenario, which is read-only: choose another metadata.id`,
          );
        // The row first, in one transaction with the id's ownership; the files are moved in after it.
        await this.db.transaction().execute(async (trx) => {
          const owner = await trx
            .selectFrom('scenario_ids')
            .select('org_id')
            .where('id', '=', id)
            .executeTakeFirst();
          if (owner && owner.org_id !== orgId)
            throw new CyropError(
              'CONFLICT',
              `the scenario id '${id}' is not available: choose another metadata.id`,
            );
          const existing = await trx
            .selectFrom('scenario_versions')
            .select('content_hash')
            .where('scenario_id', '=', id)
            .where('version', '=', version)
            .executeTakeFirst();
          if (existing) return; // the files decide: the same ones are a no-op, others a conflict
          if (!owner)
            await trx
              .insertInto('scenario_ids')
              .values({ id, org_id: orgId, created_at: this.clock() })
              .execute();
          await trx
            .insertInto('scenario_versions')
            .values({
              scenario_id: id,
              version,
              org_id: orgId,
              content_hash: contentHash,
              created_by: principal.userId,
              created_at: this.clock(),
              archived_at: null,
              publication: 'private',
              publication_at: null,
              publication_by: null,
              publication_note: null,
            })
            .execute();
          owned = { id, version };
        });
      },
      async ({ id, version }) => {
        // The files could not be moved in: the row must not stay without them.
        if (owned) await this.forget(id, version);
      },
    );
    if (!result.stored) return result;
    const { id, version, created } = result.stored;
    if (created) {
      this.options.catalogue.addUpload(path.join(this.options.uploads.dir, id, version), result);
      await this.refresh();
      await this.options.audit?.(principal, 'scenario.upload', `${id}@${version}`, {}, { orgId });
    }
    return { ...result, entry: this.get(principal, id, version) };
  }

  private async forget(id: string, version: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('scenario_versions')
        .where('scenario_id', '=', id)
        .where('version', '=', version)
        .execute();
      const left = await trx
        .selectFrom('scenario_versions')
        .select('version')
        .where('scenario_id', '=', id)
        .executeTakeFirst();
      if (!left) await trx.deleteFrom('scenario_ids').where('id', '=', id).execute();
    });
  }

  /** Hide a version from launch (exercises that ran it keep it), or offer it again. */
  async setArchived(
    principal: Principal | undefined,
    id: string,
    version: string,
    archived: boolean,
  ): Promise<ScenarioVersionView> {
    const v = this.get(principal, id, version);
    if (v.shipped) throw new CyropError('FORBIDDEN', 'the shipped catalogue is read-only');
    if (!mayManageScenario(principal, this.ownership(v)))
      throw new CyropError('FORBIDDEN', `only the organisation owning '${id}' archives its versions`);
    await this.db
      .updateTable('scenario_versions')
      .set({ archived_at: archived ? this.clock() : null })
      .where('scenario_id', '=', id)
      .where('version', '=', version)
      .execute();
    await this.refresh();
    await this.options.audit?.(
      principal as Principal,
      archived ? 'scenario.archive' : 'scenario.restore',
      `${id}@${version}`,
      {},
      { orgId: v.ownerOrgId },
    );
    return this.get(principal, id, version);
  }

  /** An org-admin asks the operator to publish a version to every organisation (or withdraws the request). */
  async requestPublication(
    principal: Principal | undefined,
    id: string,
    version: string,
    request: { withdraw?: boolean; note?: string },
  ): Promise<ScenarioVersionView> {
    const v = this.get(principal, id, version);
    if (v.shipped) throw new CyropError('CONFLICT', 'the shipped catalogue is published already');
    if (!mayRequestPublication(principal, this.ownership(v)))
      throw new CyropError(
        'FORBIDDEN',
        "only an org-admin of the scenario's organisation asks for its publication",
      );
    // Asking twice, or withdrawing what is not asked, changes nothing.
    if (request.withdraw ? v.publication !== 'requested' : v.publication === 'requested') return v;
    if (!request.withdraw && v.publication === 'published')
      throw new CyropError('CONFLICT', `${id}@${version} is published already`);
    if (!request.withdraw && v.archived) throw new CyropError('CONFLICT', `${id}@${version} is archived`);
    await this.setPublication(
      principal as Principal,
      v,
      request.withdraw ? 'private' : 'requested',
      request.note,
    );
    return this.get(principal, id, version);
  }

  /** The operator publishes a requested version to every organisation, or rejects the request (with a reason). */
  async decidePublication(
    principal: Principal | undefined,
    id: string,
    version: string,
    decision: { approve: boolean; note?: string },
  ): Promise<ScenarioVersionView> {
    if (!mayDecidePublication(principal)) throw notFound(id, version);
    const v = this.get(principal, id, version);
    if (v.publication !== 'requested' && !(v.publication === 'published' && !decision.approve))
      throw new CyropError('CONFLICT', `${id}@${version} is ${v.publication}, not requested`);
    await this.setPublication(
      principal as Principal,
      v,
      decision.approve ? 'published' : 'rejected',
      decision.note,
    );
    return this.get(principal, id, version);
  }

  /** Versions waiting for the operator's decision, oldest request first. */
  async publicationRequests(principal: Principal | undefined): Promise<PublicationRequest[]> {
    if (!mayDecidePublication(principal))
      throw new CyropError('FORBIDDEN', 'only the operator decides publications');
    const rows = await this.db
      .selectFrom('scenario_versions')
      .select(['scenario_id', 'version', 'org_id', 'publication_at', 'publication_by', 'publication_note'])
      .where('publication', '=', 'requested')
      .orderBy('publication_at')
      .execute();
    return rows.map((r) => ({
      id: r.scenario_id,
      version: r.version,
      ownerOrgId: r.org_id,
      title: this.options.catalogue.get(r.scenario_id, r.version)?.title ?? r.scenario_id,
      requestedAt: r.publication_at,
      requestedBy: r.publication_by,
      note: r.publication_note,
    }));
  }

  private async setPublication(
    principal: Principal,
    v: ScenarioVersionView,
    publication: Publication,
    note?: string,
  ): Promise<void> {
    await this.db
      .updateTable('scenario_versions')
      .set({
        publication,
        publication_at: this.clock(),
        publication_by: principal.kind === 'user' ? principal.userId : null,
        publication_note: note ?? null,
      })
      .where('scenario_id', '=', v.id)
      .where('version', '=', v.version)
      .execute();
    await this.refresh();
    await this.options.audit?.(
      principal,
      `scenario.publication.${publication}`,
      `${v.id}@${v.version}`,
      note ? { note } : {},
      {
        orgId: v.ownerOrgId,
      },
    );
  }
}

/** What a catalogue card shows: no objective titles, hosts, files or diagnostics. */
export function toCard(v: CatalogueEntry): ScenarioCard {
  return {
    id: v.id,
    version: v.version,
    title: v.title,
    ...(v.summary !== undefined ? { summary: v.summary } : {}),
    category: v.category,
    difficulty: v.difficulty,
    ...(v.duration !== undefined ? { duration: v.duration } : {}),
    tags: v.tags,
    ...(v.framework !== undefined ? { framework: v.framework } : {}),
    workRoles: v.workRoles,
    objectives: v.objectives.length,
    points: v.objectives.reduce((sum, o) => sum + o.points, 0),
  };
}

function key(e: { id: string; version: string }): string {
  return `${e.id}@${e.version}`;
}

function notFound(id: string, version?: string): CyropError {
  return new CyropError(
    'NOT_FOUND',
    `no scenario '${id}'${version ? ` at version ${version}` : ''} in the catalogue`,
  );
}

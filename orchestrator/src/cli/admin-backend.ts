import type { Organisation, OrganisationDetails, User } from '../accounts/account-service.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import type { ScenarioFiles } from '../scenarios/scenario-uploads.ts';
import type { OrganisationKind, UserRole } from '../store/schema.ts';

/** One scenario version as `cyrop scenario …` prints it (the same from both back-ends). */
export interface ScenarioRow {
  id: string;
  version: string;
  ownerOrgId: string | null;
  shipped: boolean;
  archived: boolean;
  publication: string;
  contentHash: string;
}

/** What an upload came to: stored (or already stored with these files), or refused with diagnostics. */
export type UploadOutcome =
  { stored: true; row: ScenarioRow & { created: boolean } } | { stored: false; diagnostics: Diagnostic[] };

export type NewOrganisation = Omit<OrganisationDetails, 'kind'> & {
  name: string;
  kind: Exclude<OrganisationKind, 'operator'>;
};

export interface NewUser {
  orgId: string;
  email: string;
  name: string;
  role: UserRole;
  password?: string;
}

/**
 * What `cyrop org|user|scenario …` asks of the platform. Two implementations: the data directory's
 * services acting as `system:cli` (admin-local.ts), and a running server's REST API as the signed-in
 * user (admin-remote.ts). Both return the same shapes, so the commands (admin-command.ts) print the
 * same JSON and text whichever one answers. A user is named by id or by email (`ref`).
 */
export interface AdminBackend {
  listOrganisations(): Promise<Organisation[]>;
  createOrganisation(input: NewOrganisation): Promise<Organisation>;
  setOrganisationDisabled(id: string, disabled: boolean): Promise<Organisation>;
  /** Edit an organisation's name, kind, category, contact and invoicing details. */
  updateOrganisation(id: string, changes: OrganisationDetails): Promise<Organisation>;
  /** Set an organisation's Co-Nexus memberships (CYNEX sub-groups; the yearly fee's multiplier). */
  setCoNexus(id: string, names: readonly string[]): Promise<string[]>;
  /** Every user the caller may see, or one organisation's. */
  listUsers(orgId?: string): Promise<User[]>;
  createUser(input: NewUser): Promise<{ user: User; oneTimePassword?: string }>;
  setUserDisabled(ref: string, disabled: boolean): Promise<User>;
  resetPassword(ref: string): Promise<{ user: User; oneTimePassword: string }>;
  /** Every version (archived too) of every scenario the caller may see, or those one organisation owns. */
  listScenarios(orgId?: string): Promise<ScenarioRow[]>;
  /** Store a folder as a version owned by `orgId` (default: the caller's organisation). */
  uploadScenario(files: ScenarioFiles, orgId?: string): Promise<UploadOutcome>;
  setScenarioArchived(id: string, version: string, archived: boolean): Promise<ScenarioRow>;
  /** Publish to every organisation: request and decision for an operator, the request alone otherwise. */
  publishScenario(id: string, version: string, note?: string): Promise<ScenarioRow>;
  close(): Promise<void>;
}

/** The printed fields of a scenario version (the catalogue entry carries far more). */
export function scenarioRow(v: ScenarioRow): ScenarioRow {
  return {
    id: v.id,
    version: v.version,
    ownerOrgId: v.ownerOrgId,
    shipped: v.shipped,
    archived: v.archived,
    publication: v.publication,
    contentHash: v.contentHash,
  };
}

/** Rows in one order whichever back-end listed them: by id, each id's versions as the catalogue orders them. */
export function byScenarioId(rows: ScenarioRow[]): ScenarioRow[] {
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : a.index - b.index))
    .map(({ row }) => row);
}

/** `<scenario id>@<version>`. */
export function parseVersionRef(ref: string): { id: string; version: string } | undefined {
  const match = /^([a-z0-9-]{1,40})@([0-9A-Za-z.+-]{1,64})$/.exec(ref);
  return match ? { id: match[1] as string, version: match[2] as string } : undefined;
}

export function scenarioLine(r: ScenarioRow): string {
  const state = r.shipped ? 'shipped' : `${r.publication}${r.archived ? ', archived' : ''}`;
  return `${`${r.id}@${r.version}`.padEnd(36)} ${state.padEnd(20)} ${r.ownerOrgId ?? '-'}\n`;
}

export function orgLine(o: Organisation): string {
  return `${o.id}  ${o.kind.padEnd(16)} ${(o.category ?? '-').padEnd(32)} ${o.disabled ? 'DISABLED ' : ''}${o.name}\n`;
}

export function userLine(u: User): string {
  return `${u.id}  ${u.role.padEnd(10)} ${u.disabled ? 'DISABLED ' : ''}${u.email}  (${u.name}) org ${u.orgId}\n`;
}

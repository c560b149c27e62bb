import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { cliPrincipal } from '../access/principal.ts';
import {
  AccountService,
  ORGANISATION_CATEGORIES,
  type Organisation,
  type User,
} from '../accounts/account-service.ts';
import { loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import { competencyCatalogues } from '../scenarios/competency-catalogues.ts';
import { scenarioLimits } from '../main.ts';
import { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';
import { ScenarioCompiler } from '../scenarios/scenario-compiler.ts';
import { ScenarioLibrary, type ScenarioVersionView } from '../scenarios/scenario-library.ts';
import { UPLOAD_LIMITS, ScenarioUploads, type ScenarioFiles } from '../scenarios/scenario-uploads.ts';
import type { OrganisationCategory, OrganisationKind, UserRole } from '../store/schema.ts';
import { openDatabase, type OpenedDatabase } from '../store/database.ts';
import { EXIT, type Io } from './main.ts';

type Format = { format: 'text' | 'json' };

interface Store {
  database: OpenedDatabase;
  accounts: AccountService;
  library: ScenarioLibrary;
  /** The operator organisation's id (the CLI acts with the operator's powers). */
  operatorOrgId: string;
}

/**
 * `cyrop org …`, `cyrop user …` and `cyrop scenario …`: administration against the data directory
 * (`CYROP_DATA_DIR`), for scripted set-ups. The same services as the API decide and audit (actor
 * `system:cli`); nothing here re-implements a rule.
 */
export function adminCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const withStore = async <T>(fn: (s: Store) => Promise<T>): Promise<T> => {
    const config = loadConfig();
    const database = await openDatabase(config.dataDir);
    const compiler = new ScenarioCompiler({
      dataDir: config.dataDir,
      scenarioLimits: scenarioLimits(config),
    });
    try {
      const accounts = new AccountService({ db: database.db });
      const first = await accounts.ensureFirstOperator();
      if (first)
        io.err(
          `First start: sign in as ${first.email} with the one-time password ${first.password}\n(you will be asked to change it)\n`,
        );
      const operator = (await accounts.listOrganisations()).find((o) => o.kind === 'operator');
      if (!operator) throw new CyropError('INTERNAL', 'no operator organisation');
      const catalogues = await competencyCatalogues(config.dataDir);
      const uploadsDir = path.join(config.dataDir, 'scenarios');
      const library = await new ScenarioLibrary({
        db: database.db,
        catalogue: new ScenarioCatalogue(
          config.scenariosDir,
          catalogues.catalogueFor,
          uploadsDir,
          scenarioLimits(config),
        ).load(),
        uploads: new ScenarioUploads(uploadsDir, compiler),
        audit: (actor, action, target, details, context) =>
          accounts.audit(actor, action, target, details, context),
      }).init();
      return await fn({ database, accounts, library, operatorOrgId: operator.id });
    } finally {
      await compiler.close();
      await database.close();
    }
  };
  const print = (opts: Format, value: unknown, text: () => string) => {
    io.out(opts.format === 'json' ? JSON.stringify(value, null, 2) + '\n' : text());
  };

  // ── organisations ──────────────────────────────────────────────────────────────────────────
  const org = program.command('org').description('organisations: list, create, disable (data directory)');
  org
    .command('list')
    .description('every organisation')
    .addOption(format())
    .action(async (opts: Format) => {
      await withStore(async ({ accounts }) => {
        const all = await accounts.listOrganisations();
        print(opts, all, () => all.map(orgLine).join(''));
      });
    });
  org
    .command('create')
    .description('create a training company or customer organisation')
    .requiredOption('--name <name>', 'its name')
    .addOption(
      new Option('--kind <kind>', 'what it is to the platform')
        .choices(['training-company', 'customer'])
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--category <category>', 'CYNEX member category').choices([...ORGANISATION_CATEGORIES]),
    )
    .option('--contact-name <name>', 'contact person')
    .option('--contact-email <email>', 'contact and invoicing email')
    .option('--contact-phone <phone>', 'telephone')
    .option('--postal-address <address>', 'postal address')
    .option('--invoice-number <T+13 digits>', 'qualified-invoice registration number')
    .addOption(format())
    .action(
      async (
        opts: Format & {
          name: string;
          kind: OrganisationKind;
          category?: OrganisationCategory;
          contactName?: string;
          contactEmail?: string;
          contactPhone?: string;
          postalAddress?: string;
          invoiceNumber?: string;
        },
      ) => {
        await withStore(async ({ accounts, operatorOrgId }) => {
          const created = await accounts.createOrganisationAs(cliPrincipal(operatorOrgId), {
            name: opts.name,
            kind: opts.kind,
            ...(opts.category ? { category: opts.category } : {}),
            ...(opts.contactName ? { contactName: opts.contactName } : {}),
            ...(opts.contactEmail ? { contactEmail: opts.contactEmail } : {}),
            ...(opts.contactPhone ? { contactPhone: opts.contactPhone } : {}),
            ...(opts.postalAddress ? { postalAddress: opts.postalAddress } : {}),
            ...(opts.invoiceNumber ? { invoiceRegistrationNumber: opts.invoiceNumber } : {}),
          });
          print(opts, created, () => orgLine(created));
        });
      },
    );
  org
    .command('disable')
    .description('disable an organisation (its users are signed out and refused; its exercises stay)')
    .argument('<id>', 'organisation id')
    .option('--enable', 'enable it again instead')
    .addOption(format())
    .action(async (id: string, opts: Format & { enable?: boolean }) => {
      await withStore(async ({ accounts, operatorOrgId }) => {
        const changed = await accounts.setOrganisationDisabled(cliPrincipal(operatorOrgId), id, !opts.enable);
        print(opts, changed, () => orgLine(changed));
      });
    });

  // ── users ──────────────────────────────────────────────────────────────────────────────────
  const user = program.command('user').description('users: list, create, disable, reset a password');
  const findUser = async (accounts: AccountService, ref: string): Promise<User> => {
    const found = ref.includes('@')
      ? (await accounts.listEveryUser()).find((u) => u.email === ref.trim().toLowerCase())
      : await accounts.getUser(ref);
    if (!found) throw new CyropError('NOT_FOUND', `no user '${ref}'`);
    return found;
  };
  user
    .command('list')
    .description('the users of every organisation, or of one')
    .option('--org <id>', 'only this organisation')
    .addOption(format())
    .action(async (opts: Format & { org?: string }) => {
      await withStore(async ({ accounts }) => {
        const users = opts.org ? await accounts.listUsers(opts.org) : await accounts.listEveryUser();
        print(opts, users, () => (users.length ? users.map(userLine).join('') : 'no users\n'));
      });
    });
  user
    .command('create')
    .description('add a user; without --password a one-time password is printed once')
    .requiredOption('--org <id>', 'organisation id')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--name <name>', 'display name')
    .addOption(
      new Option('--role <role>', 'role')
        .choices(['operator', 'org-admin', 'instructor', 'trainee'])
        .makeOptionMandatory(),
    )
    .option('--password <password>', 'a password (else a one-time password, to be changed at first sign-in)')
    .addOption(format())
    .action(
      async (
        opts: Format & { org: string; email: string; name: string; role: UserRole; password?: string },
      ) => {
        await withStore(async ({ accounts, operatorOrgId }) => {
          const created = await accounts.createUserAs(cliPrincipal(operatorOrgId), {
            orgId: opts.org,
            email: opts.email,
            name: opts.name,
            role: opts.role,
            ...(opts.password !== undefined ? { password: opts.password } : {}),
          });
          print(
            opts,
            created,
            () =>
              userLine(created.user) +
              (created.oneTimePassword ? `one-time password (shown once): ${created.oneTimePassword}\n` : ''),
          );
        });
      },
    );
  user
    .command('disable')
    .description('disable a user (their sessions end)')
    .argument('<user>', 'user id or email')
    .option('--enable', 'enable them again instead')
    .addOption(format())
    .action(async (ref: string, opts: Format & { enable?: boolean }) => {
      await withStore(async ({ accounts, operatorOrgId }) => {
        const target = await findUser(accounts, ref);
        const changed = await accounts.updateUser(cliPrincipal(operatorOrgId), target.id, {
          disabled: !opts.enable,
        });
        print(opts, changed, () => userLine(changed));
      });
    });
  user
    .command('reset-password')
    .description('a new one-time password, printed once; to be changed at next sign-in (sessions end)')
    .argument('<user>', 'user id or email')
    .addOption(format())
    .action(async (ref: string, opts: Format) => {
      await withStore(async ({ accounts, operatorOrgId }) => {
        const target = await findUser(accounts, ref);
        const reset = await accounts.resetPassword(cliPrincipal(operatorOrgId), target.id);
        print(
          opts,
          reset,
          () => `${userLine(reset.user)}one-time password (shown once): ${reset.oneTimePassword}\n`,
        );
      });
    });

  // ── scenarios ──────────────────────────────────────────────────────────────────────────────
  const scenario = program
    .command('scenario')
    .description('uploaded scenarios: list, upload, archive, publish');
  const versionRef = (ref: string) => {
    const match = /^([a-z0-9-]{1,40})@([0-9A-Za-z.+-]{1,64})$/.exec(ref);
    if (!match) throw new CyropError('BAD_REQUEST', `'${ref}' is not <scenario id>@<version>`);
    return { id: match[1] as string, version: match[2] as string };
  };
  const ownerOf = (library: ScenarioLibrary, operatorOrgId: string, id: string, version: string) =>
    library.get(cliPrincipal(operatorOrgId), id, version).ownerOrgId ?? operatorOrgId;
  scenario
    .command('list')
    .description('every version of every scenario (shipped and uploaded, archived too)')
    .option('--org <id>', "only this organisation's uploads")
    .addOption(format())
    .action(async (opts: Format & { org?: string }) => {
      await withStore(({ library, operatorOrgId }) => {
        const by = cliPrincipal(operatorOrgId);
        const all = opts.org
          ? library.ownedBy(by, opts.org)
          : library.catalogue.all().flatMap((e) => {
              try {
                return [library.get(by, e.id, e.version)];
              } catch {
                return []; // an upload without an owner row is offered to nobody
              }
            });
        const rows = all.map(scenarioRow);
        print(opts, rows, () => (rows.length ? rows.map(scenarioLine).join('') : 'no scenarios\n'));
        return Promise.resolve();
      });
    });
  scenario
    .command('upload')
    .description('validate a scenario folder and store it as a new version, private to the organisation')
    .argument('<folder>', 'the scenario folder (holding scenario.yaml)')
    .requiredOption('--org <id>', 'the owning organisation')
    .addOption(format())
    .action(async (folder: string, opts: Format & { org: string }) => {
      await withStore(async ({ accounts, library }) => {
        const owner = await accounts.getOrganisation(opts.org);
        if (!owner) throw new CyropError('NOT_FOUND', `no organisation '${opts.org}'`);
        const result = await library.upload(cliPrincipal(owner.id), readFolder(folder));
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        if (!result.entry) {
          print(
            opts,
            { stored: false, diagnostics: result.diagnostics },
            () =>
              result.diagnostics
                .map(
                  (d) => `${path.join(folder, d.file)}:${d.line}:${d.column}  ${d.pointer}  ${d.message}\n`,
                )
                .join('') + `${errors.length} error(s): nothing stored\n`,
          );
          setExit(EXIT.invalid);
          return;
        }
        const row = { ...scenarioRow(result.entry), created: result.stored?.created ?? false };
        print(opts, row, () => `${row.created ? 'stored' : 'already stored'}: ${scenarioLine(row)}`);
      });
    });
  scenario
    .command('archive')
    .description('hide a version from launch (exercises that ran it keep it)')
    .argument('<ref>', '<scenario id>@<version>')
    .option('--restore', 'offer it for launch again instead')
    .addOption(format())
    .action(async (ref: string, opts: Format & { restore?: boolean }) => {
      await withStore(async ({ library, operatorOrgId }) => {
        const { id, version } = versionRef(ref);
        const owner = ownerOf(library, operatorOrgId, id, version);
        const v = await library.setArchived(cliPrincipal(owner), id, version, !opts.restore);
        print(opts, scenarioRow(v), () => scenarioLine(scenarioRow(v)));
      });
    });
  scenario
    .command('publish')
    .description('publish a version to every organisation (the request and the approval, as the operator)')
    .argument('<ref>', '<scenario id>@<version>')
    .option('--note <text>', 'a note kept with the decision')
    .addOption(format())
    .action(async (ref: string, opts: Format & { note?: string }) => {
      await withStore(async ({ library, operatorOrgId }) => {
        const { id, version } = versionRef(ref);
        const by = cliPrincipal(operatorOrgId);
        const note = opts.note !== undefined ? { note: opts.note } : {};
        const current = library.get(by, id, version);
        if (current.publication !== 'published') {
          if (current.publication !== 'requested') await library.requestPublication(by, id, version, note);
          await library.decidePublication(by, id, version, { approve: true, ...note });
        }
        const v = library.get(by, id, version);
        print(opts, scenarioRow(v), () => scenarioLine(scenarioRow(v)));
      });
    });
}

/** A scenario folder as the API takes it: relative path → text; dot-files skipped. */
function readFolder(folder: string): ScenarioFiles {
  let root: string;
  try {
    root = statSync(folder).isDirectory() ? folder : path.dirname(folder);
  } catch {
    throw new CyropError('NOT_FOUND', `${folder}: no such file or folder`);
  }
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        if (Object.keys(files).length >= UPLOAD_LIMITS.files)
          throw new CyropError('PAYLOAD_TOO_LARGE', `${folder} has more than ${UPLOAD_LIMITS.files} files`);
        files[path.relative(root, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
      }
    }
  };
  walk(root);
  return files;
}

interface ScenarioRow {
  id: string;
  version: string;
  ownerOrgId: string | null;
  shipped: boolean;
  archived: boolean;
  publication: string;
  contentHash: string;
}

function scenarioRow(v: ScenarioVersionView): ScenarioRow {
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

function scenarioLine(r: ScenarioRow): string {
  const state = r.shipped ? 'shipped' : `${r.publication}${r.archived ? ', archived' : ''}`;
  return `${`${r.id}@${r.version}`.padEnd(36)} ${state.padEnd(20)} ${r.ownerOrgId ?? '-'}\n`;
}

function orgLine(o: Organisation): string {
  return `${o.id}  ${o.kind.padEnd(16)} ${(o.category ?? '-').padEnd(32)} ${o.disabled ? 'DISABLED ' : ''}${o.name}\n`;
}

function userLine(u: User): string {
  return `${u.id}  ${u.role.padEnd(10)} ${u.disabled ? 'DISABLED ' : ''}${u.email}  (${u.name}) org ${u.orgId}\n`;
}

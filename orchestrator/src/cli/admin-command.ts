import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadClientConfig, serverOrigin } from '../config/client-config.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { Organisation, OrganisationDetails } from '../accounts/account-service.ts';
import type { ScenarioFiles } from '../scenarios/scenario-uploads.ts';
import { ORGANISATION_CATEGORIES, type OrganisationCategory, type UserRole } from '../store/schema.ts';
import {
  orgLine,
  parseVersionRef,
  scenarioLine,
  userLine,
  type AdminBackend,
  type NewOrganisation,
} from './admin-backend.ts';
import { login, logout, remoteBackend } from './admin-remote.ts';
import { SessionFile } from './cli-sessions.ts';
import { EXIT, type Io } from './main.ts';
import { readPassword } from './read-password.ts';

interface Common {
  format: 'text' | 'json';
  server?: string;
}

type OrgOptions = Common & {
  name?: string;
  kind?: { kind?: NewOrganisation['kind']; category?: OrganisationCategory };
  category?: OrganisationCategory;
  contactName?: string;
  contactEmail?: string;
  contactPhone?: string;
  postalAddress?: string;
  invoiceNumber?: string;
  coNexus?: string;
};

const PLATFORM_KINDS = ['training-company', 'customer'] as const;

/** The short names of the CYNEX member categories (`cyrop org … --kind`), and the stored ones. */
export const MEMBER_KINDS: Record<string, OrganisationCategory> = {
  'large-enterprise': 'large-enterprise',
  sme: 'sme',
  'general-association': 'general-incorporated-association',
  npo: 'npo',
  education: 'educational-institution',
  government: 'government',
  expert: 'individual-expert',
  ...Object.fromEntries(ORGANISATION_CATEGORIES.map((c) => [c, c])),
};
const MEMBER_KIND_NAMES = [
  'large-enterprise',
  'sme',
  'general-association',
  'npo',
  'education',
  'government',
  'expert',
];

/** `training-company`, `sme`, `training-company,sme`: the platform kind and/or the member category. */
function parseKinds(text: string): { kind?: NewOrganisation['kind']; category?: OrganisationCategory } {
  const out: { kind?: NewOrganisation['kind']; category?: OrganisationCategory } = {};
  for (const part of text.split(',').map((p) => p.trim().toLowerCase())) {
    if ((PLATFORM_KINDS as readonly string[]).includes(part)) {
      if (out.kind) throw new InvalidArgumentError(`two platform kinds in '${text}'`);
      out.kind = part as NewOrganisation['kind'];
    } else if (MEMBER_KINDS[part]) {
      if (out.category) throw new InvalidArgumentError(`two member categories in '${text}'`);
      out.category = MEMBER_KINDS[part];
    } else
      throw new InvalidArgumentError(
        `'${part}' is not a kind: ${PLATFORM_KINDS.join(', ')}, ${MEMBER_KIND_NAMES.join(', ')}`,
      );
  }
  return out;
}

/**
 * `cyrop org …`, `cyrop user …` and `cyrop scenario …`, for scripted set-ups: against the data
 * directory (`CYROP_DATA_DIR`; the services decide and audit as `system:cli`), or with `--server URL`
 * (or `CYROP_SERVER`) against a running server's API as the user signed in with `cyrop login` (the
 * server's rules and audit apply to that user). The same output either way. Also `cyrop login` and
 * `cyrop logout`.
 */
export function adminCommands(program: Command, io: Io, setExit: (code: number) => void): void {
  const format = () =>
    new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const server = () =>
    new Option('--server <url>', 'a running server to act on as the signed-in user (default: CYROP_SERVER)');
  const print = (opts: Common, value: unknown, text: () => string) => {
    io.out(opts.format === 'json' ? JSON.stringify(value, null, 2) + '\n' : text());
  };
  const sessionFile = () => new SessionFile(loadClientConfig().configDir);
  const originOf = (opts: { server?: string }): string | undefined => {
    if (opts.server !== undefined) return serverOrigin(opts.server);
    return loadClientConfig().server;
  };
  /** Refusals are printed as `cyrop: CODE: message` (exit 2), whichever back-end refused. */
  const refused = (error: unknown): void => {
    if (!isCyropError(error)) throw error;
    io.err(`cyrop: ${error.code}: ${error.message}\n`);
    setExit(EXIT.failed);
  };
  const run = async (opts: Common, fn: (backend: AdminBackend) => Promise<void>): Promise<void> => {
    try {
      const origin = originOf(opts);
      const backend = origin
        ? remoteBackend(origin, sessionFile())
        : await (await import('./admin-local.ts')).openLocalBackend(io.err); // the store and services: loaded only here
      try {
        await fn(backend);
      } finally {
        await backend.close();
      }
    } catch (error) {
      refused(error);
    }
  };
  /** Every subcommand takes `--format` and `--server`. */
  const leaf = (parent: Command, name: string) =>
    parent.command(name).addOption(format()).addOption(server());

  // ── signing in to a server ─────────────────────────────────────────────────────────────────
  program
    .command('login')
    .description(
      'sign in to a running server (password from CYROP_PASSWORD, else stdin when piped, else asked); the session is kept in your config folder',
    )
    .addOption(server())
    .requiredOption('--email <email>', 'your sign-in email')
    .action(async (opts: { server?: string; email: string }) => {
      try {
        const origin = originOf(opts);
        if (!origin)
          throw new CyropError('BAD_REQUEST', 'which server? give --server URL or set CYROP_SERVER');
        const password =
          loadClientConfig().password ?? (await readPassword(`Password for ${opts.email} at ${origin}: `));
        const sessions = sessionFile();
        const { principal } = await login(origin, opts.email, password, sessions);
        io.out(
          `signed in to ${origin} as ${opts.email} (${principal.role ?? principal.kind}, organisation ${principal.orgId ?? '-'}); session kept in ${sessions.file}\n`,
        );
      } catch (error) {
        refused(error);
      }
    });
  program
    .command('logout')
    .description('end your session on a server and forget it here')
    .addOption(server())
    .action(async (opts: { server?: string }) => {
      try {
        const origin = originOf(opts);
        if (!origin)
          throw new CyropError('BAD_REQUEST', 'which server? give --server URL or set CYROP_SERVER');
        const ended = await logout(origin, sessionFile());
        io.out(ended ? `signed out of ${origin} (${ended.email})\n` : `not signed in to ${origin}\n`);
      } catch (error) {
        refused(error);
      }
    });

  // ── organisations ──────────────────────────────────────────────────────────────────────────
  const org = program
    .command('org')
    .description('organisations: list, create, disable (data directory, or --server)');
  leaf(org, 'list')
    .description('every organisation')
    .action(async (opts: Common) => {
      await run(opts, async (b) => {
        const all = await b.listOrganisations();
        print(opts, all, () => all.map(orgLine).join(''));
      });
    });
  const kindOption = (mandatory: boolean) => {
    const option = new Option(
      '--kind <kind>',
      `what it is: ${PLATFORM_KINDS.join(' or ')} and/or its CYNEX member category (${MEMBER_KIND_NAMES.join(', ')}), comma-separated, e.g. training-company,sme (a category alone makes a customer)`,
    ).argParser(parseKinds);
    return mandatory ? option.makeOptionMandatory() : option;
  };
  const detailOptions = (command: Command) =>
    command
      .addOption(
        new Option('--category <category>', 'CYNEX member category').choices([...ORGANISATION_CATEGORIES]),
      )
      .option('--contact-name <name>', 'contact person')
      .option('--contact-email <email>', 'contact and invoicing email')
      .option('--contact-phone <phone>', 'telephone')
      .option('--postal-address <address>', 'postal address')
      .option('--invoice-number <T+13 digits>', 'qualified-invoice registration number (check digit checked)')
      .option(
        '--co-nexus <names>',
        'the Co-Nexus it belongs to, comma-separated (e.g. C or A,C; "" for none): the yearly CYNEX fee multiplier',
      );
  const details = (opts: OrgOptions): OrganisationDetails => {
    const category = opts.kind?.category ?? opts.category;
    return {
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.kind?.kind ? { kind: opts.kind.kind } : {}),
      ...(category ? { category } : {}),
      ...(opts.contactName ? { contactName: opts.contactName } : {}),
      ...(opts.contactEmail ? { contactEmail: opts.contactEmail } : {}),
      ...(opts.contactPhone ? { contactPhone: opts.contactPhone } : {}),
      ...(opts.postalAddress ? { postalAddress: opts.postalAddress } : {}),
      ...(opts.invoiceNumber ? { invoiceRegistrationNumber: opts.invoiceNumber } : {}),
    };
  };
  const coNexusList = (text: string | undefined) =>
    text === undefined
      ? undefined
      : text
          .split(',')
          .map((n) => n.trim())
          .filter((n) => n !== '');
  const printOrg = async (b: AdminBackend, opts: OrgOptions, result: Organisation) => {
    const names = coNexusList(opts.coNexus);
    const coNexus = names === undefined ? undefined : await b.setCoNexus(result.id, names);
    print(
      opts,
      coNexus === undefined ? result : { ...result, coNexus },
      () =>
        orgLine(result) + (coNexus === undefined ? '' : `  Co-Nexus: ${coNexus.join(', ') || '(none)'}\n`),
    );
  };
  detailOptions(
    leaf(org, 'create')
      .description('create a training company or customer organisation')
      .requiredOption('--name <name>', 'its name')
      .addOption(kindOption(true)),
  ).action(async (opts: OrgOptions & { name: string }) => {
    await run(opts, async (b) => {
      const rest = details(opts);
      delete rest.kind;
      const created = await b.createOrganisation({
        ...rest,
        name: opts.name,
        kind: opts.kind?.kind ?? 'customer',
      });
      await printOrg(b, opts, created);
    });
  });
  detailOptions(
    leaf(org, 'update')
      .description("edit an organisation's name, kind, category, contact and invoicing details, Co-Nexus")
      .argument('<id>', 'organisation id')
      .option('--name <name>', 'its name')
      .addOption(kindOption(false)),
  ).action(async (id: string, opts: OrgOptions) => {
    await run(opts, async (b) => {
      const changes = details(opts);
      const updated =
        Object.keys(changes).length > 0
          ? await b.updateOrganisation(id, changes)
          : (await b.listOrganisations()).find((o) => o.id === id);
      if (!updated) throw new CyropError('NOT_FOUND', `no organisation '${id}'`);
      await printOrg(b, opts, updated);
    });
  });
  leaf(org, 'disable')
    .description('disable an organisation (its users are signed out and refused; its exercises stay)')
    .argument('<id>', 'organisation id')
    .option('--enable', 'enable it again instead')
    .action(async (id: string, opts: Common & { enable?: boolean }) => {
      await run(opts, async (b) => {
        const changed = await b.setOrganisationDisabled(id, !opts.enable);
        print(opts, changed, () => orgLine(changed));
      });
    });

  // ── users ──────────────────────────────────────────────────────────────────────────────────
  const user = program.command('user').description('users: list, create, disable, reset a password');
  leaf(user, 'list')
    .description("the users of every organisation (over a server, an org-admin's own), or of one")
    .option('--org <id>', 'only this organisation')
    .action(async (opts: Common & { org?: string }) => {
      await run(opts, async (b) => {
        const users = await b.listUsers(opts.org);
        print(opts, users, () => (users.length ? users.map(userLine).join('') : 'no users\n'));
      });
    });
  leaf(user, 'create')
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
    .action(
      async (
        opts: Common & { org: string; email: string; name: string; role: UserRole; password?: string },
      ) => {
        await run(opts, async (b) => {
          const created = await b.createUser({
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
  leaf(user, 'disable')
    .description('disable a user (their sessions end)')
    .argument('<user>', 'user id or email')
    .option('--enable', 'enable them again instead')
    .action(async (ref: string, opts: Common & { enable?: boolean }) => {
      await run(opts, async (b) => {
        const changed = await b.setUserDisabled(ref, !opts.enable);
        print(opts, changed, () => userLine(changed));
      });
    });
  leaf(user, 'reset-password')
    .description('a new one-time password, printed once; to be changed at next sign-in (sessions end)')
    .argument('<user>', 'user id or email')
    .action(async (ref: string, opts: Common) => {
      await run(opts, async (b) => {
        const reset = await b.resetPassword(ref);
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
    const parsed = parseVersionRef(ref);
    if (!parsed) throw new CyropError('BAD_REQUEST', `'${ref}' is not <scenario id>@<version>`);
    return parsed;
  };
  leaf(scenario, 'list')
    .description('every version of every scenario (shipped and uploaded, archived too)')
    .option('--org <id>', "only this organisation's uploads")
    .action(async (opts: Common & { org?: string }) => {
      await run(opts, async (b) => {
        const rows = await b.listScenarios(opts.org);
        print(opts, rows, () => (rows.length ? rows.map(scenarioLine).join('') : 'no scenarios\n'));
      });
    });
  leaf(scenario, 'upload')
    .description('validate a scenario folder and store it as a new version, private to the organisation')
    .argument('<folder>', 'the scenario folder (holding scenario.yaml)')
    .option(
      '--org <id>',
      "the owning organisation (default: the operator's; over a server, the signed-in user's)",
    )
    .action(async (folder: string, opts: Common & { org?: string }) => {
      await run(opts, async (b) => {
        const { UPLOAD_LIMITS } = await import('../scenarios/scenario-uploads.ts');
        const result = await b.uploadScenario(readFolder(folder, UPLOAD_LIMITS.files), opts.org);
        if (!result.stored) {
          const errors = result.diagnostics.filter((d) => d.severity === 'error');
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
        const row = result.row;
        print(opts, row, () => `${row.created ? 'stored' : 'already stored'}: ${scenarioLine(row)}`);
      });
    });
  leaf(scenario, 'archive')
    .description('hide a version from launch (exercises that ran it keep it)')
    .argument('<ref>', '<scenario id>@<version>')
    .option('--restore', 'offer it for launch again instead')
    .action(async (ref: string, opts: Common & { restore?: boolean }) => {
      await run(opts, async (b) => {
        const { id, version } = versionRef(ref);
        const row = await b.setScenarioArchived(id, version, !opts.restore);
        print(opts, row, () => scenarioLine(row));
      });
    });
  leaf(scenario, 'publish')
    .description(
      'publish a version to every organisation (an operator requests and approves; an org-admin over a server only requests)',
    )
    .argument('<ref>', '<scenario id>@<version>')
    .option('--note <text>', 'a note kept with the decision')
    .action(async (ref: string, opts: Common & { note?: string }) => {
      await run(opts, async (b) => {
        const { id, version } = versionRef(ref);
        const row = await b.publishScenario(id, version, opts.note);
        print(opts, row, () => scenarioLine(row));
      });
    });
}

/** A scenario folder as the API takes it: relative path → text; dot-files skipped. */
function readFolder(folder: string, maxFiles: number): ScenarioFiles {
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
        if (Object.keys(files).length >= maxFiles)
          throw new CyropError('PAYLOAD_TOO_LARGE', `${folder} has more than ${maxFiles} files`);
        files[path.relative(root, full).split(path.sep).join('/')] = readFileSync(full, 'utf8');
      }
    }
  };
  walk(root);
  return files;
}

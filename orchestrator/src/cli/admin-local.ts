import path from 'node:path';
import { cliPrincipal } from '../access/principal.ts';
import { AccountService, type User } from '../accounts/account-service.ts';
import { BillingService } from '../billing/billing-service.ts';
import { loadConfig } from '../config/load-config.ts';
import { CyropError } from '../errors.ts';
import { scenarioLimits } from '../main.ts';
import { competencyCatalogues } from '../scenarios/competency-catalogues.ts';
import { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';
import { ScenarioCompiler } from '../scenarios/scenario-compiler.ts';
import { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { ScenarioUploads } from '../scenarios/scenario-uploads.ts';
import { openDatabase } from '../store/database.ts';
import { byScenarioId, scenarioRow, type AdminBackend } from './admin-backend.ts';

/**
 * The administration back-end of the data directory (`CYROP_DATA_DIR`): the same services as the API
 * decide and audit, acting as `system:cli` with the operator's powers. `notice` gets the first
 * operator's one-time password on a new data directory.
 */
export async function openLocalBackend(notice: (text: string) => void): Promise<AdminBackend> {
  const config = loadConfig();
  const database = await openDatabase(config.dataDir);
  const compiler = new ScenarioCompiler({ dataDir: config.dataDir, scenarioLimits: scenarioLimits(config) });
  const close = async () => {
    await compiler.close();
    await database.close();
  };
  try {
    const accounts = new AccountService({ db: database.db });
    const first = await accounts.ensureFirstOperator();
    if (first)
      notice(
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
    const by = cliPrincipal(operator.id);
    const findUser = async (ref: string): Promise<User> => {
      const found = ref.includes('@')
        ? (await accounts.listEveryUser()).find((u) => u.email === ref.trim().toLowerCase())
        : await accounts.getUser(ref);
      if (!found) throw new CyropError('NOT_FOUND', `no user '${ref}'`);
      return found;
    };
    return {
      listOrganisations: () => accounts.listOrganisations(),
      createOrganisation: (input) => accounts.createOrganisationAs(by, input),
      setOrganisationDisabled: (id, disabled) => accounts.setOrganisationDisabled(by, id, disabled),
      updateOrganisation: (id, changes) => accounts.updateOrganisation(by, id, changes),
      setCoNexus: (id, names) =>
        new BillingService({ sqlite: database.sqlite, accounts, timeZone: config.timeZone }).setCoNexus(
          by,
          id,
          names,
        ),
      listUsers: (orgId) => (orgId ? accounts.listUsers(orgId) : accounts.listEveryUser()),
      createUser: (input) => accounts.createUserAs(by, input),
      setUserDisabled: async (ref, disabled) =>
        accounts.updateUser(by, (await findUser(ref)).id, { disabled }),
      resetPassword: async (ref) => accounts.resetPassword(by, (await findUser(ref)).id),
      listScenarios: (orgId) => {
        const all = orgId
          ? library.ownedBy(by, orgId)
          : library.catalogue.all().flatMap((e) => {
              try {
                return [library.get(by, e.id, e.version)];
              } catch {
                return []; // an upload without an owner row is offered to nobody
              }
            });
        return Promise.resolve(byScenarioId(all.map(scenarioRow)));
      },
      uploadScenario: async (files, orgId) => {
        const owner = orgId === undefined ? operator : await accounts.getOrganisation(orgId);
        if (!owner) throw new CyropError('NOT_FOUND', `no organisation '${orgId ?? ''}'`);
        // The upload belongs to the organisation of its uploader: the CLI uploads as that organisation.
        const result = await library.upload(cliPrincipal(owner.id), files);
        if (!result.entry) return { stored: false, diagnostics: result.diagnostics };
        return {
          stored: true,
          row: { ...scenarioRow(result.entry), created: result.stored?.created ?? false },
        };
      },
      setScenarioArchived: async (id, version, archived) =>
        scenarioRow(await library.setArchived(by, id, version, archived)),
      publishScenario: async (id, version, note) => {
        const withNote = note !== undefined ? { note } : {};
        const current = library.get(by, id, version);
        if (current.publication !== 'published') {
          if (current.publication !== 'requested')
            await library.requestPublication(by, id, version, withNote);
          await library.decidePublication(by, id, version, { approve: true, ...withNote });
        }
        return scenarioRow(library.get(by, id, version));
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

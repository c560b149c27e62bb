import path from 'node:path';
import { cliPrincipal } from '../access/principal.ts';
import { AccountService } from '../accounts/account-service.ts';
import { loadConfig } from '../config/load-config.ts';
import { CourseService } from '../courses/course-service.ts';
import { libraryScenarioSource } from '../courses/library-scenario-source.ts';
import { JournalSalesLookup } from '../courses/journal-sales-lookup.ts';
import { UsageMeter } from '../courses/usage-meter.ts';
import { CyropError } from '../errors.ts';
import { scenarioLimits } from '../main.ts';
import { competencyCatalogues } from '../scenarios/competency-catalogues.ts';
import { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';
import { ScenarioCompiler } from '../scenarios/scenario-compiler.ts';
import { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { ScenarioUploads } from '../scenarios/scenario-uploads.ts';
import { openDatabase } from '../store/database.ts';

export interface CourseBackend {
  courses: CourseService;
  usage: UsageMeter;
  /** The platform's reporting time zone (`CYROP_TIME_ZONE`): `YYYY-MM-DD` bounds are its days. */
  timeZone: string;
  /** The CLI's principal (operator powers, audited as `system:cli`). */
  by: { actor: ReturnType<typeof cliPrincipal> };
  close(): Promise<void>;
}

/**
 * The course and metering services on the data directory (`CYROP_DATA_DIR`), acting as `system:cli`
 * with the operator's powers, audited like the API. No engine: runs are launched from the console or
 * the API. Sales are read from billing's journal.
 */
export async function openCourseBackend(): Promise<CourseBackend> {
  const config = loadConfig();
  const database = await openDatabase(config.dataDir);
  const compiler = new ScenarioCompiler({ dataDir: config.dataDir, scenarioLimits: scenarioLimits(config) });
  const close = async () => {
    await compiler.close();
    await database.close();
  };
  try {
    const accounts = new AccountService({ db: database.db });
    await accounts.ensureFirstOperator();
    const operator = (await accounts.listOrganisations()).find((o) => o.kind === 'operator');
    if (!operator) throw new CyropError('INTERNAL', 'no operator organisation');
    const uploadsDir = path.join(config.dataDir, 'scenarios');
    const catalogues = await competencyCatalogues(config.dataDir);
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
    const courses = new CourseService({
      db: database.db,
      scenarios: libraryScenarioSource(library),
      audit: (actor, action, target, details, context) =>
        accounts.audit(actor, action, target, details, context),
    });
    const usage = new UsageMeter({
      db: database.db,
      sales: new JournalSalesLookup(database.db, config.timeZone),
    });
    return { courses, usage, timeZone: config.timeZone, by: { actor: cliPrincipal(operator.id) }, close };
  } catch (error) {
    await close();
    throw error;
  }
}

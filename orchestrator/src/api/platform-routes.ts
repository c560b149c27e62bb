import type { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { helpRoutes, type HelpRouteDeps } from '../help-requests/help-routes.ts';
import { scoringRoutes, type ScoringRouteDeps } from '../scoring-service/scoring-routes.ts';
import { terminalRoutes, type TerminalRouteDeps } from '../terminals/terminal-routes.ts';
import { webRoutes, type WebRouteDeps } from '../web-services/web-routes.ts';
import type { ApiRegistry } from './api-registry.ts';
import { accountRoutes, type AccountRoutesDependencies } from './routes/account-routes.ts';
import { adminRoutes, type AdminRoutesDependencies } from './routes/admin-routes.ts';
import { analyticsRoutes, type AnalyticsRouteDeps } from './routes/analytics-routes.ts';
import { billingRoutes, type BillingRouteDeps } from './routes/billing-routes.ts';
import { courseRoutes, type CourseRouteDeps } from './routes/course-routes.ts';
import { exerciseRoutes, type ExerciseRouteDeps } from './routes/exercise-routes.ts';
import { invitationRoutes, type InvitationRouteDeps } from './routes/invitation-routes.ts';
import { playRoutes, type PlayRouteDeps } from './routes/play-routes.ts';
import { quotaRoutes, type QuotaRouteDeps } from './routes/quota-routes.ts';
import { rosterRoutes, type RosterRouteDeps } from './routes/roster-routes.ts';
import { scenarioGuideRoutes, type ScenarioGuideRouteDeps } from './routes/scenario-guide-routes.ts';
import { scenarioRoutes } from './routes/scenario-routes.ts';

/** What each route module needs; a module whose service is not running here is left out. */
export interface PlatformRouteDeps {
  account: AccountRoutesDependencies;
  admin: AdminRoutesDependencies;
  invitation: InvitationRouteDeps;
  course: CourseRouteDeps;
  scenarioGuide: ScenarioGuideRouteDeps;
  analytics: AnalyticsRouteDeps;
  quota: QuotaRouteDeps;
  billing: BillingRouteDeps;
  /** The next five need the engine (an orchestrator). */
  exercise?: ExerciseRouteDeps;
  play?: PlayRouteDeps;
  roster?: RosterRouteDeps;
  web?: WebRouteDeps;
  help?: HelpRouteDeps;
  scoring?: ScoringRouteDeps;
  terminal?: TerminalRouteDeps;
}

/**
 * Every API route of the platform beyond the scenario catalogue (which `createApp` registers
 * itself): the one list both the server (`main.ts`) and the OpenAPI document built without a
 * server (`openapi-document.ts`, the console's generated types) register, so they cannot differ.
 */
export function platformRoutes(api: ApiRegistry, deps: PlatformRouteDeps): void {
  accountRoutes(api, deps.account);
  adminRoutes(api, deps.admin);
  invitationRoutes(api, deps.invitation);
  courseRoutes(api, deps.course);
  if (deps.exercise) exerciseRoutes(api, deps.exercise);
  if (deps.play) playRoutes(api, deps.play);
  if (deps.roster) rosterRoutes(api, deps.roster);
  if (deps.web) webRoutes(api, deps.web);
  scenarioGuideRoutes(api, deps.scenarioGuide);
  analyticsRoutes(api, deps.analytics);
  if (deps.help) helpRoutes(api, deps.help);
  quotaRoutes(api, deps.quota);
  billingRoutes(api, deps.billing);
  if (deps.scoring) scoringRoutes(api, deps.scoring);
  if (deps.terminal) terminalRoutes(api, deps.terminal);
}

/** The scenario catalogue's routes and every other module's: the whole API (see `createApp`). */
export function allRoutes(api: ApiRegistry, scenarios: ScenarioLibrary, deps: PlatformRouteDeps): void {
  scenarioRoutes(api, scenarios);
  platformRoutes(api, deps);
}

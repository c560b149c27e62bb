import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Where the repository's own files are (the schema, infra/, scenarios/, the built console). This is
// the one module that reads its own location: it sits directly in orchestrator/src/, as the compiled
// chunks sit directly in orchestrator/dist/ (orchestrator/build.ts), so the same relative URLs hold
// whether the sources run through tsx or the build runs. The build refuses `import.meta.url` anywhere
// else in what it bundles, where it would name orchestrator/dist/ instead of the source's folder.

/** `orchestrator/` of this repository, as a URL ending in a slash. */
export const ORCHESTRATOR_URL = new URL('../', import.meta.url);

/** The repository root (package.json, scenarios/, infra/, web-console/). */
export const REPO_ROOT = path.resolve(fileURLToPath(new URL('../../', import.meta.url)));

/** Whether this process runs the compiled build (orchestrator/dist/) rather than the sources through tsx. */
export const COMPILED = !import.meta.url.endsWith('.ts');

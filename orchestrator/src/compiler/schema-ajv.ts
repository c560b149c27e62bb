import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, Options, ValidateFunction } from 'ajv/dist/2020.js';
import { ORCHESTRATOR_URL } from '../paths.ts';

// ajv is CommonJS; required (synchronously, at the first call) rather than imported, so that the
// compiled build, which validates with the precompiled validator, never loads the compiler.
const require = createRequire(ORCHESTRATOR_URL);

/**
 * The ajv that checks scenarios against the schema. validate-schema.ts compiles the schema with it
 * when the sources run; orchestrator/build.ts compiles it with `code: { source: true }` and writes
 * ajv's standalone code into the build, so the compiled CLI and server skip that step (most of what
 * `cyrop validate` spent starting). One function, so both validate alike.
 */
export function scenarioAjv(extra: Options = {}): Ajv2020 {
  const ajvModule = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new ajvModule.Ajv2020({
    allErrors: true,
    verbose: true,
    strict: true,
    allowUnionTypes: true,
    strictRequired: false,
    ...extra,
  });
  ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
  return ajv;
}

/** The compiled build's validator (ajv's standalone code of the schema, CommonJS), in orchestrator/dist/. */
export const PRECOMPILED_VALIDATOR = 'scenario-schema-validator.cjs';

/** Loads the compiled build's validator. */
export function precompiledValidator(): ValidateFunction {
  const file = fileURLToPath(new URL(`dist/${PRECOMPILED_VALIDATOR}`, ORCHESTRATOR_URL));
  return (require(file) as { default: ValidateFunction }).default;
}

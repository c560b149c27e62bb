import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NiceCatalogue } from './nice-catalogue.ts';
import { parseNiceFile } from './parse-nice-file.ts';

/**
 * Test support (not a test): the NIST NICE Framework files in `<repo>/../shared/nice`, read and parsed
 * once per test process. The repo root is three levels above this file (orchestrator/src/nice).
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const directory = path.resolve(repoRoot, '../shared/nice');

const files = {
  rev0: 'nice_2017_sp800-181r0.json',
  v200: 'nice_v2.0.0_nf_components.json',
  v210: 'nice_v2.1.0_cprt_SP_800_181_2_1_0.json',
  normalizedV200: 'nice_v2.0.0_normalized.json',
  normalizedV210: 'nice_v2.1.0_normalized.json',
} as const;

type NiceTestFile = keyof typeof files;

const jsonCache = new Map<NiceTestFile, unknown>();
const catalogueCache = new Map<NiceTestFile, NiceCatalogue>();

export const niceTestData = {
  directory,
  files,
  path(file: NiceTestFile): string {
    return path.join(directory, files[file]);
  },
  /** The parsed JSON of a data file (shared between tests: do not mutate). */
  json(file: NiceTestFile): unknown {
    let json = jsonCache.get(file);
    if (json === undefined) {
      const where = niceTestData.path(file);
      let text: string;
      try {
        text = readFileSync(where, 'utf8');
      } catch (error) {
        throw new Error(`NICE test data ${where} is missing (expected shared/nice beside the repository)`, {
          cause: error,
        });
      }
      json = JSON.parse(text) as unknown;
      jsonCache.set(file, json);
    }
    return json;
  },
  /** The catalogue parsed from a data file (shared between tests: do not mutate). */
  catalogue(file: NiceTestFile): NiceCatalogue {
    let catalogue = catalogueCache.get(file);
    if (catalogue === undefined) {
      catalogue = parseNiceFile(niceTestData.json(file), files[file]);
      catalogueCache.set(file, catalogue);
    }
    return catalogue;
  },
};

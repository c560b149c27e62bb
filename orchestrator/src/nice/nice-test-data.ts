import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNiceFramework, type NiceCatalogue, type NiceStatementType } from './nice-catalogue.ts';
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
  normalizedV100: 'nice_v1.0.0_normalized.json',
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
  /**
   * A catalogue read from one of the shared folder's derived `*_normalized.json` files (the platform
   * imports only NIST's own formats; v1.0.0 exists here only as NIST's workbook and this derived
   * form). Test support for figures that need a v1.0.0 catalogue; the v2.x normalized files let a
   * test check this reading against the official CPRT files.
   */
  normalizedCatalogue(file: 'normalizedV100' | 'normalizedV200' | 'normalizedV210'): NiceCatalogue {
    let catalogue = catalogueCache.get(file);
    if (catalogue === undefined) {
      const n = niceTestData.json(file) as Normalized;
      const framework = `nice-${n.version}`;
      if (!isNiceFramework(framework)) throw new Error(`${files[file]}: unknown version ${n.version}`);
      catalogue = {
        framework,
        sourceVersion: n.version,
        sourceName: files[file],
        sourceTitle: `NICE Framework Components v${n.version} (derived normalized file)`,
        categories: n.categories.map((c) => ({ id: c.id, name: c.name, description: c.description })),
        workRoles: n.work_roles.map((r) => ({
          id: r.id,
          name: r.name,
          description: r.description,
          category: r.category,
          opmCodes: r.opm_codes,
          statements: [...r.tasks, ...r.knowledge, ...r.skills],
        })),
        statements: n.statements.map((s) => ({ id: s.id, type: s.type, text: s.text })),
        competencyAreas: n.competency_areas.map((a) => ({
          id: a.id,
          name: a.name,
          description: a.description,
          statements: [...(a.knowledge ?? []), ...(a.skills ?? [])],
        })),
        warnings: [],
      };
      catalogueCache.set(file, catalogue);
    }
    return catalogue;
  },
};

interface Normalized {
  version: string;
  categories: { id: string; name: string; description: string }[];
  work_roles: {
    id: string;
    name: string;
    description: string;
    category: string;
    opm_codes: string[];
    tasks: string[];
    knowledge: string[];
    skills: string[];
  }[];
  statements: { id: string; type: NiceStatementType; text: string }[];
  competency_areas: {
    id: string;
    name: string;
    description: string;
    knowledge?: string[];
    skills?: string[];
  }[];
}

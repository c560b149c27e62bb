import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';

/** The Kubernetes release whose API the manifests are checked against (the cluster we run). */
export const KUBERNETES_MODULE = 'k8s.io/kubernetes@v1.34.4';
/** The API groups checked: the driver's manifests (core, networking) and the Helm chart's (apps, rbac, admission policies). */
const SPEC_FILES = [
  'api__v1_openapi.json',
  'apis__networking.k8s.io__v1_openapi.json',
  'apis__apps__v1_openapi.json',
  'apis__rbac.authorization.k8s.io__v1_openapi.json',
  'apis__admissionregistration.k8s.io__v1_openapi.json',
];

/**
 * Kubernetes' own OpenAPI v3 documents, from the k8s.io/kubernetes module (api/openapi-spec/v3/),
 * fetched through the machine's Go module proxy into the Go module cache (outside the repository).
 */
export function openApiDir(): string {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'cyrop-openapi-'));
  const out = execFileSync('go', ['mod', 'download', '-json', KUBERNETES_MODULE], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
    timeout: 15 * 60_000,
  });
  const { Dir, Error: error } = JSON.parse(out) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${KUBERNETES_MODULE}: ${error ?? 'no directory'}`);
  const dir = path.join(Dir, 'api', 'openapi-spec', 'v3');
  if (!existsSync(dir)) throw new Error(`${dir}: no OpenAPI v3 documents in ${KUBERNETES_MODULE}`);
  return dir;
}

type Schema = Record<string, unknown>;

/** Closed schemas: an object schema that lists its properties accepts no other (unknown fields are errors, as the apiserver's strict field validation). */
function close(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(close);
  if (!node || typeof node !== 'object') return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node as Schema)) {
    if (k === 'description' || k === 'default' || k.startsWith('x-kubernetes-') || k === 'format') continue;
    // `properties` maps field names (one of them may be called `default`) to schemas.
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Schema).map(([name, s]) => [name, close(s)]))
        : close(v);
  }
  if (out['properties'] && out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  return out;
}

export interface ManifestValidator {
  /** Problems of one object, as `<kind>/<name>: <path> <message>`; empty when valid. */
  check(object: { apiVersion: string; kind: string; metadata: { name: string } }): string[];
}

export function manifestValidator(dir = openApiDir()): ManifestValidator {
  const schemas: Record<string, unknown> = {};
  const gvk = new Map<string, string>();
  for (const file of SPEC_FILES) {
    const doc = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
      components: { schemas: Record<string, Schema> };
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      schemas[name] = close(schema);
      for (const k of (schema['x-kubernetes-group-version-kind'] as
        { group: string; version: string; kind: string }[] | undefined) ?? []) {
        gvk.set(`${k.group ? `${k.group}/` : ''}${k.version}/${k.kind}`, name);
      }
    }
  }
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'k8s', components: { schemas } });
  const compiled = new Map<string, ValidateFunction>();
  return {
    check(object) {
      const name = gvk.get(`${object.apiVersion}/${object.kind}`);
      const label = `${object.kind}/${object.metadata.name}`;
      if (!name) return [`${label}: ${object.apiVersion} ${object.kind} is not a kind of the Kubernetes API`];
      let validate = compiled.get(name);
      if (!validate) {
        validate = ajv.compile({ $ref: `k8s#/components/schemas/${name}` });
        compiled.set(name, validate);
      }
      const meta = metadataProblems(label, object.metadata);
      if (validate(object)) return meta;
      return [
        ...meta,
        ...(validate.errors ?? []).map(
          (e) =>
            `${label}: ${e.instancePath || '/'} ${e.message ?? ''}${
              e.keyword === 'additionalProperties'
                ? ` '${String((e.params as { additionalProperty?: string }).additionalProperty)}'`
                : ''
            }`,
        ),
      ];
    },
  };
}

/**
 * What the schema does not say but the API server checks for every object: names are DNS labels or
 * subdomains, label keys are `[prefix/]name` and values at most 63 characters of [A-Za-z0-9._-].
 */
function metadataProblems(
  label: string,
  metadata: { name: string; labels?: Record<string, string> },
): string[] {
  const problems: string[] = [];
  const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  if (!subdomain.test(metadata.name) || metadata.name.length > 253)
    problems.push(`${label}: name '${metadata.name}' is not a DNS subdomain`);
  const value = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
  for (const [k, v] of Object.entries(metadata.labels ?? {})) {
    const [prefix, name] = k.includes('/') ? k.split('/', 2) : [undefined, k];
    if (prefix !== undefined && (!subdomain.test(prefix) || prefix.length > 253))
      problems.push(`${label}: label key '${k}' has a bad prefix`);
    if (!name || name.length > 63 || !value.test(name))
      problems.push(`${label}: label key '${k}' has a bad name`);
    if (v.length > 63 || !value.test(v))
      problems.push(`${label}: label ${k}: value '${v}' is not a label value (at most 63 of [A-Za-z0-9._-])`);
  }
  return problems;
}

import { checkScenario, type CompetencyCatalogue, type ScenarioLimits } from './check-scenario.ts';
import { compareDiagnostics, hasErrors, type Diagnostic } from './diagnostic.ts';
import { sha256Hex } from './environment-plan.ts';
import { loadYaml, type SourceMap } from './load-yaml.ts';
import { hostNetworkName, type FrameworkId, type LocalizedText, type Scenario } from './scenario.ts';
import { analyzeTemplate, isTemplate, type TemplateScope } from './templates.ts';
import { validateAgainstSchema } from './validate-schema.ts';

/** Reads a file that `files[].source` names, relative to the scenario folder (the I/O port of the compiler). */
export type SourceFileReader = (
  relativePath: string,
) => { ok: true; bytes: Buffer } | { ok: false; problem: string };

export interface CompileOptions {
  /** The name of the scenario file in diagnostics. */
  file: string;
  /** How `files[].source` paths are resolved; without one, any source is an error. */
  readSource?: SourceFileReader;
  /** Where `files[].source` paths are shown relative to (the scenario folder as the user named it). */
  sourceDisplayRoot?: string;
  /** The NICE catalogue of a framework version, where one was imported; ids are syntax-checked otherwise. */
  catalogueFor?: (framework: FrameworkId) => CompetencyCatalogue | undefined;
  /** The operator's limits (e.g. the largest `resources.disk`); the built-in ones without. */
  limits?: ScenarioLimits;
}

export interface CompiledScenario {
  scenario: Scenario;
  /** SHA-256 over the scenario file and every source file it names. */
  sourceHash: string;
  /** The bytes of every `files[].source`, by the path written in the scenario. */
  sources: ReadonlyMap<string, Buffer>;
  /**
   * Where fields that later stages may refuse stand in the file (e.g. `/networks/0/subnet`, refused at
   * launch outside the operator's fixed-subnet pools), by JSON pointer. Plain data, like the rest.
   */
  places?: Readonly<Record<string, { file: string; line: number; column: number }>>;
}

export interface CompileResult {
  compiled?: CompiledScenario;
  diagnostics: Diagnostic[];
  /** Whether competency ids were checked against a catalogue or only for their syntax. */
  competencyCheck: 'catalogue' | 'syntax-only' | 'none';
}

export const SOURCE_LIMITS = {
  scenarioFileBytes: 1024 * 1024,
  sourceFileBytes: 1024 * 1024,
  totalSourceBytes: 16 * 1024 * 1024,
  /**
   * Template expressions (`{{`) in all templated fields and `.hbs` files of a scenario, counted
   * before any is analysed: each costs analysis once and rendering once per team. The shipped
   * scenarios have at most 19.
   */
  templateExpressions: 2_000,
};

/** Scenario text → checked scenario, or every problem found, each at its file, line and field. Pure but for `readSource`. */
export function compileScenario(text: string, options: CompileOptions): CompileResult {
  const { file } = options;
  const diagnostics: Diagnostic[] = [];
  if (Buffer.byteLength(text, 'utf8') > SOURCE_LIMITS.scenarioFileBytes) {
    diagnostics.push({
      severity: 'error',
      rule: 'limit.file-size',
      file,
      line: 0,
      column: 0,
      pointer: '',
      message: `scenario file is larger than ${SOURCE_LIMITS.scenarioFileBytes} bytes`,
    });
    return { diagnostics, competencyCheck: 'none' };
  }
  const loaded = loadYaml(text, file);
  diagnostics.push(...loaded.diagnostics);
  if (hasErrors(diagnostics))
    return { diagnostics: diagnostics.sort(compareDiagnostics), competencyCheck: 'none' };
  const schemaProblems = validateAgainstSchema(loaded.data, file, loaded.sourceMap);
  diagnostics.push(...schemaProblems);
  if (schemaProblems.length > 0)
    return { diagnostics: diagnostics.sort(compareDiagnostics), competencyCheck: 'none' };

  const scenario = loaded.data as Scenario;
  const framework = scenario.competencies?.framework;
  const catalogue = framework ? options.catalogueFor?.(framework) : undefined;
  diagnostics.push(
    ...checkScenario(scenario, {
      file,
      sourceMap: loaded.sourceMap,
      ...(catalogue ? { catalogue } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
    }),
  );
  const sources = readSources(scenario, options, loaded.sourceMap, diagnostics);
  diagnostics.push(...checkTemplates(scenario, sources, options, loaded.sourceMap));

  const competencyCheck: CompileResult['competencyCheck'] = framework
    ? catalogue
      ? 'catalogue'
      : 'syntax-only'
    : 'none';
  diagnostics.sort(compareDiagnostics);
  if (hasErrors(diagnostics)) return { diagnostics, competencyCheck };
  const hash = sha256Hex(
    [
      text,
      ...[...sources.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([p, b]) => `${p}\u0000${sha256Hex(b)}`),
    ].join('\u0000'),
  );
  const places = Object.fromEntries(
    placedPointers(scenario).map((pointer) => [pointer, { file, ...loaded.sourceMap.nearest(pointer) }]),
  );
  return { compiled: { scenario, sourceHash: hash, sources, places }, diagnostics, competencyCheck };
}

/**
 * The fields a later stage may refuse, kept with their place: fixed subnets and addresses (refused
 * outside the operator's pools, or on an engine without fixed addresses), granted capabilities, disk
 * limits, second networks of a host (refused on engines that cannot honour them), and each host.
 */
function placedPointers(scenario: Scenario): string[] {
  const pointers: string[] = [];
  (scenario.networks ?? []).forEach((n, i) => {
    if (n.subnet !== undefined) pointers.push(`/networks/${i}/subnet`);
  });
  scenario.hosts.forEach((h, hi) => {
    pointers.push(`/hosts/${hi}`);
    h.networks.forEach((n, ni) => {
      if (ni > 0) pointers.push(`/hosts/${hi}/networks/${ni}`);
      if (typeof n !== 'string' && n.address !== undefined)
        pointers.push(`/hosts/${hi}/networks/${ni}/address`);
    });
    (h.capabilities ?? []).forEach((_, ci) => pointers.push(`/hosts/${hi}/capabilities/${ci}`));
    if (h.resources?.disk !== undefined) pointers.push(`/hosts/${hi}/resources/disk`);
  });
  return pointers;
}

function readSources(
  scenario: Scenario,
  options: CompileOptions,
  sourceMap: SourceMap,
  diagnostics: Diagnostic[],
): Map<string, Buffer> {
  const sources = new Map<string, Buffer>();
  let total = 0;
  scenario.hosts.forEach((host, hi) =>
    (host.files ?? []).forEach((f, fi) => {
      if (f.source === undefined || sources.has(f.source)) return;
      const pointer = `/hosts/${hi}/files/${fi}/source`;
      const at = { file: options.file, ...sourceMap.nearest(pointer), pointer };
      const result = options.readSource
        ? options.readSource(f.source)
        : { ok: false as const, problem: 'no scenario folder to read it from' };
      if (!result.ok) {
        diagnostics.push({
          severity: 'error',
          rule: 'file.source',
          ...at,
          message: `files[].source '${f.source}': ${result.problem}`,
        });
        return;
      }
      total += result.bytes.length;
      if (result.bytes.length > SOURCE_LIMITS.sourceFileBytes) {
        diagnostics.push({
          severity: 'error',
          rule: 'limit.file-size',
          ...at,
          message: `files[].source '${f.source}' is ${result.bytes.length} bytes; the limit is ${SOURCE_LIMITS.sourceFileBytes}`,
        });
        return;
      }
      if (total > SOURCE_LIMITS.totalSourceBytes) {
        diagnostics.push({
          severity: 'error',
          rule: 'limit.file-size',
          ...at,
          message: `files of this scenario add up to more than ${SOURCE_LIMITS.totalSourceBytes} bytes`,
        });
        return;
      }
      sources.set(f.source, result.bytes);
    }),
  );
  return sources;
}

/** Every templated field of a scenario, with its JSON pointer. `.hbs` source files are templates too. */
export function templatedFields(scenario: Scenario): { pointer: string; text: string }[] {
  const fields: { pointer: string; text: string }[] = [];
  const add = (pointer: string, value: unknown): void => {
    if (typeof value === 'string') fields.push({ pointer, text: value });
    else if (Array.isArray(value)) value.forEach((v, i) => add(`${pointer}/${i}`, v));
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) add(`${pointer}/${k}`, v);
  };
  scenario.hosts.forEach((host, hi) => {
    const hp = `/hosts/${hi}`;
    add(`${hp}/env`, host.env);
    (host.files ?? []).forEach((f, fi) => add(`${hp}/files/${fi}/content`, f.content));
    add(`${hp}/command`, host.command);
    add(`${hp}/entrypoint`, host.entrypoint);
    add(`${hp}/ready/exec`, host.ready?.exec);
  });
  scenario.objectives.forEach((o, oi) => {
    const op = `/objectives/${oi}`;
    add(`${op}/description`, o.description);
    if (typeof o.flag === 'string') add(`${op}/flag`, o.flag);
    add(`${op}/question/text`, o.question?.text);
    add(`${op}/question/answers`, o.question?.answers);
    add(`${op}/check/run`, o.check?.run);
    (o.hints ?? []).forEach((h, hi) => add(`${op}/hints/${hi}/text`, h.text));
  });
  return fields;
}

/** Texts a person reads that are the same for every team (titles, summaries): not templates. */
function untemplatedTexts(scenario: Scenario): { pointer: string; text: string }[] {
  const out: { pointer: string; text: string }[] = [];
  const add = (pointer: string, value: LocalizedText | undefined): void => {
    if (typeof value === 'string') out.push({ pointer, text: value });
    else if (value)
      for (const [k, v] of Object.entries(value)) out.push({ pointer: `${pointer}/${k}`, text: v });
  };
  add('/metadata/title', scenario.metadata.title);
  add('/metadata/summary', scenario.metadata.summary);
  add('/metadata/story', scenario.metadata.story);
  scenario.objectives.forEach((o, i) => add(`/objectives/${i}/title`, o.title));
  scenario.hosts.forEach((h, i) => {
    add(`/hosts/${i}/description`, h.description);
    (h.web ?? []).forEach((w, wi) => add(`/hosts/${i}/web/${wi}/title`, w.title));
  });
  (scenario.networks ?? []).forEach((n, i) => add(`/networks/${i}/description`, n.description));
  return out;
}

export function templateScope(scenario: Scenario): TemplateScope {
  return {
    params: new Set(Object.keys(scenario.parameters ?? {})),
    hosts: new Map(scenario.hosts.map((h) => [h.name, new Set(h.networks.map(hostNetworkName))])),
  };
}

function checkTemplates(
  scenario: Scenario,
  sources: ReadonlyMap<string, Buffer>,
  options: CompileOptions,
  sourceMap: SourceMap,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const tooMany = templateCapProblem(scenario, sources, options, sourceMap);
  if (tooMany) return [tooMany];
  const scope = templateScope(scenario);
  const used = new Set<string>();
  for (const { pointer, text } of templatedFields(scenario)) {
    if (!isTemplate(text)) continue;
    const analysis = analyzeTemplate(text, scope);
    analysis.usedParams.forEach((p) => used.add(p));
    for (const problem of analysis.problems) {
      out.push({
        severity: 'error',
        rule: 'template',
        file: options.file,
        ...sourceMap.inString(pointer, text, problem.line, problem.column),
        pointer,
        message: problem.message,
      });
    }
  }
  scenario.hosts.forEach((host, hi) =>
    (host.files ?? []).forEach((f, fi) => {
      if (f.source === undefined || !f.source.endsWith('.hbs')) return;
      const bytes = sources.get(f.source);
      if (!bytes) return;
      const pointer = `/hosts/${hi}/files/${fi}/source`;
      const text = bytes.toString('utf8');
      if (text.includes('\ufffd') && !Buffer.from(text, 'utf8').equals(bytes)) {
        out.push({
          severity: 'error',
          rule: 'template',
          file: options.file,
          ...sourceMap.nearest(pointer),
          pointer,
          message: `template '${f.source}' is not valid UTF-8 text`,
        });
        return;
      }
      const analysis = analyzeTemplate(text, scope);
      analysis.usedParams.forEach((p) => used.add(p));
      const shown = options.sourceDisplayRoot ? `${options.sourceDisplayRoot}/${f.source}` : f.source;
      for (const problem of analysis.problems) {
        out.push({
          severity: 'error',
          rule: 'template',
          file: shown,
          line: problem.line,
          column: problem.column,
          pointer,
          message: `${problem.message} (in ${f.source}, named at ${options.file}:${sourceMap.nearest(pointer).line})`,
        });
      }
    }),
  );
  for (const { pointer, text } of untemplatedTexts(scenario)) {
    if (!isTemplate(text)) continue;
    out.push({
      severity: 'warning',
      rule: 'template.not-templated',
      file: options.file,
      ...sourceMap.nearest(pointer),
      pointer,
      message:
        'this field is shown as written, not rendered per team: {{ … }} will appear literally (templated texts: description, question.text, hints)',
    });
  }
  for (const name of Object.keys(scenario.parameters ?? {})) {
    if (!used.has(name)) {
      const pointer = `/parameters/${name}`;
      out.push({
        severity: 'warning',
        rule: 'parameter.unused',
        file: options.file,
        ...sourceMap.nearest(pointer, true),
        pointer,
        message: `parameter '${name}' is declared but no template uses it`,
      });
    }
  }
  return out;
}

/** The first field or `.hbs` file where the scenario's template expressions pass the cap, if any. */
function templateCapProblem(
  scenario: Scenario,
  sources: ReadonlyMap<string, Buffer>,
  options: CompileOptions,
  sourceMap: SourceMap,
): Diagnostic | undefined {
  const cap = SOURCE_LIMITS.templateExpressions;
  const places: { pointer: string; text: string }[] = templatedFields(scenario);
  scenario.hosts.forEach((host, hi) =>
    (host.files ?? []).forEach((f, fi) => {
      const bytes = f.source?.endsWith('.hbs') ? sources.get(f.source) : undefined;
      if (bytes) places.push({ pointer: `/hosts/${hi}/files/${fi}/source`, text: bytes.toString('utf8') });
    }),
  );
  let count = 0;
  for (const { pointer, text } of places) {
    for (let i = text.indexOf('{{'); i !== -1; i = text.indexOf('{{', i + 2)) count++;
    if (count > cap) {
      return {
        severity: 'error',
        rule: 'limit.template-expressions',
        file: options.file,
        ...sourceMap.nearest(pointer),
        pointer,
        message: `a scenario may hold at most ${cap} template expressions ({{ … }}) in all its templated fields and .hbs files; the count passes ${cap} here`,
      };
    }
  }
  return undefined;
}

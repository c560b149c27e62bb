import type { CompiledScenario } from '../compiler/compile-scenario.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import type { EnvironmentPlan } from '../compiler/environment-plan.ts';
import { hostNetworkName } from '../compiler/scenario.ts';
import { CyropError } from '../errors.ts';
import type { EngineCapabilities, EngineName } from '../runtime/runtime-driver.ts';

export interface EngineFitOptions {
  /** `off`: the operator runs without disk caps (`CYROP_DISK_LIMITS=off`), so they are not asked of the engine. */
  diskLimits?: 'enforce' | 'off';
}

/**
 * Every field of a scenario that an engine with these capabilities cannot honour, each at its
 * file:line (from the compiler's `places`). Pure. Empty: the engine can run it as written.
 */
export function engineCannotHonour(
  compiled: CompiledScenario,
  engine: EngineName,
  capabilities: EngineCapabilities,
  options: EngineFitOptions = {},
): Diagnostic[] {
  const { scenario } = compiled;
  const problems: Diagnostic[] = [];
  const at = (pointer: string, rule: string, message: string) => {
    const place = compiled.places?.[pointer] ?? { file: '', line: 0, column: 0 };
    problems.push({ severity: 'error', rule, ...place, pointer, message });
  };
  if (!capabilities.fixedAddresses) {
    (scenario.networks ?? []).forEach((n, i) => {
      if (n.subnet !== undefined)
        at(
          `/networks/${i}/subnet`,
          'engine.fixed-addresses',
          `network '${n.name}' fixes its subnet ${n.subnet}, but the ${engine} engine cannot give networks fixed subnets: remove subnet: to let CYROP choose`,
        );
    });
  }
  scenario.hosts.forEach((h, hi) => {
    h.networks.forEach((n, ni) => {
      if (!capabilities.fixedAddresses && typeof n !== 'string' && n.address !== undefined)
        at(
          `/hosts/${hi}/networks/${ni}/address`,
          'engine.fixed-addresses',
          `host '${h.name}' fixes its address ${n.address} on network '${n.name}', but the ${engine} engine cannot give hosts fixed addresses: remove address:`,
        );
      if (!capabilities.multiNetwork && ni > 0)
        at(
          `/hosts/${hi}/networks/${ni}`,
          'engine.multi-network',
          `host '${h.name}' sits on a second network ('${hostNetworkName(n)}' after '${hostNetworkName(h.networks[0] ?? '')}'), but on the ${engine} engine a host has one network only`,
        );
    });
    (h.capabilities ?? []).forEach((cap, ci) => {
      if (!grantable(capabilities, cap))
        at(
          `/hosts/${hi}/capabilities/${ci}`,
          'engine.capability',
          `host '${h.name}' asks for the capability ${cap}, which the ${engine} engine does not grant (${grantableText(capabilities)})`,
        );
    });
    if (!capabilities.diskLimits && options.diskLimits !== 'off')
      at(
        h.resources?.disk !== undefined ? `/hosts/${hi}/resources/disk` : `/hosts/${hi}`,
        'engine.disk-limits',
        `host '${h.name}' has a writable-storage limit (${h.resources?.disk ?? 'resources.disk by default'}), which the ${engine} engine cannot enforce: the operator can allow running without it with CYROP_DISK_LIMITS=off`,
      );
  });
  return problems;
}

/**
 * The same check on stored plans (an exercise created before the engine changed): each field by
 * host and network, without file:line, which plans do not keep.
 */
export function plansCannotBeHonoured(
  plans: readonly EnvironmentPlan[],
  capabilities: EngineCapabilities,
  options: EngineFitOptions = {},
): string[] {
  const plan = plans[0];
  if (!plan) return [];
  const problems: string[] = [];
  if (!capabilities.fixedAddresses)
    for (const n of plan.networks)
      if (n.fixed) problems.push(`network '${n.name}': fixed subnet ${n.subnet} (fixed addresses)`);
  for (const h of plan.hosts) {
    if (!capabilities.multiNetwork && h.networks.length > 1)
      problems.push(`host '${h.name}': ${h.networks.length} networks (one network per host)`);
    for (const cap of h.capabilities)
      if (!grantable(capabilities, cap))
        problems.push(`host '${h.name}': capability ${cap} (${grantableText(capabilities)})`);
    if (!capabilities.diskLimits && options.diskLimits !== 'off')
      problems.push(
        `host '${h.name}': resources.disk (disk limits; CYROP_DISK_LIMITS=off runs without them)`,
      );
  }
  return problems;
}

/** The refusal: every offending field, one per line, each at its file:line. */
export function engineFitError(
  engine: EngineName,
  source: string,
  problems: readonly Diagnostic[],
): CyropError {
  return new CyropError(
    'SCENARIO_INVALID',
    `the ${engine} engine cannot run ${source} as written (nothing was created):\n  ${problems
      .map((d) => `${d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file}  ${d.pointer}  ${d.message}`)
      .join('\n  ')}`,
    { details: problems },
  );
}

function grantable(capabilities: EngineCapabilities, cap: string): boolean {
  const granted = capabilities.grantableCapabilities;
  return granted === 'any' || granted.includes(cap) || granted.includes(cap.replace(/^CAP_/, ''));
}

function grantableText(capabilities: EngineCapabilities): string {
  const granted = capabilities.grantableCapabilities;
  return granted === 'any'
    ? 'it grants any'
    : granted.length
      ? `it grants ${granted.join(', ')}`
      : 'it grants none';
}

import type { EnvironmentPlan, PlannedFile } from './environment-plan.ts';
import type { LocalizedText } from './scenario.ts';

/** Where a plan spells one host's planned address. */
export interface AddressUse {
  host: string;
  network: string;
  address: string;
  /** Where the address appears: `file /opt/x.py of host app01, line 3`, `answers of objective c2`, … */
  where: string;
  /** What kind of field it is: an engine that assigns addresses itself can bind some kinds late. */
  kind: 'file' | 'env' | 'command' | 'objective';
  /** For a file, environment variable or command: the host that holds it (and the file's path). */
  in?: { host: string; file?: string };
}

/** The addresses an engine gave the hosts, by host and network (engines that assign them: Kubernetes). */
export type BoundAddresses = Record<string, Record<string, string>>;

/** `10.0.0.1` as a whole address: not inside `110.0.0.12` nor `10.0.0.1.5`. */
function addressPattern(addresses: readonly string[], flags = ''): RegExp {
  const alternatives = [...addresses]
    .sort((a, b) => b.length - a.length)
    .map((a) => a.replace(/\./g, '\\.'))
    .join('|');
  return new RegExp(`(^|[^0-9.])(${alternatives})(?![0-9]|\\.[0-9])`, flags);
}

function fileText(f: PlannedFile): string {
  return f.encoding === 'utf8' ? f.content : Buffer.from(f.content, 'base64').toString('latin1');
}

/**
 * Every place where the plan spells a host's planned address: files, environment, commands, and
 * what the trainee reads or is judged against (answers, flags, checks, descriptions, hints). Pure.
 */
export function addressUses(plan: EnvironmentPlan): AddressUse[] {
  const uses: AddressUse[] = [];
  const addresses = plan.hosts.flatMap((h) =>
    h.networks.map((n) => ({ host: h.name, network: n.name, address: n.address })),
  );
  const find = (
    text: string,
    kind: AddressUse['kind'],
    where: (line: number) => string,
    holder?: AddressUse['in'],
  ) => {
    for (const a of addresses) {
      const re = addressPattern([a.address]);
      text.split('\n').forEach((line, i) => {
        const w = where(i + 1);
        if (re.test(line) && !uses.some((u) => u.where === w && u.address === a.address))
          uses.push({
            host: a.host,
            network: a.network,
            address: a.address,
            where: w,
            kind,
            ...(holder ? { in: holder } : {}),
          });
      });
    }
  };
  const texts = (text: LocalizedText | undefined): string =>
    text === undefined ? '' : typeof text === 'string' ? text : Object.values(text).join('\n');
  for (const h of plan.hosts) {
    for (const f of h.files)
      find(fileText(f), 'file', (line) => `file ${f.path} of host ${h.name}, line ${line}`, {
        host: h.name,
        file: f.path,
      });
    for (const [k, v] of Object.entries(h.env))
      find(v, 'env', () => `environment variable ${k} of host ${h.name}`, { host: h.name });
    for (const part of [...(h.command ?? []), ...(h.entrypoint ?? [])])
      find(part, 'command', (line) => `command of host ${h.name}, line ${line}`, { host: h.name });
  }
  for (const o of plan.objectives) {
    for (const answer of o.question?.answers ?? [])
      find(answer, 'objective', () => `answers of objective ${o.id}`);
    if (o.flag && 'exact' in o.flag) find(o.flag.exact, 'objective', () => `flag of objective ${o.id}`);
    if (o.check) find(o.check.run.join(' '), 'objective', () => `check of objective ${o.id}`);
    find(
      [
        texts(o.title),
        texts(o.description),
        texts(o.question?.text),
        ...o.hints.map((h) => texts(h.text)),
      ].join('\n'),
      'objective',
      () => `text of objective ${o.id}`,
    );
  }
  return uses;
}

/**
 * The plan as it stands once an engine has given the hosts their addresses: every planned address
 * replaced by the bound one, wherever the plan spells it (the host's networks, files, environment,
 * commands, and the objectives' texts, answers, flags and checks), in one pass, so that a bound
 * address equal to another host's planned one is not replaced again. Hosts or networks missing from
 * `bound` keep their planned address. Hashes are kept: they name the planned state. Pure.
 */
export function bindAddresses(plan: EnvironmentPlan, bound: BoundAddresses): EnvironmentPlan {
  const map = new Map<string, string>();
  for (const h of plan.hosts)
    for (const n of h.networks) {
      const to = bound[h.name]?.[n.name];
      if (to !== undefined && to !== n.address) map.set(n.address, to);
    }
  if (!map.size) return plan;
  const re = addressPattern([...map.keys()], 'g');
  const swap = (text: string): string =>
    text.replace(re, (_all, before: string, address: string) => before + (map.get(address) ?? address));
  const text = <T extends LocalizedText | undefined>(t: T): T =>
    (t === undefined
      ? t
      : typeof t === 'string'
        ? swap(t)
        : Object.fromEntries(Object.entries(t).map(([k, v]) => [k, swap(v)]))) as T;
  return {
    ...plan,
    hosts: plan.hosts.map((h) => ({
      ...h,
      networks: h.networks.map((n) => ({ ...n, address: bound[h.name]?.[n.name] ?? n.address })),
      env: Object.fromEntries(Object.entries(h.env).map(([k, v]) => [k, swap(v)])),
      files: h.files.map((f) =>
        f.encoding === 'utf8'
          ? { ...f, content: swap(f.content) }
          : { ...f, content: Buffer.from(swap(fileText(f)), 'latin1').toString('base64') },
      ),
      ...(h.command ? { command: h.command.map(swap) } : {}),
      ...(h.entrypoint ? { entrypoint: h.entrypoint.map(swap) } : {}),
    })),
    objectives: plan.objectives.map((o) => ({
      ...o,
      title: text(o.title),
      ...(o.description !== undefined ? { description: text(o.description) } : {}),
      hints: o.hints.map((h) => ({ ...h, text: text(h.text) })),
      ...(o.flag ? { flag: 'exact' in o.flag ? { exact: swap(o.flag.exact) } : o.flag } : {}),
      ...(o.question
        ? {
            question: {
              ...o.question,
              ...(o.question.text !== undefined ? { text: text(o.question.text) } : {}),
              answers: o.question.answers.map(swap),
            },
          }
        : {}),
      ...(o.check ? { check: { ...o.check, run: o.check.run.map(swap) } } : {}),
    })),
  };
}

/** IPv4 arithmetic on unsigned 32-bit integers. */
export interface Cidr {
  base: number;
  prefix: number;
}

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** Parse `a.b.c.d/p`; `problem` says what is wrong (bad address, bad prefix, host bits set). */
export function parseCidr(text: string): { cidr?: Cidr; problem?: string } {
  const [addr, prefixText, extra] = text.split('/');
  if (addr === undefined || prefixText === undefined || extra !== undefined)
    return { problem: 'is not a CIDR block' };
  const base = parseIpv4(addr);
  if (base === undefined) return { problem: `'${addr}' is not an IPv4 address` };
  if (!/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32)
    return { problem: `'/${prefixText}' is not a prefix length` };
  const prefix = Number(prefixText);
  if ((base & ~maskOf(prefix)) >>> 0 !== 0) {
    return {
      problem: `has host bits set: the block is ${formatCidr({ base: (base & maskOf(prefix)) >>> 0, prefix })}`,
    };
  }
  return { cidr: { base, prefix } };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpv4(cidr.base)}/${cidr.prefix}`;
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

export function sizeOf(cidr: Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function lastOf(cidr: Cidr): number {
  return cidr.base + sizeOf(cidr) - 1;
}

export function contains(cidr: Cidr, address: number): boolean {
  return address >= cidr.base && address <= lastOf(cidr);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base <= lastOf(b) && b.base <= lastOf(a);
}

/**
 * The block `a.b.c.d/p` lies in, host bits cleared (interface addresses such as `192.0.2.2/24` and
 * engine configs are written that way); undefined for anything but an IPv4 CIDR.
 */
export function blockOf(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.split('/');
  if (addr === undefined || prefixText === undefined || extra !== undefined) return undefined;
  const address = parseIpv4(addr);
  if (address === undefined || !/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) return undefined;
  const prefix = Number(prefixText);
  return { base: (address & maskOf(prefix)) >>> 0, prefix };
}

/** Whether `inner` lies wholly inside `outer`. */
export function within(inner: Cidr, outer: Cidr): boolean {
  return inner.base >= outer.base && lastOf(inner) <= lastOf(outer);
}

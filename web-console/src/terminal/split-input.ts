const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Splits terminal input into pieces of at most `maxBytes` bytes of UTF-8 each, never inside a
 * character (a surrogate pair stays whole). Joined again, the pieces are the input.
 */
export function splitInput(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError('maxBytes must allow any one character (4 bytes)');
  const pieces: string[] = [];
  let start = 0;
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i) ?? 0;
    const units = code > 0xffff ? 2 : 1;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + size > maxBytes) {
      pieces.push(text.slice(start, i));
      start = i;
      bytes = 0;
    }
    bytes += size;
    i += units;
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

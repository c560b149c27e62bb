/** One problem found in a scenario, pointing at the file, line, column and JSON pointer of the field. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  /** Stable machine-readable rule name, e.g. `schema.required`, `ref.network`, `yaml.syntax`. */
  rule: string;
  file: string;
  /** 1-based; 0 when the problem is not tied to a place in the file. */
  line: number;
  column: number;
  /** RFC 6901 JSON pointer into the scenario document ('' for the whole document). */
  pointer: string;
  message: string;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    a.file.localeCompare(b.file) ||
    a.line - b.line ||
    a.column - b.column ||
    a.pointer.localeCompare(b.pointer)
  );
}

/** `file:line:col  /json/pointer  message` — the format of `cyrop validate`. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const label = d.severity === 'error' ? '' : `${d.severity}: `;
  return `${where}  ${d.pointer || '/'}  ${label}${d.message}`;
}

export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function joinPointer(base: string, ...segments: (string | number)[]): string {
  return base + segments.map((s) => '/' + escapePointerSegment(s)).join('');
}

import { accessSync, constants } from 'node:fs';
import { CyropError } from '../errors.ts';

/** A Japanese TrueType font a Debian package installs, in order of preference. */
export interface JapaneseFontCandidate {
  path: string;
  /** The Debian package that installs `path`. */
  debianPackage: string;
}

/**
 * Where Debian puts the Japanese fonts the renderers can embed: single TrueType files, which pdfkit
 * embeds as a subset (only the glyphs a document uses).
 */
export const JAPANESE_FONT_CANDIDATES: readonly JapaneseFontCandidate[] = [
  // IPA P Gothic: proportional Latin letters, which English text needs to read well.
  { path: '/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf', debianPackage: 'fonts-ipafont-gothic' },
  { path: '/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf', debianPackage: 'fonts-ipaexfont-gothic' },
  { path: '/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf', debianPackage: 'fonts-ipafont-gothic' },
  { path: '/usr/share/fonts/truetype/fonts-japanese-gothic.ttf', debianPackage: 'fonts-ipafont-gothic' },
];

/**
 * The first readable Japanese font of `candidates`, looked up at every call (a package installed
 * while the server runs is found without a restart).
 * @throws CyropError `IO_ERROR` naming every path tried and the Debian package to install.
 */
export function findJapaneseFont(
  candidates: readonly JapaneseFontCandidate[] = JAPANESE_FONT_CANDIDATES,
): string {
  for (const candidate of candidates) {
    try {
      accessSync(candidate.path, constants.R_OK);
      return candidate.path;
    } catch {
      // try the next one
    }
  }
  const first = candidates[0]?.debianPackage ?? 'fonts-ipafont-gothic';
  throw new CyropError(
    'IO_ERROR',
    `no Japanese font to embed in the PDF: none of ${candidates.map((c) => c.path).join(', ')} is readable; ` +
      `install the Debian package ${first} (apt-get install ${first}, or run infra/engine/ensure-documents.sh)`,
    { details: { tried: candidates.map((c) => c.path), debianPackage: first } },
  );
}

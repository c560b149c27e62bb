import { strFromU8, unzipSync } from 'fflate';

/** The most files a scenario upload holds (the server's limit too) and the largest file read. */
export const ARCHIVE_LIMITS = { files: 64, fileBytes: 1024 * 1024 };

/** Why a zip cannot become a scenario upload (`kind`, for the page to say it in the reader's language). */
export class ArchiveProblem extends Error {
  constructor(
    readonly kind: 'unreadable' | 'empty' | 'too-many',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The files of a scenario folder from a zip archive, keyed by their path inside the folder: the
 * archive's single top-level folder, if it has one, is the scenario folder ("web/scenario.yaml" →
 * "scenario.yaml"). Folders, macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) and files over 1 MiB
 * are left out, as a folder upload leaves out files over 1 MiB; the server checks the rest.
 * Entries are filtered by their declared size before anything is inflated.
 */
export function filesFromZip(bytes: Uint8Array): Record<string, string> {
  let entries: Record<string, Uint8Array>;
  let count = 0;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.name.endsWith('/') || isMetadata(file.name) || file.originalSize > ARCHIVE_LIMITS.fileBytes)
          return false;
        count++;
        return count <= ARCHIVE_LIMITS.files;
      },
    });
  } catch (error) {
    throw new ArchiveProblem('unreadable', `not a readable zip archive (${(error as Error).message})`);
  }
  if (count > ARCHIVE_LIMITS.files)
    throw new ArchiveProblem('too-many', `the archive holds more than ${ARCHIVE_LIMITS.files} files`);
  const names = Object.keys(entries);
  const [first] = names;
  if (first === undefined) throw new ArchiveProblem('empty', 'the archive holds no files');
  const top = `${first.split('/')[0] ?? ''}/`;
  const inOneFolder = names.every((n) => n.startsWith(top) && n.length > top.length);
  const files: Record<string, string> = {};
  for (const [name, content] of Object.entries(entries))
    files[inOneFolder ? name.slice(top.length) : name] = strFromU8(content);
  return files;
}

function isMetadata(name: string): boolean {
  const base = name.split('/').pop() ?? '';
  return name.startsWith('__MACOSX/') || base.startsWith('._') || base === '.DS_Store';
}

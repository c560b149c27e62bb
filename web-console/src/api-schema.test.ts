import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { API_SCHEMA_FILE, apiSchemaDrift } from '../gen-api.ts';

describe('api-schema.gen.ts (the console API types generated from the OpenAPI document)', function () {
  this.timeout(60_000);

  it('is what `npm run gen:api` makes from the route registry now', async () => {
    const drift = await apiSchemaDrift();
    expect(
      drift,
      `web-console/src/api-schema.gen.ts is out of date with the server's routes (${drift ?? ''}): run \`npm run gen:api\` and commit the file`,
    ).to.equal(undefined);
  });

  it('names the first line where a file differs from the generation', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cyrop-api-schema-'));
    try {
      const lines = (await readFile(API_SCHEMA_FILE, 'utf8')).split('\n');
      lines[9] = '  // edited by hand';
      const edited = path.join(dir, 'api-schema.gen.ts');
      await writeFile(edited, lines.join('\n'));
      expect(await apiSchemaDrift(edited)).to.match(
        /^line 10: committed " {2}\/\/ edited by hand", generated /,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

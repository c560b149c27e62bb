import { expect } from 'chai';
import { loadYaml, scanAnchorsAndAliases, YAML_LIMITS } from './load-yaml.ts';

describe('loadYaml', () => {
  it('keeps the position of every value and key, by JSON pointer', () => {
    const { data, sourceMap, diagnostics } = loadYaml('a:\n  b: [1, {c: 2}]\n  "x/y~z": q\n', 'f.yaml');
    expect(diagnostics).to.deep.equal([]);
    expect(data).to.deep.equal({ a: { b: [1, { c: 2 }], 'x/y~z': 'q' } });
    expect(sourceMap.value('/a/b/1/c')).to.deep.equal({ line: 2, column: 14 });
    expect(sourceMap.key('/a/b')).to.deep.equal({ line: 2, column: 3 });
    expect(sourceMap.value('/a/x~1y~0z')).to.deep.equal({ line: 3, column: 12 });
    expect(sourceMap.nearest('/a/b/7/deep')).to.deep.equal({ line: 2, column: 6 });
  });

  it('maps template positions inside plain, quoted and block strings to file positions', () => {
    const { sourceMap } = loadYaml('a: "x {{y}}"\nb: |\n  one\n  {{two}}\n', 'f.yaml');
    expect(sourceMap.inString('/a', 'x {{y}}', 1, 3)).to.deep.equal({ line: 1, column: 7 }); // the '{{' of "x {{y}}"
    expect(sourceMap.inString('/b', 'one\n{{two}}\n', 2, 1)).to.deep.equal({ line: 4, column: 3 });
  });

  it('reports duplicate keys by name, syntax errors, and keys that reach the prototype', () => {
    expect(loadYaml('a: 1\nb: 2\na: 3\n', 'f.yaml').diagnostics).to.deep.include({
      severity: 'error',
      rule: 'yaml.duplicate-key',
      file: 'f.yaml',
      line: 3,
      column: 1,
      pointer: '/a',
      message: "YAML: duplicate key 'a' (each key may appear once in a map)",
    });
    expect(loadYaml('a: [1, 2\n', 'f.yaml').diagnostics[0]).to.include({
      rule: 'yaml.syntax',
      severity: 'error',
    });
    const proto = loadYaml('env:\n  __proto__: { polluted: true }\n', 'f.yaml');
    expect(proto.data).to.equal(undefined);
    expect(proto.diagnostics[0]).to.include({
      rule: 'yaml.forbidden-key',
      line: 2,
      column: 3,
      pointer: '/env/__proto__',
    });
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it('stops alias bombs quickly instead of expanding them', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const { diagnostics, data } = loadYaml(levels.join('\n') + '\n', 'bomb.yaml');
    expect(data).to.equal(undefined);
    expect(diagnostics[0]).to.include({ rule: 'yaml.alias-limit', line: 2 });
  });

  it('counts anchors and aliases on the tokens and refuses a file past the caps before resolving any', () => {
    // The shape that froze the platform: thousands of anchors and aliases (each alias resolution walks the document).
    const n = 2000;
    const many = `a: [${Array.from({ length: n }, (_, i) => `&a${i} x`).join(', ')}]\nb: [${Array.from({ length: n }, (_, i) => `*a${i}`).join(', ')}]\n`;
    const anchors = loadYaml(many, 'many.yaml');
    expect(anchors.data).to.equal(undefined);
    expect(anchors.diagnostics).to.have.length(1);
    expect(anchors.diagnostics[0]).to.include({
      rule: 'limit.yaml-anchors',
      line: 1,
      column: many.indexOf(`&a${YAML_LIMITS.maxAnchors} `) + 1, // the first anchor past the cap
    });
    expect(anchors.diagnostics[0]?.message).to.contain(`at most ${YAML_LIMITS.maxAnchors} anchors`);

    const aliases = loadYaml(
      `a: &a x\nb: [${Array(YAML_LIMITS.maxAliases + 1)
        .fill('*a')
        .join(', ')}]\n`,
      'f.yaml',
    );
    expect(aliases.diagnostics[0]).to.include({
      rule: 'limit.yaml-aliases',
      line: 2,
      column: 5 + YAML_LIMITS.maxAliases * 4,
    });
    expect(aliases.diagnostics[0]?.message).to.contain(`at most ${YAML_LIMITS.maxAliases} aliases`);
    expect(aliases.diagnostics[0]?.message).to.contain(`this one has ${YAML_LIMITS.maxAliases + 1}`);

    // At both caps (each anchor used twice), a file loads.
    const names = Array.from({ length: YAML_LIMITS.maxAnchors }, (_, i) => `n${i}`);
    const atCap = loadYaml(
      `a: [${names.map((n) => `&${n} ${n}`).join(', ')}]\nb: [${[...names, ...names].map((n) => `*${n}`).join(', ')}]\n`,
      'f.yaml',
    );
    expect(YAML_LIMITS.maxAliases).to.equal(2 * YAML_LIMITS.maxAnchors);
    expect(atCap.diagnostics).to.deep.equal([]);
    expect((atCap.data as { b: string[] }).b).to.have.length(YAML_LIMITS.maxAliases);
  });

  it('refuses a file of more values than any scenario needs, before composing them', () => {
    const text = `a: [${Array(YAML_LIMITS.maxNodes + 10)
      .fill('[]')
      .join(',')}]\n`;
    const { data, diagnostics } = loadYaml(text, 'f.yaml');
    expect(data).to.equal(undefined);
    expect(diagnostics).to.have.length(1);
    // Counted: the key a, its ':', the outer list, then the empty lists: number maxNodes + 1 is list maxNodes - 2.
    expect(diagnostics[0]).to.include({
      rule: 'limit.yaml-nodes',
      line: 1,
      column: 5 + (YAML_LIMITS.maxNodes - 3) * 3,
    });
    expect(diagnostics[0]?.message).to.contain(`at most ${YAML_LIMITS.maxNodes} nodes`);
  });

  it('finds anchors and aliases in flow and block collections, keys and nested documents', () => {
    const marks = scanAnchorsAndAliases('a: &x 1\nb: { c: &y [*x] }\n? &k key\n: *y\nd:\n  - *k\n');
    expect(marks.anchors.map((m) => m.name)).to.deep.equal(['x', 'y', 'k']);
    expect(marks.aliases.map((m) => m.name)).to.deep.equal(['x', 'y', 'k']);
    expect(marks.aliases[0]?.offset).to.equal('a: &x 1\nb: { c: &y ['.length);
  });

  it('still reports an alias used before its anchor', () => {
    const { diagnostics } = loadYaml('a: *x\nb: &x 1\n', 'f.yaml');
    expect(diagnostics[0]).to.include({ rule: 'yaml.alias', line: 1, column: 4 });
  });

  it('allows a few harmless aliases', () => {
    const { data, diagnostics } = loadYaml('base: &r { cpu: 1 }\nx: *r\ny: *r\n', 'f.yaml');
    expect(diagnostics).to.deep.equal([]);
    expect(data).to.deep.equal({ base: { cpu: 1 }, x: { cpu: 1 }, y: { cpu: 1 } });
  });
});

import { expect } from 'chai';
import { loadYaml } from './load-yaml.ts';

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

  it('allows a few harmless aliases', () => {
    const { data, diagnostics } = loadYaml('base: &r { cpu: 1 }\nx: *r\ny: *r\n', 'f.yaml');
    expect(diagnostics).to.deep.equal([]);
    expect(data).to.deep.equal({ base: { cpu: 1 }, x: { cpu: 1 }, y: { cpu: 1 } });
  });
});

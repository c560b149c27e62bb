import { expect } from 'chai';
import { ExecOutput } from './exec-output.ts';

describe('ExecOutput', () => {
  it('takes the PID line out, even split across chunks, and keeps the rest', () => {
    const output = new ExecOutput(1024, true);
    output.stdout(Buffer.from('12'));
    output.stdout(Buffer.from('34\nhel'));
    output.stdout(Buffer.from('lo\n'));
    output.stderr(Buffer.from('oops\n'));
    expect(output.pid).to.equal(1234);
    expect(output.result()).to.deep.equal({
      stdout: Buffer.from('hello\n'),
      stderr: Buffer.from('oops\n'),
      truncated: false,
    });
  });

  it('caps stdout and stderr together and says it truncated', () => {
    const output = new ExecOutput(6);
    output.stdout(Buffer.from('abcd'));
    output.stderr(Buffer.from('efgh'));
    output.stdout(Buffer.from('ij'));
    const result = output.result();
    expect(result.stdout.toString()).to.equal('abcd');
    expect(result.stderr.toString()).to.equal('ef');
    expect(result.truncated).to.equal(true);
    expect(output.pid).to.equal(undefined);
  });

  it('is not truncated when the output fits exactly', () => {
    const output = new ExecOutput(4);
    output.stdout(Buffer.from('abcd'));
    output.stdout(Buffer.alloc(0));
    expect(output.result().truncated).to.equal(false);
  });
});

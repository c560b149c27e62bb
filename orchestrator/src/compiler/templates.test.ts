import { expect } from 'chai';
import { analyzeTemplate, renderTemplate, type TemplateContext } from './templates.ts';

const scope = { params: new Set(['flag', 'port']), hosts: new Map([['web', new Set(['dmz', 'corp'])]]) };
const context: TemplateContext = {
  params: { flag: 'CYROP{x}', port: 8080 },
  team: { id: 'team-1', name: 'Team 1', index: 1 },
  exercise: { id: 'ex1' },
  hosts: { web: { name: 'web', address: { dmz: '10.0.0.10', corp: '10.1.0.10' } } },
};
const problems = (text: string): string[] =>
  analyzeTemplate(text, scope).problems.map((p) => `${p.line}:${p.column} ${p.message}`);

describe('templates', () => {
  it('renders params, team, exercise and host addresses without HTML escaping', () => {
    expect(
      renderTemplate(
        '{{params.flag}} <{{team.name}}> #{{team.index}} {{exercise.id}} {{hosts.web.address.corp}}:{{params.port}}',
        context,
      ),
    ).to.equal('CYROP{x} <Team 1> #1 ex1 10.1.0.10:8080');
    expect(
      renderTemplate(
        '{{upper team.id}} {{base64 params.flag}} {{#if (eq params.port 8080)}}yes{{else}}no{{/if}}',
        context,
      ),
    ).to.equal('TEAM-1 Q1lST1B7eH0= yes');
    expect(
      problems('{{upper team.id}} {{#unless params.flag}}x{{/unless}} {{json params.port}}'),
    ).to.deep.equal([]);
  });

  it('reports unknown names with their line and column, and lists what is known', () => {
    expect(problems('ok\n  {{params.nope}}')).to.deep.equal([
      "2:5 template uses undeclared parameter 'nope' (declared: flag, port)",
    ]);
    expect(problems('{{hosts.db.address.dmz}}')[0]).to.match(/^1:3 .*unknown host 'db' \(hosts: web\)/);
    expect(problems('{{hosts.web.address.mgmt}}')[0]).to.contain(
      "host 'web' is not on network 'mgmt' (it is on: dmz, corp)",
    );
    expect(problems('{{team.secret}}')[0]).to.contain('team has id, name and index');
    expect(problems('{{password}}')[0]).to.contain("unknown template variable 'password'");
  });

  it('refuses prototype access, partials, decorators, data variables and helpers outside the whitelist', () => {
    expect(problems('{{constructor.constructor}}')[0]).to.contain('prototype access is not allowed');
    expect(problems('{{params.__proto__}}')[0]).to.contain('prototype access is not allowed');
    expect(problems('{{team.constructor.name}}')[0]).to.contain("tries to reach 'constructor'");
    expect(problems('{{> secrets}}')[0]).to.contain('partials');
    expect(problems('{{#each params}}{{this}}{{/each}}')[0]).to.contain("helper 'each' is not allowed");
    expect(problems('{{lookup params "flag"}}')[0]).to.contain("helper 'lookup' is not allowed");
    expect(problems('{{log params.flag}}')[0]).to.contain("helper 'log' is not allowed");
    expect(problems('{{@root.params.flag}}')[0]).to.contain('no @data variables');
    expect(problems('{{../params.flag}}')[0]).to.contain('only params, team, exercise and hosts');
    expect(problems('{{*decorator}}')[0]).to.contain('decorators');
  });

  it('reports syntax errors with their line', () => {
    const [problem] = analyzeTemplate('line one\nline {{params.flag', scope).problems;
    expect(problem?.line).to.equal(2);
    expect(problem?.message).to.match(/^template syntax error/);
  });

  it('cannot reach the prototype chain even if a template slipped past the checks', () => {
    expect(renderTemplate('{{team.constructor}}', context)).to.equal('');
    expect(() => renderTemplate('{{nothere}}', context)).to.throw(/"nothere" not defined/);
    expect(() => renderTemplate('{{#each params}}{{/each}}', context)).to.throw(); // each is unregistered
  });
});

import { expect } from 'chai';
import { loadClientConfig, serverOrigin } from './client-config.ts';

describe('loadClientConfig', () => {
  it('keeps sessions under XDG_CONFIG_HOME, else ~/.config, ignoring a relative XDG_CONFIG_HOME', () => {
    expect(loadClientConfig({ HOME: '/home/a', XDG_CONFIG_HOME: '/x/cfg' }).configDir).to.equal(
      '/x/cfg/cyrop',
    );
    expect(loadClientConfig({ HOME: '/home/a' }).configDir).to.equal('/home/a/.config/cyrop');
    expect(loadClientConfig({ HOME: '/home/a', XDG_CONFIG_HOME: 'cfg' }).configDir).to.equal(
      '/home/a/.config/cyrop',
    );
  });

  it('reads CYROP_SERVER as an origin and CYROP_PASSWORD as given', () => {
    const config = loadClientConfig({
      HOME: '/h',
      CYROP_SERVER: 'http://127.0.0.1:8420/',
      CYROP_PASSWORD: ' p ',
    });
    expect(config).to.include({ server: 'http://127.0.0.1:8420', password: ' p ' });
    expect(loadClientConfig({ HOME: '/h', CYROP_PASSWORD: '' }).password).to.equal(undefined);
    expect(() => loadClientConfig({ HOME: '/h', CYROP_SERVER: 'range.example.org' })).to.throw(
      "CYROP_SERVER: 'range.example.org' is not a URL such as http://127.0.0.1:8420",
    );
  });

  it('takes a server address as scheme, host and port only', () => {
    expect(serverOrigin('https://Range.Example.org')).to.equal('https://range.example.org');
    expect(() => serverOrigin('ftp://range.example.org')).to.throw('must start with http:// or https://');
    expect(() => serverOrigin('https://range.example.org/console')).to.throw(
      "must be the server's address alone (scheme, host, port), such as https://range.example.org",
    );
  });
});

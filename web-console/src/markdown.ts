import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * Scenario texts (story, objective descriptions, hints) are markdown written by scenario authors:
 * rendered with marked, then sanitised with DOMPurify before they reach the page. Links open in a
 * new tab without access to this one.
 */
export function renderMarkdown(source: string, inline = false): DocumentFragment {
  const html = inline
    ? marked.parseInline(source, { async: false, gfm: true })
    : marked.parse(source, { async: false, gfm: true });
  const clean = DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true });
  for (const a of clean.querySelectorAll('a[href]')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  }
  return clean;
}

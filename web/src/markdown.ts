// markdown.ts - renders run notes (MLflow keeps them in the tag
// mlflow.note.content), model descriptions and .md artifacts. The Markdown is
// parsed by `marked` (GitHub-flavoured: headings, lists, code, pipe tables,
// strikethrough) and its HTML output is cleaned by DOMPurify before it ever
// touches the DOM: no <script>, <iframe>, <style>, event-handler attributes,
// or URLs other than http(s), mailto and relative ones survive (so
// javascript: and data: links become plain text). Links open in a new tab
// with rel="noopener noreferrer"; images are not loaded (notes would
// otherwise be a way to make the viewer fetch third-party URLs).

import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

// raw HTML in a note is shown as text (as before), not parsed; a link to an
// unsafe target is shown as "label (target)"
const md = new Marked({ gfm: true, breaks: false, async: false });
md.use({
  renderer: {
    html(token) {
      return escapeHtml(token.text);
    },
    link(token) {
      const label = this.parser.parseInline(token.tokens);
      if (!SAFE_URL.test(token.href)) return `${label} (${escapeHtml(token.href)})`;
      return `<a href="${escapeHtml(token.href)}">${label}</a>`;
    },
    tablecell(token) {
      const tag = token.header ? 'th' : 'td';
      const align = token.align ? ` data-align="${token.align}"` : '';
      return `<${tag}${align}>${this.parser.parseInline(token.tokens)}</${tag}>\n`;
    },
    image(token) {
      return escapeHtml(token.text);
    },
  },
});

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A') {
    const href = node.getAttribute('href') || '';
    if (!SAFE_URL.test(href.trim())) node.removeAttribute('href');
    else {
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
  }
});

const ALLOWED_TAGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'em', 'strong', 'del', 's', 'code', 'pre',
  'blockquote', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'input'];
const ALLOWED_ATTR = ['href', 'title', 'data-align', 'start', 'type', 'checked', 'disabled', 'class'];

/**
 * Renders Markdown source as a fragment of sanitized DOM nodes; the caller
 * owns the fragment. `shift` demotes headings ("#" becomes h(1 + shift)), so
 * notes inside a page do not compete with their page's title.
 */
export function renderMarkdown(src: string, shift = 0): DocumentFragment {
  const html = md.parse(src.replace(/\r\n?/g, '\n')) as string;
  // DOMPurify's fragment belongs to its own document; adopt it into ours
  const frag = document.importNode(purify.sanitize(html, {
    ALLOWED_TAGS, ALLOWED_ATTR, RETURN_DOM_FRAGMENT: true, ALLOWED_URI_REGEXP: SAFE_URL,
  }) as DocumentFragment, true);
  if (shift) {
    for (const hd of Array.from(frag.querySelectorAll('h1,h2,h3,h4,h5,h6'))) {
      const level = Math.min(6, Number(hd.tagName[1]) + shift);
      const repl = document.createElement(`h${level}`);
      repl.append(...Array.from(hd.childNodes));
      hd.replaceWith(repl);
    }
  }
  // CSP forbids style attributes; table alignment is set through the CSSOM
  for (const cell of Array.from(frag.querySelectorAll<HTMLElement>('th[data-align],td[data-align]'))) {
    cell.style.textAlign = cell.dataset.align || '';
    delete cell.dataset.align;
  }
  // a fenced block's closing line break is not part of its text
  for (const code of Array.from(frag.querySelectorAll('pre > code'))) {
    const last = code.lastChild;
    if (last instanceof Text && last.data.endsWith('\n')) last.data = last.data.slice(0, -1);
  }
  return frag;
}

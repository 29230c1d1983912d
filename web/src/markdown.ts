// markdown.ts - a small, safe Markdown renderer for run notes (MLflow keeps
// them in the tag mlflow.note.content). It builds DOM nodes directly: every
// piece of the source becomes a text node, so no HTML in the notes is ever
// parsed (a "<script>" shows as the text "<script>"). Supported: ATX
// headings, paragraphs, hard line breaks (two trailing spaces), emphasis and
// strong, ~~strike~~, code spans, fenced code blocks, bullet and numbered
// lists (nested by indentation), block quotes, horizontal rules, pipe tables
// (GitHub's), and links whose target is http(s) or mailto (anything else,
// e.g. javascript:, stays plain text).

type Inline = Node[];

const SAFE_URL = /^(https?:\/\/|mailto:)[^\s]*$/i;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, children: Node[] = []): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.append(...children);
  return e;
}

const text = (s: string): Text => document.createTextNode(s);

/** Index of the closing delimiter `d` at or after `from`, not preceded by a space. */
function closing(s: string, d: string, from: number): number {
  for (let i = s.indexOf(d, from); i >= 0; i = s.indexOf(d, i + 1)) {
    if (s[i - 1] !== ' ' && s[i - 1] !== '\\') return i;
  }
  return -1;
}

/** Parses inline markup of one paragraph (lines joined by "\n"). */
export function inline(s: string, links = true): Inline {
  const out: Node[] = [];
  let buf = '';
  const flush = () => {
    if (buf) out.push(text(buf));
    buf = '';
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\' && s[i + 1] === '\n') { // a backslash at the end of a line: hard break
      buf = buf.replace(/ +$/, '');
      flush();
      out.push(el('br'));
      i += 2;
      continue;
    }
    if (c === '\\' && i + 1 < s.length && /[\\`*_[\]()#+\-.!<>]/.test(s[i + 1])) {
      buf += s[i + 1];
      i += 2;
      continue;
    }
    if (c === '\n') { // hard break after two trailing spaces, else a space
      if (buf.endsWith('  ')) {
        buf = buf.replace(/ +$/, '');
        flush();
        out.push(el('br'));
      } else buf = `${buf.replace(/ +$/, '')} `;
      i++;
      continue;
    }
    if (c === '`') {
      let n = 1;
      while (s[i + n] === '`') n++;
      const fence = '`'.repeat(n);
      const end = s.indexOf(fence, i + n);
      if (end > 0) {
        flush();
        out.push(el('code', [text(s.slice(i + n, end).replace(/\n/g, ' ').trim() || ' ')]));
        i = end + n;
        continue;
      }
      buf += fence;
      i += n;
      continue;
    }
    if (c === '~' && s[i + 1] === '~' && s[i + 2] && s[i + 2] !== ' ') {
      const end = closing(s, '~~', i + 3);
      if (end > 0) {
        flush();
        out.push(el('del', inline(s.slice(i + 2, end), links)));
        i = end + 2;
        continue;
      }
    }
    if (c === '*' || c === '_') {
      const strong = s[i + 1] === c;
      const d = strong ? c + c : c;
      const start = i + d.length;
      // "_" only opens at a word start, so snake_case_names stay as they are
      const opens = s[start] !== undefined && s[start] !== ' ' && !(c === '_' && /\w/.test(s[i - 1] || ''));
      const end = opens ? closing(s, d, start + 1) : -1;
      if (end > 0 && !(c === '_' && /\w/.test(s[end + d.length] || ''))) {
        flush();
        out.push(el(strong ? 'strong' : 'em', inline(s.slice(start, end), links)));
        i = end + d.length;
        continue;
      }
      buf += d;
      i += d.length;
      continue;
    }
    if (c === '[' && links) {
      const close = s.indexOf('](', i + 1);
      let end = -1;
      for (let k = close + 2, depth = 0; close > 0 && k < s.length && s[k] !== '\n'; k++) { // balanced (parens) in URLs
        if (s[k] === '(') depth++;
        else if (s[k] === ')' && depth-- === 0) {
          end = k;
          break;
        }
      }
      if (close > 0 && end > 0 && !s.slice(i + 1, close).includes('\n')) {
        const label = s.slice(i + 1, close);
        const target = s.slice(close + 2, end).trim();
        flush();
        if (SAFE_URL.test(target)) {
          const a = el('a', inline(label, false));
          a.href = target;
          a.rel = 'noopener noreferrer nofollow';
          a.target = '_blank';
          out.push(a);
        } else {
          out.push(...inline(label, false), text(` (${target})`));
        }
        i = end + 1;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && links && /^https?:\/\//i.test(s.slice(i, i + 8)) && !/\w/.test(s[i - 1] || '')) {
      const m = /^https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"]/i.exec(s.slice(i));
      if (m) {
        flush();
        const a = el('a', [text(m[0])]);
        a.href = m[0];
        a.rel = 'noopener noreferrer nofollow';
        a.target = '_blank';
        out.push(a);
        i += m[0].length;
        continue;
      }
    }
    buf += c;
    i++;
  }
  flush();
  return out;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(\s*\1){2,}\s*$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_RULE = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

/** The cells of a table line: outer pipes dropped, split at pipes that are not escaped. */
function cells(line: string): string[] {
  const t = line.trim().replace(/^\|/, '').replace(/(^|[^\\])\|$/, '$1');
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < t.length; i++) {
    if (t[i] === '\\' && t[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (t[i] === '|') {
      out.push(cur.trim());
      cur = '';
    } else cur += t[i];
  }
  out.push(cur.trim());
  return out;
}

/** A header line followed by a |---|:--:| rule line starts a table. */
const tableAt = (lines: string[], i: number): boolean =>
  lines[i].includes('|') && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1]) && lines[i + 1].includes('-') &&
  cells(lines[i]).length === cells(lines[i + 1]).length;

function table(lines: string[], start: number): [HTMLElement, number] {
  const head = cells(lines[start]);
  const align = cells(lines[start + 1]).map((c) => (c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : ''));
  const row = (tag: 'th' | 'td', texts: string[]) => el('tr', head.map((_, k) => {
    const cell = el(tag, inline(texts[k] ?? ''));
    if (align[k]) cell.style.textAlign = align[k];
    return cell;
  }));
  const body: HTMLElement[] = [];
  let i = start + 2;
  while (i < lines.length && lines[i].trim() && lines[i].includes('|')) body.push(row('td', cells(lines[i++])));
  return [el('table', [el('thead', [row('th', head)]), el('tbody', body)]), i];
}

/**
 * Renders Markdown source as a fragment of DOM nodes (never parsed as HTML).
 * `shift` demotes headings ("#" becomes h(1 + shift)), so notes inside a page
 * do not compete with its title.
 */
export function renderMarkdown(src: string, shift = 0): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(...blocks(src.replace(/\r\n?/g, '\n').split('\n'), shift));
  return frag;
}

function blocks(lines: string[], shift: number): Node[] {
  const out: Node[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      const code = el('code', [text(body.join('\n'))]);
      if (fence[2]) code.dataset.lang = fence[2];
      out.push(el('pre', [code]));
      continue;
    }
    const head = HEADING.exec(line);
    if (head) {
      out.push(el(`h${Math.min(6, head[1].length + shift)}` as 'h1', inline(head[2] || '')));
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push(el('hr'));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i])) body.push(QUOTE.exec(lines[i++])![1]);
      out.push(el('blockquote', blocks(body, shift)));
      continue;
    }
    if (tableAt(lines, i)) {
      const [t, next] = table(lines, i);
      out.push(t);
      i = next;
      continue;
    }
    if (ITEM.test(line)) {
      const [list, next] = listAt(lines, i);
      out.push(list);
      i = next;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim() && !FENCE.test(lines[i]) && !HEADING.test(lines[i]) &&
      !RULE.test(lines[i]) && !QUOTE.test(lines[i]) && !(para.length && ITEM.test(lines[i]) && !/^\s{4}/.test(lines[i])) &&
      !(para.length && tableAt(lines, i)))
      para.push(lines[i++].replace(/^\s+/, ''));
    out.push(el('p', inline(para.join('\n'))));
  }
  return out;
}

/** A list starting at line `start`; items indented deeper form nested lists. Returns the list and the next line. */
function listAt(lines: string[], start: number): [HTMLElement, number] {
  const first = ITEM.exec(lines[start])!;
  const indent = first[1].length;
  const ordered = /\d/.test(first[2]);
  const list = el(ordered ? 'ol' : 'ul');
  if (ordered && parseInt(first[2], 10) !== 1) list.setAttribute('start', String(parseInt(first[2], 10)));
  let i = start;
  while (i < lines.length) {
    const m = ITEM.exec(lines[i]);
    if (!m || m[1].length < indent || m[1].length > indent || /\d/.test(m[2]) !== ordered) break;
    const li = el('li');
    const textLines = [m[3]];
    i++;
    // continuation lines (indented, not items) and nested lists
    while (i < lines.length && lines[i].trim()) {
      const sub = ITEM.exec(lines[i]);
      if (sub && sub[1].length > indent) {
        li.append(...inline(textLines.join('\n')));
        textLines.length = 0;
        const [nested, next] = listAt(lines, i);
        li.append(nested);
        i = next;
        continue;
      }
      if (sub || !/^\s/.test(lines[i])) break;
      textLines.push(lines[i++].trim());
    }
    if (textLines.length) li.append(...inline(textLines.join('\n')));
    list.append(li);
    // a blank line between items keeps the list going
    if (i < lines.length && !lines[i].trim() && i + 1 < lines.length) {
      const m2 = ITEM.exec(lines[i + 1]);
      if (m2 && m2[1].length === indent && /\d/.test(m2[2]) === ordered) i++;
    }
  }
  return [list, i];
}

/**
 * A small, safe Markdown subset for repository descriptions, rendered straight to JSX (so every
 * piece of text is escaped by hono/jsx; no HTML string is ever produced or trusted).
 *
 * Supported: ATX headings, paragraphs, `*emphasis*`, `**strong**`, `` `code` ``, fenced code
 * blocks, bullet and numbered lists (nested by indentation), block quotes, horizontal rules and
 * `[links](url)` whose URL is http:, https: or relative. Anything else (raw HTML, images, tables)
 * comes out as the text it is. The parser does bounded work per character, so hostile input
 * cannot make a page slow: nesting is capped and failed delimiter searches are remembered.
 */
import type { Child, FC } from 'hono/jsx';
import type { RepositoryDescription } from '../hub/client/catalog.ts';

/** Descriptions are at most 64 KiB on the Hub; anything longer is cut here too. */
export const MAX_MARKDOWN_LENGTH = 64 * 1024;
/** Deeper lists, quotes or inline nesting than this are shown as text. */
const MAX_DEPTH = 6;
/** A link's text and URL are looked for only this far ahead, so `[[[[…` stays linear. */
const MAX_LINK_TEXT = 500;
const MAX_LINK_URL = 2048;

/**
 * Whether a link target may become an `href`: http(s) or a relative URL. Anything holding spaces
 * or control characters is refused outright, since browsers drop tabs and newlines from URLs
 * (`java\nscript:` would otherwise slip past the scheme check).
 *
 * @example
 * isSafeUrl('https://example.com/docs'); // true
 * isSafeUrl('javascript:alert(1)'); // false
 */
export function isSafeUrl(url: string): boolean {
  if (url === '' || /[\u0000-\u0020\u007f-\u009f\\"'<>`]/.test(url)) return false;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(url);
  if (scheme) return scheme[1]!.toLowerCase() === 'http' || scheme[1]!.toLowerCase() === 'https';
  // Relative: nothing before the first `/`, `?` or `#` that could be (or encode) a scheme.
  const head = /^[^/?#]*/.exec(url)![0];
  return !head.includes(':') && !head.includes('&');
}

// ---------------------------------------------------------------------------------------------
// Inline: code spans, strong, emphasis, links, backslash escapes.

const ESCAPABLE = new Set('\\`*_{}[]()#+-.!>~|<"\''.split(''));

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

/**
 * Inline Markdown of one paragraph (or heading, or list item line) as JSX children.
 *
 * @example
 * renderInline('a **bold** [link](https://example.com)');
 */
export function renderInline(text: string, depth = 0): Child[] {
  const out: Child[] = [];
  // Delimiters already searched for without a closer: a later search from further on fails too.
  const noCloser = new Set<string>();
  let plain = '';
  const flush = () => {
    if (plain !== '') out.push(plain);
    plain = '';
  };
  // Code spans bind tighter than emphasis: `**` inside one closes nothing.
  const spans = codeSpans(text);
  const spanEnds = new Map(spans);
  const inCode = (at: number): boolean => {
    let low = 0;
    let high = spans.length - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const [start, end] = spans[mid]!;
      if (at < start) high = mid - 1;
      else if (at >= end) low = mid + 1;
      else return true;
    }
    return false;
  };
  const findCloser = (delimiter: string, from: number, valid: (at: number) => boolean = () => true): number => {
    if (noCloser.has(delimiter)) return -1;
    let at = text.indexOf(delimiter, from);
    while (at !== -1 && !valid(at)) at = text.indexOf(delimiter, at + 1);
    if (at === -1) noCloser.add(delimiter);
    return at;
  };

  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;

    if (ch === '\\' && i + 1 < text.length && ESCAPABLE.has(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }

    if (ch === '`') {
      let run = 1;
      while (text[i + run] === '`') run++;
      const end = spanEnds.get(i);
      if (end === undefined) {
        plain += '`'.repeat(run);
        i += run;
        continue;
      }
      flush();
      const content = text.slice(i + run, end - run);
      out.push(<code>{content.trim() || content}</code>);
      i = end;
      continue;
    }

    if ((ch === '*' || ch === '_') && depth < MAX_DEPTH) {
      const double = text[i + 1] === ch;
      const delimiter = double ? ch + ch : ch;
      const start = i + delimiter.length;
      // An opener is followed by a non-space; `_` also must not sit inside a word (snake_case).
      const opens = start < text.length && !/\s/.test(text[start]!) && text[start] !== ch && !(ch === '_' && isWordChar(text[i - 1]));
      if (opens) {
        const close = findCloser(
          delimiter,
          start + 1,
          (at) => !inCode(at) && !/\s/.test(text[at - 1]!) && (double || text[at + 1] !== ch) && !(ch === '_' && isWordChar(text[at + delimiter.length])),
        );
        if (close !== -1) {
          flush();
          const inner = renderInline(text.slice(start, close), depth + 1);
          out.push(double ? <strong>{inner}</strong> : <em>{inner}</em>);
          i = close + delimiter.length;
          continue;
        }
      }
      plain += delimiter;
      i += delimiter.length;
      continue;
    }

    if (ch === '[' || (ch === '!' && text[i + 1] === '[')) {
      const image = ch === '!';
      const open = image ? i + 1 : i;
      const link = depth < MAX_DEPTH ? parseLink(text, open) : undefined;
      if (link) {
        flush();
        // Images are not loaded from elsewhere: they become a link to the image, by its alt text.
        const label = image ? [`image: ${link.text || link.url}`] : renderInline(link.text, depth + 1);
        out.push(
          isSafeUrl(link.url) ? (
            <a href={link.url} rel="nofollow noopener">
              {label}
            </a>
          ) : (
            <span>{label}</span>
          ),
        );
        i = link.end;
        continue;
      }
      plain += ch;
      i += 1;
      continue;
    }

    plain += ch;
    i += 1;
  }
  flush();
  return out;
}

/** Where the code spans of `text` are, as sorted `[start, end)` ranges: runs of backticks paired with the next run of the same length. */
function codeSpans(text: string): [number, number][] {
  const runs: { at: number; length: number }[] = [];
  for (let k = text.indexOf('`'); k !== -1; k = text.indexOf('`', k)) {
    let length = 1;
    while (text[k + length] === '`') length++;
    runs.push({ at: k, length });
    k += length;
  }
  // Each run's next run of the same length, found from the end in one pass.
  const nextOfLength = new Map<number, number>();
  const partner: number[] = new Array<number>(runs.length).fill(-1);
  for (let r = runs.length - 1; r >= 0; r--) {
    partner[r] = nextOfLength.get(runs[r]!.length) ?? -1;
    nextOfLength.set(runs[r]!.length, r);
  }
  const spans: [number, number][] = [];
  for (let r = 0; r < runs.length; r++) {
    const close = partner[r]!;
    if (close === -1) continue;
    spans.push([runs[r]!.at, runs[close]!.at + runs[close]!.length]);
    r = close;
  }
  return spans;
}

/** `[text](url "title")` starting at `open` (the `[`), looked for within bounded distances. */
function parseLink(text: string, open: number): { text: string; url: string; end: number } | undefined {
  const window = text.slice(open + 1, open + 1 + MAX_LINK_TEXT + 1);
  let close = -1;
  let nesting = 0;
  for (let k = 0; k < window.length; k++) {
    const c = window[k];
    if (c === '\\') k++;
    else if (c === '[') nesting++;
    else if (c === ']') {
      if (nesting === 0) {
        close = open + 1 + k;
        break;
      }
      nesting--;
    }
  }
  if (close === -1 || text[close + 1] !== '(') return undefined;
  const target = text.slice(close + 2, close + 2 + MAX_LINK_URL + 1);
  const end = target.indexOf(')');
  if (end === -1) return undefined;
  const inside = target.slice(0, end).trim();
  // An optional title after the URL is dropped; `<url>` brackets are allowed.
  let url = inside.split(/\s+/)[0] ?? '';
  if (url.startsWith('<') && url.endsWith('>')) url = url.slice(1, -1);
  return { text: text.slice(open + 1, close), url, end: close + 2 + end + 1 };
}

// ---------------------------------------------------------------------------------------------
// Blocks: headings, fenced code, lists, quotes, rules, paragraphs.

interface BlockOptions {
  /** The HTML heading level of a `#` heading (later levels follow, up to h6). */
  headingLevel: number;
}

// Written to match without backtracking over the rest of the line (a 64 KiB line stays cheap).
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;
const HEADING_OPEN = /^ {0,3}(#{1,6})(?=[ \t]|$)/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const BULLET = /^( {0,3})([-*+])[ \t]+(.*)$/;
const ORDERED = /^( {0,3})(\d{1,9})[.)][ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** A code fence: its marker and language, or undefined. */
function parseFence(line: string): { marker: string; language: string } | undefined {
  const open = FENCE_OPEN.exec(line);
  if (!open) return undefined;
  const info = line.slice(open[0].length);
  if (open[1]![0] === '`' && info.includes('`')) return undefined;
  return { marker: open[1]!, language: info.trim().split(/\s+/)[0] ?? '' };
}

/** Whether `line` closes a fence opened with `marker`. */
function closesFence(line: string, marker: string): boolean {
  const close = FENCE_OPEN.exec(line);
  return Boolean(close && close[1]![0] === marker[0] && close[1]!.length >= marker.length && line.slice(close[0].length).trim() === '');
}

/** An ATX heading: its level and text (closing `#`s removed), or undefined. */
function parseHeading(line: string): { level: number; text: string } | undefined {
  const open = HEADING_OPEN.exec(line);
  if (!open) return undefined;
  let text = line.slice(open[0].length).trim();
  const closing = /(?:^|[ \t])#+$/.exec(text);
  if (closing) text = text.slice(0, closing.index).trim();
  return { level: open[1]!.length, text };
}

function startsBlock(line: string): boolean {
  return FENCE_OPEN.test(line) || HEADING_OPEN.test(line) || RULE.test(line) || BULLET.test(line) || ORDERED.test(line) || QUOTE.test(line);
}

function Heading({ level, children }: { level: number; children: Child }) {
  switch (Math.min(6, Math.max(1, level))) {
    case 1:
      return <h1>{children}</h1>;
    case 2:
      return <h2>{children}</h2>;
    case 3:
      return <h3>{children}</h3>;
    case 4:
      return <h4>{children}</h4>;
    case 5:
      return <h5>{children}</h5>;
    default:
      return <h6>{children}</h6>;
  }
}

function renderBlocks(lines: string[], options: BlockOptions, depth: number): Child[] {
  const out: Child[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fence = parseFence(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !closesFence(lines[i]!, fence.marker)) body.push(lines[i++]!);
      i++; // the closing fence (or the end of the text)
      out.push(
        <pre>
          <code class={fence.language ? `language-${fence.language}` : undefined}>{body.join('\n')}</code>
        </pre>,
      );
      continue;
    }

    const heading = parseHeading(line);
    if (heading) {
      out.push(<Heading level={options.headingLevel + heading.level - 1}>{renderInline(heading.text)}</Heading>);
      i++;
      continue;
    }

    if (RULE.test(line)) {
      out.push(<hr />);
      i++;
      continue;
    }

    if (QUOTE.test(line) && depth < MAX_DEPTH) {
      const quoted: string[] = [];
      while (i < lines.length && !isBlank(lines[i]!)) {
        const inner = QUOTE.exec(lines[i]!);
        quoted.push(inner ? inner[1]! : lines[i]!);
        i++;
      }
      out.push(<blockquote>{renderBlocks(quoted, options, depth + 1)}</blockquote>);
      continue;
    }

    const bullet = BULLET.exec(line);
    const ordered = bullet ? null : ORDERED.exec(line);
    if ((bullet || ordered) && depth < MAX_DEPTH) {
      const list = collectList(lines, i, Boolean(ordered));
      i = list.next;
      const items = list.items.map((item) => <li>{renderListItem(item, options, depth + 1)}</li>);
      out.push(ordered ? <ol start={list.start === 1 ? undefined : list.start}>{items}</ol> : <ul>{items}</ul>);
      continue;
    }

    // A paragraph: lines up to a blank one or the start of another block.
    const text: string[] = [line.trim()];
    i++;
    while (i < lines.length && !isBlank(lines[i]!) && !startsBlock(lines[i]!)) text.push(lines[i++]!.trim());
    out.push(<p>{renderInline(text.join('\n'))}</p>);
  }
  return out;
}

/** The items of the list starting at `from`: each its lines, un-indented, for a nested parse. */
function collectList(lines: string[], from: number, ordered: boolean): { items: string[][]; start: number; next: number } {
  const marker = ordered ? ORDERED : BULLET;
  const first = marker.exec(lines[from]!)!;
  const start = ordered ? Number(first[2]) : 1;
  const items: string[][] = [];
  let i = from;
  let current: string[] | undefined;
  // The column where the current item's text starts: less indented markers are its siblings.
  let indent = Number.POSITIVE_INFINITY;
  let blankBefore = false;
  while (i < lines.length) {
    const line = lines[i]!;
    const item = marker.exec(line);
    if (item && item[1]!.length < indent) {
      current = [item[3]!];
      items.push(current);
      indent = line.length - item[3]!.length;
      blankBefore = false;
      i++;
      continue;
    }
    if (isBlank(line)) {
      blankBefore = true;
      i++;
      continue;
    }
    const indented = line.length - line.trimStart().length >= Math.min(indent, 4);
    // After a blank line only indented lines stay in the item; before it, lazy continuation too.
    if (current && (indented || (!blankBefore && !startsBlock(line)))) {
      if (blankBefore) current.push('');
      current.push(indented ? line.slice(Math.min(indent, line.length - line.trimStart().length)) : line);
      blankBefore = false;
      i++;
      continue;
    }
    break;
  }
  // Trailing blank lines belong after the list: step back over them.
  while (i > from && isBlank(lines[i - 1] ?? 'x')) i--;
  return { items, start, next: i };
}

/** A tight item (one paragraph) is shown without a `<p>` around it. */
function renderListItem(lines: string[], options: BlockOptions, depth: number): Child[] {
  const tight = !lines.some(isBlank) && !startsBlock(lines[0] ?? '');
  if (!tight) return renderBlocks(lines, options, depth);
  const paragraphEnd = lines.findIndex((line, k) => k > 0 && startsBlock(line));
  const head = paragraphEnd === -1 ? lines : lines.slice(0, paragraphEnd);
  const rest = paragraphEnd === -1 ? [] : renderBlocks(lines.slice(paragraphEnd), options, depth);
  return [...renderInline(head.map((l) => l.trim()).join('\n')), ...rest];
}

function linesOf(text: string): string[] {
  return text.slice(0, MAX_MARKDOWN_LENGTH).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n');
}

/**
 * Markdown as JSX inside `<div class="markdown">`; `#` headings become `<h{headingLevel}>`.
 *
 * @example
 * <Markdown text={'# App\n\nRun it with `nocker run`.'} headingLevel={3} />
 */
export const Markdown: FC<{ text: string; headingLevel?: number }> = ({ text, headingLevel = 3 }) => (
  <div class="markdown">{renderBlocks(linesOf(text), { headingLevel }, 0)}</div>
);

/**
 * Plain text as paragraphs (split at blank lines), nothing interpreted.
 *
 * @example
 * <PlainText text={'First paragraph.\n\nSecond.'} />
 */
export const PlainText: FC<{ text: string }> = ({ text }) => (
  <div class="markdown">
    {text
      .slice(0, MAX_MARKDOWN_LENGTH)
      .replace(/\r\n?/g, '\n')
      .split(/\n[ \t]*\n/)
      .map((paragraph) => paragraph.trim())
      .filter((paragraph) => paragraph !== '')
      .map((paragraph) => (
        <p>{paragraph}</p>
      ))}
  </div>
);

/**
 * A repository's description in its own format.
 *
 * @example
 * <Description description={{ source: 'readme', format: 'markdown', text: '# App' }} />
 */
export const Description: FC<{ description: RepositoryDescription; headingLevel?: number }> = ({ description, headingLevel }) =>
  description.format === 'markdown' ? <Markdown text={description.text} headingLevel={headingLevel} /> : <PlainText text={description.text} />;

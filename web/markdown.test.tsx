import { describe, expect, it } from 'vitest';
import { Description, Markdown, PlainText, isSafeUrl, renderInline } from './markdown.tsx';

async function html(node: { toString(): string | Promise<string> }): Promise<string> {
  return String(await node.toString());
}

const md = (text: string, headingLevel?: number) => html(<Markdown text={text} headingLevel={headingLevel} />);

/** The tags of an HTML string, e.g. ['div', 'p', '/p', '/div']. */
function tags(output: string): string[] {
  return [...output.matchAll(/<(\/?[a-z0-9]+)/g)].map((m) => m[1]!);
}

describe('the Markdown subset', () => {
  it('renders headings (shifted to the page\'s level), paragraphs, emphasis, strong and inline code', async () => {
    const out = await md('# App\n\nSome *fine* and **bold** text with `nocker run`.\nSecond line.\n\n### Deep ###', 2);
    expect(out).toContain('<h2>App</h2>');
    expect(out).toContain('<p>Some <em>fine</em> and <strong>bold</strong> text with <code>nocker run</code>.\nSecond line.</p>');
    expect(out).toContain('<h4>Deep</h4>');
    expect(await md('####### seven')).toContain('<p>####### seven</p>');
    expect(await md('#hashtag')).toContain('<p>#hashtag</p>');
  });

  it('keeps snake_case and lone stars as text', async () => {
    expect(await md('call my_function_name and 2 * 3 * 4')).toContain('<p>call my_function_name and 2 * 3 * 4</p>');
    expect(await md('_really_ so')).toContain('<em>really</em>');
    expect(await md('\\*not emphasis\\*')).toContain('<p>*not emphasis*</p>');
  });

  it('renders fenced code blocks verbatim, markup and all', async () => {
    const out = await md('```sh\nnocker push **x** <b>\n  indented\n```\nafter');
    expect(out).toContain('<pre><code class="language-sh">nocker push **x** &lt;b&gt;\n  indented</code></pre>');
    expect(out).toContain('<p>after</p>');
    expect(await md('~~~\nunclosed fence\nruns to the end')).toContain('<pre><code>unclosed fence\nruns to the end</code></pre>');
  });

  it('renders bullet and numbered lists, nested by indentation', async () => {
    const out = await md('- one\n- two *em*\n  - nested\n  - more\n- three\n\n3. third\n4. fourth');
    expect(out).toContain('<ul><li>one</li><li>two <em>em</em><ul><li>nested</li><li>more</li></ul></li><li>three</li></ul>');
    expect(out).toContain('<ol start="3"><li>third</li><li>fourth</li></ol>');
    expect(await md('1. a\n2. b')).toContain('<ol><li>a</li><li>b</li></ol>');
  });

  it('renders quotes and rules', async () => {
    const out = await md('> quoted **text**\n\n---\n\nend');
    expect(out).toContain('<blockquote><p>quoted <strong>text</strong></p></blockquote>');
    expect(out).toContain('<hr/>');
  });

  it('links http, https and relative URLs with rel="nofollow noopener"', async () => {
    const out = await md('[site](https://example.com/a?b=1&c=2) [docs](docs/README.md) [top](#top) [plain](http://x.test "title")');
    expect(out).toContain('<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener">site</a>');
    expect(out).toContain('<a href="docs/README.md" rel="nofollow noopener">docs</a>');
    expect(out).toContain('<a href="#top" rel="nofollow noopener">top</a>');
    expect(out).toContain('<a href="http://x.test" rel="nofollow noopener">plain</a>');
  });

  it('shows other URLs as text, never as links', async () => {
    for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:x', 'java\tscript:alert(1)', ' javascript:alert(1)', 'file:///etc/passwd', '\\\\evil\\share']) {
      expect(isSafeUrl(url), url).toBe(false);
    }
    const out = await md('[click](javascript:alert(1)) [x](data:text/html;base64,AAAA) [y](JAVASCRIPT:alert`1`)');
    expect(out).not.toMatch(/href=/);
    expect(out).toContain('<span>click</span>');
    // Entities are not decoded into a scheme: the `&` is escaped, so the browser sees a relative path.
    expect(await md('[e](javascript&#58;alert(1))')).toContain('<span>e</span>');
  });

  it('escapes raw HTML, scripts and event handlers: they come out as text', async () => {
    const hostile = '<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n**<b onmouseover="x()">bold</b>**\n\n[<svg onload=alert(1)>](https://example.com)\n\n"quotes" & \'apostrophes\'';
    const out = await md(hostile);
    expect(out).not.toMatch(/<script|<img|<svg|<b /i);
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(out).toContain('<strong>&lt;b onmouseover=&quot;x()&quot;&gt;bold&lt;/b&gt;</strong>');
    expect(out).toContain('<a href="https://example.com" rel="nofollow noopener">&lt;svg onload=alert(1)&gt;</a>');
    // A URL cannot break out of its attribute.
    const attr = await md('[x](https://e.test/"onmouseover="alert(1))');
    expect(attr).not.toContain('<a ');
    expect(attr).toContain('<span>x</span>');
  });

  it('does not load images: an image becomes a link by its alt text', async () => {
    const out = await md('![logo](https://example.com/logo.png) ![bad](javascript:alert(1))');
    expect(out).not.toContain('<img');
    expect(out).toContain('<a href="https://example.com/logo.png" rel="nofollow noopener">image: logo</a>');
    expect(out).toContain('<span>image: bad</span>');
  });

  it('nests markup inside markup and keeps the result well formed', async () => {
    const out = await md('**bold with *em* and `code **not bold**`** and [a **link** with `code`](https://e.test)');
    expect(out).toContain('<strong>bold with <em>em</em> and <code>code **not bold**</code></strong> and <a href="https://e.test" rel="nofollow noopener">a <strong>link</strong> with <code>code</code></a>');
    const deep = await md(`${'**'.repeat(20)}x${'**'.repeat(20)}`);
    const opened = tags(deep).filter((t) => t === 'strong').length;
    expect(opened).toBe(tags(deep).filter((t) => t === '/strong').length);
    expect(opened).toBeLessThanOrEqual(7);
  });

  it('renders hostile, very long input in bounded time', async () => {
    const inputs = [
      '*'.repeat(70_000),
      '_a'.repeat(35_000),
      '['.repeat(70_000),
      '[](('.repeat(20_000),
      '`'.repeat(300) + ' `x'.repeat(20_000),
      '**a *b _c `d '.repeat(6_000),
      `# ${' '.repeat(60_000)}x`,
      '```' + 'a'.repeat(60_000) + '`',
      '- '.repeat(30_000),
      Array.from({ length: 3_000 }, (_, k) => `${' '.repeat(k % 40)}- item ${k}`).join('\n'),
      '> '.repeat(30_000) + 'deep',
      `- a\n${'  '.repeat(1000)}- b`,
    ];
    for (const input of inputs) {
      const started = performance.now();
      const out = await md(input);
      expect(out.startsWith('<div class="markdown">')).toBe(true);
      expect(performance.now() - started, input.slice(0, 20)).toBeLessThan(1000);
    }
  });

  it('cuts input at 64 KiB', async () => {
    const out = await md(`${'a'.repeat(70 * 1024)}TAIL`);
    expect(out).not.toContain('TAIL');
  });
});

describe('plain-text descriptions', () => {
  it('are paragraphs with nothing interpreted', async () => {
    const out = await html(<PlainText text={'First **line**\nstill first.\n\n<script>alert(1)</script>\n\n\n[x](javascript:y)'} />);
    expect(out).toBe('<div class="markdown"><p>First **line**\nstill first.</p><p>&lt;script&gt;alert(1)&lt;/script&gt;</p><p>[x](javascript:y)</p></div>');
  });

  it('are chosen by the description\'s format', async () => {
    expect(await html(<Description description={{ source: 'annotation', format: 'text', text: '# not a heading' }} />)).toContain('<p># not a heading</p>');
    expect(await html(<Description description={{ source: 'readme', format: 'markdown', text: '# A heading' }} />)).toContain('<h3>A heading</h3>');
  });

  it('inline rendering alone returns children', () => {
    expect(renderInline('plain')).toEqual(['plain']);
  });
});

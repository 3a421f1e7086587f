import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * Markdown as the app shows it. markdown-it with raw HTML off escapes any tag a person types and
 * refuses javascript:, vbscript: and data: links; sanitize-html then keeps only the elements and
 * attributes Markdown makes, so a renderer bug cannot let a script or a handler through either.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, breaks: true });

const allowed: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    'strong',
    'em',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'a',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'span',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel', 'target'],
    ol: ['start'],
    th: ['style'],
    td: ['style'],
    span: ['class'],
  },
  allowedStyles: { th: { 'text-align': [/^(left|right|center)$/] }, td: { 'text-align': [/^(left|right|center)$/] } },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedClasses: { span: ['mention'] },
  transformTags: {
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }),
  },
};

/** Markdown to HTML safe to put in a page: nothing in it runs. Mentions of known handles are marked. */
/**
 * Rendered texts kept by what they were rendered from, newest used last: a board or a list
 * re-read shows the same descriptions again and again, and rendering and sanitising is most
 * of the time a page of tasks takes. Bounded by the characters it holds, not by entries.
 */
const rendered = new Map<string, string>();
const renderedBudget = 4_000_000;
let renderedSize = 0;

export function renderMarkdown(text: string, mentions: ReadonlySet<string> = new Set()): string {
  if (text === '') return '';
  const key = mentions.size > 0 ? `${[...mentions].sort().join(' ')}\u0000${text}` : text;
  const cached = rendered.get(key);
  if (cached !== undefined) {
    rendered.delete(key);
    rendered.set(key, cached);
    return cached;
  }
  const html = render(text, mentions);
  rendered.set(key, html);
  renderedSize += key.length + html.length;
  for (const [oldest, value] of rendered) {
    if (renderedSize <= renderedBudget) break;
    rendered.delete(oldest);
    renderedSize -= oldest.length + value.length;
  }
  return html;
}

function render(text: string, mentions: ReadonlySet<string>): string {
  let html = markdown.render(text);
  if (mentions.size > 0)
    html = html.replace(/(^|[\s>(])@([a-z0-9][a-z0-9._-]{0,63})/gi, (whole, before: string, handle: string) =>
      mentions.has(handle.toLowerCase()) ? `${before}<span class="mention">@${handle}</span>` : whole,
    );
  return sanitizeHtml(html, allowed);
}

/** The handles `@name` written in a text (lower case, each once): who a comment mentions. */
export function mentionedHandles(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:^|[\s(])@([a-z0-9][a-z0-9._-]{0,63})/gi))
    found.add(match[1]!.toLowerCase().replace(/[.]+$/, ''));
  return [...found];
}

/** A person's handle: the part of their address before the @, as mentions write it. */
export const handleOf = (email: string): string => email.split('@')[0]!.toLowerCase();

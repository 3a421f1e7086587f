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
export function renderMarkdown(text: string, mentions: ReadonlySet<string> = new Set()): string {
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

// Markdown as a card's comments and description show it: CommonMark with links made of bare
// URLs, and nothing else. Raw HTML is never HTML (it shows as the text it is), links go only to
// the web or mail (no `javascript:`, `data:` or `file:`), and `@login` is a mention only for
// a member of the project: anyone else's name stays plain text.

import MarkdownIt from "markdown-it";

/** The schemes a link may use; a link with any other shows as text. */
const SAFE_LINK = /^(https?:|mailto:)/i;

/** `@` and a login: a letter, then letters, digits and `_ . - @` (as the server's logins). */
const MENTION = /(^|[^A-Za-z0-9_.@-])@([A-Za-z][A-Za-z0-9_.@-]*)/g;

const parser = new MarkdownIt({ html: false, linkify: true, typographer: false });

parser.validateLink = (url: string) => SAFE_LINK.test(url.trim());

// Every link says where it goes and opens outside the app (the window hands it to the
// desktop's browser).
const defaultLinkOpen =
  parser.renderer.rules.link_open ??
  ((tokens, index, options, _env, self) => self.renderToken(tokens, index, options));
parser.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index]?.attrSet("rel", "noopener noreferrer");
  tokens[index]?.attrSet("target", "_blank");
  return defaultLinkOpen(tokens, index, options, env, self);
};

/** What rendering needs to know: the logins that are members of the project. */
export interface MarkdownContext {
  members: ReadonlySet<string>;
}

// Text is escaped first; a mention of a member then becomes a span around its own escaped text
// (a login holds no character HTML gives a meaning to).
parser.renderer.rules.text = (tokens, index, _options, env) => {
  const members: ReadonlySet<string> =
    (env as Partial<MarkdownContext> | undefined)?.members ?? new Set();
  const escaped = parser.utils.escapeHtml(tokens[index]?.content ?? "");
  return escaped.replace(MENTION, (whole, before: string, name: string) => {
    const login = member(name, members);
    if (login === null) return whole;
    const rest = name.slice(login.length);
    return `${before}<span class="mention" data-login="${login}">@${login}</span>${rest}`;
  });
};

/** `name` as written after `@`, or its start without the punctuation that ends a sentence
 * ("@bob." or "@bob-"), if that is a member's login; otherwise `null`. */
function member(name: string, members: ReadonlySet<string>): string | null {
  let candidate = name;
  for (;;) {
    if (members.has(candidate)) return candidate;
    const shorter = candidate.replace(/[_.@-]+$/, "");
    if (shorter === candidate || shorter === "") return null;
    candidate = shorter;
  }
}

/** `text` as HTML that is safe to put in the page. */
export function renderMarkdown(text: string, context: MarkdownContext): string {
  return parser.render(text, { members: context.members });
}

/** The members `text` mentions, each once, in the order first mentioned. Code spans and code
 * blocks mention no one. */
export function mentions(text: string, members: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const walk = (tokens: ReturnType<typeof parser.parseInline>) => {
    for (const token of tokens) {
      if (token.children) walk(token.children);
      if (token.type !== "text") continue;
      for (const [, , name] of token.content.matchAll(MENTION)) {
        const login = name === undefined ? null : member(name, members);
        if (login !== null && !found.includes(login)) found.push(login);
      }
    }
  };
  walk(parser.parse(text, {}));
  return found;
}

/** The members an edit from `before` to `after` newly mentions, but not `author`: only they
 * are told of it. */
export function newMentions(
  before: string,
  after: string,
  members: ReadonlySet<string>,
  author: string,
): string[] {
  const already = new Set(mentions(before, members));
  return mentions(after, members).filter((login) => !already.has(login) && login !== author);
}

// Typing `@` in a comment or a description offers the project's members: what is being typed
// after the `@`, who matches it, and the text once one is chosen.

/** A mention being typed: where its `@` is, and what follows it up to the caret. */
export interface MentionQuery {
  start: number;
  query: string;
}

/** Someone who may be mentioned. */
export interface Mentionable {
  login: string;
  name: string;
}

/** The mention being typed at `caret` in `text`, if the caret is in one: an `@` at the start
 * or after a character that cannot be in a login, then login characters. */
export function mentionAt(text: string, caret: number): MentionQuery | null {
  const typed = /(^|[^A-Za-z0-9_.@-])@([A-Za-z0-9_.-]*)$/.exec(text.slice(0, caret));
  if (!typed) return null;
  const query = typed[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Those of `people` whose login, or a word of whose name, starts with `query` (any case),
 * logins first, at most `limit`. */
export function matching(query: string, people: readonly Mentionable[], limit = 6): Mentionable[] {
  const q = query.toLowerCase();
  const byLogin = people.filter((p) => p.login.toLowerCase().startsWith(q));
  const byName = people.filter(
    (p) =>
      !byLogin.includes(p) &&
      p.name
        .toLowerCase()
        .split(/\s+/)
        .some((word) => word.startsWith(q)),
  );
  return [...byLogin, ...byName].slice(0, limit);
}

/** `text` with the mention `at` (typed up to `caret`) completed as `@login `, and where the
 * caret goes. */
export function complete(
  text: string,
  at: MentionQuery,
  caret: number,
  login: string,
): { text: string; caret: number } {
  const inserted = `@${login} `;
  const rest = text.slice(caret).replace(/^[A-Za-z0-9_.-]*/, "");
  return {
    text: text.slice(0, at.start) + inserted + rest.replace(/^ /, ""),
    caret: at.start + inserted.length,
  };
}

import { describe, expect, it } from "vitest";
import { mentions, newMentions, renderMarkdown } from "./markdown";

const members = new Set(["alice", "bob", "carol@example.com"]);

/** `text` rendered, as a document fragment to look into. */
function rendered(text: string): HTMLElement {
  const host = document.createElement("div");
  host.innerHTML = renderMarkdown(text, { members });
  return host;
}

describe("renderMarkdown", () => {
  it("shows raw HTML as the text it is: no script runs, no image loads", () => {
    const host = rendered(
      '<script>alert("x")</script>\n\n<img src="x" onerror="alert(1)">\n\n<b onclick="x()">hi</b>',
    );
    expect(host.querySelector("script, img, b, [onerror], [onclick]")).toBeNull();
    expect(host.textContent).toContain('<script>alert("x")</script>');
    expect(host.textContent).toContain('<img src="x" onerror="alert(1)">');
  });

  it("keeps links to the web and mail, opening outside the app, and drops any other", () => {
    const host = rendered(
      "[site](https://example.com/a?b=1) and [mail](mailto:a@example.com) and " +
        "[bad](javascript:alert(1)) and [data](data:text/html,<b>x</b>) and " +
        "[file](file:///etc/passwd) and https://tandem.example/docs",
    );
    const links = [...host.querySelectorAll("a")];
    expect(links.map((a) => a.getAttribute("href"))).toEqual([
      "https://example.com/a?b=1",
      "mailto:a@example.com",
      "https://tandem.example/docs",
    ]);
    for (const link of links) {
      expect(link.getAttribute("rel")).toBe("noopener noreferrer");
      expect(link.getAttribute("target")).toBe("_blank");
    }
    expect(host.textContent).toContain("[bad](javascript:alert(1))");
  });

  it("renders Markdown's own formatting", () => {
    const host = rendered("**Ship** it\n\n- one\n- two\n\n`code`");
    expect(host.querySelector("strong")?.textContent).toBe("Ship");
    expect(host.querySelectorAll("li")).toHaveLength(2);
    expect(host.querySelector("code")?.textContent).toBe("code");
  });

  it("marks a member's mention, leaves anyone else's name as text", () => {
    const host = rendered("@alice, can you ask @dave and @bob. Also @carol@example.com!");
    const marked = [...host.querySelectorAll(".mention")].map((m) => m.getAttribute("data-login"));
    expect(marked).toEqual(["alice", "bob", "carol@example.com"]);
    expect(host.textContent).toBe("@alice, can you ask @dave and @bob. Also @carol@example.com!\n");
  });

  it("mentions no one in code or inside a word", () => {
    const host = rendered("`@alice` and me@alice");
    expect(host.querySelector(".mention")).toBeNull();
  });
});

describe("mentions", () => {
  it("lists the members mentioned, once each, in order, outside code", () => {
    expect(mentions("@bob then @alice, @bob again, `@carol@example.com`", members)).toEqual([
      "bob",
      "alice",
    ]);
  });

  it("tells only of members newly mentioned, never the author", () => {
    expect(
      newMentions("Ask @alice", "Ask @alice and @bob, @carol@example.com", members, "bob"),
    ).toEqual(["carol@example.com"]);
    expect(newMentions("", "@dave, @alice", members, "carol@example.com")).toEqual(["alice"]);
  });
});

import { describe, expect, it } from "vitest";
import { complete, matching, mentionAt } from "./mention";

describe("mentionAt", () => {
  it("finds the mention being typed at the caret", () => {
    expect(mentionAt("Ask @bo", 7)).toEqual({ start: 4, query: "bo" });
    expect(mentionAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionAt("(@ann", 5)).toEqual({ start: 1, query: "ann" });
  });

  it("finds none in an email address, after a space, or before the caret's word", () => {
    expect(mentionAt("mail ann@example", 16)).toBeNull();
    expect(mentionAt("Ask @bob now", 12)).toBeNull();
    expect(mentionAt("no at sign", 5)).toBeNull();
  });
});

describe("matching", () => {
  const people = [
    { login: "bob", name: "Robert Li" },
    { login: "ann", name: "Ann Bo" },
    { login: "carol", name: "Carol" },
  ];

  it("offers logins first, then words of names, any case", () => {
    expect(matching("BO", people).map((p) => p.login)).toEqual(["bob", "ann"]);
    expect(matching("rob", people).map((p) => p.login)).toEqual(["bob"]);
    expect(matching("", people, 2).map((p) => p.login)).toEqual(["bob", "ann"]);
    expect(matching("zed", people)).toEqual([]);
  });
});

describe("complete", () => {
  it("puts the login in place of what was typed, and the caret after it", () => {
    expect(complete("Ask @bo please", { start: 4, query: "bo" }, 7, "bob")).toEqual({
      text: "Ask @bob please",
      caret: 9,
    });
    expect(complete("@", { start: 0, query: "" }, 1, "ann")).toEqual({ text: "@ann ", caret: 5 });
  });
});

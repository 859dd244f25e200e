import { afterEach, describe, expect, it } from "vitest";
import { holdFocus } from "./focus";

const tab = (shift = false) =>
  new KeyboardEvent("keydown", { key: "Tab", shiftKey: shift, bubbles: true, cancelable: true });

describe("a dialog holding the focus", () => {
  afterEach(() => document.body.replaceChildren());

  it("keeps Tab inside and gives the focus back when it goes", () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const dialog = document.createElement("div");
    dialog.innerHTML = "<input id='a'><button id='b' disabled>b</button><button id='c'>c</button>";
    document.body.append(dialog);
    const release = holdFocus(dialog);
    const [a, , c] = dialog.children as unknown as HTMLElement[];

    c!.focus();
    c!.dispatchEvent(tab());
    expect(document.activeElement).toBe(a);
    a!.dispatchEvent(tab(true));
    expect(document.activeElement).toBe(c);

    dialog.remove();
    release();
    expect(document.activeElement).toBe(opener);
  });

  it("leaves the focus alone when what had it is gone", () => {
    const opener = document.createElement("button");
    document.body.append(opener);
    opener.focus();
    const dialog = document.createElement("div");
    dialog.innerHTML = "<button>ok</button>";
    document.body.append(dialog);
    const release = holdFocus(dialog);
    (dialog.firstChild as HTMLElement).focus();
    opener.remove();
    release();
    expect(document.activeElement).not.toBe(opener);
  });
});

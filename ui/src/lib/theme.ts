// The windows' colours: light or dark as the user chose, or as the desktop prefers.

import type { Theme } from "../bindings/Theme";

const dark = () => window.matchMedia("(prefers-color-scheme: dark)");

/** Light or dark, for `theme` when the desktop prefers dark (`prefersDark`) or not. */
export function resolveTheme(theme: Theme, prefersDark: boolean): "light" | "dark" {
  if (theme === "system") return prefersDark ? "dark" : "light";
  return theme;
}

let chosen: Theme = "system";
let following = false;

/** Puts `theme` on the page, and keeps following the desktop while it is "system". */
export function applyTheme(theme: Theme): void {
  chosen = theme;
  document.documentElement.dataset.theme = resolveTheme(theme, dark().matches);
  if (!following) {
    following = true;
    dark().addEventListener("change", () => applyTheme(chosen));
  }
}

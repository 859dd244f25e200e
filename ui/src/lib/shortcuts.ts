// Every keyboard shortcut, as the `?` panel lists them: one place, so the list stays true.

export interface Shortcut {
  keys: string[];
  does: string;
}

export const SHORTCUTS: { group: string; items: Shortcut[] }[] = [
  {
    group: "Cards",
    items: [
      { keys: ["Tab", "←↑↓→"], does: "Move between cards" },
      { keys: ["Enter"], does: "Rename the focused card (also F2)" },
      { keys: ["Space"], does: "Open the card's details" },
      { keys: ["Alt+←", "Alt+→"], does: "Move the card to the previous or next column" },
      { keys: ["Alt+↑", "Alt+↓"], does: "Move the card up or down" },
      { keys: ["M"], does: "Move the card to any column and place, without dragging" },
      { keys: ["I"], does: "Put yourself on the card, or take yourself off" },
      { keys: ["P"], does: "Choose who is on the card, in its details" },
      { keys: ["C"], does: "Comment on the card, in its details" },
      { keys: ["A"], does: "Archive the card (the Archive… panel restores it)" },
      { keys: ["Delete", "Delete"], does: "Delete the card (press twice)" },
      { keys: ["Ctrl+Enter"], does: "Save the description or send a comment, in the details" },
    ],
  },
  {
    group: "Board",
    items: [
      { keys: ["/"], does: "Find cards (also Ctrl+F); Esc clears" },
      { keys: ["Ctrl+K"], does: "Search every project; Enter opens the card" },
      { keys: ["Ctrl+I"], does: "Import cards from a file (File ▸ Import…)" },
      { keys: ["Ctrl+E"], does: "Export to a file (File ▸ Export…)" },
      { keys: ["Ctrl+Z"], does: "Undo this window's latest change" },
      { keys: ["Ctrl+Shift+Z"], does: "Redo (also Ctrl+Y)" },
      { keys: ["Esc"], does: "Close a panel or dialog, cancel an edit" },
    ],
  },
  {
    group: "Windows",
    items: [
      { keys: ["Ctrl+Shift+N"], does: "Open another window" },
      { keys: ["Ctrl+Shift+D"], does: "Show what the live streams are doing" },
      { keys: ["Ctrl+=", "Ctrl+-"], does: "Zoom the board in or out (kept for next time)" },
      { keys: ["Ctrl+0"], does: "Zoom back to normal size" },
      { keys: ["Ctrl+,"], does: "Settings" },
      { keys: ["?"], does: "This list" },
    ],
  },
];

// What the status badge says about this window's stream and this instance's link to the others.

import type { DatabaseStatus } from "../bindings/DatabaseStatus";
import type { LinkStatus } from "../bindings/LinkStatus";

export interface Badge {
  text: string;
  /** live: everything arrives as it happens; waiting: catching up; alone: no other instance;
   * offline: the database server cannot be reached, or takes no more connections. */
  tone: "live" | "waiting" | "alone" | "offline";
  /** A longer sentence for screen readers and the tooltip. */
  detail: string;
}

/** The badge for a window whose stream is (or is not yet) `live`, on an instance whose link is
 * `link` and whose database is `database`. */
export function badge(
  live: boolean,
  link: LinkStatus,
  database: DatabaseStatus = { state: "online" },
): Badge {
  if (database.state === "offline") {
    const n = database.waiting;
    if (database.sending) {
      const changes = `${n.toLocaleString()} ${n === 1 ? "change" : "changes"}`;
      return {
        text: `Sending · ${changes}`,
        tone: "waiting",
        detail: `The database server ${database.host} is back. The changes made while it was away are being sent, each once: ${changes} to go.`,
      };
    }
    if (n > 0) {
      const changes = `${n.toLocaleString()} ${n === 1 ? "change" : "changes"} waiting`;
      return {
        text: `Offline · ${changes}`,
        tone: "offline",
        detail: `The database server ${database.host} cannot be reached. This machine's copy of the board is shown, with ${changes} to be sent, each once, as soon as the server is back.`,
      };
    }
    if (database.copy) {
      return {
        text: `Offline · ${database.host}`,
        tone: "offline",
        detail: `The database server ${database.host} cannot be reached. This machine's copy of the board is shown; edits are kept and sent, each once, as soon as the server is back.`,
      };
    }
    return {
      text: `Offline · ${database.host}`,
      tone: "offline",
      detail: `The database server ${database.host} cannot be reached. The board shows what it last showed; edits are refused until it is back, then everything missed arrives.`,
    };
  }
  if (database.state === "full") {
    return {
      text: `Server full · ${database.host}`,
      tone: "offline",
      detail: `The database server ${database.host} takes no more connections: everyone its max_connections setting allows is connected. The board shows what it last showed; edits are refused until a connection frees up, and Tandem keeps trying by itself. Its administrator can raise max_connections.`,
    };
  }
  if (!live) {
    return { text: "Connecting…", tone: "waiting", detail: "Loading this board." };
  }
  switch (link.state) {
    case "live": {
      const n = link.instances;
      return {
        text: `Live · ${n} ${n === 1 ? "instance" : "instances"}`,
        tone: "live",
        detail: `Live. ${n === 1 ? "One copy" : `${n} copies`} of Tandem linked on this database${
          link.serving ? "; this one is the hub" : ""
        }.`,
      };
    }
    case "reconnecting":
      return {
        text: "Reconnecting…",
        tone: "waiting",
        detail:
          "The link to the other copies of Tandem dropped; changes still arrive from the file.",
      };
    case "local_only":
      return {
        text: "Local only",
        tone: "alone",
        detail: `No link to other copies of Tandem (${link.reason}); changes arrive from the file within a second.`,
      };
    case "connecting":
      return { text: "Live", tone: "live", detail: "Live. Looking for other copies of Tandem." };
  }
}

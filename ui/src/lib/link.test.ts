import { describe, expect, it } from "vitest";
import { badge } from "./link";

describe("badge", () => {
  it("counts the linked instances", () => {
    const live = { state: "live", hub: "h", serving: false, instances: 3 } as const;
    expect(badge(true, live)).toMatchObject({ text: "Live · 3 instances", tone: "live" });
    expect(badge(true, { ...live, instances: 1 }).text).toBe("Live · 1 instance");
  });

  it("says when this instance is the hub", () => {
    const serving = { state: "live", hub: "me", serving: true, instances: 2 } as const;
    expect(badge(true, serving).detail).toContain("this one is the hub");
  });

  it("says reconnecting and local only as the issue words them", () => {
    expect(badge(true, { state: "reconnecting" })).toMatchObject({
      text: "Reconnecting…",
      tone: "waiting",
    });
    const alone = badge(true, { state: "local_only", reason: "permission denied" });
    expect(alone).toMatchObject({ text: "Local only", tone: "alone" });
    expect(alone.detail).toContain("permission denied");
  });

  it("says offline and names the server, over whatever the link says", () => {
    const live = { state: "live", hub: "h", serving: false, instances: 2 } as const;
    const offline = badge(true, live, {
      state: "offline",
      host: "db.example.com",
      waiting: 0,
      copy: false,
      sending: false,
    });
    expect(offline).toMatchObject({ text: "Offline · db.example.com", tone: "offline" });
    const full = badge(true, live, { state: "full", host: "db.example.com" });
    expect(full).toMatchObject({ text: "Server full · db.example.com", tone: "offline" });
    expect(full.detail).toContain("max_connections");
    expect(offline.detail).toContain("edits are refused");
    const away = { state: "offline", host: "db.example.com", copy: true, sending: false } as const;
    const onCopy = badge(true, live, { ...away, waiting: 0 });
    expect(onCopy).toMatchObject({ text: "Offline · db.example.com", tone: "offline" });
    expect(onCopy.detail).toContain("edits are kept");
    const waiting = badge(true, live, { ...away, waiting: 3 });
    expect(waiting).toMatchObject({ text: "Offline · 3 changes waiting", tone: "offline" });
    expect(waiting.detail).toContain("each once");
    const sending = badge(true, live, { ...away, waiting: 2, sending: true });
    expect(sending).toMatchObject({ text: "Sending · 2 changes", tone: "waiting" });
    expect(badge(true, live, { state: "online" }).text).toBe("Live · 2 instances");
  });

  it("waits for the window's own stream first", () => {
    const live = { state: "live", hub: "h", serving: false, instances: 2 } as const;
    expect(badge(false, live).text).toBe("Connecting…");
  });
});

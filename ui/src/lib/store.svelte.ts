// The window's one store: the projects, the board on show, and the notices for the user. Fed
// only by the backend: the board's snapshot, then its stream of batches, applied in seq order,
// each change once. Edits apply at once and are rolled back to the backend's state when it
// refuses them.

import { SvelteSet } from "svelte/reactivity";
import type { Batch } from "../bindings/Batch";
import type { Board } from "../bindings/Board";
import type { Change } from "../bindings/Change";
import type { Comment } from "../bindings/Comment";
import type { Entity } from "../bindings/Entity";
import type { EntityKind } from "../bindings/EntityKind";
import type { DatabaseStatus } from "../bindings/DatabaseStatus";
import type { LinkStatus } from "../bindings/LinkStatus";
import type { Mutation } from "../bindings/Mutation";
import type { ColumnId } from "../bindings/ColumnId";
import type { Person } from "../bindings/Person";
import type { Project } from "../bindings/Project";
import type { ProjectId } from "../bindings/ProjectId";
import type { BoardTask } from "../bindings/BoardTask";
import type { Task } from "../bindings/Task";
import type { Queueing } from "../bindings/Queueing";
import type { Told } from "../bindings/Told";
import type { Editing } from "../bindings/Editing";
import type { Presence } from "../bindings/Presence";
import type { TaskId } from "../bindings/TaskId";
import { api, describe, isCommandError, mutationId } from "./api";
import { compare, type Clash } from "./conflict";
import { NO_FILTER, isActive, matcher, type Filter } from "./filter";
import { PendingLatencies } from "./latency";
import { UndoHistory } from "./undo";
import { indexBoard, NONE, type BoardIndex } from "./index";
import { localToday } from "./card";
import { byWhom, changeSentence, together } from "./announce";
import {
  applyChanges,
  bulky,
  boardTask,
  locate,
  provisionalPosition,
  commented,
  withAssignee,
  withComment,
  withCommentCounts,
  withEntity,
  withLabel,
  withTask,
  withoutTask,
  type Destination,
  type Lists,
} from "./board";

/** A conflict the window shows over the board: keep mine or theirs of each field. */
export interface PendingConflict {
  /** What was changed: "“Doing”". */
  what: string;
  clashes: Clash[];
  resolve(clash: Clash, keep: "mine" | "theirs"): Promise<void>;
}

export interface Notice {
  id: number;
  kind: "error" | "info";
  text: string;
}

/** How long a notice stays up, in ms. Errors stay until dismissed. */
const INFO_NOTICE_MS = 4000;
/** The most cards a find shows: every card of any board a person keeps. */
const FIND_LIMIT = 100_000;
/** How long a card changed elsewhere stays highlighted, in ms. */
const FLASH_MS = 1200;
/** How long the live region gathers what happens before it speaks: a burst is one sentence. */
const ANNOUNCE_MS = 600;

class BoardStore {
  projects = $state<Project[]>([]);
  /** Replaced whole by every change (never changed in place), so the tasks that did not
   * change stay the same objects, and so do the index's lists that hold them. */
  board = $state.raw<Board | null>(null);
  /** The board indexed for drawing: columns' cards in order, cards' labels and checklists. */
  index = $derived.by(() => {
    const index = this.board ? indexBoard(this.board, this.#index) : null;
    this.#index = index;
    return index;
  });
  /** The cards of each column this window shows: all of them, or those the filter lets
   * through. */
  shown: Lists = $derived.by(() => {
    const index = this.index;
    if (!index) return new Map();
    if (!isActive(this.filter)) return index.columns;
    const passes = matcher(this.filter, localToday(), this.found);
    const assignees = new Map<string, string[]>();
    for (const on of this.board?.task_assignees ?? []) {
      const logins = assignees.get(on.task_id) ?? [];
      logins.push(on.login);
      assignees.set(on.task_id, logins);
    }
    const lists = new Map<ColumnId, readonly BoardTask[]>();
    for (const [column, tasks] of index.columns) {
      lists.set(
        column,
        tasks.filter((t) => passes(t, index.labels.get(t.id) ?? NONE, assignees.get(t.id) ?? [])),
      );
    }
    return lists;
  });
  /** The cards of the board on show that the search index matched the filter's words to: its
   * latest answer, kept until the next arrives; `null` while no words are typed, and until the
   * first answer. */
  found = $state.raw<ReadonlySet<TaskId> | null>(null);
  notices = $state<Notice[]>([]);
  loading = $state(true);
  /** Whether this window's live stream is running. */
  live = $state(false);
  /** This instance's link to the other copies of Tandem. */
  link = $state<LinkStatus>({ state: "connecting" });
  /** Whether the database (a server's) answers. */
  database = $state<DatabaseStatus>({ state: "online" });
  /** Cards changed elsewhere a moment ago. */
  flashing = new SvelteSet<TaskId>();
  /** A stale edit's fields that someone else changed too, waiting for the user's choice. */
  conflict = $state<PendingConflict | null>(null);
  /** This window's own recent changes, to undo and redo. */
  history = new UndoHistory();
  /** What this window's board is narrowed to. */
  filter = $state<Filter>({ ...NO_FILTER });
  /** What the live region last said: the cards added, moved, archived or deleted, here or
   * elsewhere, a burst as one sentence. */
  announcement = $state("");
  /** This copy of Tandem's instance id, to tell its other windows from other copies. */
  instance: string | null = null;
  /** Who the user is on this database. */
  me: Person | null = $state(null);
  /** Every window open on the person's projects right now, anywhere (a team's server). */
  here = $state.raw<Presence[]>([]);
  /** What the user is writing in the open card, for the others to see. */
  editing = $state<Editing | null>(null);
  /** The person's unread news on a team's server, the latest first. */
  news = $state.raw<Told[]>([]);
  /** This machine's changes to a server board made while it was away: waiting or refused. */
  outbox = $state.raw<Queueing[]>([]);
  /** The cards with a change waiting to be sent. */
  waitingCards = $derived(
    new Set(this.outbox.filter((q) => q.state === "waiting").map((q) => q.task_id)),
  );
  /** The changes the server refused, kept for the person to keep or drop. */
  refused = $derived(this.outbox.filter((q) => q.state === "refused"));
  /** Bumped by every read of the news, so only the latest answer is kept. */
  #newsReads = 0;
  /** Bumped whenever a membership of the shown project changes, so its panel reads again. */
  membersChanged = $state(0);
  /** People's names by login, for announcements and initials; read anew when people change. */
  #people = $state.raw(new Map<string, string>());

  /** People's colours by login, for their initials. */
  #colors = $state.raw(new Map<string, string>());

  /** A person's name, by login: their login when the board does not know them. */
  nameOf(login: string): string {
    return this.#people.get(login) ?? login;
  }

  /** The colour of a person's initials, by login: a neutral one when the board does not know
   * them yet. */
  colorOf(login: string): string {
    return this.#colors.get(login) ?? "#6b7280";
  }
  /** The card the Move to… panel is open for. */
  moving = $state<BoardTask | null>(null);
  /** The task whose details dialog is open in this window. */
  openTask = $state<TaskId | null>(null);
  /** Bumped by every logged change to the open card or what hangs on it (its checklist,
   * labels, people), so its history reads again once the change is committed. */
  openTaskChanged = $state(0);
  /** The part of the open card's details to focus: its people (P on a card), the comment box
   * (C), or its title. */
  openSection = $state<"people" | "comments" | null>(null);
  /** That task whole, with the description the board leaves out: read when the dialog opens
   * and kept current by every change to it; `null` until read. */
  details = $state.raw<Task | null>(null);
  /** The open card's conversation, oldest first: read when its dialog opens and again after
   * every change to it. */
  thread = $state.raw<Comment[]>([]);
  /** Bumped by every read of the thread, so only the latest answer is kept. */
  #threadReads = 0;
  /** Commit→apply latencies not yet reported to the backend. */
  #latencies = new PendingLatencies();
  /** Sentences waiting to be said together. */
  #heard: string[] = [];
  #speaking: ReturnType<typeof setTimeout> | null = null;
  /** The last seq applied to the board. */
  #seq = 0;
  /** Bumped by every subscription, so a stale stream's batches are ignored. */
  #stream = 0;
  /** Batches wait here for the snapshot and for each other: one at a time, in order. */
  #queue: Promise<void> = Promise.resolve();
  /** The mutation ids this window sent: their echoes are not news. */
  #mine = new Set<string>();
  #nextNotice = 1;
  /** The index last built, whose unchanged lists the next one reuses. */
  #index: BoardIndex | null = null;
  /** Bumped by every search, so only the latest answer is shown. */
  #searches = 0;
  /** The project `found` answers for. */
  #foundIn: ProjectId | null = null;

  constructor() {
    // The open card's whole task is read when its dialog opens.
    $effect.root(() => {
      $effect(() => {
        const id = this.openTask;
        this.details = null;
        this.thread = [];
        if (id) {
          void this.#readDetails(id);
          void this.#readThread(id);
        }
      });
    });
    // The server hears what this window shows, for who is here.
    $effect.root(() => {
      $effect(() => {
        if (!this.team) return;
        const project_id = this.board?.project.id ?? null;
        const task_id = this.openTask;
        void api.presenceLook({ project_id, task_id, editing: task_id ? this.editing : null });
      });
    });
    // The filter's words are looked up again whenever they or the board change, so the cards
    // found hold through every change that arrives.
    $effect.root(() => {
      $effect(() => {
        const text = this.filter.text.trim();
        const project = text ? this.board?.project.id : undefined;
        void this.#search(text, project);
      });
    });
  }

  async #readDetails(id: TaskId): Promise<void> {
    try {
      const task = await api.task(id);
      if (this.openTask === id) this.#sawTask(task);
    } catch (error) {
      // A card deleted meanwhile closes its dialog by itself.
      if (!(isCommandError(error) && error.code === "not_found")) this.fail(error);
    }
  }

  async #readThread(id: TaskId): Promise<void> {
    const turn = ++this.#threadReads;
    try {
      const comments = await api.comments(id);
      if (turn === this.#threadReads && this.openTask === id) this.thread = comments;
    } catch (error) {
      if (!(isCommandError(error) && error.code === "not_found")) this.fail(error);
    }
  }

  /** Takes in an entity the backend answered with: on the board, in the open card's details
   * and in its thread. */
  #took(entity: Entity): void {
    if (this.board) this.board = withEntity(this.board, entity);
    if (entity.entity === "task") {
      const { entity: _, ...task } = entity;
      this.#sawTask(task);
    } else if (entity.entity === "comment" && entity.task_id === this.openTask) {
      const { entity: _, ...comment } = entity;
      this.thread = withComment(this.thread, comment);
    }
  }

  /** Takes in a task the backend sent whole (an answer or a change): the open card's details
   * follow it, unless they already hold a newer version. */
  #sawTask(task: Task): void {
    if (task.id !== this.openTask) return;
    const details = this.details;
    if (!details || details.version <= task.version) this.details = task;
  }

  async #search(text: string, project: ProjectId | undefined): Promise<void> {
    const turn = ++this.#searches;
    if (!text || !project) {
      this.found = null;
      return;
    }
    // Another project's answer says nothing about this one's cards.
    if (project !== this.#foundIn) this.found = null;
    this.#foundIn = project;
    try {
      const hits = await api.search({
        text,
        project_id: project,
        prefixes: true,
        limit: FIND_LIMIT,
      });
      if (turn === this.#searches) this.found = new Set(hits.map((h) => h.task_id));
    } catch (error) {
      if (turn !== this.#searches) return;
      // Words without a letter or digit match nothing; anything else the user hears about.
      if (!(isCommandError(error) && error.code === "invalid")) this.fail(error);
      this.found = new Set();
    }
  }

  /** Follows the link's state (listening first, then reading it, so no change falls between)
   * and the list of projects. */
  async followLink(): Promise<void> {
    try {
      let heardLink = false;
      let heardDatabase = false;
      // Projects renamed, added or deleted anywhere reach the project menu as they happen.
      await api.onProjects((projects) => {
        this.projects = projects;
        // The project shown left the list without being deleted: the person was taken off it
        // (a team board). The window goes to a project they still see.
        const shown = this.board?.project;
        if (shown && projects.length > 0 && !projects.some((p) => p.id === shown.id)) {
          this.#leave(shown, `You no longer have access to “${shown.name}”.`);
        }
      });
      await api.onLink((link) => {
        heardLink = true;
        this.link = link;
      });
      await api.onDatabase((database) => {
        heardDatabase = true;
        const back = this.database.state !== "online" && database.state === "online";
        // The windows went over to this machine's copy of the board (the server is away).
        const onCopy = (status: DatabaseStatus) => status.state === "offline" && status.copy;
        const toCopy = onCopy(database) && !onCopy(this.database);
        this.database = database;
        void this.loadOutbox();
        // Back online, or over to the copy: read the board again, from where it now comes.
        if (back || toCopy) void this.load();
      });
      await api.onInbox(() => void this.loadNews());
      await api.onPresence((here) => (this.here = here));
      void this.loadNews();
      const now = await api.status();
      this.instance = now.instance;
      void this.loadPeople();
      if (!heardLink) this.link = now.link;
      if (!heardDatabase) this.database = now.database;
      void this.loadOutbox();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Whether the person may change this board's cards, columns, labels and checklists. */
  get canEdit(): boolean {
    const role = this.board?.role;
    return !role || role === "owner" || role === "editor";
  }

  /** Whether the person owns this board's project: its name and its members. */
  get canOwn(): boolean {
    const role = this.board?.role;
    return !role || role === "owner";
  }

  /** Whether the board is a team's (on a server, where the person has a role): it has
   * watching and news. */
  get team(): boolean {
    return !!this.board?.role;
  }

  /** The other people looking at this board's project right now, each once, by name. */
  get others(): string[] {
    const project = this.board?.project.id;
    const me = this.me?.login;
    const logins = this.here
      .filter((p) => p.project_id === project && p.login !== me)
      .map((p) => p.login);
    return [...new Set(logins)].sort((a, b) => this.nameOf(a).localeCompare(this.nameOf(b)));
  }

  /** What the others are doing in card `task`: "Alice is viewing", "Bob is editing the
   * description". */
  onCard(task: TaskId): string[] {
    const me = this.me?.login;
    const doing = new Map<string, string | null>();
    for (const p of this.here) {
      if (p.task_id !== task || p.login === me) continue;
      if (!doing.get(p.login)) doing.set(p.login, p.editing);
    }
    return [...doing].map(([login, editing]) => {
      const name = this.nameOf(login);
      if (editing === "comment") return `${name} is writing a comment`;
      return editing ? `${name} is editing the ${editing}` : `${name} is viewing`;
    });
  }

  /** Reads the person's unread news again. */
  /** Reads this machine's outbox again. */
  async loadOutbox(): Promise<void> {
    try {
      this.outbox = await api.outbox();
    } catch (error) {
      this.fail(error);
    }
  }

  async loadNews(): Promise<void> {
    const turn = ++this.#newsReads;
    try {
      const news = await api.inbox(false);
      if (turn === this.#newsReads) this.news = news;
    } catch (error) {
      this.fail(error);
    }
  }

  /** Marks news read (`ids`, or all of it), here and on every other machine. */
  async readNews(ids: string[] = []): Promise<void> {
    const read = new Set(ids);
    this.news = ids.length ? this.news.filter((t) => !read.has(t.news.id)) : [];
    try {
      await api.readInbox(ids);
    } catch (error) {
      this.fail(error);
    }
    await this.loadNews();
  }

  /** Whether the person may add to cards' conversations (anyone but a viewer). */
  get canComment(): boolean {
    return this.board?.role !== "viewer";
  }

  /** Whether an edit of this board may go ahead; says why not when it may not. */
  mayEdit(): boolean {
    if (this.canEdit) return true;
    const board = this.board;
    this.notify(
      "info",
      `You are a ${board?.role ?? "reader"} of “${board?.project.name ?? "this project"}”: you can ` +
        `read it but not change it. An owner can make you an editor.`,
    );
    return false;
  }

  /** The project this window last left, so deletion and lost access say so once. */
  #left: string | null = null;

  /** Leaves `project`, which is gone from this person's board, for another, saying `why`. */
  #leave(project: Project, why: string): void {
    if (this.#left === project.id) return;
    this.#left = project.id;
    this.notify("info", why);
    void this.load(this.projects.find((p) => p.id !== project.id)?.id);
  }

  /** Reads who the user is and everyone's names; the board works without them. */
  async loadPeople(): Promise<void> {
    try {
      const [me, people] = await Promise.all([api.me(), api.people()]);
      this.me = me;
      this.#people = new Map(people.map((p) => [p.login, p.name]));
      this.#colors = new Map(people.map((p) => [p.login, p.color]));
    } catch {
      // Names are a nicety: changes are still told, by where they came from.
    }
  }

  /** The name of `login`, when it is someone else than the user; `null` otherwise. */
  authorName(login: string | undefined): string | null {
    if (!login || login === this.me?.login) return null;
    const name = this.#people.get(login);
    if (name === undefined) void this.loadPeople();
    return name ?? login;
  }

  /** Reports the commit→apply latencies measured since the last report, for `status`. */
  async reportLatencies(): Promise<void> {
    const samples = this.#latencies.take();
    if (samples.length === 0) return;
    try {
      await api.reportLatencies(samples);
    } catch (error) {
      // Diagnostics only: the board is fine, so the user is not bothered.
      console.warn("could not report latencies:", describe(error));
    }
  }

  /** Reads the list of projects again (the project menu and the projects panel show it). */
  async refreshProjects(): Promise<void> {
    try {
      this.projects = await api.projects();
    } catch (error) {
      this.fail(error);
    }
  }

  /** Shows `project` (else the one on show, else the first) and follows its changes live. */
  async load(project?: ProjectId): Promise<void> {
    try {
      this.projects = await api.projects();
      const wanted = project ?? this.board?.project.id;
      const chosen = this.projects.find((p) => p.id === wanted) ?? this.projects[0];
      if (!chosen) {
        this.board = null;
        return;
      }
      const stream = ++this.#stream;
      let ready!: () => void;
      this.#queue = new Promise<void>((resolve) => (ready = resolve));
      this.live = false;
      const board = await api.subscribe(chosen.id, (batch) => {
        this.#queue = this.#queue
          .then(() => this.#receive(stream, batch))
          .catch((error) => {
            // A stream that cannot be applied must not go quiet: say so and start afresh.
            if (stream !== this.#stream) return;
            this.fail(error);
            void this.load();
          });
      });
      if (stream !== this.#stream) return;
      this.board = board;
      this.#seq = board.seq;
      // A label filter means nothing on a project without that label.
      if (this.filter.label && !board.labels.some((l) => l.id === this.filter.label)) {
        this.filter = { ...this.filter, label: null };
      }
      this.live = true;
      ready();
    } catch (error) {
      this.fail(error);
    } finally {
      this.loading = false;
    }
  }

  /** Adds a task at the bottom of `column`. Resolves whether it was added. */
  async add(column: ColumnId, title: string): Promise<boolean> {
    const board = this.board;
    if (!board || !this.mayEdit()) return false;
    try {
      const task = await api.createTask({
        project_id: board.project.id,
        column_id: column,
        title,
        mutation_id: this.#mutation(),
      });
      if (this.board) this.board = withTask(this.board, task);
      this.#rememberTask(`adding of “${task.title}”`, boardTask(task), false);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /**
   * Applies any other edit and puts the answer on the board. A refusal is told to the user; a
   * conflict opens the conflict dialog (`seen` is the row as the user saw it when they began
   * editing), except for card edits, which the card's details settle. Either way it resolves
   * with the error.
   */
  async apply(
    mutation: Mutation,
    seen?: { id: string; version: number },
  ): Promise<{ ok: true } | { ok: false; error: unknown }> {
    // Cards, columns, labels and checklists are an editor's; the backend refuses the rest.
    if (/^(task|subtask|column|label)_/.test(mutation.op) && !this.mayEdit()) {
      return { ok: false, error: new Error("read only") };
    }
    if (mutation.op === "comment_add" && !this.canComment) {
      this.notify(
        "info",
        "You are a viewer of this project: you can read its conversations but not add to them. " +
          "An owner can make you a commenter.",
      );
      return { ok: false, error: new Error("read only") };
    }
    // Labels on a task show at once: the answer is the task, and the links come with the echo.
    if (mutation.op === "task_label" && this.board) {
      this.board = withLabel(this.board, mutation.id, mutation.label_id, mutation.on);
    }
    if (mutation.op === "task_assign" && this.board) {
      this.board = withAssignee(this.board, mutation.id, mutation.login, mutation.on);
    }
    const before = this.board;
    const details = this.details;
    const thread = this.thread;
    try {
      const entity = await api.apply(mutation, this.#mutation());
      if (entity) this.#took(entity);
      if (mutation.op === "comment_delete") {
        this.thread = this.thread.filter((c) => c.id !== mutation.id);
      }
      if (before) this.#rememberApplied(before, { details, thread }, mutation, entity);
      return { ok: true };
    } catch (error) {
      const stale = isCommandError(error) && error.code === "conflict";
      // The card's details settle a stale card edit themselves, with what the user typed.
      if (stale && before && mutation.op !== "task_edit") {
        await this.#conflicted(before, mutation, error.current, seen);
      } else if (!stale) {
        this.fail(error);
      }
      if (mutation.op === "task_label" || mutation.op === "task_assign") await this.load();
      return { ok: false, error };
    }
  }

  /**
   * Settles a change refused because someone else changed the row first (`current`, as it now
   * is; `base` is the row as the user saw it when they began, by default as the window last
   * had it). For an edit of a column, label, project or checklist item, what they left alone is
   * sent again and what we both changed waits in `conflict` for the user to choose; anything
   * else is told, and the board shows their version.
   */
  async #conflicted(
    before: Board,
    mutation: Mutation,
    current: Entity | undefined,
    base?: { id: string; version: number },
  ): Promise<void> {
    if (current && this.board) this.board = withEntity(this.board, current);
    const rows: Partial<Record<Mutation["op"], { id: string; version: number }[]>> = {
      column_edit: before.columns,
      label_edit: before.labels,
      project_rename: this.projects,
      subtask_rename: before.subtasks,
    };
    const seen = base ?? rows[mutation.op]?.find((r) => "id" in mutation && r.id === mutation.id);
    if (!current || !seen || !("expected_version" in mutation)) {
      this.notify("info", "That was changed elsewhere meanwhile; the board shows it as it is now.");
      await this.load();
      return;
    }
    const {
      op: _op,
      id: _id,
      expected_version: _v,
      ...mine
    } = mutation as Mutation & {
      id: string;
      expected_version: number;
    };
    const { entity: _entity, ...theirs } = current;
    const { clean, clashes } = compare<Record<string, unknown>>(seen, mine, theirs);
    let version = theirs.version;
    const send = async (fields: object) => {
      const result = await this.apply({ ...mutation, expected_version: version, ...fields });
      const now = rows[mutation.op]?.find((r) => r.id === seen.id);
      if (result.ok && now) version = now.version;
      if (mutation.op === "project_rename") await this.refreshProjects();
    };
    if (clashes.length > 0) {
      const what =
        "name" in theirs ? `“${theirs.name}”` : "title" in theirs ? `“${theirs.title}”` : "it";
      this.conflict = {
        what,
        clashes,
        resolve: async (clash, keep) => {
          const rest = this.conflict?.clashes.filter((c) => c !== clash) ?? [];
          this.conflict =
            rest.length > 0 && this.conflict ? { ...this.conflict, clashes: rest } : null;
          if (keep === "mine")
            await send({ [clash.field]: (mine as Record<string, unknown>)[clash.field] });
        },
      };
    }
    if (Object.keys(clean).length > 0) await send(clean);
  }

  async rename(task: BoardTask, title: string): Promise<void> {
    if (!this.mayEdit()) return;
    if (title.trim() === task.title) return;
    const send = (title: string, version: number) =>
      api.renameTask({
        id: task.id,
        expected_version: version,
        title,
        mutation_id: this.#mutation(),
      });
    const renamed = await this.#optimistic({ ...task, title: title.trim() }, () =>
      send(title, task.version),
    );
    if (!renamed) return;
    this.#remember(`renaming of “${task.title}”`, task.id, renamed.version, async (undo, v) =>
      this.#put(await send(undo ? task.title : title, v)),
    );
  }

  async move(task: BoardTask, dest: Destination): Promise<void> {
    if (!this.mayEdit()) return;
    const board = this.board;
    const index = this.index;
    const here = board && index && locate(board.columns, index.columns, task);
    const column = here && board.columns[here.column];
    if (!board || !index || !here || !column) return;
    const from: Destination = { to_column: column.id, to_index: here.index };
    const send = (to: Destination, version: number) =>
      api.moveTask({
        id: task.id,
        expected_version: version,
        ...to,
        mutation_id: this.#mutation(),
      });
    const position = provisionalPosition(index.columns, task.id, dest);
    const moved = await this.#optimistic({ ...task, column_id: dest.to_column, position }, () =>
      send(dest, task.version),
    );
    if (!moved) return;
    this.#remember(`move of “${task.title}”`, task.id, moved.version, async (undo, v) =>
      this.#put(await send(undo ? from : dest, v)),
    );
  }

  /**
   * Moves `task` to `dest` in another project, with its checklist and labels; Ctrl+Z brings it
   * back where it stood.
   */
  async transfer(task: BoardTask, project: Project, dest: Destination): Promise<void> {
    if (!this.mayEdit()) return;
    const board = this.board;
    const index = this.index;
    const here = board && index && locate(board.columns, index.columns, task);
    const column = here && board.columns[here.column];
    if (!board || !here || !column) return;
    const from: Destination = { to_column: column.id, to_index: here.index };
    const send = (to: Destination, version: number) =>
      api.transferTask({
        id: task.id,
        expected_version: version,
        ...to,
        mutation_id: this.#mutation(),
      });
    this.board = withoutTask(board, task.id);
    try {
      const moved = await send(dest, task.version);
      this.notify("info", `Moved “${task.title}” to ${project.name}. Ctrl+Z brings it back.`);
      this.#remember(
        `move of “${task.title}” to ${project.name}`,
        task.id,
        moved.version,
        async (undo, v) => this.#put(await send(undo ? from : dest, v)),
      );
    } catch (error) {
      this.fail(error);
      await this.load();
    }
  }

  /** Undoes this window's latest change (or redoes its latest undone one). */
  async undo(redo = false): Promise<void> {
    try {
      const step = redo ? await this.history.redo() : await this.history.undo();
      if (step) this.notify("info", `${redo ? "Redid" : "Undid"} the ${step.name}.`);
    } catch (error) {
      const text =
        isCommandError(error) && error.code === "conflict"
          ? `Cannot ${redo ? "redo" : "undo"} that: it was changed elsewhere since.`
          : describe(error);
      this.notify("error", text);
      await this.load();
    }
  }

  #remember(
    name: string,
    entity: string,
    version: number,
    send: (undo: boolean, version: number) => Promise<number>,
  ): void {
    this.history.record(
      { name, entity, run: (direction, v) => send(direction === "undo", v) },
      version,
    );
  }

  /**
   * Records the adding (`deleted` false) or deleting of a row of `kind`, which left it at
   * `version`: undone and redone by deleting it with `remove` and restoring it from the change
   * log under its own id, with what its deletion took along (a card's checklist and labels, a
   * column's cards, a project's everything).
   */
  #rememberPresence(
    name: string,
    kind: EntityKind,
    id: string,
    version: number,
    deleted: boolean,
    remove: (version: number) => Promise<unknown>,
  ): void {
    this.#remember(name, id, version, async (undo, v) => {
      if (undo !== deleted) {
        await remove(v);
      } else {
        const back = await api.apply({ op: "restore", entity: kind, id }, this.#mutation());
        if (!back) throw new Error("It could not be restored.");
        this.#took(back);
        v = back.version;
      }
      if (kind === "project") await this.refreshProjects();
      return v;
    });
  }

  /** Records the adding or deleting of `task`. */
  #rememberTask(name: string, task: BoardTask, deleted: boolean): void {
    this.#rememberPresence(name, "task", task.id, task.version, deleted, async (version) => {
      if (this.board) this.board = withoutTask(this.board, task.id);
      await api.deleteTask({
        id: task.id,
        expected_version: version,
        mutation_id: this.#mutation(),
      });
    });
  }

  /** Puts a task the backend answered on the board; resolves with its version. */
  #put(task: Task): number {
    if (this.board) this.board = withTask(this.board, task);
    this.#sawTask(task);
    return task.version;
  }

  /**
   * Records an applied mutation that can be taken back: edits, moves, labels, checks, and the
   * adding and deleting of checklist items, labels, columns and projects. `entity` is the
   * backend's answer (`null` for a deletion).
   */
  #rememberApplied(
    before: Board,
    open: { details: Task | null; thread: Comment[] },
    mutation: Mutation,
    entity: Entity | null,
  ): void {
    const { details, thread } = open;
    const version = entity?.version ?? 0;
    const send = async (mutation: Mutation): Promise<number> => {
      const entity = await api.apply(mutation, this.#mutation());
      if (!entity) throw new Error("It is gone.");
      this.#took(entity);
      return entity.version;
    };
    /** An edit of some fields of `row`: undone by sending their values from before. */
    const edit = <M extends Mutation & { id: string; expected_version: number }>(
      name: string,
      row: object | undefined,
      mutation: M,
    ) => {
      if (!row) return;
      const { op: _, id: __, expected_version: ___, ...after } = mutation;
      const previous = Object.fromEntries(
        Object.keys(after).map((field) => [field, (row as Record<string, unknown>)[field]]),
      );
      this.#remember(name, mutation.id, version, (undo, v) =>
        send({ ...mutation, expected_version: v, ...(undo ? previous : after) } as M),
      );
    };
    /** A move to an index in a list: undone by moving back to where it stood. */
    const move = <M extends Mutation & { id: string; expected_version: number; to_index: number }>(
      name: string,
      list: { id: string; position: number }[],
      mutation: M,
    ) => {
      const from = [...list]
        .sort((a, b) => a.position - b.position)
        .findIndex((r) => r.id === mutation.id);
      if (from < 0) return;
      this.#remember(name, mutation.id, version, (undo, v) =>
        send({ ...mutation, expected_version: v, to_index: undo ? from : mutation.to_index } as M),
      );
    };
    /** The adding (by `mutation`, answered by `entity`) or deleting (by `mutation`) of a row. */
    const presence = (
      name: string,
      kind: EntityKind,
      deleted: boolean,
      remove: (id: string, version: number) => Mutation,
    ) => {
      const id = deleted ? (mutation as { id: string }).id : entity?.id;
      const at = deleted ? (mutation as { expected_version: number }).expected_version : version;
      if (!id) return;
      this.#rememberPresence(name, kind, id, at, deleted, (v) =>
        api.apply(remove(id, v), this.#mutation()),
      );
    };
    const task = (id: string) => before.tasks.find((t) => t.id === id);
    const item = (id: string) => before.subtasks.find((s) => s.id === id);
    const column = (id: string) => before.columns.find((c) => c.id === id);
    switch (mutation.op) {
      case "task_edit": {
        // The description is in the open card's details, not on the board.
        const whole = details?.id === mutation.id ? details : task(mutation.id);
        return edit(`edit of “${whole?.title}”`, whole, mutation);
      }
      case "subtask_rename":
        return edit(`renaming of “${item(mutation.id)?.title}”`, item(mutation.id), mutation);
      case "column_edit":
        return edit(`change to “${column(mutation.id)?.name}”`, column(mutation.id), mutation);
      case "label_edit": {
        const label = before.labels.find((l) => l.id === mutation.id);
        return edit(`change to “${label?.name}”`, label, mutation);
      }
      case "project_rename": {
        const project = this.projects.find((p) => p.id === mutation.id);
        return edit(`renaming of “${project?.name}”`, project, mutation);
      }
      case "column_move":
        return move(`move of “${column(mutation.id)?.name}”`, before.columns, mutation);
      case "subtask_move": {
        const checklist = before.subtasks.filter((s) => s.task_id === item(mutation.id)?.task_id);
        return move(`move of “${item(mutation.id)?.title}”`, checklist, mutation);
      }
      case "project_move":
        return move("move of a project", this.projects, mutation);
      case "task_label": {
        const labelled = task(mutation.id);
        if (!labelled) return;
        this.#remember(`labelling of “${labelled.title}”`, labelled.id, version, (undo, v) =>
          send({ ...mutation, on: undo ? !mutation.on : mutation.on }),
        );
        return;
      }
      case "task_assign": {
        const assigned = task(mutation.id);
        if (!assigned) return;
        const who = this.nameOf(mutation.login);
        const name = `${mutation.on ? "assigning" : "unassigning"} of ${who} on “${assigned.title}”`;
        this.#remember(name, assigned.id, version, (undo, _) =>
          send({ ...mutation, on: undo ? !mutation.on : mutation.on }),
        );
        return;
      }
      case "comment_add":
        return presence("adding of a comment", "comment", false, (id, v) => ({
          op: "comment_delete",
          id,
          expected_version: v,
        }));
      case "comment_edit":
        return edit(
          "edit of a comment",
          thread.find((c) => c.id === mutation.id),
          mutation,
        );
      case "comment_delete":
        return presence("deletion of a comment", "comment", true, (id, v) => ({
          ...mutation,
          id,
          expected_version: v,
        }));
      case "subtask_add":
        return presence(`adding of “${mutation.title}”`, "subtask", false, (id, v) => ({
          op: "subtask_delete",
          id,
          expected_version: v,
        }));
      case "subtask_delete":
        return presence(`removal of “${item(mutation.id)?.title}”`, "subtask", true, (id, v) => ({
          ...mutation,
          id,
          expected_version: v,
        }));
      case "label_create":
        return presence(`adding of label “${mutation.name}”`, "label", false, (id, v) => ({
          op: "label_delete",
          id,
          expected_version: v,
        }));
      case "label_delete": {
        const label = before.labels.find((l) => l.id === mutation.id);
        return presence(`deletion of label “${label?.name}”`, "label", true, (id, v) => ({
          ...mutation,
          id,
          expected_version: v,
        }));
      }
      case "column_create":
        return presence(`adding of “${mutation.name}”`, "column", false, (id, v) => ({
          op: "column_delete",
          id,
          expected_version: v,
        }));
      case "column_delete":
        return presence(`deletion of “${column(mutation.id)?.name}”`, "column", true, (id, v) => ({
          ...mutation,
          id,
          expected_version: v,
        }));
      case "project_create":
        return presence(`adding of “${mutation.name}”`, "project", false, (id, v) => ({
          op: "project_delete",
          id,
          expected_version: v,
        }));
      case "project_delete": {
        const project = this.projects.find((p) => p.id === mutation.id);
        return presence(`deletion of “${project?.name}”`, "project", true, (id, v) => ({
          ...mutation,
          id,
          expected_version: v,
        }));
      }
      case "subtask_check": {
        const checked = item(mutation.id);
        if (!checked) return;
        this.#remember(`check of “${checked.title}”`, checked.id, version, (undo, v) =>
          send({ ...mutation, expected_version: v, done: undo ? !mutation.done : mutation.done }),
        );
        return;
      }
    }
  }

  /**
   * Archives `tasks` (one card, or a column's Archive all): they leave the board at once and
   * come back with Ctrl+Z or from the Archive panel.
   */
  async archive(tasks: readonly BoardTask[]): Promise<void> {
    if (!this.mayEdit()) return;
    if (!this.board || tasks.length === 0) return;
    const first = tasks[0]!;
    const name =
      tasks.length === 1 ? `archiving of “${first.title}”` : `archiving of ${tasks.length} cards`;
    let board = this.board;
    for (const task of tasks) board = withoutTask(board, task.id);
    this.board = board;
    try {
      const archived = await this.#setArchived(tasks, true);
      const what = tasks.length === 1 ? `“${first.title}”` : `${tasks.length} cards`;
      this.notify("info", `Archived ${what}. Ctrl+Z brings it back.`);
      this.#rememberArchive(name, archived);
    } catch (error) {
      this.fail(error);
      await this.load();
    }
  }

  /** Brings archived `tasks` back to their columns. Resolves whether it did. */
  async unarchive(tasks: readonly BoardTask[]): Promise<boolean> {
    if (!this.mayEdit()) return false;
    const first = tasks[0];
    if (!first) return false;
    try {
      const back = await this.#setArchived(tasks, false);
      this.#rememberArchive(`restoring of “${first.title}”`, back, true);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** Deletes an archived task for good; Ctrl+Z brings it back to the archive. */
  async deleteArchived(task: BoardTask): Promise<boolean> {
    if (!this.mayEdit()) return false;
    try {
      await api.deleteTask({
        id: task.id,
        expected_version: task.version,
        mutation_id: this.#mutation(),
      });
      this.notify("info", `Deleted “${task.title}” for good. Ctrl+Z brings it back.`);
      this.#rememberTask(`deletion of “${task.title}”`, task, true);
      return true;
    } catch (error) {
      this.fail(error);
      return false;
    }
  }

  /** Sends `tasks`, as last seen, to the archive or back; puts the answers on the board. */
  async #setArchived(
    tasks: readonly { id: TaskId; version: number }[],
    archived: boolean,
  ): Promise<Task[]> {
    const answered = await api.archiveTasks({
      tasks: tasks.map((t) => ({ id: t.id, expected_version: t.version })),
      archived,
      mutation_id: this.#mutation(),
    });
    for (const task of answered) this.#put(task);
    return answered;
  }

  /**
   * Records the archiving (or, `restored`, the bringing back) of `tasks`, as the backend
   * answered. One card's step shares its versions with the card's other steps; several cards'
   * step keeps its own.
   */
  #rememberArchive(name: string, tasks: readonly Task[], restored = false): void {
    const first = tasks[0];
    if (!first) return;
    const versions = new Map(tasks.map((t) => [t.id, t.version]));
    const entity = tasks.length === 1 ? first.id : `archive:${[...versions.keys()].join()}`;
    this.#remember(name, entity, first.version, async (undo, v) => {
      if (tasks.length === 1) versions.set(first.id, v);
      const seen = [...versions].map(([id, version]) => ({ id, version }));
      const answered = await this.#setArchived(seen, undo === restored);
      for (const task of answered) versions.set(task.id, task.version);
      return answered[0]?.version ?? v;
    });
  }

  async remove(task: BoardTask): Promise<void> {
    if (!this.mayEdit()) return;
    if (!this.board) return;
    this.board = withoutTask(this.board, task.id);
    try {
      await api.deleteTask({
        id: task.id,
        expected_version: task.version,
        mutation_id: this.#mutation(),
      });
      this.notify("info", `Deleted “${task.title}”. Ctrl+Z brings it back.`);
      this.#rememberTask(`deletion of “${task.title}”`, task, true);
    } catch (error) {
      this.fail(error);
      await this.load();
    }
  }

  notify(kind: Notice["kind"], text: string): void {
    const id = this.#nextNotice++;
    this.notices = [...this.notices, { id, kind, text }];
    if (kind === "info") setTimeout(() => this.dismiss(id), INFO_NOTICE_MS);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  fail(error: unknown): void {
    const text =
      isCommandError(error) && error.code === "conflict"
        ? "Someone changed this card meanwhile; the board now shows their version."
        : describe(error);
    this.notify("error", text);
  }

  /** Applies one batch of the stream `stream`: each change once, in seq order, gaps filled. */
  async #receive(stream: number, batch: Batch): Promise<void> {
    if (stream !== this.#stream || !this.board || batch.to_seq <= this.#seq) return;
    if (bulky(batch.changes.length, this.board.tasks.length)) {
      // A bulk write: the board read whole, at a seq at least the batch's, and the stream
      // goes on after it (later batches' changes it already holds are passed over).
      const fresh = await api.board(this.board.project.id);
      if (stream !== this.#stream || !this.board) return;
      if (fresh.seq >= batch.to_seq) {
        this.board = fresh;
        this.#seq = Math.max(this.#seq, fresh.seq);
        void this.loadPeople();
        if (this.openTask) this.openTaskChanged++;
        return;
      }
    }
    if (batch.from_seq > this.#seq + 1) {
      // Missed changes come from the log, never from guesses.
      const fill = await api.changesSince(this.#seq, this.board.project.id);
      if (stream !== this.#stream) return;
      this.#apply(fill.changes, fill.to_seq);
    }
    this.#apply(batch.changes, batch.to_seq);
  }

  #apply(changes: Change[], to_seq: number): void {
    if (!this.board) return;
    const fresh = changes.filter((c) => c.seq > this.#seq);
    const { board, projectGone } = applyChanges(this.board, fresh);
    this.board = board;
    this.#seq = Math.max(this.#seq, to_seq);
    const now = Date.now();
    for (const change of fresh) this.#latencies.add(now, change.at);
    // Someone the window does not know yet went on a card: read people again for their name
    // and colour.
    const stranger = fresh.some(
      (c) =>
        c.entity === "task_assignee" &&
        c.op === "insert" &&
        !this.#people.has((c.data as { login?: string } | null)?.login ?? ""),
    );
    if (stranger) void this.loadPeople();
    // Conversations changed: their cards count again (a count read, not guessed from a
    // coalesced batch).
    const talked = commented(fresh);
    if (talked.length > 0) void this.#countComments(board.project.id, talked);
    // The open card's conversation reads again: exact, whatever the batch coalesced.
    if (this.openTask && talked.includes(this.openTask)) void this.#readThread(this.openTask);
    for (const change of fresh) {
      if (change.entity === "member") this.membersChanged++;
      // The person's own role changed: what the board lets them do follows at once.
      const mine = this.me && `${board.project.id}:${this.me.login}`;
      if (change.entity === "member" && change.entity_id === mine && change.data) {
        const role = (change.data as { role?: Board["role"] }).role ?? null;
        this.board = { ...this.board!, role };
      }
      if (change.entity === "task" && change.data && change.entity_id === this.openTask) {
        this.#sawTask(change.data as unknown as Task);
      }
      if (this.openTask && concerns(change, this.openTask)) this.openTaskChanged++;
      const own = !!change.origin?.mutation_id && this.#mine.has(change.origin.mutation_id);
      if (change.entity === "task" && change.op !== "delete" && !own) {
        this.#flash(change.entity_id as TaskId);
      }
      const said = changeSentence(
        board,
        change,
        byWhom(change.origin, this.instance, own, this.authorName(change.author)),
      );
      if (said) this.#say(said);
    }
    if (projectGone) {
      this.#leave(board.project, `“${board.project.name}” was deleted elsewhere.`);
    }
  }

  async #countComments(project: string, tasks: TaskId[]): Promise<void> {
    try {
      const counts = await api.commentCounts(tasks);
      if (this.board?.project.id === project) {
        this.board = withCommentCounts(this.board, tasks, counts);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /** Says `sentence` in the live region, with whatever else arrives within a moment. */
  #say(sentence: string): void {
    this.#heard.push(sentence);
    if (this.#speaking) return;
    this.#speaking = setTimeout(() => {
      const text = together(this.#heard);
      this.#heard = [];
      this.#speaking = null;
      // Emptied first, so the same words said twice are heard twice.
      this.announcement = "";
      setTimeout(() => (this.announcement = text), 50);
    }, ANNOUNCE_MS);
  }

  #flash(id: TaskId): void {
    this.flashing.add(id);
    setTimeout(() => this.flashing.delete(id), FLASH_MS);
  }

  #mutation(): string {
    const id = mutationId();
    this.#mine.add(id);
    // Echoes arrive within moments; remembering the last thousand is plenty.
    if (this.#mine.size > 1000) {
      const oldest = this.#mine.values().next().value;
      if (oldest !== undefined) this.#mine.delete(oldest);
    }
    return id;
  }

  /**
   * Shows `draft` at once, then the backend's answer, which it resolves with; on refusal, the
   * backend's state, and `null`.
   */
  async #optimistic(draft: BoardTask, send: () => Promise<Task>): Promise<Task | null> {
    if (!this.board) return null;
    // The draft keeps its old version: the backend's answer, one newer, always replaces it.
    this.board = withTask(this.board, draft);
    try {
      const task = await send();
      if (this.board) this.board = withTask(this.board, task);
      this.#sawTask(task);
      return task;
    } catch (error) {
      this.fail(error);
      await this.load();
      return null;
    }
  }
}

export const store = new BoardStore();

/** Whether `change` is to task `task` itself or to a row that hangs on it. */
function concerns(change: Change, task: TaskId): boolean {
  if (change.entity === "task") return change.entity_id === task;
  const row = (change.data ?? change.previous ?? {}) as { task_id?: string };
  return row.task_id === task;
}

// Rows the UI's tests build boards from.

import type { Label } from "../bindings/Label";
import type { LabelId } from "../bindings/LabelId";
import type { Subtask } from "../bindings/Subtask";
import type { SubtaskId } from "../bindings/SubtaskId";
import type { BoardTask } from "../bindings/BoardTask";
import type { Task } from "../bindings/Task";
import type { TaskId } from "../bindings/TaskId";

/** A task "Ship" in column "c" of project "p", at version 3. */
export const SHIP: Task = {
  id: "t" as TaskId,
  project_id: "p",
  column_id: "c",
  title: "Ship",
  description: "",
  priority: "none",
  due_date: null,
  position: 1,
  version: 3,
  created_at: 0,
  updated_at: 0,
  archived_at: null,
};

/** "Ship" as the board keeps it, without its description. */
export const SHIP_CARD: BoardTask = (({ description: _, ...card }) => ({
  ...card,
  has_description: false,
}))(SHIP);

/** A checklist item `id` of task `task`. */
export const item = (id: string, task: string, position: number, done: boolean): Subtask => ({
  id: id as SubtaskId,
  task_id: task as TaskId,
  title: id,
  done,
  position,
  version: 1,
  created_at: 0,
  updated_at: 0,
});

/** A label `id` named `name` of project "p". */
export const label = (id: string, name: string, color = "#ff0000"): Label => ({
  id: id as LabelId,
  project_id: "p",
  name,
  color,
  version: 1,
  created_at: 0,
  updated_at: 0,
});

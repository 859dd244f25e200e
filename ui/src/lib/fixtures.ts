// Rows the UI's tests build boards from.

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
};

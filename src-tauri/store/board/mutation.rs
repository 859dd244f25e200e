//! Any edit a window sends as a [`Mutation`], applied through the store's own calls: one place,
//! for the windows and for replaying what a machine queued.

use crate::error::Result;
use crate::model::{Entity, Mutation, OfKind, Origin, TaskId};
use crate::store::{ColumnEdit, NewTask, Store, TaskEdit};

impl Store {
    /// Makes `mutation` on behalf of `origin`: on the board, or, on this machine's copy of a
    /// server board whose server is away, on the copy and in its outbox until the server is
    /// back ([`Store::queue`]).
    pub async fn change(&self, origin: &Origin, mutation: Mutation) -> Result<Option<Entity>> {
        if self.copy_of().is_some() {
            self.queue(origin, mutation).await
        } else {
            self.apply_mutation(origin, mutation).await
        }
    }

    /// [`Store::change`], answering with what it made or changed, of the kind expected.
    pub async fn change_as<T: OfKind>(&self, origin: &Origin, mutation: Mutation) -> Result<T> {
        T::of(self.change(origin, mutation).await?)
    }

    /// Applies `mutation` on behalf of `origin`. Answers with the entity as it now is, or
    /// `None` when it is gone.
    pub async fn apply_mutation(
        &self,
        origin: &Origin,
        mutation: Mutation,
    ) -> Result<Option<Entity>> {
        let store = self;
        let made = origin.making(mutation.made());
        let o = &made;
        Ok(match mutation {
            Mutation::TaskCreate {
                project_id,
                column_id,
                title,
                id: _,
            } => {
                let new = NewTask {
                    project_id,
                    column_id,
                    title,
                };
                Some(Entity::Task(store.create_task(o, new).await?))
            }
            Mutation::TaskMove {
                id,
                expected_version,
                to_column,
                to_index,
            } => Some(Entity::Task(
                store
                    .move_task(o, &id, expected_version, &to_column, to_index)
                    .await?,
            )),
            Mutation::TaskTransfer {
                id,
                expected_version,
                to_column,
                to_index,
            } => Some(Entity::Task(
                store
                    .transfer_task(o, &id, expected_version, &to_column, to_index)
                    .await?,
            )),
            Mutation::TaskStep {
                id,
                expected_version,
                step,
            } => Some(Entity::Task(
                store.step_task(o, &id, expected_version, step).await?,
            )),
            Mutation::TaskDelete {
                id,
                expected_version,
            } => {
                store.delete_task(o, &id, expected_version).await?;
                None
            }
            Mutation::TasksArchive { tasks, archived } => {
                let seen: Vec<(TaskId, i64)> = tasks
                    .into_iter()
                    .map(|t| (t.id, t.expected_version))
                    .collect();
                store.set_archived(o, &seen, archived).await?;
                None
            }
            Mutation::TaskEdit {
                id,
                expected_version,
                title,
                description,
                priority,
                due_date,
            } => {
                let edit = TaskEdit {
                    title,
                    description,
                    priority,
                    due_date,
                };
                Some(Entity::Task(
                    store.edit_task(o, &id, expected_version, edit).await?,
                ))
            }
            Mutation::Restore { entity, id } => Some(store.restore(o, entity, &id).await?),
            Mutation::TaskLabel { id, label_id, on } => {
                if on {
                    store.add_task_label(o, &id, &label_id).await?;
                } else {
                    store.remove_task_label(o, &id, &label_id).await?;
                }
                Some(Entity::Task(store.task(&id).await?))
            }
            Mutation::TaskAssign { id, login, on } => {
                let logins = [login];
                if on {
                    store.assign(o, &id, &logins).await?;
                } else {
                    store.unassign(o, &id, &logins).await?;
                }
                Some(Entity::Task(store.task(&id).await?))
            }
            Mutation::CommentAdd {
                task_id,
                body,
                id: _,
            } => Some(Entity::Comment(
                store.add_comment(o, &task_id, &body).await?,
            )),
            Mutation::CommentEdit {
                id,
                expected_version,
                body,
            } => Some(Entity::Comment(
                store.edit_comment(o, &id, expected_version, &body).await?,
            )),
            Mutation::CommentDelete {
                id,
                expected_version,
            } => {
                store.delete_comment(o, &id, expected_version).await?;
                None
            }
            Mutation::TaskLabels {
                id,
                expected_version,
                label_ids,
            } => {
                store
                    .set_task_labels(o, &id, expected_version, &label_ids)
                    .await?;
                Some(Entity::Task(store.task(&id).await?))
            }
            Mutation::SubtaskAdd {
                task_id,
                title,
                id: _,
            } => Some(Entity::Subtask(
                store.add_subtask(o, &task_id, &title).await?,
            )),
            Mutation::SubtaskRename {
                id,
                expected_version,
                title,
            } => Some(Entity::Subtask(
                store
                    .rename_subtask(o, &id, expected_version, &title)
                    .await?,
            )),
            Mutation::SubtaskCheck {
                id,
                expected_version,
                done,
            } => Some(Entity::Subtask(
                store.check_subtask(o, &id, expected_version, done).await?,
            )),
            Mutation::SubtaskMove {
                id,
                expected_version,
                to_index,
            } => Some(Entity::Subtask(
                store
                    .move_subtask(o, &id, expected_version, to_index)
                    .await?,
            )),
            Mutation::SubtaskDelete {
                id,
                expected_version,
            } => {
                store.delete_subtask(o, &id, expected_version).await?;
                None
            }
            Mutation::LabelCreate {
                project_id,
                name,
                color,
                id: _,
            } => Some(Entity::Label(
                store.create_label(o, &project_id, &name, &color).await?,
            )),
            Mutation::LabelEdit {
                id,
                expected_version,
                name,
                color,
            } => Some(Entity::Label(
                store
                    .edit_label(o, &id, expected_version, name.as_deref(), color.as_deref())
                    .await?,
            )),
            Mutation::LabelDelete {
                id,
                expected_version,
            } => {
                store.delete_label(o, &id, expected_version).await?;
                None
            }
            Mutation::ProjectCreate { name, id: _ } => {
                Some(Entity::Project(store.create_project(o, &name).await?))
            }
            Mutation::ProjectRename {
                id,
                expected_version,
                name,
            } => Some(Entity::Project(
                store
                    .rename_project(o, &id, expected_version, &name)
                    .await?,
            )),
            Mutation::ProjectMove {
                id,
                expected_version,
                to_index,
            } => Some(Entity::Project(
                store
                    .move_project(o, &id, expected_version, to_index)
                    .await?,
            )),
            Mutation::ProjectDelete {
                id,
                expected_version,
            } => {
                store.delete_project(o, &id, expected_version).await?;
                None
            }
            Mutation::ColumnCreate {
                project_id,
                name,
                index,
                id: _,
            } => Some(Entity::Column(
                store.create_column(o, &project_id, &name, index).await?,
            )),
            Mutation::ColumnEdit {
                id,
                expected_version,
                name,
                wip_limit,
            } => {
                let edit = ColumnEdit { name, wip_limit };
                Some(Entity::Column(
                    store.edit_column(o, &id, expected_version, edit).await?,
                ))
            }
            Mutation::ColumnMove {
                id,
                expected_version,
                to_index,
            } => Some(Entity::Column(
                store
                    .move_column(o, &id, expected_version, to_index)
                    .await?,
            )),
            Mutation::ColumnDelete {
                id,
                expected_version,
                tasks_to,
            } => {
                store
                    .delete_column(o, &id, expected_version, tasks_to.as_ref())
                    .await?;
                None
            }
        })
    }
}

//! Any edit a window sends as a [`Mutation`], applied through the store's own calls: one place,
//! for the windows and for replaying what a machine queued.

use crate::error::Result;
use crate::model::{Entity, Mutation, Origin};
use crate::store::{ColumnEdit, Store, TaskEdit};

impl Store {
    /// Applies `mutation` on behalf of `origin`. Answers with the entity as it now is, or
    /// `None` when it is gone.
    pub async fn apply_mutation(
        &self,
        origin: &Origin,
        mutation: Mutation,
    ) -> Result<Option<Entity>> {
        let store = self;
        let o = origin;
        Ok(match mutation {
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
            Mutation::CommentAdd { task_id, body } => Some(Entity::Comment(
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
            Mutation::SubtaskAdd { task_id, title } => Some(Entity::Subtask(
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
            Mutation::ProjectCreate { name } => {
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

//! Writing an import: checked plain board data in one transaction, all of it or nothing.

use std::collections::HashMap;

use serde::Serialize;

use crate::error::Result;
use crate::model::{plain, ColumnId, CommentId, LabelId, Origin, ProjectId, SubtaskId, TaskId};
use crate::store::board::assignee;
use crate::store::board::position::POSITION_GAP;
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{now_ms, Store};
use crate::validate;

/// What an import brought in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Projects the cards went to, new or not.
    pub projects: usize,
    /// Projects it made.
    pub new_projects: usize,
    pub cards: usize,
    /// People named on cards who are not members of the project on a server: left off.
    pub assignees_left_out: usize,
    pub comments: usize,
    /// Comments by someone else that a server let in only as the importer's own: signed by
    /// the importer, their text led by who wrote them and when.
    pub comments_signed: usize,
}

/// `items` by name, lower-cased: names are matched without regard to case, as everywhere.
fn by_name<T>(items: impl IntoIterator<Item = (String, T)>) -> HashMap<String, T> {
    items
        .into_iter()
        .map(|(name, value)| (name.to_lowercase(), value))
        .collect()
}

/// How often, in cards, an import tells how far it is.
const PROGRESS_EVERY: usize = 500;

impl Store {
    /// Writes `projects` in one transaction: projects, columns and labels are matched by name
    /// (ignoring case) with those there are, or made; cards go to the bottom of their columns,
    /// in order, with their checklists and labels. `progress` hears (cards written, cards in
    /// all) now and then. Fails whole: nothing written, nothing logged.
    pub async fn import(
        &self,
        origin: &Origin,
        projects: &[plain::Project],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<Imported> {
        let total = plain::cards(projects);
        let (imported, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                let now = now_ms();
                let mut written = 0;
                let mut assignees_left_out = 0;
                let (mut comments, mut comments_signed) = (0, 0);
                let mut new_projects = 0;
                let mut project_at: i64 = query("SELECT coalesce(max(position), 0) FROM projects")
                    .scalar(&mut *conn)
                    .await?;
                for project in projects {
                    let found: Vec<ProjectId> =
                        query("SELECT id FROM projects WHERE lower(name) = lower($1)")
                            .bind(&project.name)
                            .scalars(&mut *conn)
                            .await?;
                    let project_id = match found.into_iter().next() {
                        Some(id) => id,
                        None => {
                            let id = ProjectId::new();
                            project_at += POSITION_GAP;
                            query(
                                "INSERT INTO projects (id, name, position, created_at, updated_at)
                                 VALUES ($1, $2, $3, $4, $4)",
                            )
                            .bind(&id)
                            .bind(&project.name)
                            .bind(project_at)
                            .bind(now)
                            .execute(&mut *conn)
                            .await?;
                            new_projects += 1;
                            id
                        }
                    };

                    let known: Vec<(String, LabelId)> =
                        query("SELECT name, id FROM labels WHERE project_id = $1")
                            .bind(&project_id)
                            .fetch_all(&mut *conn)
                            .await?;
                    let mut labels = by_name(known);
                    for label in &project.labels {
                        if labels.contains_key(&label.name.to_lowercase()) {
                            continue;
                        }
                        let id = LabelId::new();
                        query(
                            "INSERT INTO labels (id, project_id, name, color, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, $5)",
                        )
                        .bind(&id)
                        .bind(&project_id)
                        .bind(&label.name)
                        .bind(&label.color)
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                        labels.insert(label.name.to_lowercase(), id);
                    }

                    let known: Vec<(String, ColumnId)> =
                        query("SELECT name, id FROM columns WHERE project_id = $1")
                            .bind(&project_id)
                            .fetch_all(&mut *conn)
                            .await?;
                    let mut columns = by_name(known);
                    let mut column_at: i64 =
                        query("SELECT coalesce(max(position), 0) FROM columns WHERE project_id = $1")
                            .bind(&project_id)
                            .scalar(&mut *conn)
                            .await?;
                    let mut bottoms: HashMap<ColumnId, i64> = HashMap::new();
                    for column in &project.columns {
                        let column_id = match columns.get(&column.name.to_lowercase()) {
                            Some(id) => id.clone(),
                            None => {
                                let id = ColumnId::new();
                                column_at += POSITION_GAP;
                                query(
                                    "INSERT INTO columns
                                        (id, project_id, name, position, wip_limit, created_at, updated_at)
                                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                                )
                                .bind(&id)
                                .bind(&project_id)
                                .bind(&column.name)
                                .bind(column_at)
                                .bind(column.wip_limit)
                                .bind(now)
                                .execute(&mut *conn)
                                .await?;
                                columns.insert(column.name.to_lowercase(), id.clone());
                                id
                            }
                        };
                        let bottom = match bottoms.get(&column_id) {
                            Some(bottom) => *bottom,
                            None => {
                                query("SELECT coalesce(max(position), 0) FROM tasks WHERE column_id = $1")
                                    .bind(&column_id)
                                    .scalar(&mut *conn)
                                    .await?
                            }
                        };
                        let mut at = bottom;
                        for card in &column.cards {
                            at += POSITION_GAP;
                            let task = TaskId::new();
                            query(
                                "INSERT INTO tasks (id, project_id, column_id, title, description,
                                    priority, due_date, position, created_at, updated_at,
                                    archived_at)
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
                            )
                            .bind(&task)
                            .bind(&project_id)
                            .bind(&column_id)
                            .bind(&card.title)
                            .bind(&card.description)
                            .bind(card.priority)
                            .bind(&card.due_date)
                            .bind(at)
                            .bind(now)
                            .bind(card.archived.then_some(now))
                            .execute(&mut *conn)
                            .await?;
                            for (i, item) in card.checklist.iter().enumerate() {
                                let position = (i as i64 + 1) * POSITION_GAP;
                                query(
                                    "INSERT INTO subtasks (id, task_id, title, done, position,
                                        created_at, updated_at)
                                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                                )
                                .bind(SubtaskId::new())
                                .bind(&task)
                                .bind(&item.title)
                                .bind(item.done)
                                .bind(position)
                                .bind(now)
                                .execute(&mut *conn)
                                .await?;
                            }
                            for label in &card.labels {
                                if let Some(label) = labels.get(&label.to_lowercase()) {
                                    query("INSERT INTO task_labels (task_id, label_id) VALUES ($1, $2)")
                                        .bind(&task)
                                        .bind(label)
                                        .execute(&mut *conn)
                                        .await?;
                                }
                            }
                            for login in &card.assignees {
                                let may = match conn.dialect() {
                                    Dialect::Sqlite => {
                                        assignee::known(conn, login).await?;
                                        true
                                    }
                                    // On a server, only members of the project.
                                    Dialect::Postgres => {
                                        query(
                                            "SELECT EXISTS (SELECT 1 FROM members
                                             WHERE project_id = $1 AND login = $2)",
                                        )
                                        .bind(&project_id)
                                        .bind(login)
                                        .scalar(&mut *conn)
                                        .await?
                                    }
                                };
                                if !may {
                                    assignees_left_out += 1;
                                    continue;
                                }
                                query(
                                    "INSERT INTO task_assignees (task_id, login) VALUES ($1, $2)",
                                )
                                .bind(&task)
                                .bind(login)
                                .execute(&mut *conn)
                                .await?;
                            }
                            for comment in &card.comments {
                                let signed = self.import_comment(conn, &task, comment).await?;
                                comments += 1;
                                comments_signed += usize::from(signed);
                            }
                            written += 1;
                            if written % PROGRESS_EVERY == 0 {
                                progress(written, total);
                            }
                        }
                        bottoms.insert(column_id, at);
                    }
                }
                Ok(Imported {
                    projects: projects.len(),
                    new_projects,
                    cards: written,
                    assignees_left_out,
                    comments,
                    comments_signed,
                })
            })
            .await?;
        Ok(imported)
    }
}

impl Store {
    /// Writes `comment` on `task` as its author wrote it. A file takes any author (who becomes
    /// someone the board knows; none means the importer). A server lets only the importer
    /// write as themselves, so another's comment is signed by the importer, its text led by
    /// who wrote it and when; answers whether it was.
    async fn import_comment(
        &self,
        conn: &mut Conn<'_>,
        task: &TaskId,
        comment: &plain::Comment,
    ) -> Result<bool> {
        let author = match comment.author.as_str() {
            "" => self.login.as_str(),
            author => author,
        };
        let signed = conn.dialect() == Dialect::Postgres && author != self.login;
        let body = if signed {
            let at = comment.at.to_offset(time::UtcOffset::UTC);
            let when = at.format(crate::export::COMMENT_TIME).unwrap_or_default();
            validate::comment(&format!(
                "*{author} wrote, {when} UTC:*\n\n{}",
                comment.body
            ))?
        } else {
            comment.body.clone()
        };
        if conn.dialect() == Dialect::Sqlite {
            assignee::known(conn, author).await?;
        }
        let at = comment.at_ms();
        query(
            "INSERT INTO comments (id, task_id, author, body, created_at, updated_at, edited_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(CommentId::new())
        .bind(task)
        .bind(if signed { self.login.as_str() } else { author })
        .bind(&body)
        .bind(at)
        .bind(comment.edited_ms().unwrap_or(at))
        .bind(comment.edited_ms())
        .execute(&mut *conn)
        .await?;
        Ok(signed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::debounce::DEFAULT_WINDOW;
    use crate::model::plain;
    use crate::model::Batch;
    use crate::store::testing::{self, TestStore};
    use crate::subscription;

    /// On a file and on a server: every card lands, with its labels and checklist, and a
    /// window receives the whole import as one batch.
    async fn a_window_receives_an_import_as_one_batch(test: TestStore) {
        let store = Arc::new(test.store);
        let inbox = store.first_project().await.unwrap().id;
        let (sent, mut batches) = tokio::sync::mpsc::unbounded_channel::<Batch>();
        let (_, _subscription) =
            subscription::subscribe(store.clone(), inbox, DEFAULT_WINDOW, move |batch| {
                sent.send(batch).is_ok()
            })
            .await
            .unwrap();
        let card = |i: usize| plain::Card {
            title: format!("Card {i}"),
            description: String::new(),
            priority: crate::model::Priority::None,
            due_date: None,
            labels: vec!["Imported".into()],
            assignees: Vec::new(),
            checklist: vec![
                plain::Item {
                    title: "one".into(),
                    done: true,
                },
                plain::Item {
                    title: "two".into(),
                    done: false,
                },
            ],
            archived: false,
            comments: Vec::new(),
        };
        let projects = [plain::Project {
            name: "Inbox".into(),
            labels: vec![plain::Label {
                name: "Imported".into(),
                color: "#3366cc".into(),
            }],
            columns: vec![plain::Column {
                name: "Doing".into(),
                wip_limit: None,
                cards: (0..300).map(card).collect(),
            }],
        }];
        let imported = store
            .import(&test.origin, &projects, |_, _| {})
            .await
            .unwrap();
        assert_eq!(imported.cards, 300);

        let end = store.seq().await.unwrap();
        let batch = tokio::time::timeout(std::time::Duration::from_secs(10), batches.recv())
            .await
            .expect("a batch within the deadline")
            .unwrap();
        assert_eq!(batch.to_seq, end, "the whole import in the first batch");
        // A card, its label link and two checklist items each, and the label: 1,201 changes.
        assert_eq!(batch.changes.len(), 300 * 4 + 1);
        let board = store
            .board(&store.first_project().await.unwrap().id)
            .await
            .unwrap();
        assert_eq!(board.tasks.len(), 300);
        assert_eq!(board.subtasks.iter().filter(|s| s.done).count(), 300);
    }

    #[tokio::test]
    async fn a_window_receives_an_import_into_a_file_as_one_batch() {
        a_window_receives_an_import_as_one_batch(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_window_receives_an_import_into_a_server_as_one_batch() {
        a_window_receives_an_import_as_one_batch(testing::server_store().await).await;
    }
}

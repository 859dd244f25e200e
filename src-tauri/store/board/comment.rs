//! A card's conversation: comments in Markdown, in the order written. Anyone who may comment
//! adds one (on a server a commenter or above: the database says so); only its author edits
//! it; its author or the project's owner deletes it. The database keeps who wrote it.

use crate::error::{Error, Result};
use crate::model::{Comment, CommentCount, CommentId, EntityKind, Origin, TaskId};
use crate::store::board::edit::Editable;
use crate::store::sql::{query, Conn, Dialect};
use crate::store::{at_version, now_ms, Store};
use crate::validate;

impl Store {
    pub async fn comment(&self, id: &CommentId) -> Result<Comment> {
        query("SELECT * FROM comments WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.readers)
            .await?
            .ok_or_else(|| Error::not_found(EntityKind::Comment, id))
    }

    /// Task `task`'s conversation, oldest first; `NotFound` for a task one cannot see.
    pub async fn comments(&self, task: &TaskId) -> Result<Vec<Comment>> {
        let mut conn = self.readers.acquire().await?;
        let mut conn = conn.conn();
        super::task_exists(&mut conn, task).await?;
        query("SELECT * FROM comments WHERE task_id = $1 ORDER BY created_at, id")
            .bind(task)
            .fetch_all(&mut conn)
            .await
    }

    /// How many comments each of `tasks` has (those with none are left out): one query for
    /// up to 500 cards.
    pub async fn comment_counts(&self, tasks: &[TaskId]) -> Result<Vec<CommentCount>> {
        let mut counts = Vec::new();
        let mut conn = self.readers.acquire().await?;
        let mut conn = conn.conn();
        for some in tasks.chunks(500) {
            let places: Vec<String> = (1..=some.len()).map(|i| format!("${i}")).collect();
            let mut counted = query(format!(
                "SELECT task_id, count(*) AS count FROM comments WHERE task_id IN ({})
                 GROUP BY task_id ORDER BY task_id",
                places.join(", ")
            ));
            for task in some {
                counted = counted.bind(task);
            }
            counts.extend(counted.fetch_all::<CommentCount>(&mut conn).await?);
        }
        Ok(counts)
    }

    /// Adds `body` to task `task`'s conversation, by the person this store speaks for.
    pub async fn add_comment(&self, origin: &Origin, task: &TaskId, body: &str) -> Result<Comment> {
        let body = validate::comment(body)?;
        let id = CommentId::made_by(origin)?;
        let (comment, _) = self
            .write(origin, async |conn: &mut Conn<'_>| {
                super::task_exists(conn, task).await?;
                let now = now_ms();
                query(
                    "INSERT INTO comments (id, task_id, author, body, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $5) RETURNING *",
                )
                .bind(&id)
                .bind(task)
                .bind(&self.login)
                .bind(&body)
                .bind(now)
                .fetch_one(&mut *conn)
                .await
            })
            .await?;
        Ok(comment)
    }

    /// Gives one's own comment a new body, marked as edited.
    pub async fn edit_comment(
        &self,
        origin: &Origin,
        id: &CommentId,
        expected_version: i64,
        body: &str,
    ) -> Result<Comment> {
        let body = validate::comment(body)?;
        self.update(
            origin,
            &id.0,
            expected_version,
            async |_, comment: Comment| {
                if comment.author != self.login {
                    return Err(Error::Forbidden {
                        reason: "only its author may edit a comment; nothing was changed".into(),
                    });
                }
                Ok(Comment { body, ..comment })
            },
        )
        .await
    }

    /// Deletes a comment: one's own, or (on a server) any as the project's owner. On a file,
    /// whoever may write the file owns every project.
    pub async fn delete_comment(
        &self,
        origin: &Origin,
        id: &CommentId,
        expected_version: i64,
    ) -> Result<()> {
        self.write(origin, async |conn: &mut Conn<'_>| {
            let comment = at_version::<Comment>(conn, &id.0, expected_version).await?;
            if conn.dialect() == Dialect::Postgres && comment.author != self.login {
                let owner: bool = query(
                    "SELECT EXISTS (SELECT 1 FROM members m JOIN tasks t
                         ON t.project_id = m.project_id
                     WHERE t.id = $1 AND m.login = session_user AND m.role = 'owner')",
                )
                .bind(&comment.task_id)
                .scalar(&mut *conn)
                .await?;
                if !owner {
                    return Err(Error::Forbidden {
                        reason: "only its author or the project's owner may delete a comment; \
                                 nothing was changed"
                            .into(),
                    });
                }
            }
            query("DELETE FROM comments WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

impl Editable for Comment {
    async fn save(&self, conn: &mut Conn<'_>) -> Result<Self> {
        let now = now_ms();
        query(
            "UPDATE comments SET body = $2, version = version + 1, updated_at = $3, edited_at = $3
             WHERE id = $1 RETURNING *",
        )
        .bind(&self.id)
        .bind(&self.body)
        .bind(now)
        .fetch_one(conn)
        .await
    }
}

/// Puts back deleted comment `comment` on its card, one version on, as changed at `at`: the
/// undo of a deletion, and a card's conversation following it to another project. On a server
/// the database does it from its own log, as no one may write a comment as someone else.
pub(in crate::store) async fn put_back(
    conn: &mut Conn<'_>,
    comment: &Comment,
    at: i64,
) -> Result<()> {
    match conn.dialect() {
        Dialect::Postgres => {
            query("SELECT tandem_comment_back($1, $2, $3)")
                .bind(&comment.id)
                .bind(&comment.task_id)
                .bind(at)
                .execute(&mut *conn)
                .await?;
        }
        Dialect::Sqlite => {
            query(
                "INSERT INTO comments (id, task_id, author, body, version, created_at,
                    updated_at, edited_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            )
            .bind(&comment.id)
            .bind(&comment.task_id)
            .bind(&comment.author)
            .bind(&comment.body)
            .bind(comment.version + 1)
            .bind(comment.created_at)
            .bind(at)
            .bind(comment.edited_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Op, Task};
    use crate::store::testing::{self, TestStore};
    use crate::store::NewTask;
    use crate::store::Search;

    async fn card(t: &TestStore) -> Task {
        let project = t.store.first_project().await.unwrap().id;
        let new = NewTask {
            project_id: project,
            column_id: None,
            title: "Ship".into(),
        };
        t.store.create_task(&t.origin, new).await.unwrap()
    }

    /// A conversation through the log: added, edited (marked), found by search, counted on the
    /// board, deleted, and back with its card.
    async fn a_conversation_goes_through_the_log_and_comes_back_with_its_card(t: TestStore) {
        let task = card(&t).await;
        let me = t.store.me().await.unwrap().login;
        let start = t.store.seq().await.unwrap();
        let first = t
            .store
            .add_comment(&t.origin, &task.id, "Tulips need **sun**\r\n")
            .await
            .unwrap();
        assert_eq!(first.author, me);
        assert_eq!(
            first.body, "Tulips need **sun**",
            "line ends kept as \\n, trailing trimmed"
        );
        assert_eq!(first.edited_at, None);
        let second = t
            .store
            .add_comment(&t.origin, &task.id, "And water")
            .await
            .unwrap();
        let edited = t
            .store
            .edit_comment(&t.origin, &second.id, second.version, "And daffodils")
            .await
            .unwrap();
        assert_eq!(edited.version, 2);
        assert!(edited.edited_at.is_some());
        let stale = t
            .store
            .edit_comment(&t.origin, &second.id, second.version, "Late")
            .await
            .unwrap_err();
        assert!(matches!(stale, Error::Conflict { .. }), "{stale:?}");

        let logged = t.store.changes_since(start, None).await.unwrap().changes;
        let ops: Vec<(EntityKind, Op)> = logged.iter().map(|c| (c.entity, c.op)).collect();
        assert_eq!(
            ops,
            [
                (EntityKind::Comment, Op::Insert),
                (EntityKind::Comment, Op::Insert),
                (EntityKind::Comment, Op::Update)
            ]
        );
        assert!(logged
            .iter()
            .all(|c| c.project_id.as_ref() == Some(&task.project_id)));

        // Search finds words in comments, and the board counts them.
        let hits = t.store.search(Search::new("daffodils")).await.unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].task_id, task.id);
        assert!(t
            .store
            .search(Search::new("water"))
            .await
            .unwrap()
            .is_empty());
        let board = t.store.board(&task.project_id).await.unwrap();
        assert_eq!(
            board.comments,
            [CommentCount {
                task_id: task.id.clone(),
                count: 2
            }]
        );

        // Bad input changes nothing.
        let before = t.store.seq().await.unwrap();
        for body in [
            "",
            "   \n",
            &"x".repeat(validate::MAX_COMMENT_CHARS + 1),
            "bell\u{7}",
        ] {
            let refused = t
                .store
                .add_comment(&t.origin, &task.id, body)
                .await
                .unwrap_err();
            assert!(
                matches!(refused, Error::Invalid { field: "body", .. }),
                "{refused:?}"
            );
        }
        let gone = t
            .store
            .add_comment(&t.origin, &TaskId("nope".into()), "Hi")
            .await
            .unwrap_err();
        assert!(matches!(gone, Error::NotFound { .. }), "{gone:?}");
        assert_eq!(t.store.seq().await.unwrap(), before);

        // Deleted one by one, or with the card, and back with it.
        t.store
            .delete_comment(&t.origin, &first.id, first.version)
            .await
            .unwrap();
        t.store
            .restore(&t.origin, EntityKind::Comment, &first.id.0)
            .await
            .unwrap();
        let task = t.store.task(&task.id).await.unwrap();
        t.store
            .delete_task(&t.origin, &task.id, task.version)
            .await
            .unwrap();
        assert!(t
            .store
            .search(Search::new("tulips"))
            .await
            .unwrap()
            .is_empty());
        t.store.restore_task(&t.origin, &task.id).await.unwrap();
        let bodies: Vec<String> = t
            .store
            .comments(&task.id)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.body)
            .collect();
        assert_eq!(bodies, ["Tulips need **sun**", "And daffodils"]);
        assert_eq!(
            t.store.search(Search::new("tulips")).await.unwrap().len(),
            1
        );
    }

    #[tokio::test]
    async fn a_conversation_goes_through_the_log_and_comes_back_with_its_card_on_a_file() {
        a_conversation_goes_through_the_log_and_comes_back_with_its_card(testing::store().await)
            .await;
    }

    #[tokio::test]
    async fn a_conversation_goes_through_the_log_and_comes_back_with_its_card_on_a_server() {
        a_conversation_goes_through_the_log_and_comes_back_with_its_card(
            testing::server_store().await,
        )
        .await;
    }

    #[tokio::test]
    async fn on_a_file_only_the_author_edits_a_comment_and_anyone_deletes_it() {
        let t = testing::store().await;
        let task = card(&t).await;
        // An imported comment by someone else.
        query(
            "INSERT INTO comments (id, task_id, author, body, created_at, updated_at)
             VALUES ('c', $1, 'grace', 'From Trello', 0, 0)",
        )
        .bind(&task.id)
        .execute(&t.store.readers)
        .await
        .unwrap();
        let refused = t
            .store
            .edit_comment(&t.origin, &CommentId("c".into()), 1, "Mine now")
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::Forbidden { .. }), "{refused:?}");
        t.store
            .delete_comment(&t.origin, &CommentId("c".into()), 1)
            .await
            .unwrap();
    }
}

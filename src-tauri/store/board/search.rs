//! Full-text search over every card's title, description and checklist: FTS5 on a file, a
//! `tsvector` index on a server, both kept by triggers in the writing transaction.
//!
//! A query is words, prefixes (`deplo*`) and phrases (`"fix login"`); a card matches when it
//! holds every one, in any of its texts. The query is parsed here into [`Terms`] of plain
//! letters and digits, so no text a user types can break either database's query syntax.

use crate::error::{Error, Result};
use crate::model::{ProjectId, SearchHit};
use crate::store::sql::{query, Dialect};
use crate::store::Store;

/// The most hits a search returns when its caller sets no limit.
pub const DEFAULT_LIMIT: u32 = 50;

/// The longest query taken: longer text is not a query but a paste gone wrong.
const MAX_QUERY_CHARS: usize = 1_000;

/// What to search for and where.
#[derive(Debug, Clone)]
pub struct Search<'a> {
    pub text: &'a str,
    /// One project's cards, or every project's.
    pub project: Option<&'a ProjectId>,
    /// Treat every word as a prefix, as a find box does while the user types.
    pub prefixes: bool,
    /// Archived cards too, not only the cards on the boards.
    pub archived: bool,
    pub limit: u32,
}

impl<'a> Search<'a> {
    /// Searches every project for `text`, as typed.
    pub fn new(text: &'a str) -> Self {
        Search {
            text,
            project: None,
            prefixes: false,
            archived: false,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One thing a card must hold: a run of words in order (one word or a phrase), the last of them
/// perhaps only as a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    words: Vec<String>,
    prefix: bool,
}

/// A parsed query: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Terms(Vec<Term>);

impl Terms {
    /// Parses `text`: words, `word*` prefixes and `"quoted phrases"` (an unclosed quote runs to
    /// the end). Words split where the index splits them, at anything but a letter or a digit,
    /// so `e-mail` is the phrase `e mail`. With `prefixes`, every term's last word is a prefix.
    pub(crate) fn parse(text: &str, prefixes: bool) -> Result<Terms> {
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(Error::invalid(
                "query",
                format!("a search is at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let mut terms = Vec::new();
        for (i, part) in text.split('"').enumerate() {
            let quoted = i % 2 == 1;
            if quoted {
                terms.push(Term {
                    words: words(part),
                    prefix: prefixes,
                });
                continue;
            }
            for bare in part.split_whitespace() {
                terms.push(Term {
                    words: words(bare),
                    prefix: prefixes || bare.ends_with('*'),
                });
            }
        }
        terms.retain(|t| !t.words.is_empty());
        if terms.is_empty() {
            return Err(Error::invalid(
                "query",
                "type a word to search for: letters or digits",
            ));
        }
        Ok(Terms(terms))
    }

    /// The query in FTS5's syntax: each term a quoted phrase, a prefix marked after it.
    pub(crate) fn fts5(&self) -> String {
        let terms: Vec<String> = self
            .0
            .iter()
            .map(|t| {
                format!(
                    "\"{}\"{}",
                    t.words.join(" "),
                    if t.prefix { "*" } else { "" }
                )
            })
            .collect();
        terms.join(" AND ")
    }

    /// The query in `to_tsquery`'s syntax: phrases with `<->`, prefixes with `:*`.
    pub(crate) fn tsquery(&self) -> String {
        let terms: Vec<String> = self
            .0
            .iter()
            .map(|t| {
                let last = t.words.len() - 1;
                let words: Vec<String> = t
                    .words
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        let star = if t.prefix && i == last { ":*" } else { "" };
                        format!("'{w}'{star}")
                    })
                    .collect();
                format!("({})", words.join(" <-> "))
            })
            .collect();
        terms.join(" & ")
    }
}

/// The words of `text` as both indexes see them: runs of letters and digits.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Store {
    /// The cards that hold every term of `search.text`, best first: a match in the title before
    /// one in the description, before one in the checklist. A query with no letter or digit is
    /// `Invalid`.
    pub async fn search(&self, search: Search<'_>) -> Result<Vec<SearchHit>> {
        let terms = Terms::parse(search.text, search.prefixes)?;
        let (sql, text) = match self.dialect() {
            Dialect::Sqlite => (
                // Ranked and cut to the limit inside the index before any join: a word on
                // every card then costs the ranking alone (7 ms for 10,000 cards, not 24). The
                // cut keeps as many more as there are archived cards, so leaving those out
                // afterwards still leaves the limit's worth.
                "SELECT t.id AS task_id, t.title, t.project_id, p.name AS project,
                        t.column_id, c.name AS \"column\", t.archived_at
                 FROM (SELECT rowid AS row, bm25(search, 10.0, 2.0, 1.0, 1.0) AS score
                       FROM search WHERE search MATCH $1
                       ORDER BY score
                       LIMIT CASE WHEN $2 IS NULL THEN $3 + CASE WHEN $4 THEN 0 ELSE
                           (SELECT count(*) FROM tasks WHERE archived_at IS NOT NULL) END
                           ELSE -1 END) s
                 JOIN search_rows r ON r.row = s.row
                 JOIN tasks t ON t.id = r.task_id
                 JOIN projects p ON p.id = t.project_id
                 JOIN columns c ON c.id = t.column_id
                 WHERE ($2 IS NULL OR t.project_id = $2) AND ($4 OR t.archived_at IS NULL)
                 ORDER BY s.score, t.title, t.id
                 LIMIT $3",
                terms.fts5(),
            ),
            Dialect::Postgres => (
                "SELECT t.id AS task_id, t.title, t.project_id, p.name AS project,
                        t.column_id, c.name AS \"column\", t.archived_at
                 FROM search s
                 JOIN tasks t ON t.id = s.task_id
                 JOIN projects p ON p.id = t.project_id
                 JOIN columns c ON c.id = t.column_id
                 WHERE s.document @@ to_tsquery('simple', $1)
                   AND ($2::text IS NULL OR t.project_id = $2)
                   AND ($4 OR t.archived_at IS NULL)
                 ORDER BY ts_rank(s.document, to_tsquery('simple', $1)) DESC, t.title, t.id
                 LIMIT $3",
                terms.tsquery(),
            ),
        };
        query(sql)
            .bind(text)
            .bind(search.project)
            .bind(i64::from(search.limit))
            .bind(search.archived)
            .fetch_all(&self.readers)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskId;
    use crate::store::testing::{self, TestStore};
    use crate::store::{NewTask, TaskEdit};

    /// The titles `text` finds, best first.
    async fn found(store: &Store, text: &str, project: Option<&ProjectId>) -> Vec<String> {
        let search = Search {
            project,
            ..Search::new(text)
        };
        let hits = store.search(search).await.expect("the search runs");
        hits.into_iter().map(|h| h.title).collect()
    }

    /// What a user relies on, the same on a file and on a server: every text of a card is found
    /// as it is written, renamed, edited, given checklist items and deleted, in the project asked.
    async fn finds_every_text_of_a_card_as_it_changes(TestStore { store, origin, .. }: TestStore) {
        let inbox = store.first_project().await.unwrap().id;
        let other = store.create_project(&origin, "Garden").await.unwrap().id;
        let add = async |project: &ProjectId, title: &str| -> TaskId {
            let new = NewTask {
                project_id: project.clone(),
                column_id: None,
                title: title.into(),
            };
            store.create_task(&origin, new).await.unwrap().id
        };
        let login = add(&inbox, "Fix the login page").await;
        add(&inbox, "Deploy to staging").await;
        add(&other, "Plant the login-free tulips").await;

        assert_eq!(found(&store, "login", None).await.len(), 2);
        assert_eq!(
            found(&store, "login", Some(&inbox)).await,
            ["Fix the login page"]
        );
        assert_eq!(found(&store, "deplo*", None).await, ["Deploy to staging"]);
        assert!(
            found(&store, "deplo", None).await.is_empty(),
            "a word is whole unless starred"
        );
        assert_eq!(
            found(&store, "\"fix the\"", None).await,
            ["Fix the login page"]
        );
        assert!(
            found(&store, "\"the fix\"", None).await.is_empty(),
            "a phrase keeps its order"
        );
        assert_eq!(
            found(&store, "LOGIN fix", None).await,
            ["Fix the login page"]
        );

        let edit = TaskEdit {
            description: Some("Users see a 500 after the OAuth redirect.".into()),
            ..TaskEdit::default()
        };
        let task = store.edit_task(&origin, &login, 1, edit).await.unwrap();
        assert_eq!(
            found(&store, "oauth redirect", None).await,
            ["Fix the login page"]
        );
        store
            .rename_task(&origin, &login, task.version, "Repair sign-in")
            .await
            .unwrap();
        assert!(
            found(&store, "fix", None).await.is_empty(),
            "the old title is gone"
        );
        assert_eq!(found(&store, "sign in", None).await, ["Repair sign-in"]);

        let item = store
            .add_subtask(&origin, &login, "Write a regression test")
            .await
            .unwrap();
        store
            .add_subtask(&origin, &login, "Ask the security team")
            .await
            .unwrap();
        assert_eq!(
            found(&store, "regression security", None).await,
            ["Repair sign-in"]
        );
        store
            .rename_subtask(&origin, &item.id, item.version, "Add a canary")
            .await
            .unwrap();
        assert!(found(&store, "regression", None).await.is_empty());
        store
            .delete_subtask(&origin, &item.id, item.version + 1)
            .await
            .unwrap();
        assert!(found(&store, "canary", None).await.is_empty());
        assert_eq!(found(&store, "security", None).await, ["Repair sign-in"]);

        // The title weighs most: a word in one card's title ranks it above another's notes.
        let notes = add(&inbox, "Quarterly review").await;
        let edit = TaskEdit {
            description: Some("Mention the staging outage".into()),
            ..TaskEdit::default()
        };
        store.edit_task(&origin, &notes, 1, edit).await.unwrap();
        assert_eq!(
            found(&store, "staging", None).await,
            ["Deploy to staging", "Quarterly review"]
        );

        let task = store.task(&login).await.unwrap();
        store
            .delete_task(&origin, &login, task.version)
            .await
            .unwrap();
        assert!(found(&store, "security", None).await.is_empty());
        let hit = &store.search(Search::new("tulips")).await.unwrap()[0];
        assert_eq!(
            (hit.project.as_str(), hit.column.as_str()),
            ("Garden", "To do")
        );
        assert!(matches!(
            store.search(Search::new("?!")).await,
            Err(Error::Invalid { field: "query", .. })
        ));
    }

    #[tokio::test]
    async fn a_file_from_before_search_has_its_cards_indexed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        // The schema as the release before search left it, with a card and a checklist item.
        crate::store::sql::sqlite::file_as_before(&path, 20261130000000)
            .await
            .unwrap();
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(
            "INSERT INTO projects VALUES ('p', 'Inbox', 1, 1, 0, 0);
             INSERT INTO columns VALUES ('c', 'p', 'To do', 1, NULL, 1, 0, 0);
             INSERT INTO tasks VALUES ('t', 'p', 'c', 'Written before search existed', '',
                'none', NULL, 1, 1, 0, 0);
             INSERT INTO subtasks VALUES ('s', 't', 'Old checklist item', 0, 1, 1, 0, 0);",
        )
        .unwrap();
        drop(old);

        let origin = crate::model::Origin::new("new", crate::model::Actor::Cli);
        let store = Store::open(&path, &origin).await.unwrap();
        assert_eq!(
            found(&store, "checklist before", None).await,
            ["Written before search existed"]
        );
        // The card is on its board: the archive came with the same upgrade.
        let board = store.board(&ProjectId::from("p")).await.unwrap();
        assert_eq!(board.tasks.len(), 1);
    }

    #[tokio::test]
    async fn finds_every_text_of_a_card_as_it_changes_in_a_file() {
        finds_every_text_of_a_card_as_it_changes(testing::store().await).await;
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn finds_every_text_of_a_card_as_it_changes_on_a_server() {
        finds_every_text_of_a_card_as_it_changes(testing::server_store().await).await;
    }

    fn parsed(text: &str) -> (String, String) {
        let terms = Terms::parse(text, false).unwrap();
        (terms.fts5(), terms.tsquery())
    }

    #[test]
    fn words_prefixes_and_phrases_become_each_databases_syntax() {
        assert_eq!(
            parsed("deplo* login"),
            (
                "\"deplo\"* AND \"login\"".to_owned(),
                "('deplo':*) & ('login')".to_owned()
            )
        );
        assert_eq!(
            parsed("\"fix the login\" now"),
            (
                "\"fix the login\" AND \"now\"".to_owned(),
                "('fix' <-> 'the' <-> 'login') & ('now')".to_owned()
            )
        );
    }

    #[test]
    fn punctuation_splits_words_and_never_reaches_the_query_syntax() {
        let (fts5, tsquery) = parsed("e-mail O'Brien) AND:* \\ NEAR(");
        assert_eq!(fts5, "\"e mail\" AND \"O Brien\" AND \"AND\"* AND \"NEAR\"");
        assert_eq!(
            tsquery,
            "('e' <-> 'mail') & ('O' <-> 'Brien') & ('AND':*) & ('NEAR')"
        );
        let (_, tsquery) = parsed("café 東京");
        assert_eq!(tsquery, "('café') & ('東京')");
    }

    #[test]
    fn an_unclosed_quote_runs_to_the_end_and_prefixes_can_be_asked_for_every_word() {
        let terms = Terms::parse("plan \"next sprint", true).unwrap();
        assert_eq!(terms.fts5(), "\"plan\"* AND \"next sprint\"*");
    }

    #[test]
    fn a_query_without_words_or_too_long_is_invalid() {
        for text in ["", "   ", "\"\"", "*** -- !!", &"a ".repeat(600)] {
            assert!(
                matches!(
                    Terms::parse(text, false),
                    Err(Error::Invalid { field: "query", .. })
                ),
                "{text:?}"
            );
        }
    }
}

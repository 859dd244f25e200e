//! A person's news as sentences: one item, or a burst of them told as one.

use std::collections::BTreeSet;

use crate::model::{News, NewsKind, Presence, ProjectId, TaskId};

/// Every kind of news, in the order the settings list them.
pub const KINDS: [NewsKind; 6] = [
    NewsKind::Assigned,
    NewsKind::Mentioned,
    NewsKind::Commented,
    NewsKind::Moved,
    NewsKind::Archived,
    NewsKind::Due,
];

/// An item of news as the change log carries it (the row of `news`): for whom, and what.
pub fn logged(row: &serde_json::Value) -> Option<(String, News)> {
    let text = |field: &str| row.get(field).and_then(|v| v.as_str()).map(str::to_owned);
    let detail = row.get("detail");
    let said = |field: &str| {
        detail
            .and_then(|d| d.get(field))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let news = News {
        id: text("id")?,
        kind: NewsKind::try_from(text("kind")?).ok()?,
        project_id: ProjectId(text("project_id")?),
        task_id: TaskId(text("task_id")?),
        actor: text("actor"),
        title: said("title").unwrap_or_default(),
        column: said("column"),
        excerpt: said("excerpt"),
        due: said("due"),
        created_at: row.get("created_at")?.as_i64()?,
        read_at: row.get("read_at").and_then(serde_json::Value::as_i64),
    };
    Some((text("login")?, news))
}

/// Whether copy `instance` of `me`'s Tandem is where they are, of all their copies `here`
/// (fresh rows only): the one they last did something in (ties: the least instance id). A
/// person with no copy here at all is told everywhere.
pub fn tells_here(here: &[Presence], me: &str, instance: &str) -> bool {
    here.iter()
        .filter(|p| p.login == me && p.window_label.is_empty())
        .max_by(|a, b| {
            a.active_at
                .cmp(&b.active_at)
                .then_with(|| b.instance.cmp(&a.instance))
        })
        .is_none_or(|active| active.instance == instance)
}

/// What `me` is looking at right now, anywhere: news of these cards needs no notification.
pub fn looking_at<'h>(here: &'h [Presence], me: &'h str) -> impl Iterator<Item = &'h TaskId> {
    here.iter()
        .filter(move |p| p.login == me)
        .filter_map(|p| p.task_id.as_ref())
}

/// `news` as a sentence about "you", naming who did it by `name` (their login's name).
pub fn sentence(news: &News, name: impl Fn(&str) -> String) -> String {
    let who = news
        .actor
        .as_deref()
        .map_or_else(|| "Someone".to_owned(), &name);
    let title = &news.title;
    let excerpt = || {
        news.excerpt
            .as_deref()
            .map(|e| format!(": {}", first_line(e)))
            .unwrap_or_default()
    };
    match news.kind {
        NewsKind::Assigned => format!("{who} put you on “{title}”"),
        NewsKind::Mentioned => format!("{who} mentioned you on “{title}”{}", excerpt()),
        NewsKind::Commented => format!("{who} commented on “{title}”{}", excerpt()),
        NewsKind::Moved => match &news.column {
            Some(column) => format!("{who} moved “{title}” to {column}"),
            None => format!("{who} moved “{title}”"),
        },
        NewsKind::Archived => format!("{who} archived “{title}”"),
        NewsKind::Due => match &news.due {
            Some(due) => format!("“{title}” is due {due}"),
            None => format!("“{title}” is due soon"),
        },
    }
}

/// Several items of news told as one: a single one as its sentence; more of one kind by one
/// person as "Bob commented on 3 cards in Launch"; anything else counted.
pub fn burst(
    news: &[News],
    name: impl Fn(&str) -> String,
    project: impl Fn(&News) -> String,
) -> Option<String> {
    let first = news.first()?;
    if news.len() == 1 {
        return Some(sentence(first, name));
    }
    let cards: BTreeSet<&str> = news.iter().map(|n| n.task_id.0.as_str()).collect();
    let projects: BTreeSet<String> = news.iter().map(&project).collect();
    let place = match projects.len() {
        1 => format!(" in {}", project(first)),
        n => format!(" in {n} projects"),
    };
    let cards = match cards.len() {
        1 => format!("“{}”", first.title),
        n => format!("{n} cards"),
    };
    let actors: BTreeSet<Option<&str>> = news.iter().map(|n| n.actor.as_deref()).collect();
    let kinds: BTreeSet<NewsKind> = news.iter().map(|n| n.kind).collect();
    if let ([Some(actor)], [kind]) = (
        actors.iter().copied().collect::<Vec<_>>().as_slice(),
        kinds.iter().copied().collect::<Vec<_>>().as_slice(),
    ) {
        let who = name(actor);
        let did = match kind {
            NewsKind::Assigned => "put you on",
            NewsKind::Mentioned => "mentioned you on",
            NewsKind::Commented => "commented on",
            NewsKind::Moved => "moved",
            NewsKind::Archived => "archived",
            NewsKind::Due => "set a due date on",
        };
        return Some(format!("{who} {did} {cards}{place}"));
    }
    Some(format!("{} updates on {cards}{place}", news.len()))
}

fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let mut short: String = line.chars().take(120).collect();
    if short.chars().count() < line.chars().count() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ProjectId, TaskId};

    fn news(kind: NewsKind, actor: &str, task: &str) -> News {
        News {
            id: format!("{kind:?}-{task}"),
            kind,
            project_id: ProjectId("p".into()),
            task_id: TaskId(task.into()),
            actor: (!actor.is_empty()).then(|| actor.to_owned()),
            title: format!("Card {task}"),
            column: Some("Doing".into()),
            excerpt: Some("\nLooks good to me, ship it\nsecond line".into()),
            due: Some("2026-12-06".into()),
            created_at: 0,
            read_at: None,
        }
    }

    fn name(login: &str) -> String {
        match login {
            "bob" => "Bob Li".to_owned(),
            other => other.to_owned(),
        }
    }

    #[test]
    fn each_kind_of_news_reads_as_a_sentence_about_you() {
        let said: Vec<String> = [
            news(NewsKind::Assigned, "bob", "1"),
            news(NewsKind::Mentioned, "bob", "1"),
            news(NewsKind::Commented, "carol", "1"),
            news(NewsKind::Moved, "bob", "1"),
            news(NewsKind::Archived, "bob", "1"),
            news(NewsKind::Due, "", "1"),
        ]
        .iter()
        .map(|n| sentence(n, name))
        .collect();
        assert_eq!(
            said,
            [
                "Bob Li put you on “Card 1”",
                "Bob Li mentioned you on “Card 1”: Looks good to me, ship it",
                "carol commented on “Card 1”: Looks good to me, ship it",
                "Bob Li moved “Card 1” to Doing",
                "Bob Li archived “Card 1”",
                "“Card 1” is due 2026-12-06",
            ]
        );
    }

    #[test]
    fn a_burst_is_one_sentence() {
        let project = |_: &News| "Launch".to_owned();
        let comments: Vec<News> = ["1", "2", "3"]
            .iter()
            .map(|t| news(NewsKind::Commented, "bob", t))
            .collect();
        assert_eq!(
            burst(&comments, name, project).unwrap(),
            "Bob Li commented on 3 cards in Launch"
        );
        let mixed = [
            news(NewsKind::Commented, "bob", "1"),
            news(NewsKind::Moved, "carol", "1"),
        ];
        assert_eq!(
            burst(&mixed, name, project).unwrap(),
            "2 updates on “Card 1” in Launch"
        );
        assert_eq!(
            burst(&comments[..1], name, project).unwrap(),
            "Bob Li commented on “Card 1”: Looks good to me, ship it"
        );
        assert!(burst(&[], name, project).is_none());
    }
}

#[cfg(test)]
mod where_to_tell {
    use super::*;

    fn copy(
        login: &str,
        instance: &str,
        window: &str,
        active_at: i64,
        task: Option<&str>,
    ) -> Presence {
        Presence {
            login: login.into(),
            instance: instance.into(),
            window_label: window.into(),
            project_id: None,
            task_id: task.map(|t| TaskId(t.into())),
            editing: None,
            active_at,
        }
    }

    #[test]
    fn news_is_told_on_the_one_machine_where_its_person_last_was() {
        let here = [
            copy("alice", "laptop", "", 100, None),
            copy("alice", "desktop", "", 200, None),
            copy("alice", "desktop", "board-1", 200, Some("ship")),
            copy("bob", "bobs", "", 900, None),
        ];
        assert!(tells_here(&here, "alice", "desktop"));
        assert!(!tells_here(&here, "alice", "laptop"));
        // A tie goes to one of them, the same for both.
        let tied = [
            copy("alice", "b", "", 5, None),
            copy("alice", "a", "", 5, None),
        ];
        assert!(tells_here(&tied, "alice", "a") && !tells_here(&tied, "alice", "b"));
        // Nowhere to be seen: every copy tells.
        assert!(tells_here(&here, "carol", "anywhere"));
        let looking: Vec<&TaskId> = looking_at(&here, "alice").collect();
        assert_eq!(looking, [&TaskId("ship".into())]);
    }

    #[test]
    fn news_reads_from_its_logged_row() {
        let row = serde_json::json!({"id": "n1", "login": "alice", "kind": "moved",
            "project_id": "p", "task_id": "t", "actor": "bob",
            "detail": {"title": "Ship", "column": "Done"}, "created_at": 5, "read_at": null});
        let (login, news) = logged(&row).unwrap();
        assert_eq!(
            (login.as_str(), news.kind, news.column.as_deref()),
            ("alice", NewsKind::Moved, Some("Done"))
        );
        assert!(logged(&serde_json::json!({"id": "n1"})).is_none());
    }
}

//! A person's news as sentences: one item, or a burst of them told as one.

use std::collections::BTreeSet;

use crate::model::{News, NewsKind};

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

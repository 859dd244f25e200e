//! Desktop notifications of changes made elsewhere: which changes count, how they are gathered
//! into one message per project, and how often one may be shown.
//!
//! The hub runs one [`Gatherer`] for the whole machine, so a change is told at most once however
//! many copies of Tandem run: it reads every change once, in order, from its store's bus, and
//! sends each finished [`Notice`] to one instance (see the hub). Pure and clock-driven, so the
//! rules are tested without waiting.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::model::{Actor, Change, EntityKind, ProjectId};

/// How long a project's changes must have been quiet before they are told: a burst is one
/// notification.
pub const QUIET: Duration = Duration::from_secs(1);
/// The longest a change waits to be told while changes keep coming.
pub const MOST_DELAY: Duration = Duration::from_secs(5);
/// The least time between two notifications about one project.
pub const SPACING: Duration = Duration::from_secs(5);

/// What an instance tells the hub about its user's attention.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attention {
    /// The instance's focused window, if one of its windows has the focus.
    #[serde(default)]
    pub focused: Option<String>,
    /// Whether the user wants notifications (the setting, as this instance last read it).
    #[serde(default)]
    pub notify: bool,
}

/// One notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub project: ProjectId,
    /// "4 tasks changed in Inbox".
    pub title: String,
    /// "“Ship”, “Plan” and 2 more, from the command line".
    pub body: String,
}

/// Changes of one project waiting to be told.
#[derive(Debug)]
struct Pending {
    first: Instant,
    last: Instant,
    /// Tasks touched (a task's checklist and labels count as the task), with their titles as
    /// far as the changes tell them.
    tasks: BTreeMap<String, Option<String>>,
    /// Who made them.
    by: BTreeSet<By>,
    /// The project's name, if a change said it.
    name: Option<String>,
}

/// Who made a change, as a notification says it: another person, by their login (named when
/// told), or, for the user's own changes elsewhere, where they were made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum By {
    Person(String),
    Place(&'static str),
}

/// Gathers the changes to tell, per project, and says when each project's notification is due.
#[derive(Debug, Default)]
pub struct Gatherer {
    pending: HashMap<ProjectId, Pending>,
    last_told: HashMap<ProjectId, Instant>,
    /// The login of the machine's person: their own changes are told by where they were made,
    /// anyone else's by who made them.
    me: Option<String>,
}

impl Gatherer {
    /// A gatherer for the person logged in as `me`.
    pub fn for_person(me: &str) -> Gatherer {
        Gatherer {
            me: Some(me.to_owned()),
            ..Gatherer::default()
        }
    }

    /// Takes in a committed change, unless it was made in a window that had the focus (the user
    /// saw it being made): `focused` are the focused windows, as (instance, window label).
    pub fn push(&mut self, now: Instant, change: &Change, focused: &[(String, String)]) {
        let Some(project) = &change.project_id else {
            return;
        };
        // A person's watching and news are theirs, not news of the board.
        if matches!(
            change.entity,
            EntityKind::Watch | EntityKind::ProjectWatch | EntityKind::News
        ) {
            return;
        }
        // Someone else's change: telling every teammate's would be a flood. What of it
        // concerns the person reaches them as their news, once.
        if change
            .author
            .as_ref()
            .is_some_and(|author| self.me.is_some() && Some(author) != self.me.as_ref())
        {
            return;
        }
        if let Some(origin) = &change.origin {
            let in_focus = origin.window.as_ref().is_some_and(|window| {
                focused
                    .iter()
                    .any(|(i, w)| *i == origin.instance && w == window)
            });
            if in_focus {
                return;
            }
        }
        let pending = self.pending.entry(project.clone()).or_insert(Pending {
            first: now,
            last: now,
            tasks: BTreeMap::new(),
            by: BTreeSet::new(),
            name: None,
        });
        pending.last = now;
        let by = match &change.author {
            Some(author) if Some(author) != self.me.as_ref() => By::Person(author.clone()),
            _ => By::Place(match change.origin.as_ref().map(|o| o.actor) {
                None => "another program",
                Some(Actor::Cli) => "the command line",
                Some(Actor::Gui | Actor::Hub) => "another window",
            }),
        };
        pending.by.insert(by);
        // Read from the change's JSON only for the kinds that need a field: the hub sees every
        // change on the machine.
        let field = |name: &str| {
            let row = row_of(change);
            row.get(name).and_then(|v| v.as_str()).map(str::to_owned)
        };
        match change.entity {
            EntityKind::Task => {
                let title = field("title");
                let known = pending.tasks.entry(change.entity_id.clone()).or_default();
                if title.is_some() {
                    *known = title;
                }
            }
            EntityKind::Subtask
            | EntityKind::TaskLabel
            | EntityKind::TaskAssignee
            | EntityKind::Comment => {
                if let Some(task) = field("task_id") {
                    pending.tasks.entry(task).or_default();
                }
            }
            EntityKind::Project => pending.name = field("name").or(pending.name.take()),
            EntityKind::Column
            | EntityKind::Label
            | EntityKind::Member
            | EntityKind::Watch
            | EntityKind::ProjectWatch
            | EntityKind::News => {}
        }
    }

    /// When the next notification is due, if any change waits.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending
            .iter()
            .map(|(project, pending)| self.due_at(project, pending))
            .min()
    }

    /// The notifications due at `now`, each project's changes in one; `name` gives a project's
    /// name when the changes did not, `person` a person's name by their login.
    pub fn due(
        &mut self,
        now: Instant,
        name: impl Fn(&ProjectId) -> Option<String>,
        person: impl Fn(&str) -> Option<String>,
    ) -> Vec<Notice> {
        let ready: Vec<ProjectId> = self
            .pending
            .iter()
            .filter(|(project, pending)| self.due_at(project, pending) <= now)
            .map(|(project, _)| project.clone())
            .collect();
        let mut notices = Vec::new();
        for project in ready {
            let Some(pending) = self.pending.remove(&project) else {
                continue;
            };
            self.last_told.insert(project.clone(), now);
            let name = pending
                .name
                .clone()
                .or_else(|| name(&project))
                .unwrap_or_else(|| "a project".to_owned());
            notices.push(describe(project, &name, &pending, &person));
        }
        notices
    }

    fn due_at(&self, project: &ProjectId, pending: &Pending) -> Instant {
        let gathered = (pending.last + QUIET).min(pending.first + MOST_DELAY);
        match self.last_told.get(project) {
            Some(told) => gathered.max(*told + SPACING),
            None => gathered,
        }
    }
}

/// The row a change shows: after it, or before it for a deletion.
fn row_of(change: &Change) -> serde_json::Map<String, serde_json::Value> {
    change
        .data
        .as_ref()
        .or(change.previous.as_ref())
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .unwrap_or_default()
}

fn describe(
    project: ProjectId,
    name: &str,
    pending: &Pending,
    person: &impl Fn(&str) -> Option<String>,
) -> Notice {
    let count = pending.tasks.len();
    let title = match count {
        0 => format!("{name} changed"),
        1 => format!("1 task changed in {name}"),
        n => format!("{n} tasks changed in {name}"),
    };
    let titles: Vec<String> = pending
        .tasks
        .values()
        .flatten()
        .take(3)
        .map(|t| format!("“{t}”"))
        .collect();
    let by = pending
        .by
        .iter()
        .map(|by| match by {
            By::Person(login) => person(login).unwrap_or_else(|| login.clone()),
            By::Place(place) => (*place).to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" and ");
    let body = match titles.len() {
        0 => format!("Changed by {by}."),
        shown => {
            let more = count - shown;
            let list = if more > 0 {
                format!("{} and {more} more", titles.join(", "))
            } else {
                titles.join(", ")
            };
            format!("{list}, changed by {by}.")
        }
    };
    Notice {
        project,
        title,
        body,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::value::RawValue;

    use super::*;
    use crate::model::{Op, Origin};

    fn change(
        seq: i64,
        entity: EntityKind,
        id: &str,
        data: &str,
        origin: Option<Origin>,
    ) -> Change {
        Change {
            seq,
            op: Op::Update,
            entity,
            entity_id: id.into(),
            project_id: Some(ProjectId::from("inbox")),
            data: Some(RawValue::from_string(data.into()).unwrap()),
            previous: None,
            origin,
            author: None,
            at: 0,
        }
    }

    fn task(seq: i64, id: &str, title: &str, origin: Option<Origin>) -> Change {
        let data = format!(r#"{{"id":"{id}","title":"{title}"}}"#);
        change(seq, EntityKind::Task, id, &data, origin)
    }

    fn window(instance: &str, label: &str) -> Origin {
        Origin {
            window: Some(label.into()),
            ..Origin::new(instance, Actor::Gui)
        }
    }

    fn inbox(_: &ProjectId) -> Option<String> {
        Some("Inbox".into())
    }

    fn nobody(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn ones_own_changes_elsewhere_are_told_and_another_persons_are_left_to_their_news() {
        let mut gatherer = Gatherer::for_person("alice");
        let now = Instant::now();
        let cli = Some(Origin::new("cli", Actor::Cli));
        let mut bobs = task(1, "t1", "Ship", cli.clone());
        bobs.author = Some("bob".into());
        let mut mine = task(2, "t2", "Plan", cli);
        mine.author = Some("alice".into());
        gatherer.push(now, &bobs, &[]);
        gatherer.push(now, &mine, &[]);
        let told = gatherer.due(now + QUIET, inbox, nobody);
        assert_eq!(told.len(), 1);
        assert_eq!(told[0].body, "“Plan”, changed by the command line.");
        // Bob's alone tells nothing.
        let mut gatherer = Gatherer::for_person("alice");
        gatherer.push(now, &bobs, &[]);
        assert!(gatherer.due(now + QUIET, inbox, nobody).is_empty());
    }

    #[test]
    fn a_burst_of_changes_is_one_notification_once_quiet() {
        let mut gatherer = Gatherer::default();
        let t0 = Instant::now();
        let cli = Some(Origin::new("cli", Actor::Cli));
        for i in 0..50 {
            let at = t0 + Duration::from_millis(20 * i);
            let id = format!("t{}", i % 4);
            gatherer.push(
                at,
                &task(i as i64, &id, &format!("Task {}", i % 4), cli.clone()),
                &[],
            );
        }
        let last = t0 + Duration::from_millis(20 * 49);
        assert_eq!(gatherer.deadline(), Some(last + QUIET));
        assert!(
            gatherer.due(last, inbox, nobody).is_empty(),
            "not while it goes on"
        );
        let told = gatherer.due(last + QUIET, inbox, nobody);
        assert_eq!(
            told,
            [Notice {
                project: ProjectId::from("inbox"),
                title: "4 tasks changed in Inbox".into(),
                body: "“Task 0”, “Task 1”, “Task 2” and 1 more, changed by the command line."
                    .into(),
            }]
        );
        assert_eq!(gatherer.deadline(), None);
    }

    #[test]
    fn changes_that_keep_coming_are_told_within_the_longest_delay_and_then_spaced() {
        let mut gatherer = Gatherer::default();
        let t0 = Instant::now();
        let mut at = t0;
        for i in 0..20 {
            gatherer.push(at, &task(i, "t1", "Ship", None), &[]);
            at += Duration::from_millis(500);
        }
        assert_eq!(gatherer.deadline(), Some(t0 + MOST_DELAY));
        let first = gatherer.due(t0 + MOST_DELAY, inbox, nobody);
        assert_eq!(first[0].title, "1 task changed in Inbox");
        assert_eq!(first[0].body, "“Ship”, changed by another program.");
        gatherer.push(t0 + MOST_DELAY, &task(30, "t1", "Ship", None), &[]);
        assert_eq!(
            gatherer.deadline(),
            Some(t0 + MOST_DELAY + SPACING),
            "at most one per project per spacing"
        );
    }

    #[test]
    fn a_change_made_in_a_focused_window_is_not_told_but_one_from_an_unfocused_one_is() {
        let mut gatherer = Gatherer::default();
        let now = Instant::now();
        let focused = [("a".to_owned(), "board-1".to_owned())];
        gatherer.push(
            now,
            &task(1, "t1", "Mine", Some(window("a", "board-1"))),
            &focused,
        );
        assert_eq!(gatherer.deadline(), None);
        gatherer.push(
            now,
            &task(2, "t2", "Theirs", Some(window("b", "board-1"))),
            &focused,
        );
        let told = gatherer.due(now + QUIET, inbox, nobody);
        assert_eq!(told[0].body, "“Theirs”, changed by another window.");
    }

    #[test]
    fn checklists_and_labels_count_as_their_task_and_columns_as_the_project() {
        let mut gatherer = Gatherer::default();
        let now = Instant::now();
        let item = change(1, EntityKind::Subtask, "s1", r#"{"task_id":"t1"}"#, None);
        let column = change(2, EntityKind::Column, "c1", r#"{"name":"Doing"}"#, None);
        gatherer.push(now, &item, &[]);
        gatherer.push(now, &column, &[]);
        let told = gatherer.due(now + QUIET, inbox, nobody);
        assert_eq!(told[0].title, "1 task changed in Inbox");
        assert_eq!(told[0].body, "Changed by another program.");

        gatherer.push(now + SPACING, &column, &[]);
        let told = gatherer.due(now + SPACING + QUIET, inbox, nobody);
        assert_eq!(told[0].title, "Inbox changed");
    }
}

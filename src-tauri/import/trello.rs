//! Trello's board export (JSON), as Trello has written it over the years.

use std::collections::HashMap;

use super::dates::{due_noted, ISO_ONLY};
use super::{checked_project, refused, Here, Notes, Plan, LABEL_COLOR, TRELLO_COLORS};
use crate::error::Result;
use crate::model::{plain, Priority};
use crate::validate;

/// The parts of Trello's board export (Board ▸ Print, export and share ▸ Export as JSON) that a
/// board is made of; everything else in the file is ignored.
#[derive(serde::Deserialize)]
struct TrelloBoard {
    name: String,
    lists: Vec<TrelloList>,
    cards: Vec<TrelloCard>,
    #[serde(default)]
    labels: Vec<TrelloLabel>,
    #[serde(default)]
    checklists: Vec<TrelloChecklist>,
    /// The board's people: a card names its members by their ids.
    #[serde(default)]
    members: Vec<TrelloMember>,
    /// What happened on the board, the latest first: its `commentCard` actions are the cards'
    /// conversations. Read loosely, each on its own, as actions come in many shapes.
    #[serde(default)]
    actions: Vec<serde_json::Value>,
    /// Older exports: the labels' names by colour, before labels had ids of their own.
    #[serde(default, rename = "labelNames")]
    label_names: HashMap<String, String>,
    /// The board's custom fields (a Power-Up), which Tandem has no place for.
    #[serde(default, rename = "customFields")]
    custom_fields: Vec<TrelloNamed>,
}

#[derive(serde::Deserialize)]
struct TrelloNamed {
    #[serde(default)]
    name: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloAttachment {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(serde::Deserialize)]
struct TrelloMember {
    id: String,
    username: String,
}

#[derive(serde::Deserialize)]
struct TrelloList {
    id: String,
    name: String,
    #[serde(default)]
    closed: bool,
    #[serde(default)]
    pos: f64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloCard {
    id: String,
    name: String,
    #[serde(default)]
    desc: String,
    #[serde(default)]
    closed: bool,
    id_list: String,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    due: Option<String>,
    /// When work on it starts: Tandem has no place for it.
    #[serde(default)]
    start: Option<String>,
    /// Its due date ticked off: Tandem has no place for that either.
    #[serde(default)]
    due_complete: Option<bool>,
    #[serde(default)]
    id_labels: Vec<String>,
    /// The card's members, who become its assignees.
    #[serde(default)]
    id_members: Vec<String>,
    /// Older exports carry a card's labels whole, here only.
    #[serde(default)]
    labels: Vec<TrelloLabel>,
    /// Links and uploaded files, each with its URL.
    #[serde(default)]
    attachments: Vec<TrelloAttachment>,
}

#[derive(serde::Deserialize)]
struct TrelloLabel {
    /// Older exports give a card's labels no id.
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    color: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrelloChecklist {
    id_card: String,
    #[serde(default)]
    pos: f64,
    #[serde(default)]
    check_items: Vec<TrelloItem>,
}

#[derive(serde::Deserialize)]
struct TrelloItem {
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    pos: f64,
}

/// How many actions Trello's export holds at most: the latest.
const TRELLO_ACTIONS_KEPT: usize = 1_000;

/// Trello's board export, checked: open lists become columns, their cards become cards in
/// Trello's order (closed ones archived), with their descriptions, due dates, labels (colour
/// names as `#RRGGBB`, unnamed ones named after their colour) and checklists (items of several
/// checklists one after another). Cards go to `project` when given, else to a project named
/// after the board.
pub fn trello(text: &str, project: Option<&str>, here: &Here) -> Result<Plan> {
    if text.trim().is_empty() {
        return Err(refused("the file is empty"));
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| refused(&format!("it is not JSON, or it is cut short ({e})")))?;
    if !(value.get("lists").is_some_and(|l| l.is_array())
        && value.get("cards").is_some_and(|c| c.is_array()))
    {
        return Err(refused(
            "it is not a Trello board export (it has no \"lists\" and \"cards\")",
        ));
    }
    let board: TrelloBoard = serde_json::from_value(value).map_err(|e| {
        refused(&format!(
            "it is not a Trello board export as Trello writes it ({e})"
        ))
    })?;

    let mut notes = Notes::default();
    let mut labels: Vec<plain::Label> = Vec::new();
    let mut label_names: HashMap<String, String> = HashMap::new();
    // A label by its id, or (older exports, which give none) by its colour and name.
    let key = |label: &TrelloLabel| {
        if label.id.is_empty() {
            format!("{}/{}", label.color.as_deref().unwrap_or(""), label.name)
        } else {
            label.id.clone()
        }
    };
    // The board's labels, and (older exports) those only its cards carry.
    let every_label = board
        .labels
        .iter()
        .chain(board.cards.iter().flat_map(|c| &c.labels));
    for label in every_label {
        if label_names.contains_key(&key(label)) {
            continue;
        }
        let base = label
            .color
            .as_deref()
            .map(|c| c.trim_end_matches("_dark").trim_end_matches("_light"));
        let color = base
            .and_then(|b| TRELLO_COLORS.iter().find(|(name, _)| *name == b))
            .map_or(LABEL_COLOR, |(_, hex)| hex);
        let named_by_colour = base
            .and_then(|b| board.label_names.get(b))
            .map(|n| n.trim())
            .filter(|n| !n.is_empty());
        let name = match (label.name.trim(), named_by_colour) {
            ("", Some(named)) => named.to_owned(),
            ("", None) => base.unwrap_or("label").to_owned(),
            (named, _) => named.to_owned(),
        };
        if !labels.iter().any(|l| l.name.eq_ignore_ascii_case(&name)) {
            labels.push(plain::Label {
                name: name.clone(),
                color: color.to_owned(),
            });
        }
        label_names.insert(key(label), name);
    }

    let mut checklists: Vec<&TrelloChecklist> = board.checklists.iter().collect();
    checklists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut items_of: HashMap<&str, Vec<plain::Item>> = HashMap::new();
    for checklist in checklists {
        let mut items: Vec<&TrelloItem> = checklist.check_items.iter().collect();
        items.sort_by(|a, b| a.pos.total_cmp(&b.pos));
        items_of
            .entry(checklist.id_card.as_str())
            .or_default()
            .extend(items.into_iter().map(|item| plain::Item {
                title: item.name.clone(),
                done: item.state == "complete",
            }));
    }

    let mut comments_of = trello_comments(&board);

    let mut lists: Vec<&TrelloList> = board.lists.iter().collect();
    lists.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    let mut cards: Vec<&TrelloCard> = board.cards.iter().collect();
    cards.sort_by(|a, b| a.pos.total_cmp(&b.pos));
    // A closed list's cards come in archived, into the first open column, each saying which
    // list it was in: Tandem archives cards, not columns.
    let open: Vec<&&TrelloList> = lists.iter().filter(|l| !l.closed).collect();
    let closed_list = |id: &str| lists.iter().find(|l| l.id == id && l.closed);
    // A card whose list the export lacks (moved to another board, or a file cut short) comes
    // into the first column too, as it was, saying so.
    let unknown_list = |id: &str| !lists.iter().any(|l| l.id == id);
    let first_open = open.first().map(|l| l.id.as_str());
    let in_column = |card: &TrelloCard, list: &str| {
        card.id_list == list
            || (Some(list) == first_open
                && (closed_list(&card.id_list).is_some() || unknown_list(&card.id_list)))
    };
    let mut due_of_card: HashMap<&str, String> = HashMap::new();
    for card in &cards {
        if let Some(day) = card
            .due
            .as_deref()
            .filter(|due| !due.trim().is_empty())
            .and_then(|due| due_noted(due, &here.zone, &ISO_ONLY, &mut notes))
        {
            due_of_card.insert(card.id.as_str(), day);
        }
        if let Some(list) = closed_list(&card.id_list) {
            notes.add(
                ["card of a closed list", "cards of closed lists"],
                "brought in archived, each naming its list",
                list.name.clone(),
            );
        }
        if card.start.as_deref().is_some_and(|s| !s.trim().is_empty()) {
            notes.add(
                ["start date", "start dates"],
                "left out, Tandem having no place for them",
                card.name.clone(),
            );
        }
        if card.due_complete == Some(true) {
            notes.add(
                ["due date marked complete", "due dates marked complete"],
                "kept without the mark, Tandem having no place for it",
                card.name.clone(),
            );
        }
        if unknown_list(&card.id_list) {
            notes.add(
                [
                    "card of a list not in the file",
                    "cards of lists not in the file",
                ],
                "put in the first column",
                card.name.clone(),
            );
        }
        for attachment in &card.attachments {
            if !attachment.url.is_empty() {
                notes.add(
                    ["attachment", "attachments"],
                    "added to their cards' descriptions as links",
                    attachment.name.clone(),
                );
            }
        }
    }
    let description = |card: &TrelloCard| {
        let mut text = card.desc.clone();
        let links: Vec<String> = card
            .attachments
            .iter()
            .filter(|a| !a.url.is_empty())
            .map(|a| {
                let name = if a.name.trim().is_empty() {
                    &a.url
                } else {
                    &a.name
                };
                format!("- [{}]({})", name.replace(['[', ']'], ""), a.url)
            })
            .collect();
        if !links.is_empty() {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str("Attachments:\n");
            text.push_str(&links.join("\n"));
        }
        if let Some(list) = closed_list(&card.id_list) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(&format!("(In Trello, in the closed list “{}”.)", list.name));
        }
        text
    };
    if first_open.is_none()
        && cards
            .iter()
            .any(|c| closed_list(&c.id_list).is_some() || unknown_list(&c.id_list))
    {
        return Err(refused(
            "every list of the board is closed: there is no column for its cards",
        ));
    }
    let columns = open
        .into_iter()
        .map(|list| plain::Column {
            name: list.name.clone(),
            wip_limit: None,
            cards: cards
                .iter()
                .filter(|c| in_column(c, &list.id))
                .map(|card| plain::Card {
                    title: card.name.clone(),
                    description: description(card),
                    priority: Priority::None,
                    due_date: due_of_card.remove(card.id.as_str()),
                    labels: card
                        .id_labels
                        .iter()
                        .cloned()
                        .chain(card.labels.iter().map(key))
                        .filter_map(|id| label_names.get(&id).cloned())
                        .collect(),
                    assignees: card
                        .id_members
                        .iter()
                        .filter_map(|id| {
                            board
                                .members
                                .iter()
                                .find(|m| &m.id == id)
                                .map(|m| m.username.clone())
                        })
                        .collect(),
                    checklist: items_of.remove(card.id.as_str()).unwrap_or_default(),
                    archived: card.closed || closed_list(&card.id_list).is_some(),
                    comments: comments_of.remove(card.id.as_str()).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let project = plain::Project {
        name: project.unwrap_or(&board.name).to_owned(),
        labels,
        columns,
    };
    for field in &board.custom_fields {
        notes.add(
            ["custom field", "custom fields"],
            "left out, Tandem having no place for them",
            field.name.clone(),
        );
    }
    let mut said = notes.sentences();
    if board.actions.len() >= TRELLO_ACTIONS_KEPT {
        said.push(format!(
            "Trello's export holds only the board's latest {TRELLO_ACTIONS_KEPT} actions: older \
             comments are not in the file"
        ));
    }
    let place = format!("board {:?}", board.name);
    Ok(Plan {
        projects: vec![checked_project(project, &place)?],
        notes: said,
        csv: None,
    })
}

/// The cards' conversations in a Trello export, by card id, oldest first: each `commentCard`
/// action with its text, its author's username and its date. A comment whose author has no
/// username Tandem can take as a login is the importer's, its text led by the author's name.
fn trello_comments(board: &TrelloBoard) -> HashMap<&str, Vec<plain::Comment>> {
    let mut comments: HashMap<&str, Vec<plain::Comment>> = HashMap::new();
    for action in &board.actions {
        if action.get("type").and_then(|t| t.as_str()) != Some("commentCard") {
            continue;
        }
        let data = action.get("data");
        let text = data.and_then(|d| d.get("text")).and_then(|t| t.as_str());
        let card = data
            .and_then(|d| d.get("card"))
            .and_then(|c| c.get("id"))
            .and_then(|i| i.as_str());
        let (Some(text), Some(card)) = (text, card) else {
            continue;
        };
        let creator = action.get("memberCreator");
        let username = creator
            .and_then(|m| m.get("username"))
            .and_then(|u| u.as_str())
            .or_else(|| {
                let id = action.get("idMemberCreator")?.as_str()?;
                let member = board.members.iter().find(|m| m.id == id)?;
                Some(member.username.as_str())
            });
        let full_name = creator
            .and_then(|m| m.get("fullName"))
            .and_then(|n| n.as_str());
        let at = action
            .get("date")
            .and_then(|d| d.as_str())
            .and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            })
            .unwrap_or_else(time::OffsetDateTime::now_utc);
        let (author, body) = match username.map(validate::login) {
            Some(Ok(login)) => (login, text.to_owned()),
            _ => {
                let name = full_name.or(username).unwrap_or("Someone on Trello");
                (String::new(), format!("**{name}:** {text}"))
            }
        };
        comments.entry(card).or_default().push(plain::Comment {
            author,
            body,
            at,
            edited: None,
        });
    }
    for thread in comments.values_mut() {
        thread.sort_by_key(|c| c.at);
    }
    comments
}

#[cfg(test)]
mod tests {
    use jiff::tz::TimeZone;

    use super::*;

    fn utc() -> Here {
        Here {
            zone: TimeZone::UTC,
            locale: None,
        }
    }

    #[test]
    fn a_trello_card_whose_list_the_file_lacks_comes_in_and_what_has_no_place_is_said() {
        let board = r#"{"name": "B",
            "lists": [{"id": "l1", "name": "Todo", "pos": 1}, {"id": "l2", "name": "Done", "pos": 2}],
            "cards": [{"id": "c1", "name": "Kept", "idList": "l2", "pos": 1,
                       "start": "2026-12-01T09:00:00.000Z", "due": "2026-12-02T09:00:00.000Z",
                       "dueComplete": true},
                      {"id": "c3", "name": "Nulls", "idList": "l2", "pos": 3,
                       "start": null, "due": null, "dueComplete": null},
                      {"id": "c2", "name": "Orphan", "idList": "gone", "pos": 2}]}"#;
        let plan = trello(board, None, &utc()).unwrap();
        let columns: Vec<(&str, Vec<&str>)> = plan.projects[0]
            .columns
            .iter()
            .map(|c| {
                let titles = c.cards.iter().map(|k| k.title.as_str()).collect();
                (c.name.as_str(), titles)
            })
            .collect();
        assert_eq!(
            columns,
            [("Todo", vec!["Orphan"]), ("Done", vec!["Kept", "Nulls"])]
        );
        assert!(!plan.projects[0].columns[0].cards[0].archived);
        assert_eq!(
            plan.notes,
            [
                "1 start date left out, Tandem having no place for them: “Kept”",
                "1 due date marked complete kept without the mark, Tandem having no place for \
                 it: “Kept”",
                "1 card of a list not in the file put in the first column: “Orphan”"
            ]
        );
    }

    #[test]
    fn a_trello_export_cut_at_its_action_limit_says_older_comments_are_missing() {
        let actions: Vec<String> = (0..TRELLO_ACTIONS_KEPT)
            .map(|i| format!(r#"{{"type": "updateCard", "id": "a{i}"}}"#))
            .collect();
        let board = format!(
            r#"{{"name": "B", "lists": [{{"id": "l", "name": "To Do"}}],
                "cards": [{{"id": "c", "name": "Card", "idList": "l"}}],
                "actions": [{}]}}"#,
            actions.join(",")
        );
        let plan = trello(&board, None, &utc()).unwrap();
        assert_eq!(
            plan.notes,
            [
                "Trello's export holds only the board's latest 1000 actions: older comments are \
              not in the file"
            ]
        );
        let whole = trello(
            &board.replace(r#"{"type": "updateCard", "id": "a0"},"#, ""),
            None,
            &utc(),
        );
        assert!(
            whole.unwrap().notes.is_empty(),
            "fewer than the limit: the whole history"
        );
    }

    #[test]
    fn trello_comments_keep_authors_dates_and_order_and_skip_other_actions() {
        let board = r#"{"name": "B", "lists": [{"id": "l", "name": "To Do"}],
            "cards": [{"id": "c", "name": "Card", "idList": "l"}],
            "members": [{"id": "m2", "username": "bea"}],
            "actions": [
                {"type": "commentCard", "date": "2015-03-02T10:00:00.000Z",
                 "idMemberCreator": "m2", "data": {"text": "later", "card": {"id": "c"}}},
                {"type": "updateCard", "date": "2015-03-01T10:00:00.000Z",
                 "data": {"card": {"id": "c"}}},
                {"type": "commentCard", "date": "2015-03-01T09:00:00.000Z",
                 "memberCreator": {"username": "ann", "fullName": "Ann"},
                 "data": {"text": "earlier", "card": {"id": "c"}}},
                {"type": "commentCard", "data": {"text": "no card"}},
                "not even an object"
            ]}"#;
        let plan = trello(board, None, &utc()).unwrap();
        let card = &plan.projects[0].columns[0].cards[0];
        let said: Vec<(&str, &str)> = card
            .comments
            .iter()
            .map(|c| (c.author.as_str(), c.body.as_str()))
            .collect();
        assert_eq!(said, [("ann", "earlier"), ("bea", "later")]);
    }
}

//! People read from a database and turned into [`plugin_api::Owner`]s: one
//! place for the rules every resolver follows (unusable accounts skipped
//! with a note, one owner per person with all the reasons that named them,
//! the first found primary and the others secondary).

use crate::Row;
use plugin_api::Owner;

/// A person as a front-end's database knows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// The front-end's own id (integer or uuid, as text).
    pub id: String,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Why this account must not own anything (`deleted`, `suspended`, `inactive`, `banned`).
    pub unusable: Option<String>,
    /// Front-end specifics for the owner's `extra_json`.
    pub extra: serde_json::Value,
}

/// The result columns holding a person (`id` is read as text).
pub struct Columns<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

impl Person {
    /// `None` when the id column is NULL (a LEFT JOIN that found nobody).
    pub fn from_row(r: &Row, c: &Columns) -> Option<Person> {
        Some(Person {
            id: r.str(c.id)?,
            username: r.text(c.username),
            email: r.text(c.email),
            first_name: r.text(c.first_name),
            last_name: r.text(c.last_name),
            unusable: None,
            extra: serde_json::Value::Null,
        })
    }
}

/// Collects owners in rank order.
#[derive(Default)]
pub struct Picker {
    picked: Vec<(Person, Vec<String>)>,
    notes: Vec<String>,
}

impl Picker {
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds `p` for reason `why` (merged if already there); an unusable
    /// account becomes the note `<why> (user <id>) <state>` instead: the
    /// front-end's own id, never the username or e-mail (a deleted Moodle
    /// user's username holds their former e-mail address).
    pub fn add(&mut self, p: &Person, why: impl Into<String>) {
        let why = why.into();
        if let Some(state) = &p.unusable {
            self.note(format!("{why} (user {}) {state}", p.id));
            return;
        }
        match self.picked.iter_mut().find(|(q, _)| q.id == p.id) {
            Some((_, reasons)) => {
                if !reasons.contains(&why) {
                    reasons.push(why)
                }
            }
            None => self.picked.push((p.clone(), vec![why])),
        }
    }
    /// A note for the report (kept once).
    pub fn note(&mut self, n: impl Into<String>) {
        let n = n.into();
        if !self.notes.contains(&n) {
            self.notes.push(n);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.picked.is_empty()
    }
    /// Takes the notes of another picker (kept once each).
    pub fn add_notes_of(&mut self, other: &Picker) {
        for n in &other.notes {
            self.note(n.clone());
        }
    }
    /// The notes, `; `-joined (empty if none).
    pub fn notes(&self) -> String {
        self.notes.join("; ")
    }
    /// The owners: reason = `reason(reasons)`; extra_json = the person's
    /// `extra` merged with `common` (both JSON objects).
    pub fn into_owners(self, reason: impl Fn(&[String]) -> String, common: &serde_json::Value) -> Vec<Owner> {
        self.picked
            .into_iter()
            .enumerate()
            .map(|(i, (p, reasons))| {
                let mut o = Owner::new(&p.username, &p.email, &p.first_name, &p.last_name).because(reason(&reasons));
                if i > 0 {
                    o = o.secondary();
                }
                let mut extra = match p.extra {
                    serde_json::Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                if let serde_json::Value::Object(c) = common {
                    extra.extend(c.clone());
                }
                o.extra_json = serde_json::Value::Object(extra).to_string().into();
                o
            })
            .collect()
    }
}

//! With the `tracing` feature, every repository call runs in an
//! `alchemy.repository` span naming the table and the operation, and
//! records the rows and statements once it is done.

#![allow(clippy::unwrap_used)] // test code: a failure should panic

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use alchemy_core::base::BigIntBase;
use alchemy_core::filter::Query;
use alchemy_core::{Database, Model, Repository, Session};
use alchemy_sqlx::{SqliteDb, SqliteRepository};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Debug, Clone, sqlx::FromRow, Model)]
#[model(base = BigIntBase)]
struct Note {
    id: i64,
    body: String,
}

/// A span as recorded: its name and its fields, rendered.
type Recorded = (String, BTreeMap<String, String>);

/// A subscriber that keeps every span and the values recorded on it.
#[derive(Default)]
struct Recorder {
    spans: Mutex<Vec<Recorded>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let mut spans = self.spans.lock().unwrap();
        spans.push((span.metadata().name().to_string(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        let index = usize::try_from(span.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn note(body: &str) -> Note {
    Note {
        id: 0,
        body: body.into(),
    }
}

#[tokio::test]
async fn each_repository_call_is_a_span_with_its_rows_and_statements() {
    let recorder = Arc::new(Recorder::default());
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let db = SqliteDb::connect("sqlite::memory:").await.unwrap();
    db.create_tables(&[Note::table()]).await.unwrap();
    let notes = SqliteRepository::<Note>::new();
    let mut s = db.begin().await.unwrap();
    notes.add(&mut s, note("a")).await.unwrap();
    notes
        .add_many(&mut s, vec![note("b"), note("c")])
        .await
        .unwrap();
    assert_eq!(notes.list(&mut s, &Query::new()).await.unwrap().len(), 3);
    s.commit().await.unwrap();

    let spans: Vec<Recorded> = recorder
        .spans
        .lock()
        .unwrap()
        .iter()
        .filter(|(name, _)| name == "alchemy.repository")
        .cloned()
        .collect();
    let expected = |operation: &str, rows: &str, statements: &str| {
        let fields = [
            ("table", "note"),
            ("operation", operation),
            ("rows", rows),
            ("statements", statements),
        ];
        (
            "alchemy.repository".to_string(),
            fields
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        )
    };
    assert_eq!(
        spans,
        [
            expected("add", "1", "1"),
            // On SQLite the insert, then the keys it made.
            expected("add_many", "2", "2"),
            expected("list", "3", "1")
        ]
    );
}

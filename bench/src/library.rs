//! The library side of every workload, written once against the core
//! traits; each backend supplies its models and repositories.

use std::future::Future;

use alchemy_core::filter::{Condition, Query};
use alchemy_core::pagination::KeysetRequest;
use alchemy_core::unique::Unique;
use alchemy_core::{Database, KeyOf, Model, Repository, RepositoryExt, Session};
use serde_json::json;

use crate::common::{Fresh, Run, Settings, is, page_done, timed};
use crate::data::{self, Workload};

/// A post model as the workloads use it.
pub(crate) trait BenchPost: Model {
    /// A new, unsaved post.
    fn new(title: String, content: &str) -> Self;
    /// Replaces the title.
    fn set_title(&mut self, title: String);
}

/// An event model (W8) as the workloads use it.
pub(crate) trait BenchEvent: Model {
    /// Event `i` of [`data::event`], unsaved.
    fn new(i: usize) -> Self;
    /// Its price and its payload's length, for [`data::w8_check`].
    fn checked(&self) -> (rust_decimal::Decimal, usize);
}

/// A backend's database, models and repositories for the workloads.
pub(crate) trait LibBackend {
    /// The database handle.
    type Db: Database;
    /// The post model.
    type Post: BenchPost;
    /// The tag model (unique by name).
    type Tag: Unique<UniqueKey = String>;
    /// Post repository.
    type Posts: Repository<Model = Self::Post, Session = <Self::Db as Database>::Session>;
    /// Tag repository.
    type Tags: Repository<Model = Self::Tag, Session = <Self::Db as Database>::Session>;
    /// The event model (W8).
    type Event: BenchEvent;
    /// Event repository.
    type Events: Repository<Model = Self::Event, Session = <Self::Db as Database>::Session>;

    /// Connects to `fresh` with SQLite's default pragmas (as the raw code does).
    fn connect(fresh: &Fresh) -> impl Future<Output = Result<Self::Db, String>>;
    /// A post repository.
    fn posts() -> Self::Posts;
    /// A tag repository.
    fn tags() -> Self::Tags;
    /// A new, unsaved tag.
    fn tag(name: &str, slug: String) -> Self::Tag;
    /// An event repository.
    fn events() -> Self::Events;
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn seed<B: LibBackend>(
    db: &B::Db,
    titles: impl Iterator<Item = String>,
) -> Result<Vec<B::Post>, String> {
    let mut s = db.begin().await.map_err(err)?;
    let rows = B::posts()
        .add_many(
            &mut s,
            titles.map(|t| B::Post::new(t, data::CONTENT)).collect(),
        )
        .await
        .map_err(err)?;
    s.commit().await.map_err(err)?;
    Ok(rows)
}

async fn count<D: Database, R: Repository<Session = D::Session>>(
    db: &D,
    repo: &R,
    filter: Option<Condition>,
) -> Result<u64, String> {
    let mut s = db.begin().await.map_err(err)?;
    let n = repo.count(&mut s, filter.as_ref()).await.map_err(err)?;
    s.rollback().await.map_err(err)?;
    Ok(n)
}

/// Runs one workload through backend `B` on a fresh database.
pub(crate) async fn run<B: LibBackend>(
    workload: Workload,
    fresh: &Fresh,
    s: &Settings,
) -> Result<Run, String>
where
{
    let db = B::connect(fresh).await?;
    let (posts, tags) = (B::posts(), B::tags());
    Ok(match workload {
        // W1c's raw side is a `COPY`; the library runs W1.
        Workload::W1 | Workload::W1c => {
            let n = s.n(10_000);
            let input: Vec<B::Post> = (0..n)
                .map(|i| B::Post::new(data::title(i), data::CONTENT))
                .collect();
            let (_, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                posts.add_many(&mut sess, input).await.map_err(err)?;
                sess.commit().await.map_err(err)
            })
            .await?;
            let rows = count(&db, &posts, None).await?;
            Run {
                seconds,
                usage,
                check: json!({"rows": rows, "ok": is(rows, n)}),
            }
        }
        Workload::W2 | Workload::W2b => {
            let calls = if workload == Workload::W2 {
                s.n(10_000)
            } else {
                s.n(2_000)
            };
            let names = data::tag_names(s.n(500));
            let slugs: Vec<String> = names
                .iter()
                .map(|n| alchemy_core::slug::slugify(n))
                .collect::<Result<_, _>>()
                .map_err(err)?;
            // By key, as the raw code: a candidate is built only for a name
            // no row has yet.
            let (names, slugs) = (&names, &slugs);
            let make = |k: usize| move || B::tag(&names[k], slugs[k].clone());
            let (_, seconds, usage) = timed(async {
                if workload == Workload::W2 {
                    // One unit of work: the session's cache answers repeats.
                    let mut sess = db.begin().await.map_err(err)?;
                    for i in 0..calls {
                        let k = i % names.len();
                        tags.get_or_create_with(&mut sess, &names[k], make(k))
                            .await
                            .map_err(err)?;
                    }
                    sess.commit().await.map_err(err)
                } else {
                    for i in 0..calls {
                        let k = i % names.len();
                        let mut sess = db.begin().await.map_err(err)?;
                        tags.get_or_create_with(&mut sess, &names[k], make(k))
                            .await
                            .map_err(err)?;
                        sess.commit().await.map_err(err)?;
                    }
                    Ok(())
                }
            })
            .await?;
            let rows = count(&db, &tags, None).await?;
            Run {
                seconds,
                usage,
                check: json!({"rows": rows, "ok": is(rows, names.len().min(calls))}),
            }
        }
        Workload::W3 => {
            let rows = s.n(10_000);
            seed::<B>(&db, (0..rows).map(data::title)).await?;
            let calls = s.n(1_000);
            let (sums, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                let (mut totals, mut items) = (0u64, 0usize);
                for k in 0..calls {
                    let q = Query::new()
                        .filter(Condition::search(["title"], "7", true))
                        .order_by_desc("created_at")
                        .limit(20)
                        .offset(data::w3_offset(k, rows));
                    let (page, total) = posts.list_and_count(&mut sess, &q).await.map_err(err)?;
                    totals += total;
                    items += page.len();
                }
                sess.rollback().await.map_err(err)?;
                Ok((totals, items))
            })
            .await?;
            let want = data::w3_expected(rows, calls);
            Run {
                seconds,
                usage,
                check: json!({"totals": sums.0, "items": sums.1, "ok": sums == want}),
            }
        }
        Workload::W4 => {
            let seeded = seed::<B>(&db, (0..s.n(1_000)).map(data::title)).await?;
            let edits: Vec<B::Post> = seeded
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut p = p.clone();
                    p.set_title(format!("{} (edited)", data::title(i)));
                    p
                })
                .collect();
            let (_, seconds, usage) = timed(async {
                for p in edits {
                    let mut sess = db.begin().await.map_err(err)?;
                    posts.update(&mut sess, p).await.map_err(err)?;
                    sess.commit().await.map_err(err)?;
                }
                Ok(())
            })
            .await?;
            let mut sess = db.begin().await.map_err(err)?;
            let edited = posts
                .list(
                    &mut sess,
                    &Query::new().filter(Condition::ends_with("title", " (edited)", false)),
                )
                .await
                .map_err(err)?;
            sess.rollback().await.map_err(err)?;
            let bumped = edited
                .iter()
                .filter(|p| p.timestamps().is_some_and(|t| t.updated_at > t.created_at))
                .count();
            Run {
                seconds,
                usage,
                check: json!({"bumped": bumped, "ok": bumped == seeded.len()}),
            }
        }
        Workload::W5 => {
            let n = s.n(10_000);
            seed::<B>(&db, (0..n / 2).map(data::upsert_title)).await?;
            let input: Vec<B::Post> = (0..n)
                .map(|i| B::Post::new(data::upsert_title(i), "upserted"))
                .collect();
            let (done, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                let done = posts
                    .upsert_many(&mut sess, input, &["title"])
                    .await
                    .map_err(err)?;
                sess.commit().await.map_err(err)?;
                // The rows returned are the input, moved through: dropped
                // after the timing, as the raw code's input is.
                Ok(done)
            })
            .await?;
            let rows = count(&db, &posts, Some(Condition::eq("content", "upserted"))).await?;
            Run {
                seconds,
                usage,
                check: json!({"rows": rows, "created": done.created, "updated": done.updated, "ok": is(rows, n) && done.created == n - n / 2}),
            }
        }
        Workload::W6 => {
            let seeded = seed::<B>(&db, (0..s.n(5_000)).map(data::title)).await?;
            let keys: Vec<KeyOf<B::Post>> = seeded.iter().map(|p| p.key().clone()).collect();
            let (found, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                let mut found = 0usize;
                for k in &keys {
                    posts.get(&mut sess, k).await.map_err(err)?;
                    found += 1;
                }
                sess.rollback().await.map_err(err)?;
                Ok(found)
            })
            .await?;
            Run {
                seconds,
                usage,
                check: json!({"found": found, "ok": found == keys.len()}),
            }
        }
        Workload::W7k | Workload::W7o => {
            let n = data::walk_rows(s);
            seed::<B>(&db, (0..n).map(data::title)).await?;
            let page = data::WALK_PAGE;
            let (walked, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                let (mut rows, mut pages) = (0usize, 0usize);
                if workload == Workload::W7k {
                    let mut request = KeysetRequest::new("id", page as u64);
                    loop {
                        let got = posts.list_keyset(&mut sess, &request).await.map_err(err)?;
                        rows += got.items.len();
                        pages += 1;
                        page_done();
                        match got.next {
                            Some(next) => request.after = Some(next),
                            None => break,
                        }
                    }
                } else {
                    loop {
                        let q = Query::new()
                            .order_by("id")
                            .limit(page as u64)
                            .offset((pages * page) as u64);
                        let got = posts.list(&mut sess, &q).await.map_err(err)?;
                        rows += got.len();
                        pages += 1;
                        page_done();
                        if got.len() < page {
                            break;
                        }
                    }
                }
                sess.rollback().await.map_err(err)?;
                Ok((rows, pages))
            })
            .await?;
            Run {
                seconds,
                usage,
                check: json!({"rows": walked.0, "ok": walked.0 == n}),
            }
        }
        Workload::W8 => {
            let n = s.n(10_000);
            let input: Vec<B::Event> = (0..n).map(B::Event::new).collect();
            let events = B::events();
            let (read, seconds, usage) = timed(async {
                let mut sess = db.begin().await.map_err(err)?;
                events.add_many(&mut sess, input).await.map_err(err)?;
                sess.commit().await.map_err(err)?;
                let mut sess = db.begin().await.map_err(err)?;
                let read = events.list(&mut sess, &Query::new()).await.map_err(err)?;
                sess.rollback().await.map_err(err)?;
                Ok(read)
            })
            .await?;
            Run {
                seconds,
                usage,
                check: data::w8_check(read.iter().map(B::Event::checked), n),
            }
        }
    })
}

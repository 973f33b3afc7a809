//! The blog of the seed, end to end.

use std::sync::Arc;

use alchemy_core::slug::SlugKey;
use alchemy_core::{LinkRepository, Model, Repository, RepositoryExt, Session};

use crate::fixtures::{PostFixture, TagFixture};
use crate::harness::{Cx, Harness};
use crate::ok;

/// Posts share tags through get-or-create; running the blog twice reuses every tag.
pub async fn blog_posts_share_tags<H: Harness>(cx: Arc<Cx<H>>) {
    let (posts, tags, links) = (cx.h.posts(), cx.h.tags(), cx.h.post_tags());
    let plan: [(&str, &[&str]); 3] = [
        ("Why Rust", &["Rust", "Programming"]),
        ("Async SQL", &["Rust", "Databases", "Async"]),
        ("Schema design", &["Databases"]),
    ];
    let mut tag_keys = Vec::new();
    for run in 0..2 {
        let mut s = cx.begin().await;
        for (title, names) in plan {
            let p = ok(posts.add(&mut s, H::Post::new(title, "…")).await, "post");
            for name in names {
                let slug = ok(tags.available_slug(&mut s, name).await, "slug");
                let t = ok(
                    tags.get_or_create(&mut s, H::Tag::new(name, &slug)).await,
                    "tag",
                );
                ok(links.attach(&mut s, p.key(), t.key()).await, "attach");
                if run == 0 {
                    tag_keys.push((name.to_string(), *t.key()));
                } else {
                    let first = tag_keys.iter().find(|(n, _)| n == name).map(|(_, k)| k);
                    assert_eq!(first, Some(t.key()), "run 2 reuses tag {name}");
                }
            }
            let loaded = ok(links.right_of(&mut s, p.key()).await, "tags of post");
            let mut got: Vec<&str> = loaded.iter().map(|t| t.name()).collect();
            let mut want = names.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "tags of {title}");
            // Tags created in this run have their plain slug.
            for t in &loaded {
                assert_eq!(
                    t.slug(),
                    alchemy_core::slug::slugify(t.name()).unwrap_or_default()
                );
            }
        }
        ok(s.commit().await, "commit");
    }
}

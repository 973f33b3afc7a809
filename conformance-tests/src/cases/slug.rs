//! The slug mixin (foundation point 5).

use std::sync::Arc;

use alchemy_core::slug::SlugKey;
use alchemy_core::{Error, Repository, RepositoryExt, Session};

use crate::fixtures::TagFixture;
use crate::harness::{Cx, Harness};
use crate::{err, ok};

/// "Available slug" is `slugify(name)` when no row uses it.
pub async fn slug_available_is_the_slugified_name_when_free<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let slug = ok(
        cx.h.tags().available_slug(&mut s, "Hello, World!").await,
        "available_slug",
    );
    ok(s.rollback().await, "rollback");
    assert_eq!(slug, "hello-world");
}

/// A taken slug gets `-` and 4 random `[a-z0-9]` characters, and the result is free.
pub async fn slug_available_appends_suffix_when_taken<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    ok(tags.add(&mut s, H::Tag::new("Rust", "rust")).await, "add");
    let slug = ok(tags.available_slug(&mut s, "RUST").await, "available_slug");
    assert_eq!(slug.len(), "rust-".len() + 4, "{slug}");
    assert!(slug.starts_with("rust-"), "{slug}");
    assert!(
        slug[5..]
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()),
        "{slug}"
    );
    assert!(!ok(tags.slug_exists(&mut s, &slug).await, "slug_exists"));
    let second = ok(
        tags.add(&mut s, H::Tag::new("RUST", &slug)).await,
        "add with suffix",
    );
    assert_eq!(second.slug(), slug);
    ok(s.commit().await, "commit");
}

/// A name that slugifies to nothing is `InvalidInput`, and no statement is sent.
pub async fn slug_unusable_name_is_invalid_input<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    let before = s.statements();
    for name in ["!!!", "🦀🎉", "   "] {
        let e = err(cx.h.tags().available_slug(&mut s, name).await, name);
        assert!(matches!(e, Error::InvalidInput { .. }), "{name}: {e}");
    }
    assert_eq!(s.statements(), before, "nothing was sent");
    ok(s.rollback().await, "rollback");
}

/// Unicode names are transliterated to ASCII: by NFKD, then letter by
/// letter where decomposition leaves none (`ß`, `Ø`, `Ł`, Cyrillic, CJK).
pub async fn slug_unicode_name_is_transliterated<H: Harness>(cx: Arc<Cx<H>>) {
    let mut s = cx.begin().await;
    for (name, expected) in [
        ("Crème Brûlée — Ĉu?", "creme-brulee-cu"),
        ("Straße", "strasse"),
        ("Ærøskøbing", "aeroskobing"),
        ("Łódź", "lodz"),
        ("Москва", "moskva"),
        ("日本語 text", "ri-ben-yu-text"),
    ] {
        let slug = ok(
            cx.h.tags().available_slug(&mut s, name).await,
            "available_slug",
        );
        assert_eq!(slug, expected, "{name}");
    }
    ok(s.rollback().await, "rollback");
}

/// Two rows with one slug: `DuplicateKey` on `uq_tag_slug`.
pub async fn slug_duplicate_is_duplicate_key<H: Harness>(cx: Arc<Cx<H>>) {
    let tags = cx.h.tags();
    let mut s = cx.begin().await;
    ok(tags.add(&mut s, H::Tag::new("One", "same")).await, "add");
    let e = err(
        tags.add(&mut s, H::Tag::new("Two", "same")).await,
        "add duplicate slug",
    );
    ok(s.rollback().await, "rollback");
    match e {
        Error::DuplicateKey { constraint, .. } => {
            assert_eq!(constraint.as_deref(), Some("uq_tag_slug"))
        }
        other => panic!("expected DuplicateKey, got {other}"),
    }
}

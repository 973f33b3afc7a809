//! The slug mixin: `slugify` and the [`SlugKey`] trait.

use unicode_normalization::UnicodeNormalization;

use crate::base::Model;
use crate::schema::{Column, ColumnType, Table};
use crate::{Error, Result};

/// Name of the slug column.
pub const SLUG: &str = "slug";
/// Longest slug, in characters.
pub const SLUG_MAX_LEN: usize = 100;
/// Length of the random suffix appended by "available slug".
pub const SUFFIX_LEN: usize = 4;

/// A model with a unique `slug` column (`VARCHAR(100) NOT NULL`, `uq_<table>_slug`);
/// add it to the table with [`SlugColumn::slug`].
///
/// ```
/// use alchemy_core::{Model, base::BigIntBase, slug::SlugKey};
///
/// #[derive(Debug, Clone, Model)]
/// #[model(base = BigIntBase)]
/// pub struct Page {
///     pub id: i64,
///     pub title: String,
///     #[model(slug)] // the column, its unique constraint, and this trait
///     pub slug: String,
/// }
///
/// let mut page = Page { id: 0, title: "Hello".into(), slug: String::new() };
/// page.set_slug(alchemy_core::slug::slugify(&page.title)?);
/// assert_eq!(page.slug(), "hello");
/// # Ok::<(), alchemy_core::Error>(())
/// ```
pub trait SlugKey: Model {
    /// The slug.
    fn slug(&self) -> &str;
    /// Replaces the slug.
    fn set_slug(&mut self, slug: String);
}

/// The slug mixin's column on a [`Table`]: `table.slug()` adds `slug
/// VARCHAR(100) NOT NULL`, unique as `uq_<table>_slug`. In the table
/// builder of [`impl_model!`](crate::impl_model) it is in scope already.
///
/// ```
/// use alchemy_core::base::{Base, BigIntBase};
/// use alchemy_core::slug::SlugColumn;
///
/// let tag = BigIntBase::new_table("tag").slug();
/// assert!(tag.column_named("slug").is_some());
/// ```
pub trait SlugColumn {
    /// Adds the `slug` column and its unique constraint.
    fn slug(self) -> Self;
}

impl SlugColumn for Table {
    fn slug(self) -> Self {
        self.column(Column::new(SLUG, ColumnType::VarChar(SLUG_MAX_LEN)))
            .unique([SLUG])
    }
}

/// Turns `value` into a URL slug.
///
/// # Behavior
/// - NFKD-normalises (`Crème Brûlée` -> `creme-brulee`, `ﬁ` -> `fi`), then
///   transliterates each letter and digit that is still not ASCII with
///   [`deunicode`](https://docs.rs/deunicode), the table the `slug` crate
///   uses: `Straße` -> `strasse`, `Łódź` -> `lodz`, `Москва` -> `moskva`,
///   `日本語` -> `ri-ben-yu`. Other characters that are not ASCII (emoji,
///   symbols, combining marks) are dropped: a slug names its text, not
///   `crab` for 🦀.
/// - Lowercases; drops every character that is not a word character
///   (`[a-z0-9_]`), whitespace or `-`.
/// - Turns each run of whitespace and `-` into one `-`; strips leading and
///   trailing `-` and `_`.
/// - Cuts to [`SLUG_MAX_LEN`] characters, never leaving a trailing `-`.
///
/// # Errors
/// [`Error::InvalidInput`] when nothing is left (`"!!!"`, only emoji).
pub fn slugify(value: &str) -> Result<String> {
    let mut out = String::with_capacity(value.len().min(SLUG_MAX_LEN));
    let mut pending_dash = false;
    let mut push = |c: char| {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || c == '_' {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c);
        } else if c == '-' || c.is_ascii_whitespace() {
            pending_dash = true;
        }
    };
    for c in value.nfkd() {
        if c.is_ascii() {
            push(c);
        } else if c.is_alphanumeric() {
            // Ideographs come with a trailing space: `日本` -> `Ri Ben `.
            deunicode::deunicode_char(c)
                .unwrap_or_default()
                .chars()
                .for_each(&mut push);
        }
    }
    // Leading separators never got written; strip `_` at both ends as well.
    let mut slug = out.trim_matches(|c| c == '-' || c == '_').to_string();
    if slug.len() > SLUG_MAX_LEN {
        slug.truncate(SLUG_MAX_LEN);
        slug = slug.trim_end_matches(['-', '_']).to_string();
    }
    if slug.is_empty() {
        return Err(Error::invalid_input(format!(
            "`{value}` has no characters that can make a slug"
        )));
    }
    Ok(slug)
}

/// `slug` with `-` and a random suffix of [`SUFFIX_LEN`] `[a-z0-9]`
/// characters.
///
/// # Behavior
/// - `slug` is first cut to its first 95 characters (not bytes: any text
///   is cut at a character boundary), so the result has at most
///   [`SLUG_MAX_LEN`] characters.
/// - Trailing `-` and `_` of the cut slug are dropped; an empty slug gives
///   the suffix alone, never a leading `-`.
pub fn with_random_suffix(slug: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let keep = SLUG_MAX_LEN - SUFFIX_LEN - 1;
    let head = match slug.char_indices().nth(keep) {
        Some((end, _)) => &slug[..end],
        None => slug,
    };
    let head = head.trim_end_matches(['-', '_']);
    let mut out = String::with_capacity(head.len() + 1 + SUFFIX_LEN);
    if !head.is_empty() {
        out.push_str(head);
        out.push('-');
    }
    out.extend((0..SUFFIX_LEN).map(|_| {
        let i = rand::random_range(0..ALPHABET.len());
        char::from(ALPHABET[i])
    }));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_examples() {
        assert_eq!(slugify("Hello, World!").unwrap(), "hello-world");
        assert_eq!(slugify("  Crème   Brûlée  ").unwrap(), "creme-brulee");
        assert_eq!(slugify("a -- b").unwrap(), "a-b");
        assert_eq!(slugify("_private_").unwrap(), "private");
        assert_eq!(slugify("Rust 2024 edition").unwrap(), "rust-2024-edition");
        assert_eq!(slugify("ﬁne").unwrap(), "fine", "NFKD splits ligatures");
        assert_eq!(slugify("snake_case stays").unwrap(), "snake_case-stays");
        assert_eq!(slugify("日本語 text").unwrap(), "ri-ben-yu-text");
    }

    #[test]
    fn letters_decomposition_cannot_reduce_are_transliterated() {
        assert_eq!(slugify("Straße").unwrap(), "strasse");
        assert_eq!(slugify("Ærøskøbing").unwrap(), "aeroskobing");
        assert_eq!(slugify("Łódź").unwrap(), "lodz");
        assert_eq!(slugify("Москва").unwrap(), "moskva");
        assert_eq!(slugify("Привет, мир").unwrap(), "privet-mir");
        assert_eq!(slugify("Ελληνικά").unwrap(), "ellenika");
        assert_eq!(slugify("日本語").unwrap(), "ri-ben-yu");
        assert_eq!(slugify("Þórr ǅemal").unwrap(), "thorr-dzemal");
        assert_eq!(slugify("١٢٣ numbers").unwrap(), "123-numbers");
        assert_eq!(
            slugify("café 🦀 bar").unwrap(),
            "cafe-bar",
            "emoji are dropped"
        );
    }

    #[test]
    fn nothing_left_is_an_error() {
        for bad in ["!!!", "🦀🦀", "", "   ", "-_-", "→ ★ ©", "\u{301}"] {
            let e = slugify(bad).unwrap_err();
            assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn long_values_are_cut_without_trailing_dash() {
        let long = format!("{} b", "a".repeat(99));
        let s = slugify(&long).unwrap();
        assert_eq!(s, "a".repeat(99));
        let s = slugify(&"word ".repeat(50)).unwrap();
        assert!(s.len() <= SLUG_MAX_LEN);
        assert!(!s.ends_with('-'));
    }

    #[test]
    fn suffix_keeps_the_limit() {
        let s = with_random_suffix("rust");
        assert_eq!(s.len(), 9);
        assert!(s.starts_with("rust-"));
        assert!(
            s[5..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let s = with_random_suffix(&"a".repeat(100));
        assert_eq!(s.len(), 100);
        assert_ne!(with_random_suffix("x"), with_random_suffix("x"));
    }

    #[test]
    fn suffix_cuts_any_text_at_a_character_boundary() {
        // 96 two-byte characters: byte 95 is inside one.
        let s = with_random_suffix(&"é".repeat(96));
        assert_eq!(s.chars().count(), SLUG_MAX_LEN);
        assert!(s.starts_with(&"é".repeat(95)));
        let s = with_random_suffix(&"日本".repeat(60));
        assert_eq!(s.chars().count(), SLUG_MAX_LEN);
        let s = with_random_suffix(&"🦀".repeat(30));
        assert_eq!(s.chars().count(), 30 + 1 + SUFFIX_LEN);
    }

    #[test]
    fn suffix_of_nothing_has_no_leading_dash() {
        for empty in ["", "-", "--_"] {
            let s = with_random_suffix(empty);
            assert_eq!(s.len(), SUFFIX_LEN, "{empty:?} -> {s:?}");
            assert!(!s.starts_with('-'), "{s}");
        }
    }
}

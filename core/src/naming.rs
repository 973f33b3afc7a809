//! Naming conventions: table names from type names, constraint names from
//! table and column names.
//!
//! | object | name |
//! |---|---|
//! | primary key | `pk_<table>` |
//! | unique | `uq_<table>_<column>[_<column>..]` |
//! | index | `ix_<table>_<column>[_<column>..]` |
//! | foreign key | `fk_<table>_<column>_<referred table>` |
//! | check | `ck_<table>_<name>` |

/// `snake_case` of a Rust type name: `UuidV7AuditBase` -> `uuid_v7_audit_base`,
/// `HTTPServer` -> `http_server`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) if p.is_uppercase() => next.is_some_and(|n| n.is_lowercase()),
                Some(_) => false,
            };
            if boundary {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The default table name of `T`: the `snake_case` of its type name, without
/// module path or generic arguments.
pub fn table_name<T: ?Sized>() -> String {
    let full = std::any::type_name::<T>();
    let without_generics = full.split('<').next().unwrap_or(full);
    let last = without_generics
        .rsplit("::")
        .next()
        .unwrap_or(without_generics);
    snake_case(last)
}

/// `pk_<table>`.
pub fn primary_key(table: &str) -> String {
    format!("pk_{table}")
}

/// `uq_<table>_<columns joined by _>`.
pub fn unique(table: &str, columns: &[&str]) -> String {
    format!("uq_{table}_{}", columns.join("_"))
}

/// `ix_<table>_<columns joined by _>`.
pub fn index(table: &str, columns: &[&str]) -> String {
    format!("ix_{table}_{}", columns.join("_"))
}

/// `fk_<table>_<column>_<referred table>`.
pub fn foreign_key(table: &str, column: &str, referred_table: &str) -> String {
    format!("fk_{table}_{column}_{referred_table}")
}

/// `ck_<table>_<name>`.
pub fn check(table: &str, name: &str) -> String {
    format!("ck_{table}_{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct UuidV7AuditPost;
    #[allow(dead_code)]
    struct Wrapper<T>(T);

    #[test]
    fn snake_case_of_type_names() {
        assert_eq!(snake_case("Post"), "post");
        assert_eq!(snake_case("PostTag"), "post_tag");
        assert_eq!(snake_case("UuidV7AuditBase"), "uuid_v7_audit_base");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("NanoIDBase"), "nano_id_base");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn table_name_drops_path_and_generics() {
        assert_eq!(table_name::<UuidV7AuditPost>(), "uuid_v7_audit_post");
        assert_eq!(table_name::<Wrapper<u8>>(), "wrapper");
    }

    #[test]
    fn constraint_names() {
        assert_eq!(primary_key("post"), "pk_post");
        assert_eq!(unique("tag", &["slug"]), "uq_tag_slug");
        assert_eq!(index("post", &["title"]), "ix_post_title");
        assert_eq!(
            foreign_key("post_tag", "post_id", "post"),
            "fk_post_tag_post_id_post"
        );
        assert_eq!(check("tag", "name_not_empty"), "ck_tag_name_not_empty");
    }
}

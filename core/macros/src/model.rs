//! `#[derive(Model)]`: reads the struct and its `#[model(..)]` attributes,
//! then expands to `impl_model!` (the one implementation of `Model`) plus
//! the `Unique` and `SlugKey` impls the attributes ask for.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, LitBool, LitInt, LitStr, Path, Type};

/// The base's columns, which the base declares.
const ID: &str = "id";
const CREATED_AT: &str = "created_at";
const UPDATED_AT: &str = "updated_at";
/// The slug mixin's column (`alchemy_core::slug::SLUG`).
const SLUG: &str = "slug";

/// The struct-level `#[model(..)]` attributes.
struct Container {
    base: Option<Type>,
    table: Option<LitStr>,
    krate: Path,
    uniques: Vec<Vec<Ident>>,
    indexes: Vec<Vec<Ident>>,
    unique_key: Option<(Vec<Ident>, Span)>,
}

/// One field and its `#[model(..)]` attributes.
struct Field<'a> {
    ident: &'a Ident,
    ty: &'a Type,
    column: String,
    renamed: bool,
    column_type: Option<TokenStream>,
    nullable: bool,
    default: Option<TokenStream>,
    unique: bool,
    index: bool,
    slug: Option<Span>,
    references: Option<(String, String)>,
    on_delete: Option<TokenStream>,
    /// Whether any `#[model(..)]` attribute was given (base fields take none).
    attributed: Option<Span>,
}

pub(crate) fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    if !input.generics.params.is_empty() {
        return Err(syn::Error::new_spanned(
            &input.generics,
            "#[derive(Model)] does not support generic structs: a model is one table",
        ));
    }
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Model)] needs a struct with named fields, one per column",
        ));
    };
    let Fields::Named(named) = &data.fields else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(Model)] needs a struct with named fields, one per column",
        ));
    };
    let container = container(input)?;
    let mut errors: Option<syn::Error> = None;
    let mut push = |e: syn::Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut fields = Vec::new();
    for f in &named.named {
        match field(f, &container.krate) {
            Ok(field) => fields.push(field),
            Err(e) => push(e),
        }
    }
    let model = &input.ident;
    let Some(base) = &container.base else {
        return Err(syn::Error::new_spanned(
            model,
            "#[derive(Model)] needs the base: #[model(base = BigIntAuditBase)] (or another base)",
        ));
    };
    let krate = &container.krate;

    // The base's fields: `id`, then `created_at` and `updated_at` for
    // audited bases. They take no attributes: the base declares them.
    let find = |name: &str| fields.iter().find(|f| f.ident == name);
    let Some(id) = find(ID) else {
        push(syn::Error::new_spanned(
            model,
            "a model needs the key field `id` (its column comes from the base)",
        ));
        return Err(errors.unwrap_or_else(|| syn::Error::new(Span::call_site(), "")));
    };
    let audited = match (find(CREATED_AT), find(UPDATED_AT)) {
        (Some(_), Some(_)) => true,
        (None, None) => false,
        (Some(f), None) | (None, Some(f)) => {
            push(syn::Error::new_spanned(
                f.ident,
                "an audited model has both `created_at` and `updated_at`",
            ));
            false
        }
    };
    let is_base = |f: &Field<'_>| {
        f.ident == ID || (audited && (f.ident == CREATED_AT || f.ident == UPDATED_AT))
    };
    for f in fields.iter().filter(|f| is_base(f)) {
        if let Some(span) = f.attributed {
            push(syn::Error::new(
                span,
                format!("`{}` is the base's column: the base declares it", f.ident),
            ));
        }
    }
    let data: Vec<&Field<'_>> = fields.iter().filter(|f| !is_base(f)).collect();

    // Columns, in field order.
    let mut columns = Vec::new();
    for f in &data {
        if let Some(span) = f.slug {
            if f.column != SLUG {
                push(syn::Error::new(
                    span,
                    "the slug mixin's column is `slug`: name the field `slug` (or `#[model(column = \"slug\")]`)",
                ));
            }
            if f.column_type.is_some()
                || f.nullable
                || f.default.is_some()
                || f.references.is_some()
            {
                push(syn::Error::new(
                    span,
                    "the slug mixin declares its column (VARCHAR(100), NOT NULL, unique): give it no other column attribute",
                ));
            }
            columns.push(quote!(.slug()));
            continue;
        }
        let name = &f.column;
        let ty = f.ty;
        let column_type = f.column_type.clone().unwrap_or_else(
            || quote_spanned!(ty.span()=> <#ty as #krate::schema::FieldType>::COLUMN_TYPE),
        );
        let nullable = f.nullable.then(|| quote!(.nullable()));
        let default = f.default.as_ref().map(|d| quote!(.default(#d)));
        columns.push(quote! {
            .column(#krate::schema::Column::new(#name, #column_type) #nullable #default)
        });
    }

    // Constraints, by column name.
    let column_of = |ident: &Ident| -> syn::Result<String> {
        fields
            .iter()
            .find(|f| f.ident == ident)
            .map(|f| f.column.clone())
            .ok_or_else(|| {
                syn::Error::new_spanned(ident, format!("no field `{ident}` in this struct"))
            })
    };
    let mut uniques: Vec<Vec<String>> = Vec::new();
    let mut constraints = Vec::new();
    for f in &data {
        if f.unique {
            uniques.push(vec![f.column.clone()]);
        }
        if f.index {
            let name = &f.column;
            constraints.push(quote!(.index([#name])));
        }
        if let Some((table, column)) = &f.references {
            let on_delete = f
                .on_delete
                .clone()
                .unwrap_or_else(|| quote!(#krate::schema::OnDelete::Restrict));
            let name = &f.column;
            constraints.push(quote!(.foreign_key(#name, #table, #column, #on_delete)));
        }
    }
    for list in &container.uniques {
        match list.iter().map(column_of).collect::<syn::Result<Vec<_>>>() {
            Ok(names) => uniques.push(names),
            Err(e) => push(e),
        }
    }
    for list in &container.indexes {
        match list.iter().map(column_of).collect::<syn::Result<Vec<_>>>() {
            Ok(names) => constraints.push(quote!(.index([#(#names),*]))),
            Err(e) => push(e),
        }
    }

    // The unique mixin: its key's columns carry a unique constraint.
    let mut unique_impl = TokenStream::new();
    if let Some((idents, span)) = &container.unique_key {
        let keyed: Vec<&Field<'_>> = idents
            .iter()
            .filter_map(|i| match fields.iter().find(|f| f.ident == i) {
                Some(f) => Some(f),
                None => {
                    push(syn::Error::new_spanned(
                        i,
                        format!("no field `{i}` in this struct"),
                    ));
                    None
                }
            })
            .collect();
        if idents.is_empty() {
            push(syn::Error::new(
                *span,
                "unique_key(..) names at least one field",
            ));
        } else if keyed.len() == idents.len() {
            let names: Vec<String> = keyed.iter().map(|f| f.column.clone()).collect();
            if !uniques.contains(&names) {
                uniques.push(names);
            }
            unique_impl = unique(model, krate, &keyed);
        }
    }
    let mut slug_impl = TokenStream::new();
    if let Some(f) = data.iter().find(|f| f.slug.is_some()) {
        let ident = f.ident;
        slug_impl = quote! {
            impl #krate::slug::SlugKey for #model {
                fn slug(&self) -> &str {
                    &self.#ident
                }
                fn set_slug(&mut self, slug: ::std::string::String) {
                    self.#ident = slug;
                }
            }
        };
    }
    for names in &uniques {
        constraints.push(quote!(.unique([#(#names),*])));
    }
    if let Some(e) = errors {
        return Err(e);
    }

    let kind = if audited {
        format_ident!("audited")
    } else {
        format_ident!("plain")
    };
    let table = container.table.as_ref().map(|name| quote!(table = #name,));
    let listed = data.iter().map(|f| {
        let ident = f.ident;
        if f.renamed {
            let column = &f.column;
            quote!(#ident as #column)
        } else {
            quote!(#ident)
        }
    });
    // The base's fields, typed where they are written: a wrong type is
    // reported at the field, not inside the expansion.
    let id_ty = id.ty;
    let key_check = quote_spanned! {id_ty.span()=>
        const _: fn(&#id_ty) -> &#krate::KeyOf<#model> = |key| key;
    };
    let audit_check = if audited {
        let stamp = |name: &str| {
            find(name).map(|f| {
                let ty = f.ty;
                quote_spanned! {ty.span()=>
                    const _: fn(#ty) -> #krate::audit::Timestamps =
                        |stamp| #krate::audit::Timestamps { created_at: stamp, updated_at: stamp };
                }
            })
        };
        let (created, updated) = (stamp(CREATED_AT), stamp(UPDATED_AT));
        quote!(#created #updated)
    } else {
        TokenStream::new()
    };
    let base_message = LitStr::new(
        &if audited {
            format!(
                "`{model}` has `created_at` and `updated_at`, so its base must be audited (e.g. BigIntAuditBase)"
            )
        } else {
            format!(
                "`{model}`'s base is audited: add the fields `created_at` and `updated_at` (DateTime<Utc>)"
            )
        },
        Span::call_site(),
    );
    let base_check = quote_spanned! {base.span()=>
        const _: () = ::std::assert!(
            <#base as #krate::base::Base>::AUDITED == #audited,
            #base_message
        );
    };
    Ok(quote! {
        #krate::impl_model!(
            #model, #base, #table #kind,
            |t| t #(#columns)* #(#constraints)*,
            fields(#(#listed),*)
        );
        #key_check
        #audit_check
        #base_check
        #unique_impl
        #slug_impl
    })
}

/// `impl Unique`: the key is the field's type (one field) or a tuple.
fn unique(model: &Ident, krate: &Path, keyed: &[&Field<'_>]) -> TokenStream {
    let names: Vec<&String> = keyed.iter().map(|f| &f.column).collect();
    let idents: Vec<&Ident> = keyed.iter().map(|f| f.ident).collect();
    let types: Vec<&Type> = keyed.iter().map(|f| f.ty).collect();
    let clone = quote!(::std::clone::Clone::clone);
    let condition = quote!(#krate::filter::Condition);
    if let ([ident], [ty], [name]) = (idents.as_slice(), types.as_slice(), names.as_slice()) {
        return quote! {
            impl #krate::unique::Unique for #model {
                type UniqueKey = #ty;
                fn unique_columns() -> &'static [&'static str] {
                    &[#name]
                }
                fn unique_key(&self) -> #ty {
                    #clone(&self.#ident)
                }
                fn unique_filter(key: &#ty) -> #condition {
                    #condition::eq(#name, #clone(key))
                }
                // Lends the field: a cache hit copies nothing.
                fn with_unique_key<R>(&self, f: impl ::std::ops::FnOnce(&#ty) -> R) -> R {
                    f(&self.#ident)
                }
            }
        };
    }
    let positions = (0..keyed.len()).map(syn::Index::from);
    quote! {
        impl #krate::unique::Unique for #model {
            type UniqueKey = (#(#types),*);
            fn unique_columns() -> &'static [&'static str] {
                &[#(#names),*]
            }
            fn unique_key(&self) -> Self::UniqueKey {
                (#(#clone(&self.#idents)),*)
            }
            fn unique_filter(key: &Self::UniqueKey) -> #condition {
                #condition::and([#(#condition::eq(#names, #clone(&key.#positions))),*])
            }
        }
    }
}

fn container(input: &DeriveInput) -> syn::Result<Container> {
    let mut c = Container {
        base: None,
        table: None,
        krate: syn::parse_quote!(::alchemy_core),
        uniques: Vec::new(),
        indexes: Vec::new(),
        unique_key: None,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("model")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("base") {
                c.base = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("table") {
                c.table = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("crate") {
                let path: LitStr = meta.value()?.parse()?;
                c.krate = path.parse()?;
            } else if meta.path.is_ident("unique") {
                c.uniques.push(idents(&meta)?);
            } else if meta.path.is_ident("index") {
                c.indexes.push(idents(&meta)?);
            } else if meta.path.is_ident("unique_key") {
                let span = meta.path.span();
                c.unique_key = Some((idents(&meta)?, span));
            } else {
                return Err(meta.error(
                    "unknown model attribute; expected `base = ..`, `table = \"..\"`, `unique(..)`, `index(..)`, `unique_key(..)` or `crate = \"..\"`",
                ));
            }
            Ok(())
        })?;
    }
    Ok(c)
}

/// `name(a, b, ..)`: the field names in the parentheses.
fn idents(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Vec<Ident>> {
    let mut out = Vec::new();
    meta.parse_nested_meta(|inner| {
        out.push(inner.path.require_ident()?.clone());
        Ok(())
    })?;
    Ok(out)
}

fn field<'a>(f: &'a syn::Field, krate: &Path) -> syn::Result<Field<'a>> {
    let Some(ident) = f.ident.as_ref() else {
        return Err(syn::Error::new_spanned(f, "a model's fields are named"));
    };
    let name = ident.to_string();
    let mut out = Field {
        ident,
        ty: &f.ty,
        column: name.strip_prefix("r#").unwrap_or(&name).to_string(),
        // `impl_model!` names a column by the field's tokens: a raw
        // identifier (`r#type`) is given its column name.
        renamed: name.starts_with("r#"),
        column_type: None,
        nullable: is_option(&f.ty),
        default: None,
        unique: false,
        index: false,
        slug: None,
        references: None,
        on_delete: None,
        attributed: None,
    };
    let schema = quote!(#krate::schema);
    for attr in f.attrs.iter().filter(|a| a.path().is_ident("model")) {
        out.attributed = Some(attr.span());
        attr.parse_nested_meta(|meta| {
            let p = &meta.path;
            let ty = |t: TokenStream| Some(t);
            if p.is_ident("column") {
                let name: LitStr = meta.value()?.parse()?;
                out.column = name.value();
                out.renamed = true;
            } else if p.is_ident("varchar") {
                let content;
                syn::parenthesized!(content in meta.input);
                let n: LitInt = content.parse()?;
                let n: usize = n.base10_parse()?;
                out.column_type = ty(quote!(#schema::ColumnType::VarChar(#n)));
            } else if p.is_ident("decimal") {
                let content;
                syn::parenthesized!(content in meta.input);
                let precision: LitInt = content.parse()?;
                content.parse::<syn::Token![,]>()?;
                let scale: LitInt = content.parse()?;
                let (p, s): (u8, u8) = (precision.base10_parse()?, scale.base10_parse()?);
                // As `ColumnType::Decimal` and `MAX_DECIMAL_PRECISION` say.
                if !(1..=15).contains(&p) {
                    return Err(syn::Error::new_spanned(precision, "a decimal column has 1 to 15 digits: every database stores and compares those exactly (SQLite as an 8-byte REAL)"));
                }
                if s > p {
                    return Err(syn::Error::new_spanned(scale, "the scale (digits after the point) is at most the precision"));
                }
                out.column_type = ty(quote!(#schema::ColumnType::Decimal(#p, #s)));
            } else if p.is_ident("text") {
                out.column_type = ty(quote!(#schema::ColumnType::Text));
            } else if p.is_ident("bigint") {
                out.column_type = ty(quote!(#schema::ColumnType::BigInt));
            } else if p.is_ident("integer") {
                out.column_type = ty(quote!(#schema::ColumnType::Integer));
            } else if p.is_ident("double") {
                out.column_type = ty(quote!(#schema::ColumnType::Double));
            } else if p.is_ident("bool") {
                out.column_type = ty(quote!(#schema::ColumnType::Bool));
            } else if p.is_ident("uuid") {
                out.column_type = ty(quote!(#schema::ColumnType::Uuid));
            } else if p.is_ident("timestamp") {
                out.column_type = ty(quote!(#schema::ColumnType::Timestamp));
            } else if p.is_ident("nullable") {
                out.nullable = true;
            } else if p.is_ident("default") {
                let value: LitBool = meta.value()?.parse()?;
                out.default = Some(if value.value {
                    quote!(#schema::ColumnDefault::True)
                } else {
                    quote!(#schema::ColumnDefault::False)
                });
            } else if p.is_ident("default_sql") {
                let sql: LitStr = meta.value()?.parse()?;
                out.default = Some(quote!(#schema::ColumnDefault::Sql(#sql)));
            } else if p.is_ident("unique") {
                out.unique = true;
            } else if p.is_ident("index") {
                out.index = true;
            } else if p.is_ident("slug") {
                out.slug = Some(p.span());
            } else if p.is_ident("references") {
                let target: LitStr = meta.value()?.parse()?;
                let value = target.value();
                let Some((table, column)) = value.split_once('.').filter(|(t, c)| !t.is_empty() && !c.is_empty() && !c.contains('.')) else {
                    return Err(syn::Error::new_spanned(target, "expected \"table.column\", e.g. references = \"post.id\""));
                };
                out.references = Some((table.to_string(), column.to_string()));
            } else if p.is_ident("on_delete") {
                let action: LitStr = meta.value()?.parse()?;
                out.on_delete = Some(match action.value().as_str() {
                    "cascade" => quote!(#schema::OnDelete::Cascade),
                    "restrict" => quote!(#schema::OnDelete::Restrict),
                    "set null" | "set_null" => quote!(#schema::OnDelete::SetNull),
                    _ => {
                        return Err(syn::Error::new_spanned(
                            action,
                            "expected \"cascade\", \"restrict\" or \"set null\"",
                        ));
                    }
                });
            } else {
                return Err(meta.error(
                    "unknown model field attribute; expected `column = \"..\"`, a column type (`varchar(N)`, `decimal(P, S)`, `text`, `bigint`, `integer`, `double`, `bool`, `uuid`, `timestamp`), `nullable`, `default = true|false`, `default_sql = \"..\"`, `unique`, `index`, `slug`, `references = \"table.column\"` or `on_delete = \"..\"`",
                ));
            }
            Ok(())
        })?;
    }
    if out.on_delete.is_some() && out.references.is_none() {
        return Err(syn::Error::new_spanned(
            ident,
            "`on_delete` needs `references = \"table.column\"`",
        ));
    }
    Ok(out)
}

/// Whether `ty` is written `Option<..>` (the column is then nullable).
fn is_option(ty: &Type) -> bool {
    let Type::Path(path) = ty else {
        return false;
    };
    path.qself.is_none()
        && path
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" && !s.arguments.is_empty())
}

//! The derive macros of alchemy-rs. Use them through `alchemy-core` (or a
//! backend crate), whose `Model` documentation describes every attribute:
//! this crate only expands them.

mod model;

use proc_macro::TokenStream;

/// Implements `alchemy_core::Model` from the struct: the struct is the one
/// declaration of the table. See `alchemy_core::Model` for the attributes.
#[proc_macro_derive(Model, attributes(model))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    model::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

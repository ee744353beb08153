//! Day 2 — `#[derive(Model)]`: the table schema of a struct, computed at compile time.
//!
//! Go's GeeORM reads a struct with `reflect` at run time: field names, types and the
//! `geeorm:"..."` tag, every time a session sees a new model. Rust has no run-time
//! reflection, and does not need it: this macro reads the struct once, at compile time, and
//! writes the `gee_orm::Model` impl that Go computed on the fly. The impl holds a static
//! schema (table, columns, SQL types, primary key), binds a record's fields to a statement by
//! position, and builds a record from a row by position, so no column name is looked up or
//! allocated per row.
//!
//! Attributes: `#[orm(table = "...")]` and `#[orm(hooks)]` on the struct; `#[orm(column =
//! "...")]`, `#[orm(primary_key)]` and `#[orm(skip)]` on fields. The SQL type of a field is
//! not decided here by matching type names (which type aliases would fool) but by the trait
//! `gee_orm::SqlType`, so an unsupported type is an ordinary compile error at that field.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, LitStr, parse_macro_input};

/// Derives `gee_orm::Model` (and, unless `#[orm(hooks)]` is given, an empty `gee_orm::Hooks`).
#[proc_macro_derive(Model, attributes(orm))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

/// One field as the derive understood it.
struct FieldMeta {
    ident: syn::Ident,
    ty: syn::Type,
    column: String,
    primary_key: bool,
    skip: bool,
}

/// Reads the struct-level `#[orm(...)]`: the table name and whether hooks are user-written.
fn struct_options(input: &DeriveInput) -> syn::Result<(String, bool)> {
    let mut table = input.ident.to_string();
    let mut hooks = false;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("orm")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table") {
                table = meta.value()?.parse::<LitStr>()?.value();
                Ok(())
            } else if meta.path.is_ident("hooks") {
                hooks = true;
                Ok(())
            } else {
                Err(meta.error("expected `table = \"...\"` or `hooks`"))
            }
        })?;
    }
    if table.is_empty() {
        return Err(syn::Error::new(
            input.span(),
            "the table name must not be empty",
        ));
    }
    Ok((table, hooks))
}

/// Reads each field and its `#[orm(...)]`.
fn field_metas(input: &DeriveInput) -> syn::Result<Vec<FieldMeta>> {
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => named,
            _ => {
                return Err(syn::Error::new(
                    input.ident.span(),
                    "#[derive(Model)] needs a struct with named fields: each field is a column",
                ));
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.ident.span(),
                "#[derive(Model)] works on structs only: a table is a struct with named fields",
            ));
        }
    };
    let mut out = Vec::new();
    for field in &named.named {
        let Some(ident) = field.ident.clone() else {
            return Err(syn::Error::new(field.span(), "expected a named field"));
        };
        let mut meta = FieldMeta {
            column: ident.to_string(),
            ident,
            ty: field.ty.clone(),
            primary_key: false,
            skip: false,
        };
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("orm")) {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("column") {
                    meta.column = m.value()?.parse::<LitStr>()?.value();
                    Ok(())
                } else if m.path.is_ident("primary_key") {
                    meta.primary_key = true;
                    Ok(())
                } else if m.path.is_ident("skip") {
                    meta.skip = true;
                    Ok(())
                } else {
                    Err(m.error("expected `column = \"...\"`, `primary_key` or `skip`"))
                }
            })?;
        }
        if meta.column.is_empty() {
            return Err(syn::Error::new(
                field.span(),
                "the column name must not be empty",
            ));
        }
        out.push(meta);
    }
    if out.iter().all(|f| f.skip) {
        return Err(syn::Error::new(
            input.ident.span(),
            "#[derive(Model)] needs at least one column (a field without #[orm(skip)])",
        ));
    }
    if out.iter().filter(|f| f.primary_key).count() > 1 {
        return Err(syn::Error::new(
            input.ident.span(),
            "only one field can be #[orm(primary_key)]",
        ));
    }
    Ok(out)
}

fn expand(input: &DeriveInput) -> syn::Result<TokenStream2> {
    let (table, user_hooks) = struct_options(input)?;
    let fields = field_metas(input)?;
    let name = &input.ident;
    let model = name.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let columns: Vec<&FieldMeta> = fields.iter().filter(|f| !f.skip).collect();

    let schema_fields = columns.iter().map(|f| {
        let ty = &f.ty;
        let (field, column, pk) = (f.ident.to_string(), &f.column, f.primary_key);
        quote_spanned! {ty.span()=>
            ::gee_orm::Field {
                name: #field,
                column: #column,
                ty: <#ty as ::gee_orm::SqlType>::TYPE,
                nullable: <#ty as ::gee_orm::SqlType>::NULLABLE,
                primary_key: #pk,
            }
        }
    });
    let binds = columns.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote! { ::gee_orm::__private::bind(stmt, first + #i, &self.#ident)?; }
    });
    let values = columns.iter().enumerate().map(|(i, f)| {
        let ident = &f.ident;
        quote! { ::gee_orm::__private::value(#i + 1, &self.#ident)? }
    });
    let mut index = 0usize;
    let reads = fields.iter().map(|f| {
        let ident = &f.ident;
        if f.skip {
            quote! { #ident: ::core::default::Default::default() }
        } else {
            let column = &f.column;
            let i = index;
            index += 1;
            quote! { #ident: ::gee_orm::__private::get(row, #i, #table, #column)? }
        }
    });
    let hooks = if user_hooks {
        quote! {}
    } else {
        quote! { impl #impl_generics ::gee_orm::Hooks for #name #ty_generics #where_clause {} }
    };
    // ANCHOR: generated
    Ok(quote! {
        const _: () = {
            impl #impl_generics ::gee_orm::Model for #name #ty_generics #where_clause {
                const SCHEMA: &'static ::gee_orm::Schema = &::gee_orm::Schema {
                    model: #model,
                    table: #table,
                    fields: &[#(#schema_fields),*],
                };

                fn bind_values(
                    &self,
                    stmt: &mut ::gee_orm::rusqlite::Statement<'_>,
                    first: usize,
                ) -> ::gee_orm::rusqlite::Result<()> {
                    #(#binds)*
                    ::core::result::Result::Ok(())
                }

                fn values(&self) -> ::gee_orm::Result<::std::vec::Vec<::gee_orm::rusqlite::types::Value>> {
                    ::core::result::Result::Ok(::std::vec![#(#values),*])
                }

                fn from_row(row: &::gee_orm::rusqlite::Row<'_>) -> ::gee_orm::Result<Self> {
                    ::core::result::Result::Ok(Self { #(#reads),* })
                }
            }
            #hooks
        };
    })
    // ANCHOR_END: generated
}

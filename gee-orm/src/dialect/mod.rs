//! Day 2 — Dialect: how one database spells types, names and questions about itself.
//!
//! Every database speaks its own SQL: the type of a whole number, how to quote a name, how to
//! ask whether a table exists. Go's GeeORM puts these differences behind a `Dialect`
//! interface, kept in a global map by driver name. Ours is a trait with one implementation,
//! [`Sqlite`], because rusqlite only speaks SQLite; the seam stays so that the rest of the
//! code never hard-codes a spelling.
//!
//! The dialect is also where injection is stopped for names. Values are always bound with `?`,
//! but a table or column name cannot be a parameter: it must be spliced into the SQL text. So
//! every name goes through [`Dialect::quote_ident`], which wraps it in double quotes and
//! doubles any quote inside, making *any* string a single, inert identifier.

mod sqlite;

pub use sqlite::Sqlite;

use crate::schema::{ColumnType, Field};

/// The differences between SQL databases that gee-orm needs to know.
pub trait Dialect: Sync {
    /// The SQL type for a kind of column (Go's `DataTypeOf`).
    fn data_type_of(&self, ty: ColumnType) -> &'static str;

    /// The query that asks whether a table exists; it binds the table name as `?1`.
    fn table_exists_sql(&self) -> &'static str;

    // ANCHOR: quote_ident
    /// Quotes a table or column name: `we"ird` becomes `"we""ird"`.
    ///
    /// Standard SQL, understood by SQLite and PostgreSQL alike.
    fn quote_ident(&self, ident: &str) -> String {
        let mut quoted = String::with_capacity(ident.len() + 2);
        self.write_ident(&mut quoted, ident);
        quoted
    }

    /// Appends `ident`, quoted, to `sql`: what `quote_ident` does, without a `String` of its
    /// own, for the statements built on every call (an UPDATE writes its names straight into
    /// its text).
    fn write_ident(&self, sql: &mut String, ident: &str) {
        // ANCHOR: ex_quote_ident
        sql.push('"');
        for c in ident.chars() {
            if c == '"' {
                sql.push('"');
            }
            sql.push(c);
        }
        sql.push('"');
        // ANCHOR_END: ex_quote_ident
    }
    // ANCHOR_END: quote_ident

    // ANCHOR: column_def
    /// One column's definition in `CREATE TABLE` or `ADD COLUMN`: quoted name, type, and the
    /// constraints the schema knows (never free text from an attribute).
    fn column_def(&self, field: &Field) -> String {
        let mut def = format!(
            "{} {}",
            self.quote_ident(field.column),
            self.data_type_of(field.ty)
        );
        if field.primary_key {
            def.push_str(" PRIMARY KEY");
        }
        if !field.nullable {
            def.push_str(" NOT NULL");
        }
        def
    }
    // ANCHOR_END: column_def
}

//! What must not compile, and the message it gets (trybuild compares with `tests/ui/*.stderr`).
//!
//! Regenerate the expected messages after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p gee-orm --test compile_fail`.

/// Book appendix: Go bugs. Go's `DataTypeOf` panicked at run time on a type it did not know,
/// and `Parse` on a non-struct; here both are compile errors with a message of ours. Using a
/// finished transaction is one too.
#[test]
fn go_bug_unsupported_types_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/unsupported_type.rs");
    cases.compile_fail("tests/ui/tuple_struct.rs");
    cases.compile_fail("tests/ui/tx_used_after_commit.rs");
}

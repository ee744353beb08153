//! The Go course's `Foo` service as days 5 to 7's examples use it: `Foo.Sum`, and a
//! `Foo.Sleep` that sleeps `num1` tenths of a second (so the broadcast demos finish in about
//! a second). One copy, included by each example with `mod foo_service;`; day 3's example
//! writes the service out itself, because defining it is that day's lesson.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The arguments of `Foo`'s methods.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Args {
    /// The first number (for `Sleep`: tenths of a second to sleep).
    pub num1: i64,
    /// The second number.
    pub num2: i64,
}

/// The Go course's service.
pub struct Foo;

gee_rpc::service! {
    impl Foo {
        /// `Foo.Sum`: the sum.
        pub async fn sum(&self, args: Args) -> Result<i64, String> {
            Ok(args.num1 + args.num2)
        }
        /// `Foo.Sleep`: sleeps `num1` tenths of a second, then the sum.
        pub async fn sleep(&self, args: Args) -> Result<i64, String> {
            tokio::time::sleep(Duration::from_millis(100 * args.num1 as u64)).await;
            Ok(args.num1 + args.num2)
        }
    }
}

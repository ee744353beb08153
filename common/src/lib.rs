//! The little that the six courses share.
//!
//! Each course crate stands on its own; this crate only holds what two or more of them
//! need and is not itself a lesson: setting up logging for an example ([`trace`]) and the
//! port helpers that let examples and tests run side by side without sleeping ([`net`]),
//! the Ctrl-C/SIGTERM future every server stops on ([`shutdown`]), and the consistent-hash ring ([`consistent_hash`]), taught on gee-cache's day 4 and reused
//! by go-redis's cluster.

pub mod consistent_hash;
pub mod net;
pub mod shutdown;
pub mod trace;

pub use consistent_hash::Ring;
pub use net::{free_port, listen_addr_from_args, wait_for_port};
pub use shutdown::shutdown_signal;
pub use trace::init_tracing;

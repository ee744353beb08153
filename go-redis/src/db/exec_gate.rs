//! Day 6 — the EXEC gate: how a transaction runs with no other command in between.
//!
//! Redis runs one command at a time, so EXEC is atomic for free. This server runs commands
//! on every core at once, each locking only the shards of its own keys; a transaction
//! whose commands touch many keys, switch databases (SELECT), or flush everything could
//! otherwise be seen half done. So every command passes a gate: it takes a *shared* turn
//! (many commands at once, as before), and EXEC takes an *exclusive* one (it waits until
//! the commands in flight finish, runs its queue alone, then opens the gate again).
//!
//! One reader-writer lock would do, but every command on every core would then write the
//! same cache line (a shared lock is an atomic counter). The gate is striped: several
//! locks, each on its own cache line; a command takes the stripe its client id picks, and
//! EXEC takes all of them, always in the same order (so two EXECs never deadlock).

use parking_lot::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// How many stripes the gate has (a power of two).
pub const STRIPES: usize = 8;

/// One stripe, alone on its cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Stripe(RwLock<()>);

/// The gate every command passes (see the module documentation).
#[derive(Debug, Default)]
pub struct ExecGate {
    stripes: [Stripe; STRIPES],
}

/// A shared turn: ordinary commands hold one while they run.
pub type SharedTurn<'a> = RwLockReadGuard<'a, ()>;

/// An exclusive turn: EXEC holds one while it runs its queue; no other command runs.
#[derive(Debug)]
pub struct ExclusiveTurn<'a> {
    _stripes: Vec<RwLockWriteGuard<'a, ()>>,
}

// ANCHOR: gate
impl ExecGate {
    /// A shared turn for client `id` (clients spread over the stripes by id).
    pub fn shared(&self, id: u64) -> SharedTurn<'_> {
        self.stripes[(id as usize) & (STRIPES - 1)].0.read()
    }

    /// The exclusive turn: waits for every command in flight, and holds off new ones.
    pub fn exclusive(&self) -> ExclusiveTurn<'_> {
        ExclusiveTurn {
            _stripes: self.stripes.iter().map(|s| s.0.write()).collect(),
        }
    }
}
// ANCHOR_END: gate

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_turns_coexist_and_exclusive_waits_for_them() {
        let gate = ExecGate::default();
        let a = gate.shared(1);
        let b = gate.shared(9); // same stripe as 1
        let c = gate.shared(2);
        assert!(gate.stripes[1].0.try_write().is_none());
        drop((a, b, c));
        let turn = gate.exclusive();
        assert!(gate.stripes[3].0.try_read().is_none());
        drop(turn);
        assert!(gate.stripes[3].0.try_read().is_some());
    }
}

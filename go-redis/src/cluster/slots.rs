//! Day 7 — hash slots: which of the 16,384 slots a key lives in.
//!
//! Redis Cluster does not hash keys onto a ring of nodes (godis's consistent hash); it
//! hashes every key onto one of [`SLOTS`] fixed slots, and the topology says which node
//! serves which slots. Moving data between nodes then means moving whole slots, and a
//! client can work out a key's owner by itself, from the slot table `CLUSTER SLOTS` hands
//! out. The hash is CRC16-XMODEM (Redis's `crc16.c`) of the key, modulo 16,384.
//!
//! One twist makes multi-key commands possible: a **hash tag**. If a key contains `{...}`
//! with at least one byte between the first `{` and the first `}` after it, only those
//! bytes are hashed, so `{user:1}:name` and `{user:1}:email` share a slot (and a node).
//! The rules are exactly those of Redis's `keyHashSlot`: an empty `{}` or a `{` without a
//! closing `}` hashes the whole key, and only the *first* `{` counts.

/// The number of hash slots in a Redis cluster.
pub const SLOTS: usize = 16_384;

/// CRC16-XMODEM's lookup table (polynomial 0x1021), built at compile time: the same 256
/// values as the table in Redis's `crc16.c`.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// CRC16-XMODEM of `bytes` (initial value 0, no reflection): `crc16(b"123456789") == 0x31C3`.
pub fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0u16, |crc, &b| {
        (crc << 8) ^ CRC16_TABLE[usize::from(((crc >> 8) as u8) ^ b)]
    })
}

// ANCHOR: key_hash_slot
/// The slot of `key`: CRC16 of the key — or of its hash tag, the bytes between the first
/// `{` and the first `}` after it, when there is at least one — modulo [`SLOTS`].
pub fn key_hash_slot(key: &[u8]) -> u16 {
    // ANCHOR: ex_key_hash_slot
    let hashed = match key.iter().position(|&b| b == b'{') {
        Some(open) => match key[open + 1..].iter().position(|&b| b == b'}') {
            Some(len) if len > 0 => &key[open + 1..open + 1 + len],
            _ => key,
        },
        None => key,
    };
    crc16(hashed) & (SLOTS as u16 - 1)
    // ANCHOR_END: ex_key_hash_slot
}
// ANCHOR_END: key_hash_slot

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_redis_check_value() {
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn slots_match_redis_cluster_keyslot() {
        // Values from Redis 7's CLUSTER KEYSLOT.
        assert_eq!(key_hash_slot(b"foo"), 12182);
        assert_eq!(key_hash_slot(b"bar"), 5061);
        assert_eq!(key_hash_slot(b"{user1000}.following"), 3443);
        assert_eq!(key_hash_slot(b"{user1000}.followers"), 3443);
        assert_eq!(key_hash_slot(b"user1000"), 3443);
    }

    #[test]
    fn hash_tag_edge_cases_follow_key_hash_slot() {
        // An empty tag hashes the whole key.
        assert_eq!(key_hash_slot(b"foo{}{bar}"), crc16(b"foo{}{bar}") & 0x3FFF);
        // Only the first `{` and the first `}` after it count.
        assert_eq!(key_hash_slot(b"foo{{bar}}zap"), key_hash_slot(b"{bar"));
        assert_eq!(key_hash_slot(b"foo{bar}{zap}"), key_hash_slot(b"bar"));
        // No closing brace: the whole key.
        assert_eq!(key_hash_slot(b"{abc"), crc16(b"{abc") & 0x3FFF);
        assert!(key_hash_slot(b"") < SLOTS as u16);
    }
}

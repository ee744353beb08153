//! Day 5 — writing listpacks: the one packed encoding go-redis must *produce*.
//!
//! Lists, hashes and sets can be saved in plain RDB encodings that every Redis loads, so
//! [`super::packed`] only reads packed arrays. A stream has no plain encoding: its entries
//! are always saved as listpacks ([`super::stream`]), so streams need a writer. Each
//! element is `<encoding><data><backlen>`; integers get the smallest integer encoding
//! (Redis reads a stream's counters and ID deltas back as integers), strings a 6-, 12- or
//! 32-bit length. The back length (the element's size, 7 bits per byte) lets Redis walk
//! a listpack from its end.

/// Builds one listpack, element by element.
#[derive(Debug, Default)]
pub struct ListpackWriter {
    body: Vec<u8>,
    count: usize,
}

impl ListpackWriter {
    /// An empty listpack.
    pub fn new() -> Self {
        ListpackWriter::default()
    }

    fn element(&mut self, encoded: &[u8]) {
        self.body.extend_from_slice(encoded);
        let len = encoded.len() as u64;
        // The back length: big-endian groups of 7 bits, the high bit set on all but the
        // first byte (Redis's `lpEncodeBacklen`).
        let mut groups = vec![(len & 127) as u8];
        let mut rest = len >> 7;
        while rest > 0 {
            groups.push((rest & 127) as u8);
            rest >>= 7;
        }
        let last = groups.len() - 1;
        for (i, group) in groups.iter().enumerate().rev() {
            self.body.push(if i == last { *group } else { group | 128 });
        }
        self.count += 1;
    }

    /// Appends an integer in its smallest encoding.
    pub fn int(&mut self, v: i64) {
        let mut e = Vec::with_capacity(9);
        if (0..=127).contains(&v) {
            e.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u64) & 0x1FFF;
            e.push(0xC0 | (u >> 8) as u8);
            e.push(u as u8);
        } else if (-32768..=32767).contains(&v) {
            e.push(0xF1);
            e.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            e.push(0xF2);
            e.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (i64::from(i32::MIN)..=i64::from(i32::MAX)).contains(&v) {
            e.push(0xF3);
            e.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            e.push(0xF4);
            e.extend_from_slice(&v.to_le_bytes());
        }
        self.element(&e);
    }

    /// Appends a string.
    pub fn string(&mut self, s: &[u8]) {
        let mut e = Vec::with_capacity(s.len() + 5);
        if s.len() < 64 {
            e.push(0x80 | s.len() as u8);
        } else if s.len() < 4096 {
            e.push(0xE0 | (s.len() >> 8) as u8);
            e.push(s.len() as u8);
        } else {
            e.push(0xF0);
            e.extend_from_slice(&(s.len() as u32).to_le_bytes());
        }
        e.extend_from_slice(s);
        self.element(&e);
    }

    /// The finished listpack: total bytes, element count (65535 = "count them"), the
    /// elements, and the `0xFF` end mark.
    pub fn finish(self) -> Vec<u8> {
        let total = 6 + self.body.len() + 1;
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&(total as u32).to_le_bytes());
        out.extend_from_slice(&(self.count.min(65535) as u16).to_le_bytes());
        out.extend_from_slice(&self.body);
        out.push(0xFF);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let mut lp = ListpackWriter::new();
        let ints = [
            0,
            127,
            128,
            -1,
            4095,
            -4096,
            32767,
            -40000,
            8_388_607,
            1 << 40,
            i64::MIN,
        ];
        for v in ints {
            lp.int(v);
        }
        let long = vec![b'x'; 5000];
        lp.string(b"short");
        lp.string(&[b'y'; 100]);
        lp.string(&long);
        let items = crate::rdb::packed::listpack(&lp.finish()).unwrap();
        let mut expected: Vec<Vec<u8>> = ints.iter().map(|v| v.to_string().into_bytes()).collect();
        expected.extend([b"short".to_vec(), vec![b'y'; 100], long]);
        let items: Vec<Vec<u8>> = items.into_iter().map(|b| b.to_vec()).collect();
        assert_eq!(items, expected);
    }
}

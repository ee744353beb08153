//! Shared by the codec fuzz targets: feed arbitrary bytes to one codec's decoder, in
//! arbitrary chunks as a socket would deliver them, and check what comes out.

use bytes::BytesMut;
use gee_rpc::codec::{Codec, CodecType};
use serde::{Deserialize, Serialize};

/// A typical argument type, to exercise body decoding too.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
#[derive(Default)]
pub struct Args {
    pub num1: i64,
    pub num2: i64,
    pub name: String,
    pub list: Vec<u32>,
}

/// The frame limit the targets use: small, so oversized frames are exercised.
const MAX_FRAME: usize = 64 * 1024;

/// Decodes headers and bodies from `data` (the first byte picks the chunk size) until the
/// input runs out or an error. Properties: never panics; a decoder never holds more than
/// the input; bodies decode or fail cleanly.
pub fn run(codec_type: CodecType, data: &[u8]) {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut codec: Box<dyn Codec> = codec_type.new_codec(MAX_FRAME);
    let mut buf = BytesMut::new();
    let mut want_header = true;
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            let before = buf.len();
            let step = if want_header {
                codec.read_header(&mut buf).map(|h| h.map(|_| ()))
            } else {
                codec.read_body(&mut buf).map(|b| {
                    b.map(|body| {
                        let _ = codec_type.decode::<Args>(&body);
                        let _ = codec_type.decode::<String>(&body);
                    })
                })
            };
            assert!(buf.len() <= before, "a decoder grew the buffer");
            match step {
                Ok(Some(())) => want_header = !want_header,
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
}

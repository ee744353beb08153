//! Fuzzes the json codec's decoder (headers and bodies) with arbitrary bytes in arbitrary
//! chunks: it must never panic, and every error must be a clean `Err`.

#![no_main]

use gee_rpc::codec::CodecType;
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| common::run(CodecType::Json, data));

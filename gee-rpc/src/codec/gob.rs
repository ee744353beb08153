//! Day 1 — The gob codec: Go's own encoding, so gee-rpc speaks to Go's geerpc unchanged.
//!
//! Go's geerpc sends every header and body with `encoding/gob`. Gob is a *stream* format:
//! each message is length-prefixed, and the first time a type appears the encoder sends its
//! definition (field names and types) in a message of its own; later values refer to it by
//! number. So a gob codec has state per direction of a connection, which is why gob bodies
//! cannot be encoded by the task that made the value, as JSON and bincode bodies are.
//!
//! The wire work (varints, type definitions, Go's field matching) is done by the `gobwire`
//! crate. This module bridges it to serde: a received gob value is decoded *dynamically*
//! (gob describes itself) and turned into JSON, which the service then deserializes into
//! its Rust type; a reply arrives here as JSON and is turned into a gob value whose type is
//! inferred from the JSON. The bridge has the limits you would expect:
//!
//! - integers travel as Go `int` (signed); Go `uint` fields cannot receive them;
//! - a JSON array becomes a Go slice of its first element's type (`[]int`, never `[]byte`);
//! - Go omits zero-valued struct fields, so Rust structs that receive them need
//!   `#[serde(default)]`, and field names must be Go's (`#[serde(rename = "Num1")]`).

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use gobwire::{Decoder, Dynamic, Encoder, Progress, StructType, Type, Value};
use serde_json::{Map, Number, Value as Json};

use super::{Codec, Header, consume};
use crate::error::{Error, Result};

/// The gob codec: a gob decoder and encoder, one per direction of a connection.
pub struct GobCodec {
    decoder: Decoder,
    encoder: Encoder,
    /// Bytes pushed into the decoder for the value being assembled (a value may span
    /// several messages): bounded by `max_frame` too.
    pending: usize,
    max_frame: usize,
}

impl std::fmt::Debug for GobCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GobCodec")
            .field("max_frame", &self.max_frame)
            .finish_non_exhaustive()
    }
}

impl GobCodec {
    /// A gob codec refusing messages (and values) larger than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        GobCodec {
            decoder: Decoder::new(),
            encoder: Encoder::new(),
            pending: 0,
            max_frame,
        }
    }

    /// Consumes whole gob messages from `buf` until one completes a value.
    fn next_value(&mut self, buf: &mut BytesMut) -> Result<Option<Dynamic>> {
        loop {
            let Some((width, len)) = gobwire::parse_length_prefix(buf).map_err(gob_err)? else {
                return Ok(None);
            };
            if len > self.max_frame || self.pending + len > self.max_frame {
                return Err(Error::FrameTooLarge {
                    size: self.pending + len,
                    limit: self.max_frame,
                });
            }
            if buf.len() < width + len {
                return Ok(None);
            }
            consume(buf, width);
            let message = buf.split_to(len);
            self.pending += len;
            match self.decoder.push_message(&message).map_err(gob_err)? {
                Progress::TypeDefinition(_) | Progress::NeedMore => continue,
                Progress::Ready => {
                    self.pending = 0;
                    return self.decoder.decode::<Dynamic>().map(Some).map_err(gob_err);
                }
            }
        }
    }
}

fn gob_err(e: gobwire::Error) -> Error {
    Error::Decode(e.to_string())
}

impl Codec for GobCodec {
    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Option<Header>> {
        let Some(value) = self.next_value(buf)? else {
            return Ok(None);
        };
        let Json::Object(mut fields) = to_json(&value.ty, &value.value, &mut Vec::new())? else {
            return Err(Error::Decode("a gob header must be a struct".into()));
        };
        let mut text = |name: &str| match fields.remove(name) {
            Some(Json::String(s)) => Ok(s),
            None => Ok(String::new()),
            Some(other) => Err(Error::Decode(format!("header field {name} is {other}"))),
        };
        let service_method = text("ServiceMethod")?;
        let error = text("Error")?;
        let seq = match fields.remove("Seq") {
            None => 0,
            Some(n) => n
                .as_u64()
                .ok_or_else(|| Error::Decode(format!("header field Seq is {n}")))?,
        };
        Ok(Some(Header {
            service_method,
            seq,
            error,
        }))
    }

    fn read_body(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>> {
        let Some(value) = self.next_value(buf)? else {
            return Ok(None);
        };
        let json = to_json(&value.ty, &value.value, &mut Vec::new())?;
        serde_json::to_vec(&json)
            .map(|v| Some(Bytes::from(v)))
            .map_err(|e| Error::Decode(e.to_string()))
    }

    fn write(&mut self, header: &Header, body: &[u8], out: &mut BytesMut) -> Result<()> {
        let header = Dynamic {
            ty: Type::Struct(Arc::new(StructType {
                name: "Header".into(),
                fields: vec![
                    ("ServiceMethod".into(), Type::String),
                    ("Seq".into(), Type::Uint),
                    ("Error".into(), Type::String),
                ],
            })),
            value: Value::Struct(vec![
                Some(Value::String(header.service_method.clone())),
                Some(Value::Uint(header.seq)),
                Some(Value::String(header.error.clone())),
            ]),
        };
        let body: Json = serde_json::from_slice(body).map_err(|e| Error::Encode(e.to_string()))?;
        let body = match body {
            Json::Null => Dynamic {
                ty: Type::Struct(Arc::new(StructType {
                    name: "Empty".into(),
                    fields: Vec::new(),
                })),
                value: Value::Struct(Vec::new()),
            },
            other => from_json(&other)?,
        };
        let mut bytes = Vec::new();
        for value in [&header, &body] {
            self.encoder
                .encode_into(value, &mut bytes)
                .map_err(|e| Error::Encode(e.to_string()))?;
        }
        out.extend_from_slice(&bytes);
        Ok(())
    }
}

/// A received gob value as JSON. `structs` holds the enclosing struct types, for
/// self-referencing types.
fn to_json(ty: &Type, value: &Value, structs: &mut Vec<Arc<StructType>>) -> Result<Json> {
    let bad = || Error::Decode(format!("gob value {value:?} does not match type {ty:?}"));
    Ok(match (ty, value) {
        (_, Value::Bool(b)) => Json::Bool(*b),
        (_, Value::Int(i)) => Json::from(*i),
        (_, Value::Uint(u)) => Json::from(*u),
        (_, Value::Float(f)) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
        (_, Value::Complex(re, im)) => Json::Array(vec![Json::from(*re), Json::from(*im)]),
        (_, Value::Bytes(b) | Value::Marshaled(b)) => {
            Json::Array(b.iter().map(|&x| Json::from(x)).collect())
        }
        (_, Value::String(s)) => Json::String(s.clone()),
        (_, Value::Interface(None)) => Json::Null,
        (_, Value::Interface(Some(i))) => to_json(&i.ty, &i.value, &mut Vec::new())?,
        (Type::Slice(elem) | Type::Array(elem, _), Value::Slice(items) | Value::Array(items)) => {
            Json::Array(
                items
                    .iter()
                    .map(|v| to_json(elem, v, structs))
                    .collect::<Result<_>>()?,
            )
        }
        (Type::Map(kt, vt), Value::Map(pairs)) => {
            let mut keys = Vec::with_capacity(pairs.len());
            let mut values = Vec::with_capacity(pairs.len());
            for (k, v) in pairs {
                keys.push(to_json(kt, k, structs)?);
                values.push(to_json(vt, v, structs)?);
            }
            if keys.iter().all(Json::is_string) {
                let entries = keys.into_iter().zip(values).filter_map(|(k, v)| match k {
                    Json::String(k) => Some((k, v)),
                    _ => None,
                });
                Json::Object(entries.collect())
            } else {
                let pairs = keys.into_iter().zip(values);
                Json::Array(pairs.map(|(k, v)| Json::Array(vec![k, v])).collect())
            }
        }
        (Type::Struct(_) | Type::Ref(_), Value::Struct(fields)) => {
            let st = match ty {
                Type::Struct(st) => st.clone(),
                Type::Ref(n) => structs
                    .len()
                    .checked_sub(n + 1)
                    .and_then(|i| structs.get(i))
                    .cloned()
                    .ok_or_else(bad)?,
                _ => return Err(bad()),
            };
            structs.push(st.clone());
            let mut object = Map::new();
            for ((name, fty), field) in st.fields.iter().zip(fields) {
                if let Some(v) = field {
                    object.insert(name.clone(), to_json(fty, v, structs)?);
                }
            }
            structs.pop();
            Json::Object(object)
        }
        _ => return Err(bad()),
    })
}

/// A reply's JSON as a gob value, its type inferred from the JSON.
fn from_json(json: &Json) -> Result<Dynamic> {
    let bad = |what: &str| Error::Encode(format!("{what} has no gob form"));
    Ok(match json {
        Json::Null => return Err(bad("null")),
        Json::Bool(b) => Dynamic {
            ty: Type::Bool,
            value: Value::Bool(*b),
        },
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Dynamic {
                ty: Type::Int,
                value: Value::Int(i),
            },
            (None, Some(u), _) => Dynamic {
                ty: Type::Uint,
                value: Value::Uint(u),
            },
            (_, _, Some(f)) => Dynamic {
                ty: Type::Float,
                value: Value::Float(f),
            },
            _ => return Err(bad("a number")),
        },
        Json::String(s) => Dynamic {
            ty: Type::String,
            value: Value::String(s.clone()),
        },
        Json::Array(items) => {
            let mut elem_ty = None;
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                let d = from_json(item)?;
                match &elem_ty {
                    None => elem_ty = Some(d.ty),
                    Some(t) if *t == d.ty => {}
                    Some(_) => return Err(bad("an array of mixed types")),
                }
                values.push(d.value);
            }
            Dynamic {
                ty: Type::Slice(Arc::new(elem_ty.unwrap_or(Type::Int))),
                value: Value::Slice(values),
            }
        }
        Json::Object(object) => {
            let mut fields = Vec::with_capacity(object.len());
            let mut values = Vec::with_capacity(object.len());
            for (name, v) in object {
                if v.is_null() {
                    continue; // Go has no null field: leave it out, the receiver keeps its zero
                }
                let d = from_json(v)?;
                fields.push((name.clone(), d.ty));
                values.push(Some(d.value));
            }
            Dynamic {
                ty: Type::Struct(Arc::new(StructType {
                    name: "Value".into(),
                    fields,
                })),
                value: Value::Struct(values),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_through_gob() {
        let mut writer = GobCodec::new(1 << 20);
        let mut reader = GobCodec::new(1 << 20);
        let header = Header {
            service_method: "Foo.Sum".into(),
            seq: 7,
            error: String::new(),
        };
        let mut out = BytesMut::new();
        for _ in 0..2 {
            writer
                .write(&header, br#"{"Num1":3,"Num2":-4,"Name":"x"}"#, &mut out)
                .unwrap();
        }
        for _ in 0..2 {
            assert_eq!(reader.read_header(&mut out).unwrap(), Some(header.clone()));
            let body: Json =
                serde_json::from_slice(&reader.read_body(&mut out).unwrap().unwrap()).unwrap();
            assert_eq!(body, serde_json::json!({"Num1":3,"Num2":-4,"Name":"x"}));
        }
        assert!(out.is_empty());
    }
}

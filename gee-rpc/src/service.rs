//! Day 3 — Services: from `"Foo.Sum"` on the wire to a Rust method, without reflection.
//!
//! Go's net/rpc registers any value and finds its methods at run time with `reflect`: every
//! exported method of the form `func (t *T) M(args A, reply *R) error` becomes `"T.M"`.
//! Rust has no run-time reflection, so the same table is built at compile time. A
//! [`Service`] names itself, lists its methods, and dispatches a call by method index to
//! code that decodes the argument type, runs the method and encodes the reply type. You can
//! write that by hand (the chapter does, once); the [`service!`](crate::service!) macro
//! writes it from an ordinary `impl` block.
//!
//! [`Services`] is the registry the server dispatches through: a map from the full name
//! `"Service.Method"` to the method and its call counter, built once at registration so a
//! call costs one hash lookup. It is the day-1 [`Handler`] seam filled in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use futures_util::future::BoxFuture;

use crate::error::{Error, Result};
use crate::server::{Handler, Reply, Request};

/// One method of a service, as the server's table and the debug page show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodInfo {
    /// The wire name: `Sum` for a Rust method `sum` (snake_case becomes PascalCase, Go's
    /// convention for exported methods).
    pub name: String,
    /// The argument type's Rust name.
    pub arg_type: &'static str,
    /// The reply type's Rust name.
    pub reply_type: &'static str,
}

impl MethodInfo {
    /// Describes a method from its Rust name and types.
    pub fn new(rust_name: &str, arg_type: &'static str, reply_type: &'static str) -> Self {
        MethodInfo {
            name: wire_name(rust_name),
            arg_type,
            reply_type,
        }
    }
}

/// `add_two` → `AddTwo`: a Rust method name as Go would export it.
pub fn wire_name(rust_name: &str) -> String {
    rust_name
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_uppercase().chain(chars).collect::<String>()
            })
        })
        .collect()
}

// ANCHOR: service
/// A value whose methods can be called remotely: what `reflect` finds in Go, spelled out.
pub trait Service: Send + Sync + 'static {
    /// The service's name, the part before the dot (`"Foo"`).
    fn name(&self) -> &str;
    /// The methods, in the order `call` numbers them.
    fn methods(&self) -> Vec<MethodInfo>;
    /// Calls method number `method` with the request's body; the reply comes back encoded
    /// with the request's codec, or as the error text.
    fn call(self: Arc<Self>, method: usize, request: Request) -> BoxFuture<'static, Reply>;
}
// ANCHOR_END: service

/// One registered method: its service, its index there, and its call counter.
struct Method {
    service: Arc<dyn Service>,
    index: usize,
    info: MethodInfo,
    calls: AtomicU64,
}

/// A registered method as the debug page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodStats {
    /// The method's name and types.
    pub info: MethodInfo,
    /// How many calls it has received.
    pub calls: u64,
}

/// The table of registered services: the server's [`Handler`]. Cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Services {
    methods: Arc<RwLock<HashMap<String, Arc<Method>>>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("services", &self.describe().len())
            .finish()
    }
}

impl Services {
    /// An empty table.
    pub fn new() -> Self {
        Services::default()
    }

    // ANCHOR: register
    /// Registers a service's methods under `"Name.Method"` (Go's `Server.Register`).
    /// A name already registered, or a service without methods, is an error.
    pub fn register<S: Service>(&self, service: S) -> Result<()> {
        // ANCHOR: ex_register
        let service: Arc<dyn Service> = Arc::new(service);
        let name = service.name().to_string();
        let infos = service.methods();
        if infos.is_empty() {
            return Err(Error::Register(format!("type {name} has no methods")));
        }
        let mut methods = self.methods.write().unwrap_or_else(PoisonError::into_inner);
        let prefix = format!("{name}.");
        if methods.keys().any(|key| key.starts_with(&prefix)) {
            return Err(Error::Register(format!("service already defined: {name}")));
        }
        for (index, info) in infos.into_iter().enumerate() {
            let method = Method {
                service: service.clone(),
                index,
                info,
                calls: AtomicU64::new(0),
            };
            methods.insert(format!("{name}.{}", method.info.name), Arc::new(method));
        }
        Ok(())
        // ANCHOR_END: ex_register
    }
    // ANCHOR_END: register

    /// How many calls `"Service.Method"` has received, if it exists.
    pub fn num_calls(&self, service_method: &str) -> Option<u64> {
        let methods = self.methods.read().unwrap_or_else(PoisonError::into_inner);
        methods
            .get(service_method)
            .map(|m| m.calls.load(Ordering::Relaxed))
    }

    /// Every service with its methods and call counts, sorted by name (for the debug page).
    pub fn describe(&self) -> Vec<(String, Vec<MethodStats>)> {
        let methods = self.methods.read().unwrap_or_else(PoisonError::into_inner);
        let mut services: HashMap<String, Vec<MethodStats>> = HashMap::new();
        for m in methods.values() {
            services
                .entry(m.service.name().to_string())
                .or_default()
                .push(MethodStats {
                    info: m.info.clone(),
                    calls: m.calls.load(Ordering::Relaxed),
                });
        }
        let mut out: Vec<_> = services.into_iter().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        for (_, methods) in &mut out {
            methods.sort_by(|a, b| a.info.name.cmp(&b.info.name));
        }
        out
    }

    // ANCHOR: find
    /// Finds the method a request names, or says precisely what is wrong with the name.
    fn find(&self, service_method: &str) -> std::result::Result<Arc<Method>, String> {
        let Some((service, method)) = service_method.rsplit_once('.') else {
            return Err(format!(
                "rpc server: service/method request ill-formed: {service_method}"
            ));
        };
        let methods = self.methods.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = methods.get(service_method) {
            return Ok(found.clone());
        }
        let prefix = format!("{service}.");
        if methods.keys().any(|key| key.starts_with(&prefix)) {
            Err(format!("rpc server: can't find method {method}"))
        } else {
            Err(format!("rpc server: can't find service {service}"))
        }
    }
    // ANCHOR_END: find
}

impl Handler for Services {
    fn handle(&self, request: Request) -> BoxFuture<'static, Reply> {
        match self.find(&request.header.service_method) {
            Err(message) => Box::pin(async move { Err(message) }),
            Ok(method) => {
                method.calls.fetch_add(1, Ordering::Relaxed);
                method.service.clone().call(method.index, request)
            }
        }
    }
}

// ANCHOR: macro
/// Implements [`Service`] for a type from an `impl` block of `async fn`s, each taking
/// `&self` and one argument and returning `Result<Reply, E>` with `E: Display`.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// pub struct Args { pub num1: i64, pub num2: i64 }
///
/// pub struct Foo;
///
/// gee_rpc::service! {
///     impl Foo {
///         /// Exposed as `Foo.Sum`.
///         pub async fn sum(&self, args: Args) -> Result<i64, String> {
///             Ok(args.num1 + args.num2)
///         }
///     }
/// }
/// ```
///
/// The block stays an ordinary inherent `impl` (callable from Rust as `foo.sum(args)`), and
/// the macro adds the dispatch: method number `i` decodes its argument type, awaits the
/// method and encodes the reply. `cargo expand` shows the result.
#[macro_export]
macro_rules! service {
    (
        impl $svc:ident {
            $(
                $(#[$attr:meta])*
                $vis:vis async fn $method:ident(&self, $arg:ident : $arg_ty:ty)
                    -> Result<$reply_ty:ty, $err_ty:ty> $body:block
            )+
        }
    ) => {
        impl $svc {
            $(
                $(#[$attr])*
                $vis async fn $method(&self, $arg: $arg_ty) -> Result<$reply_ty, $err_ty> $body
            )+
        }

        impl $crate::Service for $svc {
            fn name(&self) -> &str {
                stringify!($svc)
            }

            fn methods(&self) -> Vec<$crate::MethodInfo> {
                vec![$(
                    $crate::MethodInfo::new(
                        stringify!($method),
                        std::any::type_name::<$arg_ty>(),
                        std::any::type_name::<$reply_ty>(),
                    )
                ),+]
            }

            #[allow(unused_assignments)]
            fn call(
                self: std::sync::Arc<Self>,
                method: usize,
                request: $crate::Request,
            ) -> $crate::__private::BoxFuture<'static, $crate::Reply> {
                let mut index = 0usize;
                $(
                    if method == index {
                        return Box::pin(async move {
                            let args: $arg_ty = request
                                .decode()
                                .map_err(|e| format!("rpc server: read argv err: {e}"))?;
                            let reply = self.$method(args).await.map_err(|e| e.to_string())?;
                            request.encode(&reply).map_err(|e| e.to_string())
                        });
                    }
                    index += 1;
                )+
                Box::pin(async move { Err(format!("rpc server: no method number {method}")) })
            }
        }
    };
}
// ANCHOR_END: macro

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_names_become_go_names() {
        assert_eq!(wire_name("sum"), "Sum");
        assert_eq!(wire_name("add_two"), "AddTwo");
        assert_eq!(wire_name("Sum"), "Sum");
    }
}

//! Day 3 acceptance tests: services by hand and by macro, the name rules, call counts.

mod support;

use std::sync::Arc;

use futures_util::future::BoxFuture;
use gee_rpc::{Client, Error, MethodInfo, Options, Reply, Request, Server, Service, Services};
use support::{Args, Foo, bounded, start_foo, start_server};

/// `Foo.Sum` written by hand: what the macro generates.
struct HandFoo;

impl Service for HandFoo {
    fn name(&self) -> &str {
        "HandFoo"
    }

    fn methods(&self) -> Vec<MethodInfo> {
        vec![MethodInfo::new("sum", "Args", "i64")]
    }

    fn call(self: Arc<Self>, method: usize, request: Request) -> BoxFuture<'static, Reply> {
        Box::pin(async move {
            match method {
                0 => {
                    let args: Args = request.decode().map_err(|e| e.to_string())?;
                    request
                        .encode(&(args.num1 + args.num2))
                        .map_err(|e| e.to_string())
                }
                _ => Err(format!("no method number {method}")),
            }
        })
    }
}

#[tokio::test]
async fn hand_written_and_macro_services_answer_and_count_calls() {
    let services = Services::new();
    services.register(HandFoo).unwrap();
    services.register(Foo).unwrap();
    let addr = start_server(Server::new(services.clone())).await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let args = Args { num1: 1, num2: 3 };
    let a: i64 = bounded("call", client.call("HandFoo.Sum", &args))
        .await
        .unwrap();
    let b: i64 = bounded("call", client.call("Foo.Sum", &args))
        .await
        .unwrap();
    assert_eq!((a, b), (4, 4));
    assert_eq!(services.num_calls("Foo.Sum"), Some(1));
    assert_eq!(services.num_calls("Foo.Sleep"), Some(0));
    let names: Vec<String> = services.describe()[0]
        .1
        .iter()
        .map(|m| m.info.name.clone())
        .collect();
    assert_eq!(names, ["Fail", "Sleep", "Sum"]);
}

#[test]
fn a_duplicate_service_is_an_error() {
    let services = Services::new();
    services.register(Foo).unwrap();
    assert!(matches!(services.register(Foo), Err(Error::Register(_))));
}

/// Book appendix: Go bugs. Go's `newService` called `log.Fatalf` (the process exits) for a
/// type it cannot register; here registration returns an error.
#[test]
fn go_bug_invalid_service_exits_the_process() {
    struct Empty;
    impl Service for Empty {
        fn name(&self) -> &str {
            "Empty"
        }
        fn methods(&self) -> Vec<MethodInfo> {
            Vec::new()
        }
        fn call(self: Arc<Self>, _: usize, _: Request) -> BoxFuture<'static, Reply> {
            Box::pin(async { Err("none".to_string()) })
        }
    }
    assert!(matches!(
        Services::new().register(Empty),
        Err(Error::Register(_))
    ));
}

/// Book appendix: Go bugs. An unknown service or method answered an error without reading
/// the request's body, which was then parsed as the next header: the connection broke and
/// every call in flight failed.
#[tokio::test]
async fn go_bug_unknown_method_desyncs_the_stream() {
    let (addr, _) = start_foo().await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let args = Args { num1: 2, num2: 5 };
    for (name, expected) in [
        ("Foo.Nope", "rpc server: can't find method Nope"),
        ("Bar.Sum", "rpc server: can't find service Bar"),
        (
            "FooSum",
            "rpc server: service/method request ill-formed: FooSum",
        ),
    ] {
        match bounded("call", client.call::<_, i64>(name, &args)).await {
            Err(Error::Server(text)) => assert_eq!(text, expected),
            other => panic!("{name}: {other:?}"),
        }
        let sum: i64 = bounded("call", client.call("Foo.Sum", &args))
            .await
            .unwrap();
        assert_eq!(sum, 7);
    }
}

#[tokio::test]
async fn a_wrong_argument_type_is_an_error_reply() {
    let (addr, _) = start_foo().await;
    let client = Client::dial(&addr.to_string(), Options::default())
        .await
        .unwrap();
    let err = client
        .call::<_, i64>("Foo.Sum", "not args")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read argv err"), "{err}");
    let sum: i64 = client
        .call("Foo.Sum", &Args { num1: 1, num2: 1 })
        .await
        .unwrap();
    assert_eq!(sum, 2);
}

#[tokio::test]
async fn every_codec_reaches_the_service() {
    let (addr, _) = start_foo().await;
    for codec in [
        gee_rpc::CodecType::Json,
        gee_rpc::CodecType::Bincode,
        gee_rpc::CodecType::Gob,
    ] {
        let client = Client::dial(&addr.to_string(), Options::with_codec(codec))
            .await
            .unwrap();
        let sum: i64 = client
            .call("Foo.Sum", &Args { num1: 0, num2: 9 })
            .await
            .unwrap();
        assert_eq!(sum, 9, "{codec:?}");
    }
}

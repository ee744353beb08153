//! Day 5 — The HTTP transport: `CONNECT` turns an HTTP connection into an RPC stream, and
//! `GET /debug/geerpc` shows what the server serves.
//!
//! Firewalls and proxies let HTTP through, and one port can then serve both a web page and
//! RPC. Go's net/rpc does it with `CONNECT`: the client sends
//!
//! ```text
//! CONNECT /_geeprc_ HTTP/1.0\n\n
//! ```
//!
//! the server answers `HTTP/1.0 200 Connected to Gee RPC\n\n`, and from then on the
//! connection carries the ordinary Option line and codec stream. (`/_geeprc_` is the Go
//! course's typo for `/_geerpc_`; the server accepts both, the client sends Go's, so Go's
//! geerpc understands it.) Go writes bare `\n` line endings, which `httparse` accepts.
//!
//! The request head is parsed out of the connection's one [`Inbound`] buffer, and that same
//! buffer goes on to the RPC server: a client that sends its Option line right behind the
//! CONNECT loses nothing. Every other request gets one response and the connection closes,
//! which is all a debug page needs; this is not a general web server.
//!
//! [`x_dial`] picks the transport from an address: `http@host:port`, `tcp@host:port` or
//! `unix@/path/to.sock`.

use std::fmt::Write as _;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use crate::client::Client;
use crate::codec::Inbound;
use crate::error::{Error, Result};
use crate::option::Options;
use crate::server::Server;
use crate::service::Services;
use crate::timeout::connect_within;

/// The path a client CONNECTs to (Go's `defaultRPCPath`, typo included).
pub const DEFAULT_RPC_PATH: &str = "/_geeprc_";
/// The spelling the typo meant; the server accepts it too.
pub const RPC_PATH_FIXED: &str = "/_geerpc_";
/// The debug page's path.
pub const DEFAULT_DEBUG_PATH: &str = "/debug/geerpc";
/// The status line's text after a successful CONNECT.
pub const CONNECTED: &str = "200 Connected to Gee RPC";
/// The longest request or response head accepted.
pub const MAX_HEAD: usize = 8 * 1024;

/// The server side: an RPC [`Server`] reachable by CONNECT, and the services for the page.
#[derive(Debug, Clone)]
pub struct HttpServer {
    server: Server,
    services: Services,
}

impl HttpServer {
    /// Serves `server` over HTTP CONNECT and `services` on the debug page.
    pub fn new(server: Server, services: Services) -> Self {
        HttpServer { server, services }
    }

    /// Accepts HTTP connections forever (Go's `HandleHTTP` + `http.Serve`).
    pub async fn serve(&self, listener: TcpListener) -> Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.serve_conn(stream).await {
                    tracing::warn!("rpc http: closing connection from {peer}: {e}");
                }
            });
        }
    }

    // ANCHOR: serve_conn
    /// Serves one HTTP connection: a CONNECT becomes an RPC stream, anything else gets one
    /// response.
    pub async fn serve_conn(&self, stream: TcpStream) -> Result<()> {
        let (read, mut write) = stream.into_split();
        let mut inbound = Inbound::new(read);
        let Some((method, path)) = read_request_head(&mut inbound).await? else {
            return Ok(());
        };
        // ANCHOR: ex_route
        let is_rpc = path == DEFAULT_RPC_PATH || path == RPC_PATH_FIXED;
        if is_rpc && method == "CONNECT" {
            write
                .write_all(format!("HTTP/1.0 {CONNECTED}\n\n").as_bytes())
                .await?;
            return self.server.serve_stream(inbound, write).await;
        }
        let (status, content_type, body) = if is_rpc {
            (
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                "405 must CONNECT\n".to_string(),
            )
        } else if path == DEFAULT_DEBUG_PATH && method == "GET" {
            (
                "200 OK",
                "text/html; charset=utf-8",
                debug_page(&self.services),
            )
        } else {
            (
                "404 Not Found",
                "text/plain; charset=utf-8",
                "404 page not found\n".to_string(),
            )
        };
        respond(&mut write, status, content_type, &body).await
        // ANCHOR_END: ex_route
    }
    // ANCHOR_END: serve_conn
}

/// Reads a request head; `None` if the client closed without sending one.
async fn read_request_head(inbound: &mut Inbound) -> Result<Option<(String, String)>> {
    inbound
        .next(|buf| {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut request = httparse::Request::new(&mut headers);
            match request.parse(buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let method = request.method.unwrap_or_default().to_string();
                    let path = request.path.unwrap_or_default().to_string();
                    crate::codec::consume(buf, n);
                    Ok(Some((method, path)))
                }
                Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                    Err(Error::FrameTooLarge {
                        size: buf.len(),
                        limit: MAX_HEAD,
                    })
                }
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(Error::Handshake(format!("bad HTTP request: {e}"))),
            }
        })
        .await
}

async fn respond(
    write: &mut (impl AsyncWrite + Unpin),
    status: &str,
    content_type: &str,
    body: &str,
) -> Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    write.write_all(head.as_bytes()).await?;
    write.write_all(body.as_bytes()).await?;
    write.shutdown().await?;
    Ok(())
}

// ANCHOR: debug_page
/// The debug page: every service, each method with its types and call count.
pub fn debug_page(services: &Services) -> String {
    let mut html = String::from("<html>\n<body>\n<title>GeeRPC Services</title>\n");
    for (service, methods) in services.describe() {
        let _ = write!(
            html,
            "<hr>\nService {}\n<hr>\n<table>\n<th align=center>Method</th><th align=center>Calls</th>\n",
            escape(&service)
        );
        for m in methods {
            let _ = writeln!(
                html,
                "<tr>\n<td align=left font=fixed>{}({}, {}) error</td>\n<td align=center>{}</td>\n</tr>",
                escape(&m.info.name),
                escape(m.info.arg_type),
                escape(m.info.reply_type),
                m.calls
            );
        }
        html.push_str("</table>\n");
    }
    html.push_str("</body>\n</html>\n");
    html
}
// ANCHOR_END: debug_page

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ANCHOR: dial_http
/// Connects over HTTP: CONNECT, check the answer, then the usual client on the same
/// buffered connection (Go's `DialHTTP`).
pub async fn dial_http(addr: &str, opt: Options) -> Result<Client> {
    let connect = async {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let (read, mut write) = stream.into_split();
        write
            .write_all(format!("CONNECT {DEFAULT_RPC_PATH} HTTP/1.0\n\n").as_bytes())
            .await?;
        let mut inbound = Inbound::new(read);
        // ANCHOR: ex_dial_http
        let status = read_response_head(&mut inbound)
            .await?
            .ok_or_else(|| Error::Handshake("connection closed before the CONNECT reply".into()))?;
        if status != CONNECTED {
            return Err(Error::Handshake(format!(
                "unexpected HTTP response: {status}"
            )));
        }
        Client::new(inbound, write, opt.clone())
        // ANCHOR_END: ex_dial_http
    };
    connect_within(opt.connect_timeout, connect).await
}
// ANCHOR_END: dial_http

/// Reads a response head and returns its status as Go prints it: `"200 Connected to Gee RPC"`.
async fn read_response_head(inbound: &mut Inbound) -> Result<Option<String>> {
    inbound
        .next(|buf| {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(buf) {
                Ok(httparse::Status::Complete(n)) => {
                    let status = format!(
                        "{} {}",
                        response.code.unwrap_or_default(),
                        response.reason.unwrap_or_default()
                    );
                    crate::codec::consume(buf, n);
                    Ok(Some(status))
                }
                Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                    Err(Error::FrameTooLarge {
                        size: buf.len(),
                        limit: MAX_HEAD,
                    })
                }
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(Error::Handshake(format!("bad HTTP response: {e}"))),
            }
        })
        .await
}

// ANCHOR: x_dial
/// Dials `protocol@address`: `http@host:port`, `tcp@host:port` or `unix@/path` (Go's
/// `XDial`).
pub async fn x_dial(rpc_addr: &str, opt: Options) -> Result<Client> {
    let Some((protocol, addr)) = rpc_addr.split_once('@') else {
        return Err(Error::Discovery(format!(
            "wrong format '{rpc_addr}', expect protocol@addr"
        )));
    };
    match protocol {
        "http" => dial_http(addr, opt).await,
        "tcp" => Client::dial_timeout(addr, opt).await,
        "unix" => {
            let connect = async {
                let (read, write) = UnixStream::connect(addr).await?.into_split();
                Client::new(Inbound::new(read), write, opt.clone())
            };
            connect_within(opt.connect_timeout, connect).await
        }
        other => Err(Error::Discovery(format!(
            "unsupported protocol '{other}' in '{rpc_addr}'"
        ))),
    }
}
// ANCHOR_END: x_dial

impl Server {
    /// Accepts connections on a Unix socket forever, as [`Server::accept`] does on TCP.
    pub async fn accept_unix(&self, listener: UnixListener) -> Result<()> {
        loop {
            let (stream, _) = listener.accept().await?;
            let server = self.clone();
            tokio::spawn(async move {
                let (read, write) = stream.into_split();
                if let Err(e) = server.serve_stream(Inbound::new(read), write).await {
                    tracing::warn!("rpc server: closing unix connection: {e}");
                }
            });
        }
    }
}

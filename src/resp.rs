//! A minimal RESP2 client over one TCP connection: what the redis probe and the redis plan
//! operation need (AUTH, INFO, REPLICAOF, CONFIG, …), with no client crate. Replies are bounded.
//!
//! Must not: log or echo a command's arguments in errors (`AUTH` carries the password); errors
//! name the command's first word only.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// The longest single reply accepted (an INFO section is a few KiB).
pub const MAX_REPLY: usize = 1024 * 1024;

/// Most elements of an array reply.
const MAX_ELEMENTS: usize = 10_000;

/// One reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+OK`, or the text of a bulk string.
    Text(String),
    Integer(i64),
    /// A nil bulk string or array.
    Nil,
    Array(Vec<Reply>),
    /// `-ERR …`: Redis refused the command.
    Error(String),
}

impl Reply {
    /// The reply as one line of text (arrays joined by spaces), for output and values.
    pub fn render(&self) -> String {
        match self {
            Reply::Text(s) => s.clone(),
            Reply::Integer(i) => i.to_string(),
            Reply::Nil => "(nil)".to_owned(),
            Reply::Array(items) => items
                .iter()
                .map(Reply::render)
                .collect::<Vec<_>>()
                .join("\n"),
            Reply::Error(e) => format!("(error) {e}"),
        }
    }
}

/// An open connection.
pub struct Conn {
    io: BufReader<TcpStream>,
}

impl Conn {
    /// Connect to `addr` (`host:port`) within `timeout`.
    pub async fn connect(addr: &str, timeout: Duration) -> Result<Conn, String> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("no connection within {timeout:?}"))?
            .map_err(|e| e.to_string())?;
        Ok(Conn {
            io: BufReader::new(stream),
        })
    }

    /// `AUTH [user] password`; an error reply is an `Err` (never naming the password).
    pub async fn auth(&mut self, user: Option<&str>, password: &str) -> Result<(), String> {
        let mut args = vec!["AUTH"];
        args.extend(user);
        args.push(password);
        match self.command(&args).await? {
            Reply::Error(e) => Err(format!("AUTH: {e}")),
            _ => Ok(()),
        }
    }

    /// Send one command and read its reply. `Err`: the connection failed or the reply is not RESP.
    pub async fn command(&mut self, args: &[&str]) -> Result<Reply, String> {
        let mut req = format!("*{}\r\n", args.len());
        for a in args {
            req.push_str(&format!("${}\r\n{a}\r\n", a.len()));
        }
        self.io
            .get_mut()
            .write_all(req.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        Box::pin(self.reply()).await
    }

    async fn reply(&mut self) -> Result<Reply, String> {
        let mut line = String::new();
        let n = (&mut self.io)
            .take(MAX_REPLY as u64)
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        let line = line.trim_end();
        let (kind, rest) = line.split_at(line.len().min(1));
        match kind {
            "+" => Ok(Reply::Text(rest.to_owned())),
            ":" => rest
                .parse()
                .map(Reply::Integer)
                .map_err(|_| format!("bad integer reply {rest:?}")),
            "-" => Ok(Reply::Error(rest.to_owned())),
            "$" => {
                let len: i64 = rest.parse().map_err(|_| format!("bad reply {line:?}"))?;
                let Ok(len) = usize::try_from(len) else {
                    return Ok(Reply::Nil);
                };
                if len > MAX_REPLY {
                    return Err(format!("reply of {len} bytes is too long"));
                }
                let mut buf = vec![0u8; len + 2];
                self.io
                    .read_exact(&mut buf)
                    .await
                    .map_err(|e| e.to_string())?;
                buf.truncate(len);
                Ok(Reply::Text(String::from_utf8_lossy(&buf).into_owned()))
            }
            "*" => {
                let len: i64 = rest.parse().map_err(|_| format!("bad reply {line:?}"))?;
                let Ok(len) = usize::try_from(len) else {
                    return Ok(Reply::Nil);
                };
                if len > MAX_ELEMENTS {
                    return Err(format!("array reply of {len} elements is too long"));
                }
                let mut items = Vec::with_capacity(len);
                for _ in 0..len {
                    items.push(Box::pin(self.reply()).await?);
                }
                Ok(Reply::Array(items))
            }
            _ => Err(format!(
                "unexpected reply {:?}",
                line.chars().take(80).collect::<String>()
            )),
        }
    }
}

//! `redis`: one command (`REPLICAOF NO ONE`, `CONFIG SET …`) on a Redis server. ok unless Redis
//! answers an error. Values: `REPLY` (the reply as text), `OUTPUT` (the same). The password is
//! sent with AUTH and never shown.

use std::time::Duration;

use super::{Live, MAX_OUTPUT_VALUE, Outcome, cut};
use crate::resp::{Conn, Reply};

/// Send `argv` to `addr` (`host:port`), authenticating first when a password is given.
pub async fn run(
    addr: &str,
    user: Option<&str>,
    password: Option<&str>,
    argv: &[String],
    timeout: Duration,
    live: &Live,
) -> Result<Outcome, String> {
    let Some(first) = argv.first() else {
        return Err("empty redis command".into());
    };
    let work = async {
        let mut conn = Conn::connect(addr, timeout)
            .await
            .map_err(|e| format!("redis at {addr}: {e}"))?;
        if let Some(pw) = password {
            conn.auth(user, pw)
                .await
                .map_err(|e| format!("redis at {addr}: {e}"))?;
        }
        live.line(&format!("{addr}> {}", shown(argv)));
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        conn.command(&args)
            .await
            .map_err(|e| format!("redis at {addr}: {first}: {e}"))
    };
    let reply = match tokio::time::timeout(timeout, work).await {
        Ok(r) => r?,
        Err(_) => return Ok(Outcome::new(false, format!("no answer within {timeout:?}"))),
    };
    let text = reply.render();
    live.line(&text);
    let ok = !matches!(reply, Reply::Error(_));
    let message = if ok {
        format!("{first}: {}", cut(&text, 200))
    } else {
        format!("{first} refused: {text}")
    };
    Ok(Outcome::new(ok, message)
        .with("REPLY", text.clone())
        .with("OUTPUT", cut(&text, MAX_OUTPUT_VALUE)))
}

/// The command as shown: arguments after AUTH / CONFIG SET requirepass / masterauth hidden.
fn shown(argv: &[String]) -> String {
    let upper: Vec<String> = argv.iter().map(|a| a.to_uppercase()).collect();
    let secret_from = match upper.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["AUTH", ..] => Some(1),
        ["CONFIG", "SET", "REQUIREPASS" | "MASTERAUTH", ..] => Some(3),
        _ => None,
    };
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            if secret_from.is_some_and(|f| i >= f) {
                "****".to_owned()
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_commands_are_hidden() {
        let v = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(shown(&v("AUTH s3cret")), "AUTH ****");
        assert_eq!(
            shown(&v("config set masterauth pw")),
            "config set masterauth ****"
        );
        assert_eq!(
            shown(&v("REPLICAOF 127.0.0.1 6380")),
            "REPLICAOF 127.0.0.1 6380"
        );
    }
}

//! Who this process is: hostname, an IP address, pid, start time.

use std::net::{IpAddr, ToSocketAddrs};

use crate::domain::{Instance, time::now_ms};

/// This process as an `nw_component` row. The id is unique per process start.
pub fn identity(role: &str, listen: &str) -> Instance {
    let hostname = gethostname::gethostname().to_string_lossy().into_owned();
    let pid = i64::from(std::process::id());
    let started_at = now_ms();
    Instance {
        id: format!("{hostname}:{pid}:{started_at}"),
        ip: local_ip(&hostname).to_string(),
        hostname,
        pid,
        role: role.to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        listen: listen.to_owned(),
        started_at,
        heartbeat_at: started_at,
    }
}

/// The host's address as the resolver knows it (from /etc/hosts; no network traffic), preferring a
/// non-loopback IPv4; loopback when nothing better is known.
fn local_ip(hostname: &str) -> IpAddr {
    let addrs: Vec<IpAddr> = (hostname, 0)
        .to_socket_addrs()
        .map(|it| it.map(|a| a.ip()).collect())
        .unwrap_or_default();
    addrs
        .iter()
        .find(|ip| ip.is_ipv4() && !ip.is_loopback())
        .or_else(|| addrs.iter().find(|ip| !ip.is_loopback()))
        .copied()
        .unwrap_or(IpAddr::from([127, 0, 0, 1]))
}

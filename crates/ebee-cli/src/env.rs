//! `--env FILE`: the network environment the helpers answer from, as JSON (the format is in
//! README.md), into an [`ebee::NetworkEnvironment`]. Errors name the file and the field.

use anyhow::{anyhow, bail, Context, Result};
use ebee::network::{
    tcp_state, Interface, Neighbour, NetworkEnvironment, Protocol, Route, RouteKind, Socket,
    TunnelKey,
};
use serde_json::{Map, Value};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

/// Reads and checks the environment in `path`.
pub fn load(path: &Path) -> Result<NetworkEnvironment> {
    let name = path.display();
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
    let json: Value = serde_json::from_str(&text).with_context(|| format!("{name}: not JSON"))?;
    let env = parse(&json).with_context(|| name.to_string())?;
    env.validate().map_err(|e| anyhow!("{name}: {e}"))?;
    Ok(env)
}

/// A JSON object with the fields it may have; reading a field removes it, so that
/// [`Fields::done`] can refuse unknown ones.
struct Fields {
    what: String,
    map: Map<String, Value>,
}

impl Fields {
    fn of(value: &Value, what: String) -> Result<Fields> {
        match value {
            Value::Object(map) => Ok(Fields {
                what,
                map: map.clone(),
            }),
            _ => bail!("{what}: not an object"),
        }
    }

    fn take(&mut self, field: &str) -> Option<Value> {
        self.map.remove(field)
    }

    fn field(&self, field: &str) -> String {
        format!("{}.{field}", self.what)
    }

    fn u32(&mut self, field: &str) -> Result<Option<u32>> {
        match self.take(field) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| anyhow!("{}: not a number from 0 to 2^32-1", self.field(field))),
        }
    }

    fn u64(&mut self, field: &str) -> Result<Option<u64>> {
        match self.take(field) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| anyhow!("{}: not a non-negative number", self.field(field))),
        }
    }

    fn bool(&mut self, field: &str) -> Result<Option<bool>> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => bail!("{}: not true or false", self.field(field)),
        }
    }

    fn string(&mut self, field: &str) -> Result<Option<String>> {
        match self.take(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => bail!("{}: not a string", self.field(field)),
        }
    }

    fn ip(&mut self, field: &str) -> Result<Option<IpAddr>> {
        match self.string(field)? {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| anyhow!("{}: {s:?} is not an IP address", self.field(field))),
        }
    }

    fn socket_addr(&mut self, field: &str) -> Result<Option<SocketAddr>> {
        match self.string(field)? {
            None => Ok(None),
            Some(s) => s.parse().map(Some).map_err(|_| {
                anyhow!(
                    "{}: {s:?} is not ADDRESS:PORT ([ADDRESS]:PORT for IPv6)",
                    self.field(field)
                )
            }),
        }
    }

    fn required<T>(&self, field: &str, value: Option<T>) -> Result<T> {
        value.ok_or_else(|| anyhow!("{}: missing", self.field(field)))
    }

    fn mac(&mut self, field: &str) -> Result<Option<[u8; 6]>> {
        let Some(s) = self.string(field)? else {
            return Ok(None);
        };
        let bytes: Vec<u8> = s
            .split(':')
            .map(|b| u8::from_str_radix(b, 16))
            .collect::<Result<_, _>>()
            .map_err(|_| anyhow!("{}: {s:?} is not a MAC address", self.field(field)))?;
        let mac = bytes
            .try_into()
            .map_err(|_| anyhow!("{}: {s:?} is not six bytes", self.field(field)))?;
        Ok(Some(mac))
    }

    /// `ADDRESS/LEN`.
    fn prefix(&self, field: &str, s: &str) -> Result<(IpAddr, u8)> {
        let bad = || anyhow!("{}: {s:?} is not ADDRESS/LENGTH", self.field(field));
        let (ip, len) = s.split_once('/').ok_or_else(bad)?;
        Ok((
            ip.parse().map_err(|_| bad())?,
            len.parse().map_err(|_| bad())?,
        ))
    }

    fn list(&mut self, field: &str) -> Result<Vec<Value>> {
        match self.take(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items),
            Some(_) => bail!("{}: not a list", self.field(field)),
        }
    }

    fn done(self) -> Result<()> {
        match self.map.keys().next() {
            Some(unknown) => bail!("{}: unknown field {unknown:?}", self.what),
            None => Ok(()),
        }
    }
}

fn interface(value: &Value, what: String) -> Result<Interface> {
    let mut f = Fields::of(value, what)?;
    let ifindex = f.u32("ifindex")?;
    let ifindex = f.required("ifindex", ifindex)?;
    let base = if ifindex == 1 {
        Interface::loopback()
    } else {
        Interface::ethernet(ifindex, "", [0; 6], 1500)
    };
    let mut i = Interface {
        name: f.string("name")?.unwrap_or(base.name),
        mac: f.mac("mac")?.unwrap_or(base.mac),
        mtu: f.u32("mtu")?.unwrap_or(base.mtu),
        up: f.bool("up")?.unwrap_or(base.up),
        forwarding: f.bool("forwarding")?.unwrap_or(base.forwarding),
        ..base
    };
    for (n, address) in f.list("addresses")?.iter().enumerate() {
        let field = format!("addresses[{n}]");
        let text = address
            .as_str()
            .ok_or_else(|| anyhow!("{}: not a string", f.field(&field)))?;
        i.addresses.push(f.prefix(&field, text)?);
    }
    f.done()?;
    Ok(i)
}

fn route(value: &Value, what: String) -> Result<Route> {
    let mut f = Fields::of(value, what)?;
    let destination = f.string("destination")?;
    let destination = f.required("destination", destination)?;
    let (ip, len) = f.prefix("destination", &destination)?;
    let kind = match f.string("type")?.as_deref() {
        None | Some("unicast") => RouteKind::Unicast,
        Some("local") => RouteKind::Local,
        Some("blackhole") => RouteKind::Blackhole,
        Some("unreachable") => RouteKind::Unreachable,
        Some("prohibit") => RouteKind::Prohibit,
        Some(other) => bail!(
            "{}: {other:?} is not unicast, local, blackhole, unreachable or prohibit",
            f.field("type")
        ),
    };
    let route = Route {
        kind,
        ifindex: f.u32("ifindex")?.unwrap_or(0),
        gateway: f.ip("gateway")?,
        source: f.ip("source")?,
        metric: f.u32("metric")?,
        table: f.u32("table")?.unwrap_or(ebee::network::RT_TABLE_MAIN),
        mtu: f.u32("mtu")?.unwrap_or(0),
        ..Route::direct(ip, len, 0)
    };
    f.done()?;
    Ok(route)
}

fn neighbour(value: &Value, what: String) -> Result<Neighbour> {
    let mut f = Fields::of(value, what)?;
    let (ip, mac, ifindex) = (f.ip("ip")?, f.mac("mac")?, f.u32("ifindex")?);
    let n = Neighbour {
        ip: f.required("ip", ip)?,
        mac: f.required("mac", mac)?,
        ifindex: f.required("ifindex", ifindex)?,
    };
    f.done()?;
    Ok(n)
}

fn tunnel(value: &Value) -> Result<TunnelKey> {
    let mut f = Fields::of(value, "tunnel".into())?;
    let (remote, local) = (f.ip("remote")?, f.ip("local")?);
    let small = |f: &mut Fields, field: &str, max: u32| -> Result<u32> {
        let v = f.u32(field)?.unwrap_or(0);
        if v > max {
            bail!("{}: {v} is above {max}", f.field(field));
        }
        Ok(v)
    };
    let key = TunnelKey {
        id: f.u64("id")?.unwrap_or(0),
        remote: f.required("remote", remote)?,
        local: f.required("local", local)?,
        tos: small(&mut f, "tos", 0xff)? as u8,
        ttl: small(&mut f, "ttl", 0xff)? as u8,
        label: small(&mut f, "label", 0xfffff)?,
        flags: small(&mut f, "flags", 0xffff)? as u16,
    };
    f.done()?;
    Ok(key)
}

/// The `BPF_TCP_*` state names the format accepts.
const STATES: [(&str, u32); 10] = [
    ("established", tcp_state::ESTABLISHED),
    ("syn_sent", tcp_state::SYN_SENT),
    ("syn_recv", tcp_state::SYN_RECV),
    ("fin_wait1", tcp_state::FIN_WAIT1),
    ("fin_wait2", tcp_state::FIN_WAIT2),
    ("close", tcp_state::CLOSE),
    ("close_wait", tcp_state::CLOSE_WAIT),
    ("last_ack", tcp_state::LAST_ACK),
    ("listen", tcp_state::LISTEN),
    ("closing", tcp_state::CLOSING),
];

fn socket(value: &Value, what: String) -> Result<Socket> {
    let mut f = Fields::of(value, what)?;
    let protocol = match f.string("protocol")?.as_deref() {
        Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some(other) => bail!("{}: {other:?} is not tcp or udp", f.field("protocol")),
        None => bail!("{}: missing", f.field("protocol")),
    };
    let local = f.socket_addr("local")?;
    let local = f.required("local", local)?;
    let remote = f.socket_addr("remote")?;
    let accepted = f.bool("accepted")?.unwrap_or(false);
    let mut socket = match (protocol, remote) {
        (Protocol::Tcp, None) => Socket::tcp_listener(local),
        (Protocol::Tcp, Some(r)) if accepted => Socket::tcp_accepted(local, r),
        (Protocol::Tcp, Some(r)) => Socket::tcp_connected(local, r),
        (Protocol::Udp, None) => Socket::udp(local),
        (Protocol::Udp, Some(r)) => Socket::udp_connected(local, r),
    };
    socket.accepted = accepted;
    if let Some(name) = f.string("state")? {
        let Some(&(_, state)) = STATES.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = STATES.iter().map(|s| s.0).collect();
            bail!(
                "{}: {name:?} is not one of {}",
                f.field("state"),
                names.join(", ")
            );
        };
        socket.state = state;
    }
    socket.bound_dev_if = f.u32("ifindex")?.unwrap_or(0);
    socket.mark = f.u32("mark")?.unwrap_or(0);
    socket.priority = f.u32("priority")?.unwrap_or(0);
    socket.v6only = f.bool("v6only")?.unwrap_or(false);
    f.done()?;
    Ok(socket)
}

/// The environment a JSON document describes (loopback added when it lists none).
fn parse(json: &Value) -> Result<NetworkEnvironment> {
    let mut f = Fields::of(json, "the environment".into())?;
    let mut env = NetworkEnvironment::new();
    for (n, v) in f.list("interfaces")?.iter().enumerate() {
        env = env.with_interface(interface(v, format!("interfaces[{n}]"))?);
    }
    for (n, v) in f.list("routes")?.iter().enumerate() {
        env = env.with_route(route(v, format!("routes[{n}]"))?);
    }
    for (n, v) in f.list("neighbours")?.iter().enumerate() {
        env = env.with_neighbour(neighbour(v, format!("neighbours[{n}]"))?);
    }
    for (n, v) in f.list("sockets")?.iter().enumerate() {
        env = env.with_socket(socket(v, format!("sockets[{n}]"))?);
    }
    if let Some(t) = f.take("tunnel") {
        env = env.with_tunnel(tunnel(&t)?);
    }
    f.done()?;
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<NetworkEnvironment> {
        parse(&serde_json::from_str(text).unwrap())
    }

    #[test]
    fn the_readme_example_parses() {
        let env = parse_str(
            r#"{
              "interfaces": [{"ifindex": 2, "name": "eth0", "mac": "02:00:00:00:00:aa",
                              "mtu": 1500, "forwarding": true, "addresses": ["10.1.0.1/24"]}],
              "routes": [{"destination": "10.2.0.0/16", "gateway": "10.1.0.2", "ifindex": 2},
                         {"destination": "10.9.0.0/16", "type": "blackhole"}],
              "neighbours": [{"ip": "10.1.0.2", "mac": "02:00:00:00:00:bb", "ifindex": 2}],
              "tunnel": {"id": 42, "remote": "192.0.2.1", "local": "192.0.2.2", "ttl": 64},
              "sockets": [{"protocol": "tcp", "local": "10.1.0.1:80", "mark": 7},
                          {"protocol": "tcp", "local": "10.1.0.1:80", "remote": "10.2.0.9:40000",
                           "accepted": true},
                          {"protocol": "udp", "local": "[::]:53", "ifindex": 2, "v6only": true}]
            }"#,
        )
        .unwrap();
        assert_eq!(env.validate(), Ok(()));
        assert_eq!(env.interfaces.len(), 2, "loopback and eth0");
        assert_eq!(env.interface(2).unwrap().mac, [2, 0, 0, 0, 0, 0xaa]);
        assert_eq!(env.routes[1].kind, RouteKind::Blackhole);
        assert_eq!(env.tunnel.unwrap().ttl, 64);
        assert_eq!(env.sockets.len(), 3);
        assert_eq!(env.sockets[0].state, tcp_state::LISTEN);
        assert_eq!(env.sockets[0].mark, 7);
        assert!(env.sockets[1].accepted);
        assert_eq!(env.sockets[1].state, tcp_state::ESTABLISHED);
        assert_eq!(env.sockets[2].protocol, Protocol::Udp);
        assert_eq!(env.sockets[2].state, tcp_state::CLOSE);
        assert_eq!(
            env.sockets[2].local,
            "[::]:53".parse::<SocketAddr>().unwrap()
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        for (text, message) in [
            (
                r#"{"interfaces": [{"name": "x"}]}"#,
                "interfaces[0].ifindex: missing",
            ),
            (
                r#"{"interfaces": [{"ifindex": 2, "mac": "02:00"}]}"#,
                "interfaces[0].mac: \"02:00\" is not six bytes",
            ),
            (
                r#"{"routes": [{"destination": "10.0.0.0"}]}"#,
                "routes[0].destination: \"10.0.0.0\" is not ADDRESS/LENGTH",
            ),
            (
                r#"{"routes": [{"destination": "10.0.0.0/8", "type": "nat"}]}"#,
                "routes[0].type",
            ),
            (
                r#"{"neighbours": [{"ip": "x"}]}"#,
                "neighbours[0].ip: \"x\" is not an IP",
            ),
            (
                r#"{"tunnel": {"remote": "::1", "local": "::2", "ttl": 300}}"#,
                "tunnel.ttl",
            ),
            (
                r#"{"sockets": [{"local": "127.0.0.1:80"}]}"#,
                "sockets[0].protocol: missing",
            ),
            (
                r#"{"sockets": [{"protocol": "sctp", "local": "127.0.0.1:80"}]}"#,
                "sockets[0].protocol: \"sctp\" is not tcp or udp",
            ),
            (
                r#"{"sockets": [{"protocol": "tcp", "local": "::1:80"}]}"#,
                "sockets[0].local: \"::1:80\" is not ADDRESS:PORT",
            ),
            (
                r#"{"sockets": [{"protocol": "tcp", "local": "127.0.0.1:80", "state": "up"}]}"#,
                "sockets[0].state: \"up\" is not one of established",
            ),
            (
                r#"{"sockets": [{"protocol": "udp", "local": "127.0.0.1:80", "mark": -1}]}"#,
                "sockets[0].mark: not a number",
            ),
            (
                r#"{"sockets": [{"protocol": "udp", "local": "127.0.0.1:80", "port": 1}]}"#,
                "sockets[0]: unknown field \"port\"",
            ),
            (r#"{"route": []}"#, "unknown field \"route\""),
            ("[]", "not an object"),
        ] {
            let err = format!("{:#}", parse_str(text).unwrap_err());
            assert!(err.contains(message), "{text}: {err}");
        }
    }
}

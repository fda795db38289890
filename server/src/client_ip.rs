//! The client's address, believing `X-Forwarded-For` only when the direct peer is a trusted proxy.
//!
//! Used by rate limits and audit entries: a forged header from an untrusted peer must not let a client pick the
//! address it is counted under.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

use crate::error::ApiError;
use crate::startup::AppState;

/// Parses an address (`::1`, `192.168.1.7`) or a CIDR network (`10.0.0.0/8`) whose host bits are zero.
fn parse_network(raw: &str) -> Result<IpNet, TrustedProxiesError> {
    let invalid = || TrustedProxiesError(raw.to_owned());
    let network = match raw.parse::<IpNet>() {
        Ok(network) => network,
        Err(_) => IpNet::from(raw.parse::<IpAddr>().map_err(|_| invalid())?),
    };
    // `10.0.0.1/8` is most likely a typo for an address or a network: refused rather than guessed.
    if network.trunc() != network {
        return Err(invalid());
    }
    Ok(network)
}

/// The configured list of trusted proxies (`ENROLE_TRUSTED_PROXIES`), empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A list entry that is neither an IP address nor a CIDR network.
#[derive(Debug, thiserror::Error)]
#[error("« {0} » n'est ni une adresse IP ni un réseau CIDR (exemples : 10.0.0.1, 10.0.0.0/8, ::1)")]
pub struct TrustedProxiesError(String);

impl TrustedProxies {
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// Parses a comma- or space-separated list.
    pub fn parse(list: &str) -> Result<Self, TrustedProxiesError> {
        list.split([',', ' ', '\t', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(parse_network)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` belongs to one of the networks (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(&ip))
    }
}

/// The address of the client: the TCP peer, unless the peer is a trusted proxy, in which case the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries on the left can be forged by the client).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.is_trusted(peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            // A malformed entry: stop believing anything further to the left.
            break;
        };
        client = ip;
        if !trusted.is_trusted(ip) {
            break;
        }
    }
    client
}

/// Extractor of the client's address per [`client_ip`] and `ENROLE_TRUSTED_PROXIES` (for rate limits and audit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .ok_or_else(|| {
                ApiError::Internal(anyhow::anyhow!(
                    "the server was started without connect info"
                ))
            })?;
        Ok(Self(client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn parses_addresses_and_networks() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.7 ::1,fd00::/8").expect("list");
        assert!(t.is_trusted(ip("10.20.30.40")));
        assert!(t.is_trusted(ip("192.168.1.7")));
        assert!(!t.is_trusted(ip("192.168.1.8")));
        assert!(t.is_trusted(ip("::1")));
        assert!(t.is_trusted(ip("fd12::1")));
        assert!(t.is_trusted(ip("::ffff:10.1.2.3")));
        assert!(!t.is_trusted(ip("11.0.0.1")));
        assert!(!t.is_trusted(ip("::ffff:11.0.0.1")));
        // An IPv6 network does not take in IPv4 addresses, mapped or not.
        let v6 = TrustedProxies::parse("::/0").expect("every IPv6 address");
        assert!(v6.is_trusted(ip("2001:db8::1")));
        assert!(!v6.is_trusted(ip("10.0.0.1")));
        assert!(!v6.is_trusted(ip("::ffff:10.0.0.1")));
    }

    #[test]
    fn rejects_invalid_entries() {
        for bad in [
            "10.0.0.0/33",
            "10.0.0.1/8",
            "proxy.local",
            "::1/129",
            "1.2.3",
            "10.0.0.0/",
            "/8",
            "fd00::1/8",
            "10.0.0.0/8/8",
        ] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let trusted = TrustedProxies::parse("10.0.0.1").expect("list");
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("1.1.1.1"), &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(
            client_ip(ip("203.0.113.9"), &xff("1.1.1.1"), &TrustedProxies::none()),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_for_is_believed_from_trusted_proxies_right_to_left() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("list");
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("198.51.100.4"), &trusted),
            ip("198.51.100.4")
        );
        // The client forged the left-most entry; the right-most untrusted hop is the real client.
        assert_eq!(
            client_ip(
                ip("10.0.0.1"),
                &xff("6.6.6.6, 198.51.100.4, 10.0.0.2"),
                &trusted
            ),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        assert_eq!(
            client_ip(ip("10.0.0.1"), &xff("garbage"), &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn ipv4_mapped_addresses_count_as_ipv4_on_both_sides() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").expect("list");
        // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
        assert_eq!(
            client_ip(ip("::ffff:10.0.0.1"), &xff("::ffff:198.51.100.4"), &trusted),
            ip("198.51.100.4")
        );
        assert_eq!(
            client_ip(ip("::ffff:203.0.113.9"), &xff("1.1.1.1"), &trusted),
            ip("203.0.113.9")
        );
    }
}

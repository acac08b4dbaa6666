//! `cidr` matching: event strings that are IP addresses inside a block (IPv4 or IPv6).

use std::net::IpAddr;

/// An address block: the network's bits and how many of them count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IpRange {
    network: IpAddr,
    prefix_len: u32,
}

impl IpRange {
    pub fn parse(text: &str) -> Result<IpRange, String> {
        let invalid = || format!("Nonstandard IP address: {text}");
        let (addr, bits) = text.split_once('/').ok_or_else(|| format!("Malformed CIDR, one '/' required: {text}"))?;
        let network: IpAddr = addr.parse().map_err(|_| invalid())?;
        let prefix_len: u32 = bits.parse().map_err(|_| invalid())?;
        if prefix_len > width(network) {
            return Err(invalid());
        }
        Ok(IpRange { network, prefix_len })
    }

    pub fn contains(&self, text: &str) -> bool {
        let Ok(addr) = text.parse::<IpAddr>() else {
            return false;
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                same_prefix(u128::from(u32::from(net)), u128::from(u32::from(a)), self.prefix_len, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => same_prefix(u128::from(net), u128::from(a), self.prefix_len, 128),
            _ => false,
        }
    }
}

fn width(addr: IpAddr) -> u32 {
    if addr.is_ipv4() { 32 } else { 128 }
}

/// Whether the first `prefix_len` of `width` bits agree.
fn same_prefix(a: u128, b: u128, prefix_len: u32, width: u32) -> bool {
    let shift = width.saturating_sub(prefix_len);
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

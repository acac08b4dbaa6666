//! Paging tokens: the last key of a page, tagged with the listing that issued it.
//!
//! A token is hex of `kind|order|number|text`. Keeping the whole key in the token means no
//! server-side state, so tokens survive restarts and work against any replica. The tag lets a
//! token from one listing (or order) be rejected by another instead of silently mis-paging.

use crate::{Order, Result, StoreError};

/// Which listing a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    ProjectsByName,
    ProjectsByCreated,
    ProjectsByModified,
    Builds,
    BuildsOfProject,
    Parameters,
    Secrets,
    ReportGroupsByName,
    ReportGroupsByCreated,
    ReportGroupsByModified,
    Reports,
    TestCases,
    EventRules,
    EventTargets,
}

impl Listing {
    fn tag(self) -> &'static str {
        match self {
            Listing::ProjectsByName => "pn",
            Listing::ProjectsByCreated => "pc",
            Listing::ProjectsByModified => "pm",
            Listing::Builds => "b",
            Listing::BuildsOfProject => "bp",
            Listing::Parameters => "pa",
            Listing::Secrets => "s",
            Listing::ReportGroupsByName => "gn",
            Listing::ReportGroupsByCreated => "gc",
            Listing::ReportGroupsByModified => "gm",
            Listing::Reports => "r",
            Listing::TestCases => "t",
            Listing::EventRules => "er",
            Listing::EventTargets => "et",
        }
    }
}

/// A listing key: at most one number and one string (the string last, so it may hold anything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub num: i64,
    pub text: String,
}

fn order_tag(order: Order) -> &'static str {
    match order {
        Order::Ascending => "a",
        Order::Descending => "d",
    }
}

pub(crate) fn encode(listing: Listing, order: Order, cursor: &Cursor) -> String {
    let plain = format!("{}|{}|{}|{}", listing.tag(), order_tag(order), cursor.num, cursor.text);
    hex::encode(plain)
}

pub(crate) fn decode(token: &str, listing: Listing, order: Order) -> Result<Cursor> {
    let invalid = |why: &str| StoreError::InvalidToken(why.to_string());
    let bytes = hex::decode(token).map_err(|_| invalid("not a token"))?;
    let plain = String::from_utf8(bytes).map_err(|_| invalid("not a token"))?;
    let mut parts = plain.splitn(4, '|');
    let (Some(tag), Some(ord), Some(num), Some(text)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("not a token"));
    };
    if tag != listing.tag() {
        return Err(invalid("issued by another listing"));
    }
    if ord != order_tag(order) {
        return Err(invalid("issued for the other sort order"));
    }
    let num = num.parse().map_err(|_| invalid("not a token"))?;
    Ok(Cursor { num, text: text.to_string() })
}

/// A short, stable digest of a listing's filters (FNV-1a, 64 bits), kept in its tokens so that
/// a token used with other filters is refused. Stable across builds, unlike std's hasher, so
/// tokens survive upgrades; a collision would only mis-page, never expose anything.
pub(crate) fn fingerprint(parts: &[Option<&str>]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |byte: u8| {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    };
    for part in parts {
        // A presence marker and the length keep ("ab", "c") apart from ("a", "bc") and None
        // apart from Some("").
        match part {
            None => feed(0),
            Some(text) => {
                feed(1);
                text.len().to_le_bytes().into_iter().for_each(&mut feed);
                text.bytes().for_each(&mut feed);
            }
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_any_text() {
        let cursor = Cursor { num: -42, text: "a|b:c\n".to_string() };
        let token = encode(Listing::Builds, Order::Descending, &cursor);
        let back = decode(&token, Listing::Builds, Order::Descending);
        assert_eq!(back.ok(), Some(cursor));
    }

    #[test]
    fn fingerprints_tell_filters_apart() {
        let a = fingerprint(&[Some("ab"), Some("c")]);
        assert_eq!(a, fingerprint(&[Some("ab"), Some("c")]));
        assert_eq!(a.len(), 16);
        assert_ne!(a, fingerprint(&[Some("a"), Some("bc")]));
        assert_ne!(fingerprint(&[None]), fingerprint(&[Some("")]));
        assert_ne!(fingerprint(&[Some("x"), None]), fingerprint(&[None, Some("x")]));
    }

    #[test]
    fn rejects_other_listing_order_and_garbage() {
        let cursor = Cursor { num: 1, text: "x".to_string() };
        let token = encode(Listing::Builds, Order::Ascending, &cursor);
        for (tok, listing, order) in [
            (token.as_str(), Listing::BuildsOfProject, Order::Ascending),
            (token.as_str(), Listing::Builds, Order::Descending),
            ("zz", Listing::Builds, Order::Ascending),
            ("", Listing::Builds, Order::Ascending),
            (&hex::encode("b|a|notanumber|x"), Listing::Builds, Order::Ascending),
            (&hex::encode([0xff, 0xfe]), Listing::Builds, Order::Ascending),
        ] {
            assert!(matches!(decode(tok, listing, order), Err(StoreError::InvalidToken(_))), "{tok} accepted");
        }
    }
}

//! XML plumbing shared by the XML formats: decoding, parsing, root checks
//! and an iterative walk (no recursion, so deep nesting cannot overflow).

use std::borrow::Cow;

use roxmltree::{Document, Node, ParsingOptions};

use crate::{ParseError, ReportFormat};

/// Decodes `bytes` as UTF-8 (BOM optional) or as UTF-16 with a BOM, which
/// older Visual Studio tools write.
pub(crate) fn decode(format: ReportFormat, bytes: &[u8]) -> Result<Cow<'_, str>, ParseError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(format, rest, u16::from_le_bytes).map(Cow::Owned);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(format, rest, u16::from_be_bytes).map(Cow::Owned);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(err) => Err(ParseError::NotText { format, offset: err.valid_up_to() }),
    }
}

/// UTF-16 after a 2-byte BOM; offsets in errors count the BOM.
fn utf16(format: ReportFormat, bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ParseError> {
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    let mut text = String::with_capacity(bytes.len() / 2);
    let mut offset = 2;
    for decoded in char::decode_utf16(units) {
        let c = decoded.map_err(|_| ParseError::NotText { format, offset })?;
        offset += 2 * c.len_utf16();
        text.push(c);
    }
    if !bytes.len().is_multiple_of(2) {
        return Err(ParseError::NotText { format, offset });
    }
    Ok(text)
}

/// Parses `text`; blank text is [`ParseError::Empty`]. A DTD is allowed:
/// roxmltree bounds entity expansion, and some tools emit a DOCTYPE.
pub(crate) fn document(format: ReportFormat, text: &str) -> Result<Document<'_>, ParseError> {
    if text.trim().is_empty() {
        return Err(ParseError::Empty { format });
    }
    let options = ParsingOptions { allow_dtd: true, ..ParsingOptions::default() };
    Document::parse_with_options(text, options).map_err(|err| ParseError::Xml { format, message: err.to_string() })
}

/// The root element, if its local name is one of `names`.
pub(crate) fn root<'a, 'i>(
    format: ReportFormat,
    doc: &'a Document<'i>,
    names: &[&str],
    expected: &'static str,
) -> Result<Node<'a, 'i>, ParseError> {
    let root = doc.root_element();
    if names.contains(&root.tag_name().name()) {
        return Ok(root);
    }
    let pos = doc.text_pos_at(root.range().start);
    Err(ParseError::WrongRoot {
        format,
        found: root.tag_name().name().to_owned(),
        expected,
        line: pos.row,
        column: pos.col,
    })
}

/// Whether `node` is an element with local name `name` (any namespace).
pub(crate) fn is(node: Node<'_, '_>, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

/// The first child element named `name`.
pub(crate) fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| is(*c, name))
}

/// All text under `node` (text and CDATA), in document order.
pub(crate) fn text(node: Node<'_, '_>) -> String {
    node.descendants().filter(Node::is_text).filter_map(|n| n.text()).collect()
}

/// The text of the child element `name`, if any.
pub(crate) fn child_text(node: Node<'_, '_>, name: &str) -> Option<String> {
    child(node, name).map(text)
}

/// Every element under `root` that `is_target` picks, in document order,
/// each with the state that `enter` folded over its ancestors (root
/// included). Targets are not descended into.
pub(crate) fn walk<'a, 'i, S: Clone>(
    root: Node<'a, 'i>,
    init: S,
    enter: impl Fn(&S, Node<'a, 'i>) -> S,
    is_target: impl Fn(Node<'a, 'i>) -> bool,
) -> Vec<(Node<'a, 'i>, S)> {
    let mut found = Vec::new();
    let mut stack = vec![(root, init)];
    while let Some((node, state)) = stack.pop() {
        if !node.is_element() {
            continue;
        }
        if node != root && is_target(node) {
            found.push((node, state));
            continue;
        }
        let inner = enter(&state, node);
        // Reversed so that popping visits children in document order.
        stack.extend(node.children().rev().filter(Node::is_element).map(|c| (c, inner.clone())));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: ReportFormat = ReportFormat::JunitXml;

    #[test]
    fn decodes_utf8_with_and_without_bom() {
        assert_eq!(decode(F, b"<a/>").unwrap(), "<a/>");
        assert_eq!(decode(F, b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        assert_eq!(decode(F, b"<a>\xFF</a>"), Err(ParseError::NotText { format: F, offset: 3 }));
    }

    #[test]
    fn decodes_utf16_with_bom() {
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain("<é/>".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain("<é/>".encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(F, &le).unwrap(), "<é/>");
        assert_eq!(decode(F, &be).unwrap(), "<é/>");
        assert!(matches!(decode(F, &le[..le.len() - 1]), Err(ParseError::NotText { .. })));
        // A lone high surrogate.
        assert_eq!(decode(F, &[0xFF, 0xFE, b'<', 0, 0x00, 0xD8]), Err(ParseError::NotText { format: F, offset: 4 }));
    }

    #[test]
    fn wrong_root_names_the_element_and_its_position() {
        let doc = document(F, "<?xml version=\"1.0\"?>\n  <html/>").unwrap();
        let err = root(F, &doc, &["testsuite"], "<testsuite>").unwrap_err();
        assert_eq!(
            err,
            ParseError::WrongRoot { format: F, found: "html".into(), expected: "<testsuite>", line: 2, column: 3 }
        );
    }

    #[test]
    fn walk_keeps_document_order_and_state() {
        let doc = document(F, "<r n='0'><s n='1'><t n='a'/><s n='2'><t n='b'/></s></s><t n='c'/></r>").unwrap();
        let found = walk(
            doc.root_element(),
            String::new(),
            |path, node| format!("{path}/{}", node.attribute("n").unwrap_or("")),
            |node| is(node, "t"),
        );
        let got: Vec<_> = found.iter().map(|(n, path)| (n.attribute("n").unwrap(), path.as_str())).collect();
        assert_eq!(got, [("a", "/0/1"), ("b", "/0/1/2"), ("c", "/0")]);
    }

    #[test]
    fn text_gathers_cdata_and_nested_text() {
        let doc = document(F, "<a>one <![CDATA[<two>]]><b> three</b></a>").unwrap();
        assert_eq!(text(doc.root_element()), "one <two> three");
    }
}

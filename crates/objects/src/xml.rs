//! Just enough XML to read S3 documents (the client's responses, the S3 API's request bodies): elements,
//! text, the predefined and numeric entities and CDATA. Namespace prefixes are dropped,
//! attributes, comments and processing instructions skipped; DTDs are refused (no entity
//! expansion, no external fetches).

/// One element: its local name, its text (all text directly inside it, untrimmed: keys may
/// start or end with spaces) and its child elements.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Deeper documents are refused; S3's are at most four levels deep.
const MAX_DEPTH: usize = 32;

/// The root element, or `None` if `text` is not one well-formed element.
pub fn parse(text: &str) -> Option<Element> {
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut rest = text.strip_prefix('\u{feff}').unwrap_or(text);
    loop {
        let Some(at) = rest.find('<') else {
            return (rest.trim().is_empty() && stack.is_empty()).then_some(root).flatten();
        };
        let between = &rest[..at];
        match stack.last_mut() {
            Some(open) => open.text.push_str(&unescape(between)?),
            None if between.trim().is_empty() => {}
            None => return None,
        }
        rest = &rest[at..];
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>")?;
            stack.last_mut()?.text.push_str(&after[..end]);
            rest = &after[end + 3..];
        } else if rest.starts_with("<!") {
            return None;
        } else {
            let end = tag_end(rest)?;
            let tag = &rest[1..end];
            rest = &rest[end + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let element = stack.pop()?;
                if local_name(name.trim_end()) != element.name {
                    return None;
                }
                attach(&mut stack, &mut root, element)?;
            } else {
                let self_closing = tag.ends_with('/');
                let name = tag.trim_end_matches('/').split(|c: char| c.is_ascii_whitespace()).next()?;
                if name.is_empty() || stack.len() >= MAX_DEPTH || (stack.is_empty() && root.is_some()) {
                    return None;
                }
                let element = Element { name: local_name(name).to_owned(), ..Element::default() };
                if self_closing {
                    attach(&mut stack, &mut root, element)?;
                } else {
                    stack.push(element);
                }
            }
        }
    }
}

/// Puts a finished element into its parent, or makes it the root (there must be only one).
fn attach(stack: &mut [Element], root: &mut Option<Element>, element: Element) -> Option<()> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None if root.is_none() => *root = Some(element),
        None => return None,
    }
    Some(())
}

/// The index of the `>` closing the tag that starts `text`, skipping quoted attribute values.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some(i),
            (None, '<') => return None,
            (None, _) => {}
        }
    }
    None
}

fn local_name(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find(';')? + at;
        let entity = &rest[at + 1..end];
        let c = match entity {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => entity.strip_prefix('#')?.parse().ok()?,
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Text escaped for an element's content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_s3_listing() {
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
            <ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>\
            <Contents><Key> spaced &amp; &lt;odd&gt; </Key><ETag>&quot;abc&quot;</ETag><Size>3</Size></Contents>\
            <!-- a comment --><Contents><Key>&#x65E5;&#26412;</Key><Owner/></Contents>\
            <x:Prefixed a='>'><![CDATA[<raw>]]></x:Prefixed></ListBucketResult>";
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "ListBucketResult");
        let keys: Vec<&str> = root.children_named("Contents").filter_map(|c| c.child_text("Key")).collect();
        assert_eq!(keys, [" spaced & <odd> ", "日本"]);
        assert_eq!(root.child("Contents").and_then(|c| c.child_text("ETag")), Some("\"abc\""));
        assert_eq!(root.child_text("Prefixed"), Some("<raw>"));
        assert!(root.children_named("Contents").nth(1).and_then(|c| c.child("Owner")).is_some());
    }

    #[test]
    fn refuses_broken_documents() {
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a>&bogus;</a>",
            "<a>&#xZZ;</a>",
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a></a>trailing",
            "<>",
            "<a <b>",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(parse(&deep), None);
    }

    #[test]
    fn escaped_text_reads_back() {
        let text = "\"etag\" & <tag> 'q'";
        let doc = format!("<E>{}</E>", escape(text));
        assert_eq!(parse(&doc).expect("parses").text, text);
    }
}

//! Just enough XML: a writer for S3's responses and a small reader for the request bodies S3
//! takes (`Delete`, `CompleteMultipartUpload`, `CreateBucketConfiguration`).

/// S3's namespace, on the root element of every response document but errors.
pub const NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Builds a document element by element; text is escaped.
pub struct Xml {
    out: String,
}

impl Xml {
    pub fn document() -> Xml {
        Xml { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    /// The root element, in S3's namespace.
    pub fn open_root(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        self.out.push_str(NAMESPACE);
        self.out.push_str("\">");
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn element(&mut self, name: &str, text: &str) {
        self.open(name);
        self.text(text);
        self.close(name);
    }

    pub fn text(&mut self, text: &str) {
        escape_into(&mut self.out, text);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Escapes markup characters, and writes control characters as character references (as S3
/// does; clients that cannot read those should ask for `encoding-type=url`).
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => out.push_str(&format!("&#x{:X};", u32::from(c))),
            c => out.push(c),
        }
    }
}

/// A parsed element: its local name (prefix dropped), text, and child elements.
#[derive(Debug, Default, PartialEq, Eq)]
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

/// Deeper documents than this are refused (S3's bodies are three levels deep).
const MAX_DEPTH: usize = 16;

/// Parses a document into its root element; `None` when it is not well-formed.
pub fn parse(text: &str) -> Option<Element> {
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    let mut rest = text.trim_start_matches('\u{feff}');
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>")? + 2..];
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->")? + 3..];
        } else if let Some(after) = rest.strip_prefix("<![CDATA[") {
            let end = after.find("]]>")?;
            stack.last_mut()?.text.push_str(&after[..end]);
            rest = &after[end + 3..];
        } else if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>')?;
            let element = stack.pop()?;
            if local_name(after[..end].trim()) != element.name {
                return None;
            }
            rest = &after[end + 1..];
            match stack.last_mut() {
                Some(parent) => parent.children.push(element),
                None if root.is_none() => root = Some(element),
                None => return None,
            }
        } else if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>')?;
            let tag = &after[..end];
            let (tag, empty) = match tag.strip_suffix('/') {
                Some(tag) => (tag, true),
                None => (tag, false),
            };
            let name = local_name(tag.split_whitespace().next()?);
            if name.is_empty() || root.is_some() || stack.len() >= MAX_DEPTH {
                return None;
            }
            let element = Element { name: name.to_owned(), ..Element::default() };
            rest = &after[end + 1..];
            if empty {
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            } else {
                stack.push(element);
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..end];
            match stack.last_mut() {
                Some(element) => element.text.push_str(&unescape(text)?),
                None if text.trim().is_empty() => {}
                None => return None,
            }
            rest = &rest[end..];
        }
    }
    if stack.is_empty() { root } else { None }
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let end = after.find(';')?;
        let entity = &after[..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
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
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_writer_escapes_text_and_names_the_namespace() {
        let mut xml = Xml::document();
        xml.open_root("R");
        xml.element("Key", "a<b>&\"c'\u{1}\n");
        xml.close("R");
        assert_eq!(
            xml.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <R xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Key>a&lt;b&gt;&amp;&quot;c&apos;&#x1;\n</Key></R>"
        );
    }

    #[test]
    fn the_reader_reads_what_botocore_sends() {
        let body = "<?xml version=\"1.0\"?>\n<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                    <Object><Key>a&amp;b &#233;&#x4E2D;</Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object>\
                    <Quiet>true</Quiet><Empty/></Delete>";
        let root = parse(body).expect("parses");
        assert_eq!(root.name, "Delete");
        let keys: Vec<&str> = root.children_named("Object").filter_map(|o| o.child_text("Key")).collect();
        assert_eq!(keys, ["a&b é中", "c"]);
        assert_eq!(root.child_text("Quiet"), Some("true"));
        assert!(root.child("Empty").is_some());
        let cdata = parse("<a:R xmlns:a=\"x\"><a:K><![CDATA[<raw>]]></a:K></a:R>").expect("parses");
        assert_eq!(cdata.child_text("K"), Some("<raw>"));
    }

    #[test]
    fn the_reader_refuses_broken_documents() {
        for bad in
            ["", "<a>", "<a></b>", "<a>&bogus;</a>", "text", "<a/><b/>", "<a>&#xZZ;</a>", "</a>", "<>", "<a>&amp</a>"]
        {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(parse(&deep), None);
    }
}

//! Just enough XML: a writer for S3's responses, and (from `kiln_objects::xml`) a small reader
//! for the request bodies S3 takes (`Delete`, `CompleteMultipartUpload`, `CreateBucketConfiguration`).

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

/// The reader is the object store client's: the same few S3 documents in both directions.
pub use kiln_objects::xml::parse;

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

//! ANSI SGR colour codes in build logs turned into escaped HTML spans. Other escape sequences
//! (cursor moves, erases) are dropped: a log page has no cursor.

use crate::html::escape;

/// The rendition in effect: foreground and background as CSS (a class or an inline colour).
#[derive(Debug, Clone, Default, PartialEq)]
struct Style {
    bold: bool,
    dim: bool,
    italic: bool,
    underline: bool,
    fg: Option<Colour>,
    bg: Option<Colour>,
}

#[derive(Debug, Clone, PartialEq)]
enum Colour {
    /// One of the 16 palette colours (0-15), styled by the stylesheet.
    Palette(u8),
    Rgb(u8, u8, u8),
}

impl Style {
    fn is_plain(&self) -> bool {
        *self == Style::default()
    }

    fn open_tag(&self) -> String {
        let mut classes = Vec::new();
        let mut styles = Vec::new();
        for (on, class) in [(self.bold, "b"), (self.dim, "d"), (self.italic, "i"), (self.underline, "u")] {
            if on {
                classes.push(format!("a-{class}"));
            }
        }
        for (colour, kind, property) in [(&self.fg, "fg", "color"), (&self.bg, "bg", "background-color")] {
            match colour {
                Some(Colour::Palette(n)) => classes.push(format!("a-{kind}{n}")),
                Some(Colour::Rgb(r, g, b)) => styles.push(format!("{property}:#{r:02x}{g:02x}{b:02x}")),
                None => {}
            }
        }
        let mut tag = String::from("<span");
        if !classes.is_empty() {
            tag.push_str(&format!(" class=\"{}\"", classes.join(" ")));
        }
        if !styles.is_empty() {
            tag.push_str(&format!(" style=\"{}\"", styles.join(";")));
        }
        tag.push('>');
        tag
    }

    /// Applies one SGR parameter list (`1;31`, `38;5;208`, `0`...).
    fn apply(&mut self, params: &str) {
        let codes: Vec<u16> =
            if params.is_empty() { vec![0] } else { params.split(';').map(|p| p.parse().unwrap_or(0)).collect() };
        let mut i = 0;
        while i < codes.len() {
            match codes[i] {
                0 => *self = Style::default(),
                1 => self.bold = true,
                2 => self.dim = true,
                3 => self.italic = true,
                4 => self.underline = true,
                22 => (self.bold, self.dim) = (false, false),
                23 => self.italic = false,
                24 => self.underline = false,
                c @ 30..=37 => self.fg = Some(Colour::Palette((c - 30) as u8)),
                c @ 90..=97 => self.fg = Some(Colour::Palette((c - 90 + 8) as u8)),
                39 => self.fg = None,
                c @ 40..=47 => self.bg = Some(Colour::Palette((c - 40) as u8)),
                c @ 100..=107 => self.bg = Some(Colour::Palette((c - 100 + 8) as u8)),
                49 => self.bg = None,
                c @ (38 | 48) => {
                    let (colour, used) = extended(&codes[i + 1..]);
                    i += used;
                    if c == 38 {
                        self.fg = colour;
                    } else {
                        self.bg = colour;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// `5;n` (256 colours) or `2;r;g;b` after 38/48: the colour and how many codes it took.
fn extended(rest: &[u16]) -> (Option<Colour>, usize) {
    let byte = |i: usize| rest.get(i).map(|&v| v.min(255) as u8);
    match rest.first() {
        Some(5) => match byte(1) {
            Some(n) => (Some(xterm256(n)), 2),
            None => (None, rest.len()),
        },
        Some(2) => match (byte(1), byte(2), byte(3)) {
            (Some(r), Some(g), Some(b)) => (Some(Colour::Rgb(r, g, b)), 4),
            _ => (None, rest.len()),
        },
        _ => (None, rest.len().min(1)),
    }
}

fn xterm256(n: u8) -> Colour {
    match n {
        0..=15 => Colour::Palette(n),
        16..=231 => {
            let i = n - 16;
            let level = |v: u8| if v == 0 { 0 } else { 55 + v * 40 };
            Colour::Rgb(level(i / 36), level((i / 6) % 6), level(i % 6))
        }
        _ => {
            let grey = 8 + (n - 232) * 10;
            Colour::Rgb(grey, grey, grey)
        }
    }
}

/// One log line as HTML: text escaped, SGR runs wrapped in spans, other escapes removed.
pub fn to_html(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let mut style = Style::default();
    let mut open = false;
    let mut rest = line;
    while let Some(at) = rest.find('\x1b') {
        out.push_str(&escape(&rest[..at]));
        let after = &rest[at + 1..];
        let Some(csi) = after.strip_prefix('[') else {
            // A lone ESC or a non-CSI sequence: drop it (a charset choice `ESC ( B` is three).
            let skip = if after.starts_with(['(', ')', '*', '+']) { 2 } else { 1 };
            rest = after.char_indices().nth(skip).map_or("", |(i, _)| &after[i..]);
            continue;
        };
        // Parameters and intermediates end at the final byte (0x40-0x7e).
        let end = csi.find(|c: char| ('\x40'..='\x7e').contains(&c));
        let Some(end) = end else {
            rest = "";
            break;
        };
        if csi.as_bytes()[end] == b'm' {
            style.apply(&csi[..end]);
            if open {
                out.push_str("</span>");
                open = false;
            }
            if !style.is_plain() {
                out.push_str(&style.open_tag());
                open = true;
            }
        }
        rest = &csi[end + 1..];
    }
    out.push_str(&escape(rest));
    if open {
        out.push_str("</span>");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_escaped() {
        assert_eq!(to_html("a < b && c"), "a &lt; b &amp;&amp; c");
    }

    #[test]
    fn colours_become_spans() {
        assert_eq!(to_html("\x1b[31mred\x1b[0m plain"), "<span class=\"a-fg1\">red</span> plain");
        assert_eq!(
            to_html("\x1b[1;92mok\x1b[22m still green\x1b[m"),
            "<span class=\"a-b a-fg10\">ok</span><span class=\"a-fg10\"> still green</span>"
        );
        assert_eq!(to_html("\x1b[38;5;196mx"), "<span style=\"color:#ff0000\">x</span>");
        assert_eq!(to_html("\x1b[48;2;1;2;3my"), "<span style=\"background-color:#010203\">y</span>");
        assert_eq!(to_html("\x1b[38;5;244mg"), "<span style=\"color:#808080\">g</span>");
    }

    #[test]
    fn escapes_inside_colours_and_unknown_sequences_are_handled() {
        assert_eq!(to_html("\x1b[33m<b>\x1b[0m"), "<span class=\"a-fg3\">&lt;b&gt;</span>");
        assert_eq!(to_html("\x1b[2Kclear\x1b[1A"), "clear");
        assert_eq!(to_html("tail\x1b["), "tail");
        assert_eq!(to_html("\x1b"), "");
        assert_eq!(to_html("\x1b(Bx"), "x");
        assert_eq!(to_html("\x1b[38;5m\x1b[38;2;1mz"), "z");
        assert_eq!(to_html("\x1b[999;99999999999mz"), "z");
    }
}

fn main() {
    for path in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&path).unwrap();
        match kiln_buildspec::parse(&text) {
            Ok(s) => println!("{path}: OK {s:#?}"),
            Err(e) => println!("{path}: ERR {e}  [{:?}:{:?}]", e.line, e.column),
        }
    }
}

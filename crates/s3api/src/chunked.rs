//! `Content-Encoding: aws-chunked` bodies, decoded as they stream:
//!
//! ```text
//! <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//! [<trailer name>:<value>\r\n ...]\r\n
//! ```
//!
//! With signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`) every chunk signature is
//! checked against the chain started by the request's seed signature, and so is the trailer
//! signature (`x-amz-trailer-signature`).

use std::io::{self, BufRead, Read};

use kiln_wire::sigv4::{sha256_hex, signature};
use sha2::{Digest, Sha256};

use crate::error::S3Error;

/// Longest chunk header or trailer line accepted.
const MAX_LINE: u64 = 4096;

/// What is needed to check chunk signatures.
#[derive(Clone)]
pub struct ChunkSigning {
    pub signing_key: [u8; 32],
    /// The request's `x-amz-date`.
    pub amz_date: String,
    /// `date/region/service/aws4_request`.
    pub scope: String,
    /// The `Authorization` header's signature, then each chunk's in turn.
    pub previous: String,
}

impl ChunkSigning {
    fn chunk(&self, data_sha256: &str) -> String {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{data_sha256}",
            self.amz_date,
            self.scope,
            self.previous,
            sha256_hex(b"")
        );
        signature(&self.signing_key, &to_sign)
    }

    fn trailer(&self, canonical_trailers: &[u8]) -> String {
        let to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.amz_date,
            self.scope,
            self.previous,
            sha256_hex(canonical_trailers)
        );
        signature(&self.signing_key, &to_sign)
    }
}

enum State {
    /// Expecting a chunk header.
    Header,
    /// Inside a chunk's data, with this many bytes to go.
    Data(u64),
    Done,
}

pub struct AwsChunked<R> {
    inner: R,
    state: State,
    signing: Option<ChunkSigning>,
    /// The current chunk's declared signature and running hash (signed bodies only).
    chunk_signature: String,
    chunk_hash: Sha256,
    trailers: Vec<(String, String)>,
}

fn fail(e: S3Error) -> io::Error {
    io::Error::other(e)
}

fn malformed(what: &str) -> io::Error {
    fail(S3Error::invalid_request(format!("Malformed aws-chunked body: {what}")))
}

fn mismatch() -> io::Error {
    fail(S3Error::new(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
    ))
}

impl<R: BufRead> AwsChunked<R> {
    /// `signing`: check chunk signatures (`None` ignores them, for unsigned bodies or when
    /// Kiln accepts any signer).
    pub fn new(inner: R, signing: Option<ChunkSigning>) -> AwsChunked<R> {
        AwsChunked {
            inner,
            state: State::Header,
            signing,
            chunk_signature: String::new(),
            chunk_hash: Sha256::new(),
            trailers: Vec::new(),
        }
    }

    /// The trailers, once the body has been read to its end.
    pub fn trailers(&self) -> &[(String, String)] {
        &self.trailers
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        (&mut self.inner).take(MAX_LINE).read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Err(fail(S3Error::incomplete_body()));
        }
        let line = line.strip_suffix(b"\r\n").ok_or_else(|| malformed("a line does not end with CRLF"))?;
        String::from_utf8(line.to_vec()).map_err(|_| malformed("a line is not text"))
    }

    fn header(&mut self) -> io::Result<u64> {
        let line = self.line()?;
        let (size, extension) = line.split_once(';').unwrap_or((&line, ""));
        let size = u64::from_str_radix(size.trim(), 16).map_err(|_| malformed("bad chunk size"))?;
        self.chunk_signature = extension.strip_prefix("chunk-signature=").unwrap_or_default().to_owned();
        if self.signing.is_some() && self.chunk_signature.is_empty() {
            return Err(mismatch());
        }
        self.chunk_hash = Sha256::new();
        Ok(size)
    }

    fn end_chunk(&mut self) -> io::Result<()> {
        if let Some(signing) = &mut self.signing {
            let hash = hex::encode(std::mem::take(&mut self.chunk_hash).finalize());
            let expected = signing.chunk(&hash);
            if !expected.eq_ignore_ascii_case(&self.chunk_signature) {
                return Err(mismatch());
            }
            signing.previous = expected;
        }
        Ok(())
    }

    /// After the last chunk: trailer lines up to an empty line (or the end of the body).
    fn read_trailers(&mut self) -> io::Result<()> {
        let mut canonical = Vec::new();
        let mut trailer_signature = None;
        loop {
            let mut line = Vec::new();
            (&mut self.inner).take(MAX_LINE).read_until(b'\n', &mut line)?;
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                break;
            }
            let line = std::str::from_utf8(line).map_err(|_| malformed("a trailer is not text"))?;
            let (name, value) = line.split_once(':').ok_or_else(|| malformed("a trailer has no ':'"))?;
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "x-amz-trailer-signature" {
                trailer_signature = Some(value);
            } else {
                canonical.extend_from_slice(format!("{name}:{value}\n").as_bytes());
                self.trailers.push((name, value));
            }
        }
        if let Some(signing) = &self.signing
            && !self.trailers.is_empty()
        {
            let expected = signing.trailer(&canonical);
            if !trailer_signature.is_some_and(|given| given.eq_ignore_ascii_case(&expected)) {
                return Err(mismatch());
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Read for AwsChunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.state {
                State::Done => return Ok(0),
                State::Header => {
                    let size = self.header()?;
                    if size == 0 {
                        self.end_chunk()?;
                        self.read_trailers()?;
                        self.state = State::Done;
                        return Ok(0);
                    }
                    self.state = State::Data(size);
                }
                State::Data(0) => {
                    if !self.line()?.is_empty() {
                        return Err(malformed("chunk data is longer than its size"));
                    }
                    self.end_chunk()?;
                    self.state = State::Header;
                }
                State::Data(left) => {
                    if buf.is_empty() {
                        return Ok(0);
                    }
                    let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let n = self.inner.read(&mut buf[..want])?;
                    if n == 0 {
                        return Err(fail(S3Error::incomplete_body()));
                    }
                    if self.signing.is_some() {
                        self.chunk_hash.update(&buf[..n]);
                    }
                    self.state = State::Data(left - n as u64);
                    return Ok(n);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Decoded = (Vec<u8>, Vec<(String, String)>);

    fn decode(body: &[u8], signing: Option<ChunkSigning>) -> Result<Decoded, String> {
        let mut reader = AwsChunked::new(body, signing);
        let mut out = Vec::new();
        match reader.read_to_end(&mut out) {
            Ok(_) => Ok((out, reader.trailers().to_vec())),
            Err(e) => Err(e.get_ref().and_then(|e| e.downcast_ref::<S3Error>()).map_or("io", |e| e.code).to_owned()),
        }
    }

    #[test]
    fn unsigned_chunks_with_a_trailer_decode() {
        let body = b"3\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n";
        let (data, trailers) = decode(body, None).expect("decodes");
        assert_eq!(data, b"abcde");
        assert_eq!(trailers, [("x-amz-checksum-crc32".to_owned(), "NSRBwg==".to_owned())]);
        // Chunk signatures are ignored when not checked.
        let (data, _) = decode(b"3;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\n\r\n", None).expect("ok");
        assert_eq!(data, b"abc");
    }

    #[test]
    fn broken_framing_is_refused() {
        assert_eq!(decode(b"3\r\nab", None).err().as_deref(), Some("IncompleteBody"));
        assert_eq!(decode(b"3\r\nabcd\r\n0\r\n\r\n", None).err().as_deref(), Some("InvalidRequest"));
        assert_eq!(decode(b"zz\r\nabc\r\n", None).err().as_deref(), Some("InvalidRequest"));
        assert_eq!(decode(b"3\nabc\r\n", None).err().as_deref(), Some("InvalidRequest"));
        assert_eq!(decode(b"", None).err().as_deref(), Some("IncompleteBody"));
    }

    /// The worked examples of AWS's "Signature Calculations for the Authorization Header:
    /// Transferring Payload in Multiple Chunks" (and its trailer variant).
    fn documented(seed: &str) -> ChunkSigning {
        let key =
            kiln_wire::sigv4::signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524", "us-east-1", "s3");
        ChunkSigning {
            signing_key: key,
            amz_date: "20130524T000000Z".to_owned(),
            scope: "20130524/us-east-1/s3/aws4_request".to_owned(),
            previous: seed.to_owned(),
        }
    }

    fn documented_body(signatures: [&str; 3], trailers: &str) -> Vec<u8> {
        let mut body = format!("10000;chunk-signature={}\r\n", signatures[0]).into_bytes();
        body.extend_from_slice(&[b'a'; 65_536]);
        body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", signatures[1]).as_bytes());
        body.extend_from_slice(&[b'a'; 1024]);
        body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n{trailers}\r\n", signatures[2]).as_bytes());
        body
    }

    const SIGNATURES: [&str; 3] = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";

    #[test]
    fn the_documented_signed_chunks_verify() {
        let body = documented_body(SIGNATURES, "");
        assert_eq!(body.len(), 66_824, "the documented Content-Length");
        let (data, _) = decode(&body, Some(documented(SEED))).expect("verifies");
        assert_eq!(data, vec![b'a'; 66_560]);

        // One changed data byte, or a wrong seed, breaks the chain.
        let mut tampered = body.clone();
        tampered[100] = b'b';
        assert_eq!(decode(&tampered, Some(documented(SEED))).err().as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(decode(&body, Some(documented(SIGNATURES[0]))).err().as_deref(), Some("SignatureDoesNotMatch"));
        // Dropping the final chunk is noticed too.
        let cut = &body[..body.len() - 86];
        assert_eq!(decode(cut, Some(documented(SEED))).err().as_deref(), Some("IncompleteBody"));
    }

    #[test]
    fn the_documented_trailer_signature_verifies() {
        let signatures = [
            "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
            "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
            "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
        ];
        let seed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
        let trailers = "x-amz-checksum-crc32c:sOO8/Q==\r\n\
                        x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n";
        let (data, found) = decode(&documented_body(signatures, trailers), Some(documented(seed))).expect("verifies");
        assert_eq!(data.len(), 66_560);
        assert_eq!(found, [("x-amz-checksum-crc32c".to_owned(), "sOO8/Q==".to_owned())]);
        let forged = trailers.replace("sOO8/Q==", "AAAAAA==");
        assert_eq!(
            decode(&documented_body(signatures, &forged), Some(documented(seed))).err().as_deref(),
            Some("SignatureDoesNotMatch")
        );
    }
}

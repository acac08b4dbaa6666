//! A request body read ahead of sending: S3 needs its length up front, and signing it wants
//! its SHA-256 (and Content-MD5 its MD5). Small bodies stay in memory; larger ones go to an
//! anonymous temporary file, removed by the OS when closed.

use std::fs::File;
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};

use md5::{Digest, Md5};
use sha2::Sha256;

use crate::format::io;
use crate::{ObjectError, Result};

/// Bodies up to this size are kept in memory.
const IN_MEMORY: usize = 8 * 1024 * 1024;

pub enum Body {
    Memory(Vec<u8>),
    File(File),
}

pub struct Spool {
    pub body: Body,
    pub size: u64,
    pub md5: [u8; 16],
    pub sha256: [u8; 32],
}

impl Spool {
    /// Reads all of `data`. A failing reader fails the spool, with its error in the message.
    pub fn read(data: &mut dyn Read) -> Result<Spool> {
        Spool::read_with_limit(data, IN_MEMORY)
    }

    fn read_with_limit(data: &mut dyn Read, in_memory: usize) -> Result<Spool> {
        let mut md5 = Md5::new();
        let mut sha256 = Sha256::new();
        let mut memory = Vec::new();
        let mut file: Option<File> = None;
        let mut size = 0u64;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match data.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(ObjectError::Io(format!("reading the object's content: {e}"))),
            };
            let chunk = &buf[..n];
            md5.update(chunk);
            sha256.update(chunk);
            size += n as u64;
            if file.is_none() && memory.len() + n > in_memory {
                let mut spill = tempfile::tempfile().map_err(io("creating a temporary file for the upload"))?;
                spill.write_all(&memory).map_err(io("buffering the upload"))?;
                memory = Vec::new();
                file = Some(spill);
            }
            match &mut file {
                Some(spill) => spill.write_all(chunk).map_err(io("buffering the upload"))?,
                None => memory.extend_from_slice(chunk),
            }
        }
        let body = match file {
            Some(mut spill) => {
                spill.seek(SeekFrom::Start(0)).map_err(io("buffering the upload"))?;
                Body::File(spill)
            }
            None => Body::Memory(memory),
        };
        Ok(Spool { body, size, md5: md5.finalize().into(), sha256: sha256.finalize().into() })
    }

    /// Rewinds a file body, so that the spool can be sent (again).
    pub fn rewind(&mut self) -> Result<()> {
        if let Body::File(file) = &mut self.body {
            file.seek(SeekFrom::Start(0)).map_err(io("buffering the upload"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(spool: &mut Spool) -> Vec<u8> {
        match &mut spool.body {
            Body::Memory(bytes) => bytes.clone(),
            Body::File(file) => {
                let mut out = Vec::new();
                file.read_to_end(&mut out).expect("read");
                out
            }
        }
    }

    #[test]
    fn small_bodies_stay_in_memory_and_large_ones_spill_with_the_same_hashes() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut small = Spool::read_with_limit(&mut &data[..], data.len()).expect("spool");
        let mut large = Spool::read_with_limit(&mut &data[..], 1000).expect("spool");
        assert!(matches!(small.body, Body::Memory(_)));
        assert!(matches!(large.body, Body::File(_)));
        for spool in [&mut small, &mut large] {
            assert_eq!(spool.size, data.len() as u64);
            assert_eq!(spool.md5[..], Md5::digest(&data)[..]);
            assert_eq!(spool.sha256[..], Sha256::digest(&data)[..]);
            assert_eq!(contents(spool), data);
        }
        large.rewind().expect("rewind");
        assert_eq!(contents(&mut large), data);
    }

    #[test]
    fn a_failing_reader_fails_the_spool_with_its_message() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("client went away"))
            }
        }
        let err = Spool::read(&mut Broken).err().expect("fails");
        assert!(matches!(&err, ObjectError::Io(m) if m.contains("client went away")), "{err}");
    }
}

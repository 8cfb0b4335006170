//! Reading a certificate to upload as a management certificate.

use std::path::Path;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use sha1::{Digest as _, Sha1};

/// What Add Management Certificate needs from a certificate.
pub struct CertInfo {
    pub der: Vec<u8>,
    pub thumbprint: String,
    pub public_key: Vec<u8>,
}

/// The first certificate of a PEM file (a private key next to it is ignored
/// and never read into the request), or a DER `.cer` file.
pub fn read_certificate(path: &Path) -> Result<CertInfo, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let der = if bytes.first() == Some(&0x30) {
        bytes
    } else {
        CertificateDer::pem_slice_iter(&bytes)
            .next()
            .ok_or_else(|| format!("{}: no certificate found", path.display()))?
            .map_err(|_| format!("{}: invalid PEM", path.display()))?
            .as_ref()
            .to_vec()
    };
    let public_key = subject_public_key_info(&der)
        .ok_or_else(|| format!("{}: not an X.509 certificate", path.display()))?
        .to_vec();
    Ok(CertInfo {
        thumbprint: hex::encode_upper(Sha1::digest(&der)),
        public_key,
        der,
    })
}

/// One DER element: (tag, the whole element, its contents, what follows).
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole, &whole[header..], &input[end..]))
}

/// The `SubjectPublicKeyInfo` of a DER certificate.
fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
    let (0x30, _, cert, _) = tlv(cert)? else {
        return None;
    };
    let (0x30, _, tbs, _) = tlv(cert)? else {
        return None;
    };
    let mut rest = tbs;
    let (tag, _, _, after) = tlv(rest)?;
    if tag == 0xa0 {
        rest = after; // [0] version
    }
    // serial, signature algorithm, issuer, validity, subject
    for _ in 0..5 {
        rest = tlv(rest)?.3;
    }
    let (tag, spki, _, _) = tlv(rest)?;
    (tag == 0x30).then_some(spki)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_garbage() {
        assert!(subject_public_key_info(&[]).is_none());
        assert!(subject_public_key_info(&[0x30, 0x82, 0xff]).is_none());
        assert!(subject_public_key_info(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_none());
    }
}

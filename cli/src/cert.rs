//! Reading a certificate to upload as a management certificate.

use std::path::Path;

use asm_runtime::x509;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;

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
    let public_key = x509::subject_public_key_info(&der)
        .ok_or_else(|| format!("{}: not an X.509 certificate", path.display()))?
        .to_vec();
    Ok(CertInfo {
        thumbprint: x509::thumbprint(&der),
        public_key,
        der,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pem_and_der_and_rejects_garbage() {
        use rcgen::PublicKeyData as _;
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = dir.path().join("cert.pem");
        std::fs::write(&pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
        let der = dir.path().join("cert.cer");
        std::fs::write(&der, cert.der()).unwrap();
        for path in [&pem, &der] {
            let info = read_certificate(path).unwrap();
            assert_eq!(info.der, cert.der().as_ref());
            assert_eq!(info.thumbprint, x509::thumbprint(cert.der()));
            assert_eq!(info.public_key, key.subject_public_key_info());
        }
        let garbage = dir.path().join("garbage.cer");
        std::fs::write(&garbage, [0x30, 0x03, 0x30, 0x01, 0x00]).unwrap();
        let e = read_certificate(&garbage).err().unwrap();
        assert!(e.contains("not an X.509 certificate"), "{e}");
        std::fs::write(&garbage, "no PEM here").unwrap();
        let e = read_certificate(&garbage).err().unwrap();
        assert!(e.contains("no certificate found"), "{e}");
    }
}

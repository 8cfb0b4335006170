//! The emulator's certificates: a CA, the server certificate it signs, and
//! self-signed management certificates for subscriptions.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The SHA-1 thumbprint of a certificate's DER, upper-case hex (as the
/// service writes it).
pub use asm_runtime::x509::thumbprint;

/// A certificate and its key, both PEM.
pub(crate) struct Issued {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub key_pem: String,
}

impl Issued {
    /// Certificate then private key, in one PEM text.
    pub fn combined_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }
}

fn dn(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, "asm-emulator");
    dn
}

/// Creates a CA and a server certificate for `127.0.0.1` and `localhost`.
pub(crate) fn new_ca_and_server() -> Result<(Issued, Issued), Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.distinguished_name = dn("asm-emulator local CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::from_params(&ca_params, &ca_key);

    let server_key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])?;
    params.distinguished_name = dn("localhost");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = params.signed_by(&server_key, &issuer)?;
    Ok((
        Issued {
            cert_pem: ca_cert.pem(),
            cert_der: ca_cert.der().to_vec(),
            key_pem: ca_key.serialize_pem(),
        },
        Issued {
            cert_pem: server_cert.pem(),
            cert_der: server_cert.der().to_vec(),
            key_pem: server_key.serialize_pem(),
        },
    ))
}

/// A new self-signed management certificate for `subscription_id`.
pub(crate) fn new_management_cert(subscription_id: &str) -> Result<Issued, Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = dn(&format!("asm-emulator management {subscription_id}"));
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key)?;
    Ok(Issued {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.serialize_pem(),
    })
}

/// Reads the certificates and the private key of a PEM file.
pub(crate) fn read_pem(
    path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, Option<PrivateKeyDer<'static>>), Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let mut reader = &bytes[..];
    let mut certs = Vec::new();
    let mut key = None;
    for item in rustls_pemfile::read_all(&mut reader) {
        match item.map_err(|e| Error::io(path, e))? {
            rustls_pemfile::Item::X509Certificate(c) => certs.push(c),
            rustls_pemfile::Item::Pkcs8Key(k) => key = Some(PrivateKeyDer::Pkcs8(k)),
            rustls_pemfile::Item::Pkcs1Key(k) => key = Some(PrivateKeyDer::Pkcs1(k)),
            rustls_pemfile::Item::Sec1Key(k) => key = Some(PrivateKeyDer::Sec1(k)),
            _ => {}
        }
    }
    Ok((certs, key))
}

/// Writes a file readable by its owner only (it may hold a private key).
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), Error> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options.open(path).map_err(|e| Error::io(path, e))?;
    f.write_all(contents.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(path, e))
}

/// The DER of the SubjectPublicKeyInfo of a certificate, or `None` when
/// `der` is not an X.509 certificate.
pub(crate) fn subject_public_key_info(der: &[u8]) -> Option<Vec<u8>> {
    asm_runtime::x509::subject_public_key_info(der).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_of_generated_cert() {
        let issued = new_management_cert("x").unwrap();
        let spki = subject_public_key_info(&issued.cert_der).unwrap();
        assert_eq!(spki.first(), Some(&0x30));
        assert!(subject_public_key_info(b"not a cert").is_none());
        assert!(subject_public_key_info(&[]).is_none());
        assert_eq!(thumbprint(b"abc").len(), 40);
    }
}

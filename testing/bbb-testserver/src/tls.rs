//! HTTPS for the test server: a CA of its own and a server certificate for
//! `127.0.0.1` / `localhost`, generated at start time (rcgen), never
//! committed. Clients must be given the CA (`ca_file`) to trust the server.
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// A CA and the TLS configuration of a server whose certificate it signed.
pub struct TestCa {
    /// The CA certificate, PEM (what a client's `ca_file` holds).
    pub ca_pem: String,
    pub config: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn generate() -> TestCa {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "bbb-migrate test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let key = KeyPair::generate().expect("server key");
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).expect("server params");
        params.distinguished_name.push(DnType::CommonName, "bbb-migrate test server");
        let cert = params.signed_by(&key, &ca_cert, &ca_key).expect("server certificate");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(cert.der().to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server TLS config");
        TestCa { ca_pem: ca_cert.pem(), config: Arc::new(config) }
    }
}

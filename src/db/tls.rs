//! TLS for libpq's `sslmode`s on top of rustls: `prefer` encrypts without checking,
//! `verify-ca` checks the chain only, `require` and `verify-full` check chain and host.

use super::{SslMode, Target};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::fmt;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;

impl Target {
    pub(super) fn tls(&self) -> Result<MakeRustlsConnect, String> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = ClientConfig::builder();
        let algs = builder.crypto_provider().signature_verification_algorithms;
        let config = match self.ssl_mode {
            // libpq's `prefer` encrypts without checking the certificate; tokio-postgres falls
            // back to plaintext when the server answers that it has no TLS.
            SslMode::Prefer => {
                builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainVerifier { roots: None, algs }))
            }
            SslMode::VerifyCa => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainVerifier { roots: Some(self.roots()?), algs })),
            // `require` verifies like `verify-full`: stricter than libpq, never weaker.
            _ => builder.with_root_certificates(self.roots()?),
        };
        Ok(MakeRustlsConnect::new(config.with_no_client_auth()))
    }

    /// Native roots plus the PEM certificates in `sslrootcert`.
    fn roots(&self) -> Result<RootCertStore, String> {
        let mut roots = RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if let Some(path) = &self.root_cert {
            let bad = |e: &dyn fmt::Display| format!("cannot read sslrootcert {}: {e}", path.display());
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| bad(&e))?;
            if certs.is_empty() {
                return Err(bad(&"no certificates in file"));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| bad(&e))?;
            }
        }
        if roots.is_empty() {
            return Err("no trusted root certificates (set sslrootcert)".into());
        }
        Ok(roots)
    }
}

/// Certificate check for `prefer` (`roots: None`, nothing checked, as libpq) and `verify-ca`
/// (chain checked, host name not). Handshake signatures are always verified.
#[derive(Debug)]
struct ChainVerifier {
    roots: Option<RootCertStore>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let cert = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(&cert, roots, intermediates, now, self.algs.all)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

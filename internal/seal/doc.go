// Package seal makes department electronic seals (电子印章) and detached
// electronic signatures (电子签章) over documents, modelled on GB/T
// 38540-2020 (domain.md §5), with X.509 certificates and two signature
// algorithms: SM2-with-SM3 (OID 1.2.156.10197.1.501, default user ID; the
// default) and ECDSA P-256 with SHA-256 (OID 1.2.840.10045.4.3.2).
// Documents are digested with SM3 whichever the algorithm.
//
// The seal maker (制章者) is a CA: CreateCA makes its self-signed
// certificate and CreateDepartmentCert the certificate of each department
// (subject CN and O its name, serialNumber its 统一社会信用代码). A Seal
// binds a department, a name, a type, a PNG picture with its printed size,
// a validity period and the department's certificate, and is signed by the
// maker's key; it carries the maker's certificate. A Signature binds the
// SM3 digest of a document, the signing time, a short note of what was
// signed and the whole seal, signed with the department's key.
//
// A verifier's Trust holds the CA certificates it trusts (and, for
// SignMessage/VerifyMessage users, department certificates those CAs
// issued). Verify answers, in this order and with a distinct error each
// (ErrFormat, ErrSealMaker, ErrCertificate, ErrSealValidity, ErrSignature,
// ErrDocument): is it well formed; is the seal's maker certificate
// byte-equal to a trusted CA certificate and did its key sign the seal; did
// that CA issue the holder's certificate, for the seal's department, and
// was it valid at the signing time; was the seal valid at the signing
// time; is the holder's signature good; and is the document the one that
// was signed. The signature is checked before the digest, so a tampered
// signature record and a tampered document are told apart.
//
// SignMessage and VerifyMessage sign and check small payloads with a
// department key (a QR code cannot carry a seal); the caller finds the
// trusted certificate (Trust.Holder) and checks its validity. The same
// department key signs seals' signature records, so a payload must not be
// readable as this package's toBeSigned structure.
//
// What this is not: the standard's SESeal / SES_Signature ASN.1 modules
// were not available to encode against, so the structures follow their
// fields (header "ES", seal id, property, picture, maker, signature) but
// are this package's own format, version 2, not byte-compatible with
// GB/T 38540 readers. There is no timestamp token, so the signing time is
// the signer's claim; there is no revocation (CRL or OCSP), and trust is a
// single level: CAs that are trusted directly, no intermediates. Layouts
// are in the comments of sealDER and signatureDER.
//
// Serialisation is ASN.1 DER (encoding/asn1), because the standard itself
// is DER, DER has exactly one encoding per value (what is signed is
// unambiguous, with no JSON key-order or number-format questions), and any
// verifier outside the platform can read it with a stock ASN.1 tool.
// Parsing re-encodes what it read and rejects input that is not exactly
// that encoding, certificates included, so a record has one byte form
// only. ECDSA signatures (r, s) and (r, n-s) both verify: this package
// makes and accepts only the low s, so P-256 records keep one form too (a
// certificate's own signature is the issuer's and is taken as it is; the
// seal's signature fixes the holder certificate's bytes).
//
// Private keys are used only through crypto.Signer, so an HSM or 密码机
// can replace the software keys (github.com/emmansun/gmsm for SM2, which
// is not certified by 国家密码管理局; crypto/ecdsa for P-256). An SM2
// signer receives the message itself with sm2.DefaultSM2SignerOpts and
// must compute ZA and SM3 itself, as gmsm's keys do; a P-256 signer
// receives the SHA-256 digest with crypto.SHA256. Every signature a signer
// returns is verified before it is used. MarshalPrivateKey gives PKCS#8
// for storage; sealing that storage (encryption at rest) is the caller's
// job, and no error of this package contains key material.
package seal

// Package seal makes department electronic seals (电子印章) and detached
// electronic signatures (电子签章) over documents, modelled on GB/T
// 38540-2020 (domain.md §5) with the national algorithms: SM3 digests and
// SM2-with-SM3 signatures (OID 1.2.156.10197.1.501, default user ID).
//
// A Seal binds a department (its 统一社会信用代码), a name, a type, a PNG
// picture with its printed size and a validity period to the SM2 public key
// of the seal holder, and is signed by the seal maker (制章者), the root the
// verifiers trust. A Signature binds the SM3 digest of a document, the
// signing time, a short note of what was signed and the whole seal, signed
// with the holder's key. Verify answers, in this order and with a distinct
// error each (ErrFormat, ErrSealMaker, ErrSealValidity, ErrSignature,
// ErrDocument): is it well formed, did the trusted maker make the seal, was
// the seal valid at the signing time, is the signature good, and is the
// document the one that was signed. The signature is checked before the
// digest, so a tampered signature record and a tampered document are told
// apart.
//
// What this is not: the standard's SESeal / SES_Signature ASN.1 modules
// were not available to encode against, so the structures follow their
// fields (header "ES", seal id, property, picture, maker, signature) but
// are this package's own format, version 1, not byte-compatible with
// GB/T 38540 readers; keys are bare SM2 keys, not X.509 certificates; there
// is no timestamp token, so the signing time is the signer's claim. Layouts
// are in the comments of sealDER and signatureDER.
//
// Serialisation is ASN.1 DER (encoding/asn1), because the standard itself
// is DER, DER has exactly one encoding per value (what is signed is
// unambiguous, with no JSON key-order or number-format questions), and any
// verifier outside the platform can read it with a stock ASN.1 tool. Parsing
// re-encodes what it read and rejects input that is not exactly that
// encoding, so a record has one byte form only.
//
// Private keys are used only through crypto.Signer, so an HSM or 密码机
// can replace the gmsm software keys (github.com/emmansun/gmsm, which is
// not certified by 国家密码管理局). Such a signer receives the message
// itself with sm2.DefaultSM2SignerOpts and must compute ZA and SM3 itself,
// as gmsm's keys do. MarshalPrivateKey gives PKCS#8 for storage; sealing
// that storage (encryption at rest) is the caller's job.
package seal

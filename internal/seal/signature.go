package seal

import (
	"bytes"
	"crypto"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
)

// DigestSize is the size of an SM3 digest.
const DigestSize = sm3.Size

// Digest returns the SM3 digest (GB/T 32905) of document.
func Digest(document []byte) [DigestSize]byte { return sm3.Sum(document) }

// Signature is a detached electronic signature (电子签章) over a document.
type Signature struct {
	Seal     *Seal
	SignedAt time.Time        // claimed by the signer, whole seconds, UTC
	Digest   [DigestSize]byte // SM3 of the signed document
	Property string           // what was signed, e.g. a licence identifier
	Value    []byte           // by the seal holder's key, with its algorithm, over DER(toBeSigned)
	tbs      []byte           // the signed DER
	der      []byte           // the whole signature, canonical DER
}

// Signature ::= SEQUENCE {
//
//	toBeSigned SEQUENCE {
//	  version  INTEGER (2),
//	  seal     Seal,                -- the whole seal, as made
//	  signedAt GeneralizedTime,
//	  digest   OCTET STRING,        -- SM3 of the document, 32 bytes
//	  property UTF8String },        -- what was signed
//	algorithm  OBJECT IDENTIFIER,   -- 1.2.156.10197.1.501 (SM2-with-SM3) or
//	                                -- 1.2.840.10045.4.3.2 (ECDSA-SHA256), as the holder's key
//	signature  OCTET STRING }       -- by the seal holder's key over DER(toBeSigned)
//
// Signing the whole seal rather than its id binds the signature to exactly
// the seal (holder certificate, picture, validity) the holder used; the
// holder's certificate is the one inside the seal.
type signatureDER struct {
	TBS       asn1.RawValue
	Algorithm asn1.ObjectIdentifier
	Signature []byte
}

type toBeSignedDER struct {
	Version  int
	Seal     asn1.RawValue
	SignedAt time.Time `asn1:"generalized"`
	Digest   []byte
	Property string `asn1:"utf8"`
}

// Sign signs document with seal s at time at. holder must be the key of
// the seal's holder certificate, the seal must be valid at at, and the
// certificate pass VerifyHolder at at: a signature that Verify would
// reject for what the signer knows is not made.
func Sign(holder crypto.Signer, s *Seal, document []byte, property string, at time.Time) (*Signature, error) {
	if s == nil || s.der == nil {
		return nil, errors.New("seal: Sign needs a seal from Make or ParseSeal")
	}
	if holder == nil || !s.HolderCert.publicKeyEqual(holder.Public()) {
		return nil, errors.New("签章者的密钥与印章持有者的证书不符")
	}
	at = at.Truncate(time.Second).UTC()
	if !s.ValidAt(at) {
		return nil, fmt.Errorf("印章有效期为%s至%s，签章时不在有效期内", s.ValidFrom.Format(time.RFC3339), s.ValidTo.Format(time.RFC3339))
	}
	if err := s.VerifyHolder(at); err != nil {
		return nil, err
	}
	if err := checkProperty(property); err != nil {
		return nil, err
	}
	return signWith(holder, s, document, property, at)
}

// signWith makes the signature without Sign's checks of the signer.
func signWith(holder crypto.Signer, s *Seal, document []byte, property string, at time.Time) (*Signature, error) {
	digest := Digest(document)
	tbs, err := asn1.Marshal(toBeSignedDER{
		Version:  formatVersion,
		Seal:     asn1.RawValue{FullBytes: s.der},
		SignedAt: at,
		Digest:   digest[:],
		Property: property,
	})
	if err != nil {
		return nil, fmt.Errorf("seal: encode signature: %w", err)
	}
	value, alg, err := sign(holder, tbs)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: tbs}, Algorithm: alg.oid(), Signature: value})
	if err != nil {
		return nil, fmt.Errorf("seal: encode signature: %w", err)
	}
	return ParseSignature(der)
}

func checkProperty(p string) error {
	if !utf8.ValidString(p) || utf8.RuneCountInString(p) > maxPropertyRunes {
		return fmt.Errorf("签章说明不能超过%d个字", maxPropertyRunes)
	}
	return nil
}

// ParseSignature decodes a signature and its seal and checks their format
// only. Failures wrap ErrFormat.
func ParseSignature(der []byte) (*Signature, error) {
	sd, err := unmarshalCanonical[signatureDER](der)
	if err != nil {
		return nil, fmt.Errorf("%w：签章%s", ErrFormat, err)
	}
	tbs, err := unmarshalCanonical[toBeSignedDER](sd.TBS.FullBytes)
	if err != nil {
		return nil, fmt.Errorf("%w：签章内容%s", ErrFormat, err)
	}
	if tbs.Version != formatVersion {
		return nil, fmt.Errorf("%w：签章不是本系统第%d版格式", ErrFormat, formatVersion)
	}
	if len(tbs.Digest) != DigestSize {
		return nil, fmt.Errorf("%w：文件摘要不是%d字节的SM3摘要", ErrFormat, DigestSize)
	}
	if err := checkProperty(tbs.Property); err != nil {
		return nil, fmt.Errorf("%w：%s", ErrFormat, err)
	}
	s, err := ParseSeal(tbs.Seal.FullBytes)
	if err != nil {
		return nil, err
	}
	if algorithmOfOID(sd.Algorithm) != s.HolderCert.Algorithm {
		return nil, fmt.Errorf("%w：签名算法与印章持有者证书的密钥不符", ErrFormat)
	}
	sig := &Signature{
		Seal:     s,
		SignedAt: tbs.SignedAt.UTC(),
		Property: tbs.Property,
		Value:    sd.Signature,
		tbs:      sd.TBS.FullBytes,
		der:      der,
	}
	copy(sig.Digest[:], tbs.Digest)
	return sig, nil
}

// Marshal returns the signature's canonical DER encoding.
func (sig *Signature) Marshal() []byte { return bytes.Clone(sig.der) }

// Verify checks a signature over document against trust, in this order:
// format (ErrFormat); the seal's maker certificate is a trusted CA's and
// its key signed the seal (ErrSealMaker); that CA issued the holder's
// certificate, for the seal's department, valid at the signing time
// (ErrCertificate); the seal's validity at the signing time
// (ErrSealValidity); the holder's signature (ErrSignature); and the
// document's digest (ErrDocument). It returns the parsed signature
// whenever the format is good, so a verifier can say whose seal it claims
// to be even when it is not genuine; only a nil error means genuine.
func Verify(signature, document []byte, trust *Trust) (*Signature, error) {
	sig, err := ParseSignature(signature)
	if err != nil {
		return nil, err
	}
	return sig, sig.Verify(document, trust)
}

// Verify is the package Verify after parsing.
func (sig *Signature) Verify(document []byte, trust *Trust) error {
	s := sig.Seal
	if err := s.VerifyMaker(trust); err != nil {
		return err
	}
	if err := s.VerifyHolder(sig.SignedAt); err != nil {
		return err
	}
	if !s.ValidAt(sig.SignedAt) {
		return fmt.Errorf("%w：签章时间%s，印章有效期%s至%s", ErrSealValidity,
			sig.SignedAt.Format(time.RFC3339), s.ValidFrom.Format(time.RFC3339), s.ValidTo.Format(time.RFC3339))
	}
	if !verify(s.HolderCert.Algorithm, s.HolderCert.PublicKey, sig.tbs, sig.Value) {
		return fmt.Errorf("%w：印章持有者的签名验证失败", ErrSignature)
	}
	if Digest(document) != sig.Digest {
		return fmt.Errorf("%w：文件的SM3摘要与签章记录的不同", ErrDocument)
	}
	return nil
}

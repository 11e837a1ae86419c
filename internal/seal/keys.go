package seal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// Algorithm is a signature algorithm a key, a certificate or a record uses.
type Algorithm int

const (
	SM2  Algorithm = 1 // SM2-with-SM3, default user ID (GB/T 32918, GB/T 35276); the default
	P256 Algorithm = 2 // ECDSA over NIST P-256 with SHA-256 (FIPS 186)
)

// Signature algorithm identifiers, as recorded in seals and signatures.
var (
	oidSM2WithSM3      = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// ParseAlgorithm reads "sm2" or "p256" (as in configuration).
func ParseAlgorithm(s string) (Algorithm, error) {
	switch s {
	case "sm2":
		return SM2, nil
	case "p256":
		return P256, nil
	}
	return 0, errors.New("签名算法应为 sm2 或 p256")
}

// String returns "sm2" or "p256", what ParseAlgorithm reads.
func (a Algorithm) String() string {
	switch a {
	case SM2:
		return "sm2"
	case P256:
		return "p256"
	}
	return fmt.Sprintf("Algorithm(%d)", int(a))
}

func (a Algorithm) oid() asn1.ObjectIdentifier {
	if a == P256 {
		return oidECDSAWithSHA256
	}
	return oidSM2WithSM3
}

func (a Algorithm) x509() smx509.SignatureAlgorithm {
	if a == P256 {
		return smx509.ECDSAWithSHA256
	}
	return smx509.SM2WithSM3
}

// algorithmOfOID is the algorithm a recorded identifier names, or 0.
func algorithmOfOID(oid asn1.ObjectIdentifier) Algorithm {
	switch {
	case oid.Equal(oidSM2WithSM3):
		return SM2
	case oid.Equal(oidECDSAWithSHA256):
		return P256
	}
	return 0
}

// algorithmOf is the algorithm of a usable public key (SM2 or P-256; a nil
// pointer is not usable), or 0.
func algorithmOf(k crypto.PublicKey) Algorithm {
	pub, ok := k.(*ecdsa.PublicKey)
	switch {
	case !ok || pub == nil || pub.X == nil || pub.Y == nil:
		return 0
	case pub.Curve == sm2.P256():
		return SM2
	case pub.Curve == elliptic.P256():
		return P256
	}
	return 0
}

// NewKey creates a software key for a: a seal maker's (CA) key or a
// department's key. Its private half is used only through crypto.Signer.
func NewKey(a Algorithm) (crypto.Signer, error) {
	switch a {
	case SM2:
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("seal: generate SM2 key: %w", err)
		}
		return k, nil
	case P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("seal: generate P-256 key: %w", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("seal: unknown algorithm %d", int(a))
}

// MarshalPrivateKey encodes a software key from NewKey or ParsePrivateKey
// (*sm2.PrivateKey or a P-256 *ecdsa.PrivateKey) as PKCS#8 DER. The bytes
// are the secret itself: encrypt them before storing them anywhere, and
// never log them.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	switch k := key.(type) {
	case *sm2.PrivateKey:
		if k != nil && algorithmOf(k.Public()) == SM2 {
			return smx509.MarshalPKCS8PrivateKey(k)
		}
	case *ecdsa.PrivateKey:
		if k != nil && algorithmOf(k.Public()) == P256 {
			return smx509.MarshalPKCS8PrivateKey(k)
		}
	}
	return nil, fmt.Errorf("seal: %T is not an SM2 or P-256 software key", key)
}

// ParsePrivateKey decodes a PKCS#8 SM2 or P-256 private key. Its errors
// never include the key's bytes.
func ParsePrivateKey(der []byte) (crypto.Signer, error) {
	k, err := smx509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("seal: parse private key: not a PKCS#8 private key")
	}
	switch sk := k.(type) {
	case *sm2.PrivateKey:
		return sk, nil
	case *ecdsa.PrivateKey:
		if algorithmOf(sk.Public()) == P256 {
			return sk, nil
		}
	}
	return nil, errors.New("seal: private key is neither SM2 nor P-256")
}

// SignMessage signs msg (the message itself, not a digest) with key:
// SM2-with-SM3 with the default user ID for an SM2 key, ECDSA with
// SHA-256 for a P-256 key. The signature is an ASN.1 SEQUENCE { r, s }
// in DER; a P-256 one has the low s of the pair, so that every signature
// has one form (VerifyMessage refuses the other).
func SignMessage(key crypto.Signer, msg []byte) ([]byte, error) {
	sig, _, err := sign(key, msg)
	return sig, err
}

// VerifyMessage reports whether sig is cert's department key's signature
// over msg, as SignMessage makes it. cert must come from ParseCertificate
// or a Trust and be a department (not CA) certificate; whether cert is
// trusted and was valid when msg was signed is the caller's to check
// (Trust.Holder, Certificate.ValidAt).
func VerifyMessage(cert *Certificate, msg, sig []byte) bool {
	if cert == nil || cert.cert == nil || cert.IsCA {
		return false
	}
	return verify(cert.Algorithm, cert.PublicKey, msg, sig)
}

// sign signs msg with the algorithm of signer's public key. An SM2 signer
// receives the message itself with sm2.DefaultSM2SignerOpts (it computes
// ZA and SM3, as gmsm's keys do); a P-256 one receives the SHA-256 digest
// with crypto.SHA256, as crypto.Signer wants.
func sign(signer crypto.Signer, msg []byte) ([]byte, Algorithm, error) {
	if signer == nil {
		return nil, 0, errors.New("seal: no signing key")
	}
	a := algorithmOf(signer.Public())
	var (
		sig []byte
		err error
	)
	switch a {
	case SM2:
		sig, err = signer.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	case P256:
		h := sha256.Sum256(msg)
		sig, err = signer.Sign(rand.Reader, h[:], crypto.SHA256)
		if err == nil {
			sig, err = lowS(sig)
		}
	default:
		return nil, 0, errors.New("seal: the signing key is neither SM2 nor P-256")
	}
	if err != nil {
		return nil, 0, fmt.Errorf("seal: %s sign: %w", a, err)
	}
	// A signer behind crypto.Signer (an HSM) is checked like any input.
	if !verify(a, signer.Public(), msg, sig) {
		return nil, 0, fmt.Errorf("seal: the %s signer returned an invalid signature", a)
	}
	return sig, a, nil
}

// verify checks sig over msg by pub with algorithm a, and that sig is in
// its one form: DER, and low s for P-256.
func verify(a Algorithm, pub crypto.PublicKey, msg, sig []byte) bool {
	if algorithmOf(pub) != a {
		return false
	}
	r, s, ok := parseSigValue(sig)
	if !ok {
		return false
	}
	k := pub.(*ecdsa.PublicKey)
	switch a {
	case SM2:
		return sm2.VerifyASN1WithSM2(k, nil, msg, sig)
	case P256:
		h := sha256.Sum256(msg)
		return s.Cmp(halfOrderP256) <= 0 && ecdsa.Verify(k, h[:], r, s)
	}
	return false
}

type sigValue struct{ R, S *big.Int }

var halfOrderP256 = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// parseSigValue reads SEQUENCE { r INTEGER, s INTEGER } and insists on
// its DER encoding and positive values.
func parseSigValue(sig []byte) (r, s *big.Int, ok bool) {
	v, err := unmarshalCanonical[sigValue](sig)
	if err != nil || v.R.Sign() <= 0 || v.S.Sign() <= 0 {
		return nil, nil, false
	}
	return v.R, v.S, true
}

// lowS replaces a P-256 signature (r, s) by (r, n-s) when s > n/2: both
// verify, and keeping only the low one gives each signature one form.
func lowS(sig []byte) ([]byte, error) {
	r, s, ok := parseSigValue(sig)
	if !ok {
		return nil, errors.New("not a DER ECDSA signature")
	}
	if s.Cmp(halfOrderP256) <= 0 {
		return sig, nil
	}
	return asn1.Marshal(sigValue{r, new(big.Int).Sub(elliptic.P256().Params().N, s)})
}

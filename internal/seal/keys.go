package seal

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// NewMakerKey creates the seal maker's (root) SM2 key. Its public key is
// what verifiers trust; its private key signs seals and nothing else.
func NewMakerKey() (crypto.Signer, error) { return newKey() }

// NewSealKey creates a department seal holder's SM2 key, the key whose
// public half a seal carries and which signs documents with that seal.
func NewSealKey() (crypto.Signer, error) { return newKey() }

func newKey() (crypto.Signer, error) {
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("seal: generate SM2 key: %w", err)
	}
	return k, nil
}

// MarshalPrivateKey encodes an SM2 software key as PKCS#8 DER. The bytes
// are the secret itself: encrypt them before storing them anywhere.
func MarshalPrivateKey(key crypto.Signer) ([]byte, error) {
	k, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("seal: %T is not an SM2 software key", key)
	}
	return smx509.MarshalPKCS8PrivateKey(k)
}

// ParsePrivateKey decodes a PKCS#8 SM2 private key.
func ParsePrivateKey(der []byte) (crypto.Signer, error) {
	k, err := smx509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("seal: parse private key: %w", err)
	}
	sk, ok := k.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("seal: private key is %T, not SM2", k)
	}
	return sk, nil
}

// MarshalPublicKey encodes an SM2 public key as SubjectPublicKeyInfo DER.
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	if !sealKey(pub) {
		return nil, fmt.Errorf("seal: %T is not an SM2 public key", pub)
	}
	return smx509.MarshalPKIXPublicKey(pub)
}

// ParsePublicKey decodes a SubjectPublicKeyInfo SM2 public key.
func ParsePublicKey(der []byte) (*ecdsa.PublicKey, error) {
	k, err := smx509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("seal: parse public key: %w", err)
	}
	if !sealKey(k) {
		return nil, errors.New("seal: public key is not SM2")
	}
	return k.(*ecdsa.PublicKey), nil
}

// signSM2 signs msg (the message, not a digest) with SM2-with-SM3 and the
// default user ID, and checks the signer is an SM2 key.
func signSM2(signer crypto.Signer, msg []byte) ([]byte, error) {
	if !sealKey(signer.Public()) {
		return nil, errors.New("seal: the signer's key is not SM2")
	}
	sig, err := signer.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("seal: SM2 sign: %w", err)
	}
	return sig, nil
}

func verifySM2(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	return sm2.VerifyASN1WithSM2(pub, nil, msg, sig)
}

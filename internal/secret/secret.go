// Package secret protects personal data at rest. Each sensitive field is
// sealed with AES-256-GCM (the field name is the associated data, so a
// ciphertext copied into another column will not open) and indexed with a
// keyed HMAC-SHA256 so it can still be looked up by exact value. Both keys
// are derived from one master key with HKDF, so operators manage one secret.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of the master key in bytes.
const KeySize = 32

// version prefixes every ciphertext so keys can be rotated later.
const version = "k1:"

// Box seals and opens personal data. It never logs or prints keys.
type Box struct {
	aead   cipher.AEAD
	macKey []byte
	csrf   []byte
}

// New derives the field keys from a 32-byte master key.
func New(master []byte) (*Box, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("数据密钥应为 %d 字节（base64 编码后 44 个字符）", KeySize)
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "yiwang personal-data encryption v1", 32)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, "yiwang personal-data lookup v1", 32)
	if err != nil {
		return nil, err
	}
	csrfKey, err := hkdf.Key(sha256.New, master, nil, "yiwang csrf v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, macKey: macKey, csrf: csrfKey}, nil
}

// ParseKey decodes a base64 master key (standard or URL alphabet).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("数据密钥应为 %d 字节，实际 %d 字节", KeySize, len(k))
			}
			return k, nil
		}
	}
	return nil, errors.New("数据密钥不是有效的 base64 编码")
}

// LoadOrCreateKeyFile reads the master key from path, creating a new random
// one (mode 0600) when the file does not exist. created tells which.
func LoadOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := ParseKey(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return k, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, false, err
	}
	return k, true, f.Close()
}

// Seal encrypts plaintext for the named field.
func (b *Box) Seal(field, plaintext string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(field))
	return version + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value sealed for the named field.
func (b *Box) Open(field, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	rest, ok := strings.CutPrefix(sealed, version)
	if !ok {
		return "", errors.New("secret: unknown key version")
	}
	raw, err := base64.RawStdEncoding.Strict().DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return "", errors.New("secret: malformed ciphertext")
	}
	n := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(field))
	if err != nil {
		return "", errors.New("secret: cannot open (wrong key or tampered)")
	}
	return string(pt), nil
}

// Lookup is the keyed hash used to find a row by an exact sensitive value.
func (b *Box) Lookup(field, value string) string {
	m := hmac.New(sha256.New, b.macKey)
	m.Write([]byte(field))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// CSRFToken binds a CSRF token to a browser identity (session or anonymous
// cookie), so a token cannot be reused with another identity.
func (b *Box) CSRFToken(binding string) string {
	m := hmac.New(sha256.New, b.csrf)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a submitted token in constant time.
func (b *Box) CheckCSRF(binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(b.CSRFToken(binding)), []byte(token))
}

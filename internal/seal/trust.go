package seal

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
)

// Trust is what a verifier trusts: seal makers' (CAs') self-signed
// certificates, and department certificates issued by one of them. It is
// safe for concurrent use; AddHolder may run while others verify.
type Trust struct {
	mu      sync.RWMutex
	all     []*Certificate // in the order added
	cas     map[[32]byte]*Certificate
	holders map[[32]byte]*Certificate
	// seals are the seals (by SHA-256 of their DER) whose maker signature
	// verified against this trust; bounded, since seals are few.
	seals map[[32]byte]bool
}

const maxVerifiedSeals = 4096

func (t *Trust) sealVerified(key [32]byte) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.seals[key]
}

func (t *Trust) rememberSeal(key [32]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seals == nil || len(t.seals) >= maxVerifiedSeals {
		t.seals = map[[32]byte]bool{}
	}
	t.seals[key] = true
}

// NewTrust trusts the given DER certificates: at least one CA, each
// self-signed, and any number of department certificates, each issued by
// one of those CAs (in any order of the arguments). A certificate given
// twice counts once. Errors name a certificate by its position.
func NewTrust(certDERs ...[]byte) (*Trust, error) {
	t := &Trust{cas: map[[32]byte]*Certificate{}, holders: map[[32]byte]*Certificate{}}
	var depts []*Certificate
	for i, der := range certDERs {
		c, err := ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("第%d个证书：%w", i+1, err)
		}
		if !c.IsCA {
			depts = append(depts, c)
			continue
		}
		if !c.issued(c) {
			return nil, fmt.Errorf("第%d个证书：制章者证书应为自签名的CA证书", i+1)
		}
		if t.cas[c.Fingerprint] == nil {
			t.cas[c.Fingerprint] = c
			t.all = append(t.all, c)
		}
	}
	if len(t.cas) == 0 {
		return nil, errors.New("至少需要一个所信任的制章者（CA）证书")
	}
	for _, c := range depts {
		if err := t.addHolder(c); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Certificates returns copies of the trusted certificates, CAs first, in
// the order they were added.
func (t *Trust) Certificates() []*Certificate {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*Certificate, len(t.all))
	for i, c := range t.all {
		out[i] = c.clone()
	}
	return out
}

// Holder returns (a copy of) the trusted department certificate with the
// given fingerprint (the SM3 digest of its DER), given to NewTrust or
// AddHolder. CA certificates are not holders.
func (t *Trust) Holder(fingerprint [32]byte) (*Certificate, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	c, ok := t.holders[fingerprint]
	if !ok {
		return nil, false
	}
	return c.clone(), true
}

// AddHolder trusts a department certificate after checking that one of
// the trusted CAs issued it. Failures wrap ErrCertificate.
func (t *Trust) AddHolder(certDER []byte) error {
	c, err := ParseCertificate(certDER)
	if err != nil {
		return fmt.Errorf("%w：%w", ErrCertificate, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addHolder(c)
}

func (t *Trust) addHolder(c *Certificate) error {
	if c.IsCA {
		return fmt.Errorf("%w：是CA证书，不是部门证书", ErrCertificate)
	}
	for _, ca := range t.cas {
		if ca.issued(c) {
			if t.holders[c.Fingerprint] == nil {
				t.holders[c.Fingerprint] = c
				t.all = append(t.all, c)
			}
			return nil
		}
	}
	return fmt.Errorf("%w：部门证书不是由所信任的制章者签发的", ErrCertificate)
}

// maker returns the trusted CA certificate byte-equal to c, or nil.
func (t *Trust) maker(c *Certificate) *Certificate {
	if t == nil {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if ca := t.cas[c.Fingerprint]; ca != nil && bytes.Equal(ca.DER, c.DER) {
		return ca
	}
	return nil
}

func (c *Certificate) clone() *Certificate {
	d := *c
	d.DER = bytes.Clone(c.DER)
	return &d
}

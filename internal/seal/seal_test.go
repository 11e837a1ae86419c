package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

var (
	caFrom    = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	caTo      = time.Date(2035, 12, 31, 23, 59, 59, 0, time.UTC)
	deptFrom  = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	deptTo    = time.Date(2030, 12, 31, 23, 59, 59, 0, time.UTC)
	validFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	validTo   = time.Date(2028, 12, 31, 23, 59, 59, 0, time.UTC)
	signedAt  = time.Date(2026, 11, 22, 9, 30, 15, 0, time.UTC)
	document  = []byte("营业执照 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F")
)

const (
	deptCode  = "11220000013544541J"
	otherCode = "11370800MB28559184"
	deptName  = "吉林省政务服务和数字化建设管理局"
	caName    = "一网通办电子印章制章中心"
	property  = "电子营业执照"
)

// allErrs are the verification failures, to check that exactly one holds.
var allErrs = []error{ErrFormat, ErrSealMaker, ErrCertificate, ErrSealValidity, ErrSignature, ErrDocument}

var algorithms = []Algorithm{SM2, P256}

func mustKey(t testing.TB, a Algorithm) crypto.Signer {
	t.Helper()
	k, err := NewKey(a)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func redCircle(t testing.TB) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 8, 8))
	for i := 0; i < 8; i++ {
		img.Set(i, i, color.NRGBA{R: 0xd0, A: 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// ca is a seal maker: its key and self-signed certificate.
type ca struct {
	key  crypto.Signer
	cert []byte
}

func newCA(t testing.TB, a Algorithm, name string) ca {
	t.Helper()
	key := mustKey(t, a)
	cert, err := CreateCA(key, CASpec{Name: name, ValidFrom: caFrom, ValidTo: caTo})
	if err != nil {
		t.Fatalf("CreateCA: %v", err)
	}
	return ca{key, cert}
}

// issue makes a department key and its certificate.
func (c ca) issue(t testing.TB, a Algorithm, code string, from, to time.Time) (crypto.Signer, []byte) {
	t.Helper()
	key := mustKey(t, a)
	cert, err := CreateDepartmentCert(c.key, c.cert, key.Public(), DepartmentSpec{Name: deptName, CreditCode: code, ValidFrom: from, ValidTo: to})
	if err != nil {
		t.Fatalf("CreateDepartmentCert: %v", err)
	}
	return key, cert
}

func (c ca) trust(t testing.TB, more ...[]byte) *Trust {
	t.Helper()
	tr, err := NewTrust(append([][]byte{c.cert}, more...)...)
	if err != nil {
		t.Fatalf("NewTrust: %v", err)
	}
	return tr
}

func (c ca) parsed(t testing.TB) *Certificate {
	t.Helper()
	cert, err := ParseCertificate(c.cert)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func spec(t testing.TB, holderCert []byte) Spec {
	return Spec{
		ID:         "2201000012345",
		Name:       "吉林省政务服务和数字化建设管理局电子证照专用章",
		Type:       TypeOrganisation,
		Department: deptCode,
		Picture:    Picture{PNG: redCircle(t), WidthMM: 42, HeightMM: 42},
		ValidFrom:  validFrom,
		ValidTo:    validTo,
		HolderCert: holderCert,
	}
}

type fixture struct {
	maker      ca
	holder     crypto.Signer
	holderCert []byte
	trust      *Trust
	seal       *Seal
	sig        *Signature
}

func newFixture(t testing.TB, makerAlg, holderAlg Algorithm) fixture {
	t.Helper()
	f := fixture{maker: newCA(t, makerAlg, caName)}
	f.holder, f.holderCert = f.maker.issue(t, holderAlg, deptCode, deptFrom, deptTo)
	f.trust = f.maker.trust(t)
	var err error
	f.seal, err = Make(f.maker.key, f.maker.cert, spec(t, f.holderCert), validFrom.Add(-time.Hour))
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	f.sig, err = Sign(f.holder, f.seal, document, property, signedAt)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return f
}

// forAll runs test for an SM2 and a P-256 fixture.
func forAll(t *testing.T, test func(*testing.T, fixture)) {
	for _, a := range algorithms {
		t.Run(a.String(), func(t *testing.T) { test(t, newFixture(t, a, a)) })
	}
}

// onlyErr checks that err wraps want and none of the other failures, and
// that its message does not repeat what the signature says.
func onlyErr(t *testing.T, what string, err, want error) {
	t.Helper()
	for _, e := range allErrs {
		if errors.Is(err, e) != (e == want) {
			t.Errorf("%s: error %v; want only %v", what, err, want)
			return
		}
	}
	if err != nil && (strings.Contains(err.Error(), property) || strings.Contains(err.Error(), deptName)) {
		t.Errorf("%s: error %q repeats the input", what, err)
	}
}

func TestDigestSM3Vectors(t *testing.T) {
	// GB/T 32905-2016, appendix A.
	for _, tt := range []struct{ in, want string }{
		{"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
	} {
		got := Digest([]byte(tt.in))
		if hex.EncodeToString(got[:]) != tt.want {
			t.Errorf("SM3(%q) = %x; want %s", tt.in, got, tt.want)
		}
	}
}

func TestAlgorithm(t *testing.T) {
	for _, a := range algorithms {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", a.String(), got, err)
		}
	}
	if SM2.String() != "sm2" || P256.String() != "p256" {
		t.Errorf("names %q %q", SM2, P256)
	}
	for _, s := range []string{"", "SM2", "P256", "p384", "sm2 ", "rsa"} {
		if _, err := ParseAlgorithm(s); err == nil {
			t.Errorf("ParseAlgorithm(%q) succeeded", s)
		}
	}
	if _, err := NewKey(0); err == nil {
		t.Error("NewKey(0) succeeded")
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, tt := range []struct{ maker, holder Algorithm }{{SM2, SM2}, {P256, P256}, {SM2, P256}, {P256, SM2}} {
		t.Run(tt.maker.String()+"-"+tt.holder.String(), func(t *testing.T) {
			f := newFixture(t, tt.maker, tt.holder)
			der := f.sig.Marshal()
			sig, err := Verify(der, document, f.trust)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			s := sig.Seal
			want := spec(t, f.holderCert)
			if s.ID != want.ID || s.Name != want.Name || s.Type != want.Type || s.Department != want.Department ||
				!bytes.Equal(s.Picture.PNG, want.Picture.PNG) || s.Picture.WidthMM != 42 || s.Picture.HeightMM != 42 ||
				!s.ValidFrom.Equal(validFrom) || !s.ValidTo.Equal(validTo) || !s.Created.Equal(validFrom.Add(-time.Hour)) ||
				!bytes.Equal(s.Spec.HolderCert, f.holderCert) {
				t.Errorf("seal read back differs: %+v", s.Spec)
			}
			if !bytes.Equal(s.MakerCert.DER, f.maker.cert) || s.MakerCert.Algorithm != tt.maker || !s.MakerCert.IsCA ||
				!s.HolderCert.publicKeyEqual(f.holder.Public()) || s.HolderCert.Algorithm != tt.holder ||
				s.HolderCert.CreditCode != deptCode || s.HolderCert.Name != deptName {
				t.Errorf("certificates read back differ: maker %+v, holder %+v", s.MakerCert, s.HolderCert)
			}
			if !sig.SignedAt.Equal(signedAt) || sig.Property != property || sig.Digest != Digest(document) {
				t.Errorf("signature read back: at %v, property %q, digest %x", sig.SignedAt, sig.Property, sig.Digest)
			}
			// The algorithms are recorded: the seal's by the maker's key,
			// the signature's by the holder's.
			var sd sealDER
			var gd signatureDER
			asn1.Unmarshal(s.Marshal(), &sd)
			asn1.Unmarshal(der, &gd)
			if !sd.Algorithm.Equal(tt.maker.oid()) || !gd.Algorithm.Equal(tt.holder.oid()) {
				t.Errorf("recorded algorithms %v, %v", sd.Algorithm, gd.Algorithm)
			}
			// One byte form: parsing and marshalling again changes nothing.
			if !bytes.Equal(sig.Marshal(), der) || !bytes.Equal(s.Marshal(), f.seal.Marshal()) {
				t.Error("marshal after parse differs from the original")
			}
			again, err := ParseSeal(f.seal.Marshal())
			if err != nil || !bytes.Equal(again.Marshal(), f.seal.Marshal()) || again.VerifyMaker(f.trust) != nil {
				t.Errorf("ParseSeal round trip: %v", err)
			}
			// The validity bounds are both included.
			for _, at := range []time.Time{validFrom, validTo} {
				sig, err := Sign(f.holder, f.seal, document, "", at)
				if err != nil {
					t.Fatalf("Sign at %v: %v", at, err)
				}
				if _, err := Verify(sig.Marshal(), document, f.trust); err != nil {
					t.Errorf("Verify at %v: %v", at, err)
				}
			}
			// Signatures are randomised: the same input signed twice
			// differs, and both verify.
			sig2, err := Sign(f.holder, f.seal, document, property, signedAt)
			if err != nil || bytes.Equal(sig2.Value, f.sig.Value) {
				t.Fatalf("second signature: %v, same value %v", err, bytes.Equal(sig2.Value, f.sig.Value))
			}
			if _, err := Verify(sig2.Marshal(), document, f.trust); err != nil {
				t.Errorf("second signature: %v", err)
			}
		})
	}
}

func TestTamperedDocument(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		for _, doc := range [][]byte{nil, {}, document[:len(document)-1], append(bytes.Clone(document), 0), []byte(strings.Replace(string(document), "F", "E", 1))} {
			_, err := Verify(f.sig.Marshal(), doc, f.trust)
			onlyErr(t, "tampered document", err, ErrDocument)
		}
		doc := bytes.Clone(document)
		for i := range doc {
			doc[i] ^= 0x01
			if err := f.sig.Verify(doc, f.trust); !errors.Is(err, ErrDocument) {
				t.Fatalf("document changed at byte %d: %v; want ErrDocument", i, err)
			}
			doc[i] ^= 0x01
		}
	})
}

func TestTamperedSignature(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		der := f.sig.Marshal()
		// The holder's signature value, the recorded digest and property:
		// changing any is a broken signature, not a different document.
		digest := f.sig.Digest
		for _, part := range [][]byte{f.sig.Value[len(f.sig.Value)-8:], digest[:], []byte(property)} {
			at := bytes.LastIndex(der, part)
			if at < 0 {
				t.Fatalf("part %x not found", part)
			}
			bad := bytes.Clone(der)
			bad[at+2] ^= 0x01
			_, err := Verify(bad, document, f.trust)
			onlyErr(t, "signature value, digest or property changed", err, ErrSignature)
		}
		// A single-byte change anywhere is caught, never taken for a
		// changed document, and never panics: every byte of the record
		// (about 2 KB), flipped in its lowest and highest bit.
		for i := range der {
			for _, x := range []byte{0x01, 0x80} {
				bad := bytes.Clone(der)
				bad[i] ^= x
				if _, err := Verify(bad, document, f.trust); err == nil || errors.Is(err, ErrDocument) {
					t.Fatalf("signature changed at byte %d (^%#x): %v", i, x, err)
				}
			}
		}
	})
}

// TestHighS checks that a P-256 record in its other form, (r, n-s), which
// ECDSA itself accepts, is refused: a record has one form.
func TestHighS(t *testing.T) {
	f := newFixture(t, P256, P256)
	var v sigValue
	if _, err := asn1.Unmarshal(f.sig.Value, &v); err != nil {
		t.Fatal(err)
	}
	v.S.Sub(elliptic.P256().Params().N, v.S)
	high, _ := asn1.Marshal(v)
	h := sha256.Sum256(f.sig.tbs)
	if !ecdsa.VerifyASN1(f.seal.HolderCert.PublicKey.(*ecdsa.PublicKey), h[:], high) {
		t.Fatal("the high-s form does not verify with crypto/ecdsa")
	}
	der, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: f.sig.tbs}, Algorithm: oidECDSAWithSHA256, Signature: high})
	_, err := Verify(der, document, f.trust)
	onlyErr(t, "high s", err, ErrSignature)
	if VerifyMessage(f.seal.HolderCert, f.sig.tbs, high) {
		t.Error("VerifyMessage accepted the high-s form")
	}
}

func TestSealOutsideValidity(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		for _, at := range []time.Time{validFrom.Add(-time.Second), validTo.Add(time.Second), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} {
			if _, err := Sign(f.holder, f.seal, document, "", at); err == nil {
				t.Errorf("Sign at %v outside the seal's validity succeeded", at)
			}
			// The holder's key still signs after the seal expired: Verify
			// must refuse it, and before looking at the signature or
			// document. The holder's certificate is still valid then.
			sig, err := signWith(f.holder, f.seal, document, "", at)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Verify(sig.Marshal(), document, f.trust)
			onlyErr(t, "expired seal", err, ErrSealValidity)
			_, err = Verify(sig.Marshal(), []byte("other"), f.trust)
			onlyErr(t, "expired seal, other document", err, ErrSealValidity)
		}
	})
}

func TestSealOfUntrustedMaker(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		a := f.seal.MakerCert.Algorithm
		// Another CA with the same name, which issued its own certificate
		// for the same department and made a seal with it.
		other := newCA(t, a, caName)
		otherHolder, otherHolderCert := other.issue(t, a, deptCode, deptFrom, deptTo)
		s, err := Make(other.key, other.cert, spec(t, otherHolderCert), validFrom)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(otherHolder, s, document, property, signedAt)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(sig.Marshal(), document, f.trust)
		onlyErr(t, "untrusted maker", err, ErrSealMaker)
		// Checked before the certificate, validity and document.
		late, err := signWith(otherHolder, s, document, property, caTo.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(late.Marshal(), []byte("other"), f.trust)
		onlyErr(t, "untrusted maker, late, other document", err, ErrSealMaker)
		// The genuine signature against a Trust of the other CA only, or no Trust.
		_, err = Verify(f.sig.Marshal(), document, other.trust(t))
		onlyErr(t, "trust of another CA", err, ErrSealMaker)
		_, err = Verify(f.sig.Marshal(), document, nil)
		onlyErr(t, "nil trust", err, ErrSealMaker)
		_, err = Verify(f.sig.Marshal(), document, &Trust{})
		onlyErr(t, "zero trust", err, ErrSealMaker)

		// A seal signed by the other CA's key that carries the trusted
		// CA's certificate: the maker's signature does not verify.
		forged, err := makeSeal(other.key, f.maker.parsed(t), spec(t, f.holderCert), validFrom)
		if err != nil {
			t.Fatal(err)
		}
		if err := forged.VerifyMaker(f.trust); !errors.Is(err, ErrSealMaker) {
			t.Errorf("forged maker certificate: %v; want ErrSealMaker", err)
		}
		fsig, err := signWith(f.holder, forged, document, property, signedAt)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(fsig.Marshal(), document, f.trust)
		onlyErr(t, "forged maker certificate", err, ErrSealMaker)
	})
}

func TestHolderCertificate(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		a := f.seal.MakerCert.Algorithm
		maker := f.maker.parsed(t)
		check := func(what string, holder crypto.Signer, holderCert []byte, department string, at time.Time) {
			t.Helper()
			sp := spec(t, holderCert)
			sp.Department = department
			if _, err := Make(f.maker.key, f.maker.cert, sp, validFrom); err == nil {
				t.Errorf("%s: Make succeeded", what)
			}
			// Made anyway, signed by the trusted maker's key.
			s, err := makeSeal(f.maker.key, maker, sp, validFrom)
			if err != nil {
				t.Fatal(err)
			}
			if s.VerifyMaker(f.trust) != nil {
				t.Fatalf("%s: the maker's signature does not verify", what)
			}
			if _, err := Sign(holder, s, document, property, at); err == nil {
				t.Errorf("%s: Sign succeeded", what)
			}
			sig, err := signWith(holder, s, document, property, at)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Verify(sig.Marshal(), document, f.trust)
			onlyErr(t, what, err, ErrCertificate)
			_, err = Verify(sig.Marshal(), []byte("other"), f.trust)
			onlyErr(t, what+", other document", err, ErrCertificate)
		}
		// Issued by another CA with the same name.
		other := newCA(t, a, caName)
		k, c := other.issue(t, a, deptCode, deptFrom, deptTo)
		check("department certificate from another CA", k, c, deptCode, signedAt)
		// For another department than the seal's.
		k, c = f.maker.issue(t, a, otherCode, deptFrom, deptTo)
		check("certificate of another department", k, c, deptCode, signedAt)
		check("seal of another department", f.holder, f.holderCert, otherCode, signedAt)
		// Expired (or not yet valid) at the signing time, while the seal is
		// valid, and checked before the seal's validity.
		k, c = f.maker.issue(t, a, deptCode, deptFrom, signedAt.Add(-time.Second))
		check("certificate expired at signing", k, c, deptCode, signedAt)
		check("certificate expired, seal too", k, c, deptCode, validTo.Add(time.Hour))
		k, c = f.maker.issue(t, a, deptCode, signedAt.Add(time.Second), deptTo)
		check("certificate not yet valid at signing", k, c, deptCode, signedAt)
		// The holder certificate is the maker's CA certificate itself.
		check("CA certificate as holder", f.maker.key, f.maker.cert, deptCode, signedAt)
	})
}

func TestGarbageInput(t *testing.T) {
	f := newFixture(t, SM2, SM2)
	der := f.sig.Marshal()
	inputs := [][]byte{nil, {}, {0x30}, {0x30, 0x00}, {0x05, 0x00}, []byte("not a signature"), f.seal.Marshal(), append(bytes.Clone(der), 0)}
	for n := 1; n < len(der); n += 7 {
		inputs = append(inputs, der[:n])
	}
	// A non-minimal length on the outer SEQUENCE: the same content, another
	// byte form, so it must be refused.
	if der[1] == 0x82 {
		inputs = append(inputs, append([]byte{0x30, 0x83, 0x00}, der[2:]...))
	} else {
		t.Fatalf("expected a two-byte length, got %#x", der[1])
	}
	// Well signed by the holder, but the digest is not 32 bytes; or the
	// algorithm recorded is not the holder key's.
	tbs, _ := asn1.Marshal(toBeSignedDER{Version: formatVersion, Seal: asn1.RawValue{FullBytes: f.seal.Marshal()}, SignedAt: signedAt, Digest: make([]byte, DigestSize-1)})
	value, _, _ := sign(f.holder, tbs)
	short, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: tbs}, Algorithm: oidSM2WithSM3, Signature: value})
	wrongAlg, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: f.sig.tbs}, Algorithm: oidECDSAWithSHA256, Signature: f.sig.Value})
	// The version-1 format of the bare-key package.
	v1, _ := asn1.Marshal(toBeSignedDER{Version: 1, Seal: asn1.RawValue{FullBytes: f.seal.Marshal()}, SignedAt: signedAt, Digest: f.sig.Digest[:]})
	value, _, _ = sign(f.holder, v1)
	old, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: v1}, Algorithm: oidSM2WithSM3, Signature: value})
	// A seal that records another algorithm than its maker's key, in a
	// signature the holder made.
	var sd sealDER
	asn1.Unmarshal(f.seal.Marshal(), &sd)
	sd.Algorithm = oidECDSAWithSHA256
	wrongSeal, _ := asn1.Marshal(sd)
	ws, _ := asn1.Marshal(toBeSignedDER{Version: formatVersion, Seal: asn1.RawValue{FullBytes: wrongSeal}, SignedAt: signedAt, Digest: f.sig.Digest[:]})
	value, _, _ = sign(f.holder, ws)
	wrongMakerAlg, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: ws}, Algorithm: oidSM2WithSM3, Signature: value})
	inputs = append(inputs, short, wrongAlg, old, wrongMakerAlg)
	random := make([]byte, 512)
	rand.Read(random)
	inputs = append(inputs, random)
	for i, in := range inputs {
		if _, err := ParseSignature(in); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseSignature(input %d) = %v; want ErrFormat", i, err)
		}
		sig, err := Verify(in, document, f.trust)
		onlyErr(t, "garbage to Verify", err, ErrFormat)
		if sig != nil {
			t.Errorf("Verify(input %d) returned a signature with a format error", i)
		}
	}
	sealDER := f.seal.Marshal()
	for i, in := range [][]byte{nil, {0x30, 0x00}, der, sealDER[:len(sealDER)-1], append(bytes.Clone(sealDER), 0)} {
		if _, err := ParseSeal(in); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseSeal(input %d) = %v; want ErrFormat", i, err)
		}
	}
}

func TestMakeRejects(t *testing.T) {
	for _, a := range algorithms {
		maker := newCA(t, a, caName)
		_, holderCert := maker.issue(t, a, deptCode, deptFrom, deptTo)
		for _, tt := range []struct {
			name   string
			change func(*Spec)
		}{
			{"empty id", func(s *Spec) { s.ID = "" }},
			{"id with space", func(s *Spec) { s.ID = "22 01" }},
			{"id too long", func(s *Spec) { s.ID = strings.Repeat("1", maxIDLength+1) }},
			{"empty name", func(s *Spec) { s.Name = "" }},
			{"name with newline", func(s *Spec) { s.Name = "专用章\n" }},
			{"name too long", func(s *Spec) { s.Name = strings.Repeat("章", maxNameRunes+1) }},
			{"unknown type", func(s *Spec) { s.Type = 3 }},
			{"department bad check", func(s *Spec) { s.Department = "11220000013544541K" }},
			{"department lower case", func(s *Spec) { s.Department = "11370800mb28559184" }},
			{"department empty", func(s *Spec) { s.Department = "" }},
			{"department not the certificate's", func(s *Spec) { s.Department = otherCode }},
			{"picture not PNG", func(s *Spec) { s.Picture.PNG = []byte("GIF89a") }},
			{"picture empty", func(s *Spec) { s.Picture.PNG = nil }},
			{"picture width 0", func(s *Spec) { s.Picture.WidthMM = 0 }},
			{"picture too tall", func(s *Spec) { s.Picture.HeightMM = maxPictureMM + 1 }},
			{"validity reversed", func(s *Spec) { s.ValidFrom, s.ValidTo = s.ValidTo, s.ValidFrom }},
			{"validity empty", func(s *Spec) { s.ValidTo = s.ValidFrom }},
			{"no valid from", func(s *Spec) { s.ValidFrom = time.Time{} }},
			{"validity beyond the holder certificate", func(s *Spec) { s.ValidTo = deptTo.Add(time.Second) }},
			{"validity before the holder certificate", func(s *Spec) { s.ValidFrom = deptFrom.Add(-time.Second) }},
			{"holder certificate nil", func(s *Spec) { s.HolderCert = nil }},
			{"holder certificate garbage", func(s *Spec) { s.HolderCert = []byte("garbage") }},
			{"holder certificate truncated", func(s *Spec) { s.HolderCert = holderCert[:len(holderCert)-1] }},
			{"holder certificate is the CA's", func(s *Spec) { s.HolderCert = maker.cert }},
		} {
			s := spec(t, holderCert)
			tt.change(&s)
			if got, err := Make(maker.key, maker.cert, s, validFrom); err == nil {
				t.Errorf("%s: %s: Make succeeded: %+v", a, tt.name, got.Spec)
			}
		}
		// The maker's side.
		deptKey, deptCert := maker.issue(t, a, deptCode, deptFrom, deptTo)
		other := newCA(t, a, caName)
		for _, tt := range []struct {
			name string
			key  crypto.Signer
			cert []byte
			now  time.Time
		}{
			{"key not the certificate's", other.key, maker.cert, validFrom},
			{"certificate of another key", maker.key, other.cert, validFrom},
			{"department certificate as maker", deptKey, deptCert, validFrom},
			{"no key", nil, maker.cert, validFrom},
			{"no certificate", maker.key, nil, validFrom},
			{"CA not yet valid", maker.key, maker.cert, caFrom.Add(-time.Second)},
			{"CA expired", maker.key, maker.cert, caTo.Add(time.Second)},
		} {
			if _, err := Make(tt.key, tt.cert, spec(t, holderCert), tt.now); err == nil {
				t.Errorf("%s: %s: Make succeeded", a, tt.name)
			}
		}
	}
}

func TestSignRejects(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		a := f.seal.HolderCert.Algorithm
		if _, err := Sign(mustKey(t, a), f.seal, document, "", signedAt); err == nil {
			t.Error("Sign with a key that is not the seal's succeeded")
		}
		if _, err := Sign(f.maker.key, f.seal, document, "", signedAt); err == nil {
			t.Error("Sign with the maker's key succeeded")
		}
		if _, err := Sign(nil, f.seal, document, "", signedAt); err == nil {
			t.Error("Sign without a key succeeded")
		}
		if _, err := Sign(f.holder, f.seal, document, strings.Repeat("字", maxPropertyRunes+1), signedAt); err == nil {
			t.Error("Sign with an over-long property succeeded")
		}
		if _, err := Sign(f.holder, &Seal{Spec: f.seal.Spec}, document, "", signedAt); err == nil {
			t.Error("Sign with a seal that was not made succeeded")
		}
		// The holder's certificate expired while the seal is still valid.
		k, c := f.maker.issue(t, a, deptCode, deptFrom, signedAt.Add(-time.Second))
		s, err := makeSeal(f.maker.key, f.maker.parsed(t), spec(t, c), validFrom)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Sign(k, s, document, "", signedAt); err == nil {
			t.Error("Sign with an expired holder certificate succeeded")
		}
	})
}

// hsm stands for a key kept elsewhere: only the crypto.Signer methods.
type hsm struct{ s crypto.Signer }

func (h hsm) Public() crypto.PublicKey { return h.s.Public() }
func (h hsm) Sign(r io.Reader, msg []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.s.Sign(r, msg, o)
}

// liar is a signer that returns a signature of something else.
type liar struct{ hsm }

func (l liar) Sign(r io.Reader, msg []byte, o crypto.SignerOpts) ([]byte, error) {
	other := bytes.Clone(msg)
	other[0] ^= 0x01
	return l.s.Sign(r, other, o)
}

func TestKeysBehindSigner(t *testing.T) {
	for _, a := range algorithms {
		makerKey, holderKey := mustKey(t, a), mustKey(t, a)
		caCert, err := CreateCA(hsm{makerKey}, CASpec{Name: caName, ValidFrom: caFrom, ValidTo: caTo})
		if err != nil {
			t.Fatal(err)
		}
		holderCert, err := CreateDepartmentCert(hsm{makerKey}, caCert, holderKey.Public(), DepartmentSpec{Name: deptName, CreditCode: deptCode, ValidFrom: deptFrom, ValidTo: deptTo})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Make(hsm{makerKey}, caCert, spec(t, holderCert), validFrom)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(hsm{holderKey}, s, document, "", signedAt)
		if err != nil {
			t.Fatal(err)
		}
		trust, err := NewTrust(caCert)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(sig.Marshal(), document, trust); err != nil {
			t.Errorf("%s: Verify with signers behind crypto.Signer: %v", a, err)
		}
		msg, err := SignMessage(hsm{holderKey}, document)
		if err != nil || !VerifyMessage(s.HolderCert, document, msg) {
			t.Errorf("%s: SignMessage behind crypto.Signer: %v", a, err)
		}
		// A signer that misbehaves is caught before its output is used.
		if _, err := Sign(liar{hsm{holderKey}}, s, document, "", signedAt); err == nil {
			t.Errorf("%s: Sign with a lying signer succeeded", a)
		}
		if _, err := SignMessage(liar{hsm{holderKey}}, document); err == nil {
			t.Errorf("%s: SignMessage with a lying signer succeeded", a)
		}
		if _, err := Make(liar{hsm{makerKey}}, caCert, spec(t, holderCert), validFrom); err == nil {
			t.Errorf("%s: Make with a lying signer succeeded", a)
		}
	}
}

func TestKeyMarshalling(t *testing.T) {
	forAll(t, func(t *testing.T, f fixture) {
		priv, err := MarshalPrivateKey(f.holder)
		if err != nil {
			t.Fatal(err)
		}
		holder, err := ParsePrivateKey(priv)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := Sign(holder, f.seal, document, "", signedAt)
		if err != nil {
			t.Fatalf("Sign with the reloaded key: %v", err)
		}
		if _, err := Verify(sig.Marshal(), document, f.trust); err != nil {
			t.Errorf("Verify after reloading the key: %v", err)
		}
		if _, err := MarshalPrivateKey(hsm{f.holder}); err == nil {
			t.Error("MarshalPrivateKey of a key behind an HSM succeeded")
		}
		p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		p384Priv, _ := x509.MarshalPKCS8PrivateKey(p384)
		if _, err := MarshalPrivateKey(p384); err == nil {
			t.Error("MarshalPrivateKey(P-384) succeeded")
		}
		for _, in := range [][]byte{nil, []byte("garbage"), p384Priv, f.holderCert, priv[:len(priv)-1]} {
			k, err := ParsePrivateKey(in)
			if err == nil {
				t.Errorf("ParsePrivateKey(%x…) succeeded", in[:min(len(in), 8)])
			}
			if k != nil {
				t.Error("ParsePrivateKey returned a key with an error")
			}
		}
		// The secret is in no error message, even for a key cut short.
		_, err = ParsePrivateKey(priv[:len(priv)-1])
		if strings.Contains(err.Error(), hex.EncodeToString(priv[len(priv)-12:len(priv)-1])) {
			t.Error("ParsePrivateKey's error contains the key")
		}
	})
}

func TestCertificates(t *testing.T) {
	for _, a := range algorithms {
		c := newCA(t, a, caName)
		key, deptCert := c.issue(t, a, deptCode, deptFrom, deptTo)
		ca, err := ParseCertificate(c.cert)
		if err != nil {
			t.Fatal(err)
		}
		if ca.Name != caName || !ca.IsCA || ca.Algorithm != a || ca.CreditCode != "" ||
			!ca.NotBefore.Equal(caFrom) || !ca.NotAfter.Equal(caTo) ||
			ca.Fingerprint != sm3.Sum(c.cert) || !bytes.Equal(ca.DER, c.cert) || !ca.publicKeyEqual(c.key.Public()) {
			t.Errorf("%s: CA certificate read back: %+v", a, ca)
		}
		if ca.cert.KeyUsage != smx509.KeyUsageCertSign || !ca.cert.MaxPathLenZero || ca.cert.SignatureAlgorithm != a.x509() ||
			!bytes.Equal(ca.cert.RawIssuer, ca.cert.RawSubject) {
			t.Errorf("%s: CA certificate: usage %v, signature %v", a, ca.cert.KeyUsage, ca.cert.SignatureAlgorithm)
		}
		d, err := ParseCertificate(deptCert)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != deptName || d.CreditCode != deptCode || d.IsCA || d.Algorithm != a ||
			!d.NotBefore.Equal(deptFrom) || !d.NotAfter.Equal(deptTo) || !d.publicKeyEqual(key.Public()) ||
			len(d.cert.Subject.Organization) != 1 || d.cert.Subject.Organization[0] != deptName {
			t.Errorf("%s: department certificate read back: %+v", a, d)
		}
		if d.cert.KeyUsage != smx509.KeyUsageDigitalSignature|smx509.KeyUsageContentCommitment ||
			d.cert.SignatureAlgorithm != a.x509() || d.cert.SerialNumber.BitLen() > 128 || d.cert.SerialNumber.Sign() <= 0 ||
			!ca.issued(d) || ca.issued(ca) == false {
			t.Errorf("%s: department certificate: usage %v, signature %v, serial %v bits", a, d.cert.KeyUsage, d.cert.SignatureAlgorithm, d.cert.SerialNumber.BitLen())
		}
		if d.ValidAt(deptFrom.Add(-time.Second)) || !d.ValidAt(deptFrom) || !d.ValidAt(deptTo) || d.ValidAt(deptTo.Add(time.Second)) {
			t.Errorf("%s: ValidAt at the bounds", a)
		}
		// Two certificates for the same department differ in serial.
		_, again := c.issue(t, a, deptCode, deptFrom, deptTo)
		if d2, _ := ParseCertificate(again); d2.cert.SerialNumber.Cmp(d.cert.SerialNumber) == 0 {
			t.Errorf("%s: the same serial twice", a)
		}
		// The parsed certificate is its own: changing the input after
		// parsing changes nothing.
		buf := bytes.Clone(deptCert)
		d3, _ := ParseCertificate(buf)
		for i := range buf {
			buf[i] = 0
		}
		if !bytes.Equal(d3.DER, deptCert) || !ca.issued(d3) {
			t.Errorf("%s: the parsed certificate shares its input", a)
		}

		// CreateDepartmentCert refuses.
		other := newCA(t, a, caName)
		good := DepartmentSpec{Name: deptName, CreditCode: deptCode, ValidFrom: deptFrom, ValidTo: deptTo}
		for _, tt := range []struct {
			name   string
			caKey  crypto.Signer
			caCert []byte
			pub    crypto.PublicKey
			change func(*DepartmentSpec)
		}{
			{"credit code bad check", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.CreditCode = "11220000013544541K" }},
			{"credit code lower case", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.CreditCode = "11370800mb28559184" }},
			{"credit code empty", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.CreditCode = "" }},
			{"name empty", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.Name = "" }},
			{"name with newline", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.Name = "审批局\n" }},
			{"name too long", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.Name = strings.Repeat("局", maxCertNameRunes+1) }},
			{"validity reversed", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.ValidFrom, s.ValidTo = s.ValidTo, s.ValidFrom }},
			{"before the CA", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.ValidFrom = caFrom.Add(-time.Second) }},
			{"after the CA", c.key, c.cert, key.Public(), func(s *DepartmentSpec) { s.ValidTo = caTo.Add(time.Second) }},
			{"CA key not the certificate's", other.key, c.cert, key.Public(), nil},
			{"CA certificate garbage", c.key, []byte("garbage"), key.Public(), nil},
			{"issuer not a CA", key, deptCert, mustKey(t, a).Public(), nil},
			{"department key nil", c.key, c.cert, nil, nil},
			{"department key P-384", c.key, c.cert, &mustP384(t).PublicKey, nil},
		} {
			s := good
			if tt.change != nil {
				tt.change(&s)
			}
			if _, err := CreateDepartmentCert(tt.caKey, tt.caCert, tt.pub, s); err == nil {
				t.Errorf("%s: CreateDepartmentCert %s succeeded", a, tt.name)
			}
		}
		for _, s := range []CASpec{{Name: "", ValidFrom: caFrom, ValidTo: caTo}, {Name: caName, ValidFrom: caTo, ValidTo: caFrom}, {Name: caName, ValidTo: caTo}} {
			if _, err := CreateCA(c.key, s); err == nil {
				t.Errorf("%s: CreateCA(%+v) succeeded", a, s)
			}
		}
		if _, err := CreateCA(mustP384(t), CASpec{Name: caName, ValidFrom: caFrom, ValidTo: caTo}); err == nil {
			t.Error("CreateCA with a P-384 key succeeded")
		}
	}
}

func mustP384(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// stdCert makes a certificate with crypto/x509, for what this package
// would not make.
func stdCert(t testing.TB, tmpl *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) []byte {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(7)
	tmpl.NotBefore, tmpl.NotAfter = deptFrom, deptTo
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParseCertificateRejects(t *testing.T) {
	c := newCA(t, P256, caName)
	p256 := c.key.(*ecdsa.PrivateKey)
	p384 := mustP384(t)
	dept := pkix.Name{CommonName: deptName, SerialNumber: deptCode}
	sign := x509.KeyUsageDigitalSignature
	inputs := map[string][]byte{
		"nil":           nil,
		"garbage":       []byte("garbage"),
		"empty":         {0x30, 0x00},
		"truncated":     c.cert[:len(c.cert)-1],
		"trailing data": append(bytes.Clone(c.cert), 0),
		"long length":   append([]byte{0x30, 0x83, 0x00}, c.cert[2:]...),
		"P-384 key":     stdCert(t, &x509.Certificate{Subject: dept, KeyUsage: sign}, &p384.PublicKey, p256),
		"SHA-384 signature": stdCert(t, &x509.Certificate{Subject: dept, KeyUsage: sign, SignatureAlgorithm: x509.ECDSAWithSHA384},
			&p256.PublicKey, p256),
		"no credit code":       stdCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: deptName}, KeyUsage: sign}, &p256.PublicKey, p256),
		"bad credit code":      stdCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: deptName, SerialNumber: "11220000013544541K"}, KeyUsage: sign}, &p256.PublicKey, p256),
		"no name":              stdCert(t, &x509.Certificate{Subject: pkix.Name{SerialNumber: deptCode}, KeyUsage: sign}, &p256.PublicKey, p256),
		"no digital signature": stdCert(t, &x509.Certificate{Subject: dept, KeyUsage: x509.KeyUsageKeyEncipherment}, &p256.PublicKey, p256),
		"CA without cert sign": stdCert(t, &x509.Certificate{Subject: dept, IsCA: true, KeyUsage: sign}, &p256.PublicKey, p256),
		"unknown critical extension": stdCert(t, &x509.Certificate{Subject: dept, KeyUsage: sign,
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{0x05, 0x00}}}}, &p256.PublicKey, p256),
		"too large": append(append([]byte{0x30, 0x82, 0x40, 0x01}, c.cert[2:]...), make([]byte, 16<<10-len(c.cert)+3)...),
	}
	// The control: crypto/x509 makes what this package reads.
	if _, err := ParseCertificate(stdCert(t, &x509.Certificate{Subject: dept, KeyUsage: sign}, &p256.PublicKey, p256)); err != nil {
		t.Fatalf("a crypto/x509 department certificate: %v", err)
	}
	for name, in := range inputs {
		if cert, err := ParseCertificate(in); err == nil || cert != nil {
			t.Errorf("ParseCertificate(%s) = %v", name, err)
		} else if strings.Contains(err.Error(), deptName) {
			t.Errorf("ParseCertificate(%s): error %q repeats the input", name, err)
		}
	}
}

func TestTrust(t *testing.T) {
	for _, a := range algorithms {
		c := newCA(t, a, caName)
		other := newCA(t, a, caName)
		_, d1 := c.issue(t, a, deptCode, deptFrom, deptTo)
		_, d2 := c.issue(t, a, otherCode, deptFrom, deptTo)
		_, foreign := other.issue(t, a, deptCode, deptFrom, deptTo)

		// Department certificates may come before their CA; duplicates count once.
		tr, err := NewTrust(d1, c.cert, d1, c.cert)
		if err != nil {
			t.Fatal(err)
		}
		certs := tr.Certificates()
		if len(certs) != 2 || !bytes.Equal(certs[0].DER, c.cert) || !bytes.Equal(certs[1].DER, d1) {
			t.Fatalf("%s: Certificates() = %d certificates", a, len(certs))
		}
		h, ok := tr.Holder(sm3.Sum(d1))
		if !ok || !bytes.Equal(h.DER, d1) || h.CreditCode != deptCode {
			t.Errorf("%s: Holder(d1) = %v, %v", a, h, ok)
		}
		for name, fp := range map[string][32]byte{"CA": sm3.Sum(c.cert), "not added": sm3.Sum(d2), "foreign": sm3.Sum(foreign), "zero": {}} {
			if _, ok := tr.Holder(fp); ok {
				t.Errorf("%s: Holder(%s) found", a, name)
			}
		}
		// What Trust returns is a copy.
		certs[0].DER[10] ^= 0xff
		h.DER[10] ^= 0xff
		if !bytes.Equal(tr.Certificates()[0].DER, c.cert) {
			t.Errorf("%s: changing a returned certificate changed the trust", a)
		}
		if h, _ := tr.Holder(sm3.Sum(d1)); !bytes.Equal(h.DER, d1) {
			t.Errorf("%s: changing a returned holder changed the trust", a)
		}

		if err := tr.AddHolder(d2); err != nil {
			t.Errorf("%s: AddHolder of a trusted CA's certificate: %v", a, err)
		}
		if _, ok := tr.Holder(sm3.Sum(d2)); !ok {
			t.Errorf("%s: Holder after AddHolder not found", a)
		}
		// Signed by the CA's key but naming another issuer.
		renamed := *c.parsed(t).cert
		renamed.Subject = pkix.Name{CommonName: "另一个制章者"}
		renamed.RawSubject = nil
		misnamed, err := smx509.CreateCertificate(rand.Reader, &smx509.Certificate{
			SerialNumber: big.NewInt(8), Subject: pkix.Name{CommonName: deptName, SerialNumber: deptCode},
			NotBefore: deptFrom, NotAfter: deptTo, KeyUsage: smx509.KeyUsageDigitalSignature, BasicConstraintsValid: true,
		}, &renamed, mustKey(t, a).Public(), c.key)
		if err != nil {
			t.Fatal(err)
		}
		if mc, err := ParseCertificate(misnamed); err != nil || mc.cert.CheckSignatureFrom(c.parsed(t).cert) != nil {
			t.Fatalf("%s: the misnamed certificate: %v", a, err)
		}
		for name, in := range map[string][]byte{"another CA's": foreign, "another issuer name": misnamed, "a CA": c.cert, "the other CA": other.cert, "garbage": []byte("garbage")} {
			if err := tr.AddHolder(in); !errors.Is(err, ErrCertificate) {
				t.Errorf("%s: AddHolder(%s) = %v; want ErrCertificate", a, name, err)
			}
		}
		if len(tr.Certificates()) != 3 {
			t.Errorf("%s: %d certificates after AddHolder", a, len(tr.Certificates()))
		}

		// A CA certificate issued by another CA is not a root.
		sub := &smx509.Certificate{
			SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "下级制章者"}, NotBefore: deptFrom, NotAfter: deptTo,
			KeyUsage: smx509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		}
		subKey := mustKey(t, a)
		subCert, err := smx509.CreateCertificate(rand.Reader, sub, c.parsed(t).cert, subKey.Public(), c.key)
		if err != nil {
			t.Fatal(err)
		}
		for name, in := range map[string][][]byte{
			"nothing":            nil,
			"departments only":   {d1},
			"foreign department": {c.cert, foreign},
			"not self-signed CA": {subCert},
			"garbage":            {c.cert, []byte("garbage")},
			"empty certificate":  {c.cert, nil},
		} {
			if tr, err := NewTrust(in...); err == nil || tr != nil {
				t.Errorf("%s: NewTrust(%s) = %v", a, name, err)
			}
		}

		// From PEM and back.
		pemBytes := EncodePEM(c.cert, other.cert, d1)
		if n := bytes.Count(pemBytes, []byte("-----BEGIN CERTIFICATE-----\n")); n != 3 {
			t.Errorf("%s: EncodePEM wrote %d blocks", a, n)
		}
		ders, err := DecodePEM(pemBytes)
		if err != nil {
			t.Fatal(err)
		}
		tr, err = NewTrust(ders...)
		if err != nil {
			t.Fatal(err)
		}
		got := tr.Certificates()
		if len(got) != 3 || got[0].Fingerprint != sm3.Sum(c.cert) || got[1].Fingerprint != sm3.Sum(other.cert) || got[2].Fingerprint != sm3.Sum(d1) {
			t.Errorf("%s: trust from PEM differs", a)
		}
		if err := tr.AddHolder(foreign); err != nil {
			t.Errorf("%s: AddHolder with both CAs trusted: %v", a, err)
		}
	}
}

func TestDecodePEM(t *testing.T) {
	c := newCA(t, SM2, caName)
	cert := EncodePEM(c.cert)
	priv, _ := MarshalPrivateKey(c.key)
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})
	withHeader := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: c.cert})
	broken := bytes.Replace(cert, []byte("-----END CERTIFICATE-----"), []byte("-----END CERTIFICAT-----"), 1)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

	// Accepted: blocks with white space around and CRLF line ends.
	for name, in := range map[string][]byte{
		"one":        cert,
		"two":        cat(cert, cert),
		"spaced":     cat([]byte("\n\n  "), cert, []byte("\r\n\t"), cert, []byte("\n")),
		"CRLF":       bytes.ReplaceAll(cert, []byte("\n"), []byte("\r\n")),
		"no newline": bytes.TrimRight(cert, "\n"),
	} {
		ders, err := DecodePEM(in)
		if err != nil || len(ders) == 0 || !bytes.Equal(ders[0], c.cert) {
			t.Errorf("DecodePEM(%s) = %d, %v", name, len(ders), err)
		}
	}
	for name, in := range map[string][]byte{
		"nil":                      nil,
		"white space":              []byte(" \n\r\n"),
		"garbage":                  []byte("garbage"),
		"DER":                      c.cert,
		"private key":              key,
		"certificate, private key": cat(cert, key),
		"private key, certificate": cat(key, cert),
		"text before":              cat([]byte("trust these:\n"), cert),
		"text after":               cat(cert, []byte("that's all\n")),
		"headers":                  withHeader,
		"broken, then good":        cat(broken, cert),
		"empty block":              []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
		"cut":                      cert[:len(cert)-10],
	} {
		ders, err := DecodePEM(in)
		if err == nil || ders != nil {
			t.Errorf("DecodePEM(%s) = %d certificates, %v", name, len(ders), err)
			continue
		}
		// Nothing read is repeated, a private key above all.
		if strings.Contains(err.Error(), "PRIVATE") || strings.Contains(err.Error(), string(key[28:60])) || strings.Contains(err.Error(), "trust these") {
			t.Errorf("DecodePEM(%s): error %q repeats the input", name, err)
		}
	}
}

func TestMessages(t *testing.T) {
	for _, a := range algorithms {
		c := newCA(t, a, caName)
		key, certDER := c.issue(t, a, deptCode, deptFrom, deptTo)
		_, otherDER := c.issue(t, a, deptCode, deptFrom, deptTo)
		cert, _ := ParseCertificate(certDER)
		otherCert, _ := ParseCertificate(otherDER)
		msg := []byte("0\x0a\x13\x08licence1")
		sig, err := SignMessage(key, msg)
		if err != nil {
			t.Fatal(err)
		}
		if !VerifyMessage(cert, msg, sig) {
			t.Fatalf("%s: VerifyMessage of a good signature failed", a)
		}
		// A CA's key signs certificates, not messages.
		caSig, err := SignMessage(c.key, msg)
		if err != nil || !verify(a, c.key.Public(), msg, caSig) {
			t.Fatal(err)
		}
		// The signature is the usual one of its algorithm, by the key.
		if cert.cert.CheckSignature(a.x509(), msg, sig) != nil {
			t.Errorf("%s: smx509 does not verify the message signature", a)
		}
		for i := range sig {
			for _, x := range []byte{0x01, 0x80} {
				bad := bytes.Clone(sig)
				bad[i] ^= x
				if VerifyMessage(cert, msg, bad) {
					t.Fatalf("%s: signature changed at byte %d (^%#x) verified", a, i, x)
				}
			}
		}
		for i := range msg {
			bad := bytes.Clone(msg)
			bad[i] ^= 0x01
			if VerifyMessage(cert, bad, sig) {
				t.Fatalf("%s: message changed at byte %d verified", a, i)
			}
		}
		for name, tt := range map[string]struct {
			cert     *Certificate
			msg, sig []byte
		}{
			"another department's certificate": {otherCert, msg, sig},
			"the CA's certificate":             {c.parsed(t), msg, caSig},
			"nil certificate":                  {nil, msg, sig},
			"unparsed certificate":             {&Certificate{PublicKey: cert.PublicKey, Algorithm: a}, msg, sig},
			"empty signature":                  {cert, msg, nil},
			"trailing byte":                    {cert, msg, append(bytes.Clone(sig), 0)},
			"message cut":                      {cert, msg[:len(msg)-1], sig},
		} {
			if VerifyMessage(tt.cert, tt.msg, tt.sig) {
				t.Errorf("%s: VerifyMessage with %s succeeded", a, name)
			}
		}
		if _, err := SignMessage(nil, msg); err == nil {
			t.Errorf("%s: SignMessage(nil) succeeded", a)
		}
		if _, err := SignMessage(mustP384(t), msg); err == nil {
			t.Errorf("%s: SignMessage(P-384) succeeded", a)
		}
	}
}

// TestConcurrentTrust adds holders while others verify (for -race).
func TestConcurrentTrust(t *testing.T) {
	f := newFixture(t, SM2, SM2)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := Verify(f.sig.Marshal(), document, f.trust); err != nil {
				t.Error(err)
			}
			_, c := f.maker.issue(t, SM2, deptCode, deptFrom, deptTo)
			if err := f.trust.AddHolder(c); err != nil {
				t.Error(err)
			}
			_ = f.trust.Certificates()
		}()
	}
	wg.Wait()
	if n := len(f.trust.Certificates()); n != 5 {
		t.Errorf("%d certificates; want 5", n)
	}
}

func FuzzParseSignature(f *testing.F) {
	fx := newFixture(f, SM2, SM2)
	fp := newFixture(f, P256, P256)
	f.Add(fx.sig.Marshal())
	f.Add(fp.sig.Marshal())
	f.Add(fx.seal.Marshal())
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		sig, err := ParseSignature(der)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if !bytes.Equal(sig.Marshal(), der) {
			t.Fatal("a parsed signature has another byte form")
		}
		_ = sig.Verify(document, fx.trust)
	})
}

func FuzzParseCertificate(f *testing.F) {
	for _, a := range algorithms {
		c := newCA(f, a, caName)
		_, d := c.issue(f, a, deptCode, deptFrom, deptTo)
		f.Add(c.cert)
		f.Add(d)
	}
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		c, err := ParseCertificate(der)
		if err != nil {
			return
		}
		if !bytes.Equal(c.DER, der) || c.Fingerprint != sm3.Sum(der) || c.Algorithm == 0 {
			t.Fatal("a parsed certificate differs from its input")
		}
		_ = VerifyMessage(c, der, der)
	})
}

// BenchmarkVerify is a full Verify (parse, maker, certificate, validity,
// signature, SM3 of the document) of an SM2 signature over 100 KB.
func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, SM2, SM2)
	doc := make([]byte, 100<<10)
	rand.Read(doc)
	sig, err := Sign(f.holder, f.seal, doc, property, signedAt)
	if err != nil {
		b.Fatal(err)
	}
	der := sig.Marshal()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(der, doc, f.trust); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyMessage checks an SM2 signature over a licence-sized
// payload with a parsed certificate.
func BenchmarkVerifyMessage(b *testing.B) {
	c := newCA(b, SM2, caName)
	key, certDER := c.issue(b, SM2, deptCode, deptFrom, deptTo)
	cert, _ := ParseCertificate(certDER)
	msg := make([]byte, 200)
	rand.Read(msg)
	sig, err := SignMessage(key, msg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !VerifyMessage(cert, msg, sig) {
			b.Fatal("VerifyMessage failed")
		}
	}
}

package seal

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"
)

var (
	validFrom = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	validTo   = time.Date(2028, 12, 31, 23, 59, 59, 0, time.UTC)
	signedAt  = time.Date(2026, 11, 22, 9, 30, 15, 0, time.UTC)
	document  = []byte("营业执照 1.2.156.3005.2.11100000000013338W032.11220000013544541J.2430599.001.F")
)

// allErrs are the verification failures, to check that exactly one holds.
var allErrs = []error{ErrFormat, ErrSealMaker, ErrSealValidity, ErrSignature, ErrDocument}

func mustKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := NewSealKey()
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

func spec(t testing.TB, holder crypto.PublicKey) Spec {
	return Spec{
		ID:         "2201000012345",
		Name:       "吉林省政务服务和数字化建设管理局电子证照专用章",
		Type:       TypeOrganisation,
		Department: "11220000013544541J",
		Picture:    Picture{PNG: redCircle(t), WidthMM: 42, HeightMM: 42},
		ValidFrom:  validFrom,
		ValidTo:    validTo,
		Holder:     holder,
	}
}

type fixture struct {
	maker, holder crypto.Signer
	seal          *Seal
	sig           *Signature
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	f := fixture{maker: mustKey(t), holder: mustKey(t)}
	var err error
	f.seal, err = Make(f.maker, spec(t, f.holder.Public()), validFrom.Add(-time.Hour))
	if err != nil {
		t.Fatalf("Make: %v", err)
	}
	f.sig, err = Sign(f.holder, f.seal, document, "电子营业执照", signedAt)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return f
}

// onlyErr checks that err wraps want and none of the other failures.
func onlyErr(t *testing.T, what string, err, want error) {
	t.Helper()
	for _, e := range allErrs {
		if errors.Is(err, e) != (e == want) {
			t.Errorf("%s: error %v; want only %v", what, err, want)
			return
		}
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

func TestSignVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	der := f.sig.Marshal()
	sig, err := Verify(der, document, f.maker.Public())
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	s := sig.Seal
	want := spec(t, f.holder.Public())
	if s.ID != want.ID || s.Name != want.Name || s.Type != want.Type || s.Department != want.Department ||
		!bytes.Equal(s.Picture.PNG, want.Picture.PNG) || s.Picture.WidthMM != 42 || s.Picture.HeightMM != 42 ||
		!s.ValidFrom.Equal(validFrom) || !s.ValidTo.Equal(validTo) || !s.Created.Equal(validFrom.Add(-time.Hour)) ||
		!s.holder().Equal(f.holder.Public()) || !s.Maker.Equal(f.maker.Public()) {
		t.Errorf("seal read back differs: %+v", s.Spec)
	}
	if !sig.SignedAt.Equal(signedAt) || sig.Property != "电子营业执照" || sig.Digest != Digest(document) {
		t.Errorf("signature read back: at %v, property %q, digest %x", sig.SignedAt, sig.Property, sig.Digest)
	}
	// One byte form: parsing and marshalling again changes nothing.
	if !bytes.Equal(sig.Marshal(), der) || !bytes.Equal(s.Marshal(), f.seal.Marshal()) {
		t.Error("marshal after parse differs from the original")
	}
	again, err := ParseSeal(f.seal.Marshal())
	if err != nil || !bytes.Equal(again.Marshal(), f.seal.Marshal()) || again.VerifyMaker(f.maker.Public()) != nil {
		t.Errorf("ParseSeal round trip: %v", err)
	}
	// The validity bounds are both included.
	for _, at := range []time.Time{validFrom, validTo} {
		sig, err := Sign(f.holder, f.seal, document, "", at)
		if err != nil {
			t.Fatalf("Sign at %v: %v", at, err)
		}
		if _, err := Verify(sig.Marshal(), document, f.maker.Public()); err != nil {
			t.Errorf("Verify at %v: %v", at, err)
		}
	}
	// SM2 signatures are randomised: the same input signed twice differs,
	// and both verify.
	sig2, err := Sign(f.holder, f.seal, document, "电子营业执照", signedAt)
	if err != nil || bytes.Equal(sig2.Value, f.sig.Value) {
		t.Errorf("second signature: %v, same value %v", err, bytes.Equal(sig2.Value, f.sig.Value))
	}
}

func TestTamperedDocument(t *testing.T) {
	f := newFixture(t)
	for _, doc := range [][]byte{nil, {}, document[:len(document)-1], append(bytes.Clone(document), 0), []byte(strings.Replace(string(document), "F", "E", 1))} {
		_, err := Verify(f.sig.Marshal(), doc, f.maker.Public())
		onlyErr(t, "tampered document", err, ErrDocument)
	}
	doc := bytes.Clone(document)
	for i := range doc {
		doc[i] ^= 0x01
		if err := f.sig.Verify(doc, f.maker.Public()); !errors.Is(err, ErrDocument) {
			t.Fatalf("document changed at byte %d: %v; want ErrDocument", i, err)
		}
		doc[i] ^= 0x01
	}
}

func TestTamperedSignature(t *testing.T) {
	f := newFixture(t)
	der := f.sig.Marshal()
	// The holder's signature value and the recorded digest: changing
	// either is a broken signature, not a different document.
	digest := f.sig.Digest
	for _, part := range [][]byte{f.sig.Value[len(f.sig.Value)-8:], digest[:], []byte("电子营业执照")} {
		at := bytes.Index(der, part)
		if at < 0 {
			t.Fatalf("part %x not found", part)
		}
		bad := bytes.Clone(der)
		bad[at+2] ^= 0x01
		_, err := Verify(bad, document, f.maker.Public())
		onlyErr(t, "signature value, digest or property changed", err, ErrSignature)
	}
	// Every single-byte change anywhere is caught, and never taken for a
	// changed document.
	for i := range der {
		for _, x := range []byte{0x01, 0x80} {
			bad := bytes.Clone(der)
			bad[i] ^= x
			if _, err := Verify(bad, document, f.maker.Public()); err == nil || errors.Is(err, ErrDocument) {
				t.Fatalf("signature changed at byte %d (^%#x): %v", i, x, err)
			}
		}
	}
}

func TestSealOutsideValidity(t *testing.T) {
	f := newFixture(t)
	for _, at := range []time.Time{validFrom.Add(-time.Second), validTo.Add(time.Second), time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if _, err := Sign(f.holder, f.seal, document, "", at); err == nil {
			t.Errorf("Sign at %v outside the seal's validity succeeded", at)
		}
		// The holder's key still signs after the seal expired: Verify must
		// refuse it, and before looking at the signature or document.
		sig, err := sign(f.holder, f.seal, document, "", at)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Verify(sig.Marshal(), document, f.maker.Public())
		onlyErr(t, "expired seal", err, ErrSealValidity)
		_, err = Verify(sig.Marshal(), []byte("other"), f.maker.Public())
		onlyErr(t, "expired seal, other document", err, ErrSealValidity)
	}
}

func TestSealOfAnotherMaker(t *testing.T) {
	f := newFixture(t)
	other := mustKey(t)
	_, err := Verify(f.sig.Marshal(), document, other.Public())
	onlyErr(t, "untrusted maker", err, ErrSealMaker)
	// Checked before validity and document.
	_, err = Verify(f.sig.Marshal(), []byte("other"), other.Public())
	onlyErr(t, "untrusted maker, other document", err, ErrSealMaker)

	// A seal made by another maker that names the trusted maker's key is
	// still refused: the maker's signature does not verify.
	forged, err := Make(other, spec(t, f.holder.Public()), validFrom)
	if err != nil {
		t.Fatal(err)
	}
	forged.Maker = f.maker.Public().(*ecdsa.PublicKey)
	if err := forged.VerifyMaker(f.maker.Public()); !errors.Is(err, ErrSealMaker) {
		t.Errorf("forged maker key: %v; want ErrSealMaker", err)
	}
	// A trusted key that is not SM2.
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, k := range []crypto.PublicKey{nil, &p256.PublicKey, (*ecdsa.PublicKey)(nil)} {
		_, err := Verify(f.sig.Marshal(), document, k)
		onlyErr(t, "non-SM2 trusted key", err, ErrSealMaker)
	}
}

func TestGarbageInput(t *testing.T) {
	f := newFixture(t)
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
	// Well signed by the holder, but the digest is not 32 bytes.
	tbs, _ := asn1.Marshal(toBeSignedDER{Version: formatVersion, Seal: asn1.RawValue{FullBytes: f.seal.Marshal()}, SignedAt: signedAt, Digest: make([]byte, DigestSize-1)})
	value, _ := signSM2(f.holder, tbs)
	short, _ := asn1.Marshal(signatureDER{TBS: asn1.RawValue{FullBytes: tbs}, Algorithm: oidSM2WithSM3, Signature: value})
	inputs = append(inputs, short)
	random := make([]byte, 512)
	rand.Read(random)
	inputs = append(inputs, random)
	for i, in := range inputs {
		if _, err := ParseSignature(in); !errors.Is(err, ErrFormat) {
			t.Errorf("ParseSignature(input %d) = %v; want ErrFormat", i, err)
		}
		sig, err := Verify(in, document, f.maker.Public())
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
	maker, holder := mustKey(t), mustKey(t)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
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
		{"picture not PNG", func(s *Spec) { s.Picture.PNG = []byte("GIF89a") }},
		{"picture empty", func(s *Spec) { s.Picture.PNG = nil }},
		{"picture width 0", func(s *Spec) { s.Picture.WidthMM = 0 }},
		{"picture too tall", func(s *Spec) { s.Picture.HeightMM = maxPictureMM + 1 }},
		{"validity reversed", func(s *Spec) { s.ValidFrom, s.ValidTo = s.ValidTo, s.ValidFrom }},
		{"validity empty", func(s *Spec) { s.ValidTo = s.ValidFrom }},
		{"no valid from", func(s *Spec) { s.ValidFrom = time.Time{} }},
		{"holder P-256", func(s *Spec) { s.Holder = &p256.PublicKey }},
		{"holder nil", func(s *Spec) { s.Holder = nil }},
		{"holder nil pointer", func(s *Spec) { s.Holder = (*ecdsa.PublicKey)(nil) }},
	} {
		s := spec(t, holder.Public())
		tt.change(&s)
		if got, err := Make(maker, s, validFrom); err == nil {
			t.Errorf("%s: Make succeeded: %+v", tt.name, got.Spec)
		}
	}
	if _, err := Make(p256, spec(t, holder.Public()), validFrom); err == nil {
		t.Error("Make with a P-256 maker succeeded")
	}
}

func TestSignRejects(t *testing.T) {
	f := newFixture(t)
	if _, err := Sign(mustKey(t), f.seal, document, "", signedAt); err == nil {
		t.Error("Sign with a key that is not the seal's succeeded")
	}
	if _, err := Sign(f.maker, f.seal, document, "", signedAt); err == nil {
		t.Error("Sign with the maker's key succeeded")
	}
	if _, err := Sign(f.holder, f.seal, document, strings.Repeat("字", maxPropertyRunes+1), signedAt); err == nil {
		t.Error("Sign with an over-long property succeeded")
	}
	if _, err := Sign(f.holder, &Seal{Spec: f.seal.Spec}, document, "", signedAt); err == nil {
		t.Error("Sign with a seal that was not made succeeded")
	}
}

// hsm stands for a key kept elsewhere: only the crypto.Signer methods.
type hsm struct{ s crypto.Signer }

func (h hsm) Public() crypto.PublicKey { return h.s.Public() }
func (h hsm) Sign(r io.Reader, msg []byte, o crypto.SignerOpts) ([]byte, error) {
	return h.s.Sign(r, msg, o)
}

func TestKeysBehindSigner(t *testing.T) {
	maker, holder := mustKey(t), mustKey(t)
	s, err := Make(hsm{maker}, spec(t, holder.Public()), validFrom)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(hsm{holder}, s, document, "", signedAt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(sig.Marshal(), document, maker.Public()); err != nil {
		t.Errorf("Verify with signers behind crypto.Signer: %v", err)
	}
}

func TestKeyMarshalling(t *testing.T) {
	f := newFixture(t)
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
	pub, err := MarshalPublicKey(f.maker.Public())
	if err != nil {
		t.Fatal(err)
	}
	makerPub, err := ParsePublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(sig.Marshal(), document, makerPub); err != nil {
		t.Errorf("Verify with reloaded keys: %v", err)
	}

	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256Priv, _ := x509.MarshalPKCS8PrivateKey(p256)
	p256Pub, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	if _, err := MarshalPrivateKey(p256); err == nil {
		t.Error("MarshalPrivateKey(P-256) succeeded")
	}
	if _, err := MarshalPrivateKey(hsm{f.holder}); err == nil {
		t.Error("MarshalPrivateKey of a key behind an HSM succeeded")
	}
	if _, err := MarshalPublicKey(&p256.PublicKey); err == nil {
		t.Error("MarshalPublicKey(P-256) succeeded")
	}
	for _, in := range [][]byte{nil, []byte("garbage"), p256Priv, pub, priv[:len(priv)-1]} {
		if _, err := ParsePrivateKey(in); err == nil {
			t.Errorf("ParsePrivateKey(%x…) succeeded", in[:min(len(in), 8)])
		}
	}
	for _, in := range [][]byte{nil, []byte("garbage"), p256Pub, priv, pub[:len(pub)-1]} {
		if _, err := ParsePublicKey(in); err == nil {
			t.Errorf("ParsePublicKey(%x…) succeeded", in[:min(len(in), 8)])
		}
	}
}

func FuzzParseSignature(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.sig.Marshal())
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
		_ = sig.Verify(document, fx.maker.Public())
	})
}
